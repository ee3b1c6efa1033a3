"""The ``ns3l`` command: NS3L against its supervised baseline on one split."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ._classifier import NS3LClassifier
from .datasets import hide_labels, load_fashion_mnist
from .selectors import SELECTORS


def _load(args):
    """Train and test arrays, scaled to [0, 1], as images."""
    if args.dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32).reshape(-1, 8, 8)
        return train_test_split(
            X, y, test_size=args.test_size, stratify=y, random_state=args.split_seed
        )
    data = load_fashion_mnist(args.data_path)
    X_train = (data.X_train / 255.0).astype(np.float32)
    X_test = (data.X_test / 255.0).astype(np.float32)
    return X_train, X_test, data.y_train, data.y_test


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ns3l",
        description="Train the supervised baseline and NS3L on the same split with "
        "most labels hidden, and print their test accuracy side by side.",
    )
    p.add_argument("--dataset", choices=["digits", "fashion-mnist"], default="digits")
    p.add_argument(
        "--data-path",
        help="Fashion-MNIST .npz or idx directory (default: $NS3L_FASHION_MNIST, "
        "then /usr/share/datasets/fashion-mnist)",
    )
    p.add_argument("--labels-per-class", type=int, default=10)
    p.add_argument("--selector", choices=sorted(SELECTORS), default="threshold")
    p.add_argument("-T", "--T", type=float, default=0.04, dest="T")
    p.add_argument("--ns-weight", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--seeds", type=int, default=3, help="repetitions (seeds 0..N-1)")
    p.add_argument("--test-size", type=float, default=0.5, help="digits only")
    p.add_argument("--split-seed", type=int, default=0, help="digits train/test split")
    p.add_argument("--device", default="cpu")
    p.add_argument("-v", "--verbose", action="count", default=0)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        X_train, X_test, y_train, y_test = _load(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"ns3l: {exc}", file=sys.stderr)
        return 2
    methods = {
        "supervised": dict(selector=None),
        f"NS3L ({args.selector}"
        + (f", T={args.T:g})" if args.selector == "threshold" else ")"): dict(
            selector=args.selector, T=args.T, ns_weight=args.ns_weight
        ),
    }
    common = dict(
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        verbose=args.verbose,
    )
    print(
        f"{args.dataset}: {len(y_train)} training images, "
        f"{args.labels_per_class} labels per class kept (the rest -1), "
        f"{len(y_test)} test images; {args.epochs} epochs, {args.seeds} seeds"
    )
    header = f"{'method':<28}" + "".join(f"  seed {s:<3}" for s in range(args.seeds))
    print(header + "  mean acc    s/fit")
    results = {}
    for name, params in methods.items():
        accs, secs = [], []
        for seed in range(args.seeds):
            y_semi = hide_labels(y_train, args.labels_per_class, random_state=seed)
            clf = NS3LClassifier(**params, **common, random_state=seed)
            t0 = time.perf_counter()
            clf.fit(X_train, y_semi)
            secs.append(time.perf_counter() - t0)
            accs.append(clf.score(X_test, y_test))
        results[name] = float(np.mean(accs))
        row = f"{name:<28}" + "".join(f"  {a:8.4f}" for a in accs)
        print(row + f"  {np.mean(accs):8.4f}  {np.mean(secs):7.1f}", flush=True)
    base, ns3l = results.values()
    print(f"NS3L - supervised: {100 * (ns3l - base):+.2f} accuracy points")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
