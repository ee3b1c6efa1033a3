"""The default NS3L against its supervised twin as labels get scarcer (digits).

The numbers behind the gallery's flagship example, "Negative sampling as labels
get scarcer" (``examples/semi_supervised/plot_scarce_labels.py``), which plots
the committed results of this script rather than training at these settings
in the docs build.

scikit-learn's digits as 8x8 images (``X / 16``, float32), split once with
``train_test_split(test_size=0.3, stratify=y, random_state=0)``: 1,257
training and 540 test images. For each budget of ``--labels-per-class`` and
each seed ``s`` of ``--seeds``, ``hide_labels(y_train, n, random_state=s)``
keeps ``n`` labels per class and marks the other training images -1; then two
models are trained on those rows with ``random_state=s`` and scored on the
fully labelled test images:

- ``NS3LClassifier()``, the default: label-spreading negatives on the CNN's
  own features, 50 epochs of at least 20 steps, a cosine decay, and
  ``precision="auto"``;
- its supervised twin, ``NS3LClassifier(selector=None)``: the same network,
  batches and schedule, the unlabelled half of each batch skipped.

Every fit runs on ``--threads`` torch threads (default 1: on a shared machine
one thread is the faster, see the performance page). Results, with the
machine, the precision each fit used and the time it took, go to
``docs/results/scarce_labels.json`` (``--out``); the means and standard
deviations over the seeds are printed.

Usage::

    python benchmarks/scarce_labels.py            # the committed run
    python benchmarks/scarce_labels.py --quick    # a smoke test, seconds
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _common import REPO, machine, summary, versions, write_json

LABELS_PER_CLASS = [2, 4, 8, 16, 32]
SEEDS = [0, 1, 2, 3, 4]
#: The two rows, as keyword arguments of NS3LClassifier beside random_state.
MODELS = {"supervised": dict(selector=None), "NS3L (default)": {}}
DEFAULT_OUT = REPO / "docs" / "results" / "scarce_labels.json"


def digits_split():
    """Digits as 8x8 float32 images, one stratified 70/30 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 8, 8).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def run(labels_per_class, seeds, max_epochs=None, progress=print) -> dict:
    """Test accuracy of every row, budget and seed: ``{name: [[acc per seed]]}``.

    ``max_epochs=None`` keeps the classifier's default. Also returns the
    precision each row trained in and the seconds per fit.
    """
    from sklearn_ns3l import NS3LClassifier
    from sklearn_ns3l.datasets import hide_labels

    X_train, X_test, y_train, y_test = digits_split()
    extra = {} if max_epochs is None else {"max_epochs": max_epochs}
    accuracy = {name: [] for name in MODELS}
    seconds = {name: [] for name in MODELS}
    precision = {}
    for n_labels in labels_per_class:
        row = {name: [] for name in MODELS}
        for seed in seeds:
            y_semi = hide_labels(y_train, n_labels, random_state=seed)
            for name, params in MODELS.items():
                clf = NS3LClassifier(**params, **extra, random_state=seed)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    # A short quick-mode fit may warn that its selector found
                    # no negatives; the accuracies are what is recorded.
                    warnings.simplefilter("ignore", UserWarning)
                    clf.fit(X_train, y_semi)
                seconds[name].append(time.perf_counter() - start)
                row[name].append(float(clf.score(X_test, y_test)))
                precision[name] = clf.precision_
        for name in MODELS:
            accuracy[name].append(row[name])
            scores = np.array(row[name])
            progress(
                f"{n_labels:3d} labels/class  {name:15s} test accuracy "
                f"{scores.mean():.3f} ± {scores.std():.3f}  "
                f"({', '.join(f'{s:.3f}' for s in scores)})"
            )
    return {"accuracy": accuracy, "precision": precision, "seconds": seconds}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--labels-per-class",
        type=int,
        nargs="+",
        default=LABELS_PER_CLASS,
        help="label budgets (default: %(default)s)",
    )
    p.add_argument(
        "--seeds", type=int, nargs="+", default=SEEDS, help="default: %(default)s"
    )
    p.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="epochs of every fit (default: the classifier's, 50)",
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="2 budgets, 1 seed, 2 epochs, written to --out only if given",
    )
    p.add_argument(
        "--out", type=Path, default=None, help=f"JSON file (default {DEFAULT_OUT})"
    )
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    if args.quick:
        args.labels_per_class, args.seeds, args.max_epochs = [3, 10], [0], 2
    out = args.out if args.out or args.quick else DEFAULT_OUT
    print(summary(), flush=True)
    # Before training: the digest of the package's files as they are imported,
    # not as they may be by the end of a long run.
    made_with = versions()
    start = time.perf_counter()
    results = run(
        args.labels_per_class,
        args.seeds,
        args.max_epochs,
        progress=lambda line: print(line, flush=True),
    )
    wall = time.perf_counter() - start
    print(f"{wall:.0f} s in all")
    if out is not None:
        accuracy = {k: np.array(v) for k, v in results["accuracy"].items()}
        write_json(
            out,
            {
                "command": " ".join(
                    ["python benchmarks/scarce_labels.py"]
                    + (argv if argv is not None else sys.argv[1:])
                ),
                "machine": machine(),
                "versions": made_with,
                "labels_per_class": args.labels_per_class,
                "seeds": args.seeds,
                "max_epochs": args.max_epochs or 50,
                "threads": args.threads,
                "wall_seconds": wall,
                **results,
                "mean": {k: a.mean(axis=1).tolist() for k, a in accuracy.items()},
                "sd": {k: a.std(axis=1).tolist() for k, a in accuracy.items()},
            },
        )
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
