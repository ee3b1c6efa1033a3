"""The ``ns3l`` command: NS3L against its supervised baseline on one split.

``ns3l compare FILE --target COLUMN`` compares NS3L, its supervised twin and
scikit-learn's peers on a user's table by cross-validation (see
:mod:`sklearn_ns3l.compare`). The options, their ranges and defaults (the
classifier's own) are in ``_cli_options``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ._classifier import NS3LClassifier
from ._cli_options import build_compare_parser, build_parser
from .datasets import hide_labels, load_fashion_mnist

__all__ = ["build_compare_parser", "build_parser", "compare_main", "main"]


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """torch's intra-op threads and every OpenMP/BLAS pool at ``n`` in the block.

    ``None`` leaves them as they are. The counts are restored afterwards.
    """
    if n is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    with threadpool_limits(n):
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)


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


def compare_main(argv: list[str]) -> int:
    """``ns3l compare``: the table of cross-validated (balanced) accuracies."""
    from .compare import (
        SUPERVISED_TWIN,
        CompareError,
        compare,
        compare_methods,
        format_results,
        ranking_for,
        read_table,
        write_csv,
    )

    args = build_compare_parser().parse_args(argv)
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
        with _threads(args.threads):
            results = compare(
                table,
                methods,
                args.folds,
                args.seed,
                progress=not args.no_progress,
                scale=args.scale,
            )
    except CompareError as exc:
        print(f"ns3l compare: {exc}", file=sys.stderr)
        return 2
    for note in table.notes[n_notes:]:
        print(f"  {note}")
    n_folds = max((len(r.scores) for r in results), default=0)
    # Accuracy, or balanced accuracy where the labelled classes are imbalanced.
    ranking = ranking_for(table.y)
    print(format_results(results, n_folds, ranking))
    if args.output:
        write_csv(results, args.output, ranking)
        print(f"Wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``ns3l`` (the main job) or ``ns3l compare``; returns the exit status."""
    from .compare import fmt_number

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:
        return compare_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.T != parser.get_default("T") and args.selector != "threshold":
        # As NS3LClassifier refuses it: a T that no selector reads.
        parser.error(
            f"-T {args.T:g} is read only by --selector threshold; with "
            f"--selector {args.selector} it would change nothing."
        )
    try:
        X_train, X_test, y_train, y_test = _load(args)
        # Before any training: too many labels per class for the data is refused.
        targets = [
            hide_labels(y_train, args.labels_per_class, random_state=seed)
            for seed in range(args.seeds)
        ]
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
    with _threads(args.threads):
        for name, params in methods.items():
            accs, secs = [], []
            # The oracle's negatives are read off the labels the run hid.
            truth = {"y_true": y_train} if params["selector"] == "oracle" else {}
            for seed, y_semi in enumerate(targets):
                clf = NS3LClassifier(**params, **common, random_state=seed)
                t0 = time.perf_counter()
                clf.fit(X_train, y_semi, **truth)
                secs.append(time.perf_counter() - t0)
                accs.append(clf.score(X_test, y_test))
            results[name] = float(np.mean(accs))
            row = f"{name:<28}" + "".join(f"  {a:8.4f}" for a in accs)
            print(row + f"  {np.mean(accs):8.4f}  {np.mean(secs):7.1f}", flush=True)
    base, ns3l = results.values()
    difference = fmt_number(100 * (ns3l - base), signed=True)
    print(f"NS3L - supervised: {difference} accuracy points")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
