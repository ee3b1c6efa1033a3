"""The ``ns3l`` command: NS3L against its supervised baseline on one split.

``ns3l compare FILE --target COLUMN`` compares NS3L, its supervised twin and
scikit-learn's peers on a user's table by cross-validation (see
:mod:`sklearn_ns3l.compare`). Defaults are ``NS3LClassifier``'s own, read
from it, not repeated here.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ._classifier import AUTO_STEPS_PER_EPOCH, NS3LClassifier
from .datasets import hide_labels, load_fashion_mnist
from .selectors import SELECTORS

#: NS3LClassifier's defaults, the CLI's unless an option says otherwise.
_DEFAULTS = NS3LClassifier().get_params()


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
        epilog="ns3l compare FILE --target COLUMN: NS3L, its supervised twin and "
        "scikit-learn's semi-supervised and supervised peers on your own table, "
        "by cross-validation (see ns3l compare --help).",
    )
    p.add_argument("--dataset", choices=["digits", "fashion-mnist"], default="digits")
    p.add_argument(
        "--data-path",
        help="Fashion-MNIST .npz or idx directory (default: $NS3L_FASHION_MNIST, "
        "then /usr/share/datasets/fashion-mnist)",
    )
    p.add_argument("--labels-per-class", type=int, default=10)
    p.add_argument(
        "--selector", choices=sorted(SELECTORS), default=_DEFAULTS["selector"]
    )
    p.add_argument("-T", "--T", type=float, default=_DEFAULTS["T"], dest="T")
    p.add_argument("--ns-weight", type=float, default=_DEFAULTS["ns_weight"])
    p.add_argument(
        "--epochs",
        type=int,
        default=_DEFAULTS["max_epochs"],
        help=f"max_epochs (default: NS3LClassifier's, {_DEFAULTS['max_epochs']} "
        f"epochs of at least {AUTO_STEPS_PER_EPOCH} steps, the learning rate "
        "decayed to 0)",
    )
    p.add_argument("--batch-size", type=int, default=_DEFAULTS["batch_size"])
    p.add_argument("--lr", type=float, default=_DEFAULTS["lr"])
    p.add_argument("--seeds", type=int, default=3, help="repetitions (seeds 0..N-1)")
    p.add_argument("--test-size", type=float, default=0.5, help="digits only")
    p.add_argument("--split-seed", type=int, default=0, help="digits train/test split")
    p.add_argument("--device", default=_DEFAULTS["device"])
    p.add_argument("-v", "--verbose", action="count", default=0)
    return p


def build_compare_parser() -> argparse.ArgumentParser:
    from .compare import DENSE_KERNEL_LIMIT, PEERS

    p = argparse.ArgumentParser(
        prog="ns3l compare",
        description="Compare NS3LClassifier() (at its defaults), its supervised "
        "twin (selector=None) and scikit-learn's peers on a table of your own. "
        "Rows whose target is empty or -1 are unlabelled. Each method is "
        "scored by stratified cross-validation over the labelled rows only: "
        "every training fold also holds all the unlabelled rows, and every "
        "method sees the same folds. Features: numeric columns are used as "
        "they are (a missing value becomes the column's median), the others "
        "one-hot encoded (a missing value is a category of its own), in a "
        "scikit-learn Pipeline of a ColumnTransformer and the model.",
        epilog="Peers: "
        + ", ".join(PEERS)
        + f". The rbf graph methods are left out above {DENSE_KERNEL_LIMIT:,} "
        "training rows (their kernel is a dense n x n matrix). Exit status 2: "
        "a file, column or target that cannot be compared on.",
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="a table pandas reads, by its suffix (.csv, .tsv, .parquet, "
        ".feather, .json, .xlsx; CSV otherwise), or an .npz with arrays X and y",
    )
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="the target column of a table (not needed for an .npz)",
    )
    p.add_argument(
        "--drop", nargs="+", default=[], metavar="COLUMN", help="columns not to use"
    )
    p.add_argument(
        "--folds",
        type=int,
        default=5,
        help="cross-validation folds (default: 5; fewer when the rarest class "
        "has fewer labelled rows)",
    )
    p.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="NS3L's training length in passes over the labelled rows "
        "(default: NS3LClassifier's own)",
    )
    p.add_argument(
        "--batch-size", type=int, default=None, help="NS3L's (default: its own)"
    )
    p.add_argument(
        "--methods",
        nargs="+",
        default=None,
        metavar="NAME",
        help="run only the methods whose names contain one of these (case "
        "insensitive); the supervised twin always runs",
    )
    p.add_argument("--seed", type=int, default=0, help="folds and models' random_state")
    p.add_argument("--device", default=_DEFAULTS["device"], help="NS3L's torch device")
    p.add_argument(
        "--output", metavar="CSV", help="also write the table to this CSV file"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def compare_main(argv: list[str]) -> int:
    """``ns3l compare``: the table of cross-validated accuracies."""
    from .compare import (
        SUPERVISED_TWIN,
        CompareError,
        compare,
        compare_methods,
        format_results,
        read_table,
        write_csv,
    )

    args = build_compare_parser().parse_args(argv)
    for option, least in (("folds", 2), ("max_epochs", 1), ("batch_size", 2)):
        value = getattr(args, option)
        if value is not None and value < least:
            flag = "--" + option.replace("_", "-")
            print(f"ns3l compare: {flag} must be at least {least}.", file=sys.stderr)
            return 2
    try:
        table = read_table(args.file, args.target, drop=args.drop)
        methods = compare_methods(
            random_state=args.seed,
            max_epochs=args.max_epochs,
            batch_size=args.batch_size,
            image_shape=table.image_shape,
            device=args.device,
        )
        if args.methods:
            wanted = [m.lower() for m in args.methods]
            methods = {
                name: est
                for name, est in methods.items()
                if name == SUPERVISED_TWIN or any(w in name.lower() for w in wanted)
            }
        print(
            f"{args.file}: {table.n_labelled:,} labelled rows of "
            f"{len(table.classes)} classes, {table.n_unlabelled:,} unlabelled; "
            f"{len(methods)} methods, {args.folds}-fold cross-validation."
        )
        for note in table.notes:
            print(f"  {note}")
        n_notes = len(table.notes)
        results = compare(
            table, methods, args.folds, args.seed, progress=not args.no_progress
        )
    except CompareError as exc:
        print(f"ns3l compare: {exc}", file=sys.stderr)
        return 2
    for note in table.notes[n_notes:]:
        print(f"  {note}")
    n_folds = max((len(r.scores) for r in results), default=0)
    print(format_results(results, n_folds))
    if args.output:
        write_csv(results, args.output)
        print(f"Wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:
        return compare_main(argv[1:])
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
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        verbose=args.verbose,
        max_epochs=args.epochs,
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
