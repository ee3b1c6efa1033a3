"""``features``: the graph on the network's features, in two stages (archived).

Issue #14's part 4 as it was first measured, on the Fashion-MNIST
development split (split seed given: 100, 101, ...). The warm-up network is
the supervised arm itself (10 epochs); its 128-d penultimate features (the
input of the last linear layer, in eval mode) of the labelled and pool rows
replace the pixels in the label-spreading graph; NS3L then trains from
scratch with those fixed negatives. Also printed: the share of the pool's
negative labels that are the row's true class (*wrong*) and their mean count
per pool row.

An archived experiment: ``penultimate`` and ``on_rows`` re-implement, for it
alone, what ``NS3LClassifier(selector_features="network")`` now does inside
one fit (the ``network`` experiment measures that).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from _common import ROWS_2

from choose_default._dev_splits import fashion_dev_split
from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier, negative_label_quality
from sklearn_ns3l._networks import penultimate_features

__all__ = ["features", "on_rows", "penultimate"]


def penultimate(clf: NS3LClassifier, X: np.ndarray, batch: int = 1000) -> np.ndarray:
    """The input of the fitted network's last linear layer, in eval mode."""
    batches = (torch.as_tensor(X[i : i + batch]) for i in range(0, len(X), batch))
    return penultimate_features(clf.module_, batches, clf.net_.device)


def on_rows(features: np.ndarray) -> type[LabelSpreadingSelector]:
    """LabelSpreadingSelector whose graph is built on ``features`` (same rows as X)."""

    class OnFeatures(LabelSpreadingSelector):
        def pool_negatives(self, X, labelled, y_labelled, pool, *, y_true=None):
            return super().pool_negatives(features, labelled, y_labelled, pool)

    return OnFeatures


def features(seed: int) -> None:
    X_train, y_semi, y_true, X_dev, y_dev = fashion_dev_split(seed)
    pool_truth = y_true[y_semi == -1]
    fit = dict(max_epochs=10, random_state=seed)

    def report(name, clf, seconds):
        acc = clf.score(X_dev, y_dev)
        extra = ""
        if clf.selector_ is not None:
            quality = negative_label_quality(
                clf.pool_negatives_, pool_truth, clf.classes_
            )
            wrong = quality.n_wrong_negatives / max(quality.n_negatives, 1)
            extra = (
                f" wrong={100 * wrong:.2f}%"
                f" negatives/row={quality.negatives_per_sample:.2f}"
                f" threshold={clf.selector_.threshold_:.4f}"
            )
        print(
            f"seed={seed} {name:22s} acc={100 * acc:.2f}{extra} s/fit={seconds:.1f}",
            flush=True,
        )

    start = time.perf_counter()
    warm = NS3LClassifier(selector=None, **fit).fit(X_train, y_semi)
    report("supervised (warm-up)", warm, time.perf_counter() - start)
    F = penultimate(warm, X_train)
    arms = {
        "LS pixels T=0.01": LabelSpreadingSelector(T=0.01, wrong_negative_rate=None),
        "LS pixels rate=0.02": LabelSpreadingSelector(**ROWS_2),
        "LS features T=0.01": on_rows(F)(T=0.01, wrong_negative_rate=None),
        "LS features rate=0.02": on_rows(F)(**ROWS_2),
        "LS features cos T=0.01": on_rows(F)(
            T=0.01, wrong_negative_rate=None, metric="cosine"
        ),
    }
    for name, selector in arms.items():
        start = time.perf_counter()
        clf = NS3LClassifier(selector=selector, **fit).fit(X_train, y_semi)
        report(name, clf, time.perf_counter() - start)
