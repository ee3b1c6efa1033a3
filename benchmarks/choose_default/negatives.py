"""``negatives``: the selector.

Digits on development seeds 10, 11, 12 (the peer benchmark uses 0, 1, 2),
and Fashion-MNIST on 12,000 of its training images (2,000 labelled) scored on
5,000 other *training* images (never the test set), split seed 100, 10
epochs: supervised, the threshold rule and the label-spreading selector at a
fixed ``T = 0.01`` and calibrated to 2 % and 5 % wrong negatives.
"""

from __future__ import annotations

import time

import numpy as np
from _common import ROWS_2

from choose_default._dev_splits import digits_split, fashion_dev_split
from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier

__all__ = ["ARMS", "negatives"]


ARMS = {
    "supervised": None,
    "threshold": "threshold",
    "LS T=0.01": LabelSpreadingSelector(T=0.01, wrong_negative_rate=None),
    "LS rate=0.02": LabelSpreadingSelector(**ROWS_2),
    "LS rate=0.05": LabelSpreadingSelector(
        wrong_negative_rate=0.05, calibration="rows"
    ),
}


def _report(where, name, accs, clfs, seconds):
    extra = ""
    if isinstance(clfs[-1].selector_, LabelSpreadingSelector):
        thr = np.mean([c.selector_.threshold_ for c in clfs])
        est = np.nanmean([c.selector_.estimated_wrong_negative_rate_ for c in clfs])
        extra = f" threshold={thr:.4f} held-out wrong={est:.4f}"
    print(
        f"{where} {name:14s} acc={100 * np.mean(accs):.2f} "
        f"+-{100 * np.std(accs):.2f}{extra} s/fit={seconds:.1f}",
        flush=True,
    )


def negatives(where: str) -> None:
    if where == "digits":
        for name, selector in ARMS.items():
            accs, clfs, start = [], [], time.perf_counter()
            for s in (10, 11, 12):
                X_tr, y_semi, X_te, y_te = digits_split(s, 10)
                clf = NS3LClassifier(selector=selector, random_state=s)
                clfs.append(clf.fit(X_tr, y_semi))
                accs.append(clf.score(X_te, y_te))
            _report(where, name, accs, clfs, (time.perf_counter() - start) / 3)
        return
    X_train, y_semi, _, X_dev, y_dev = fashion_dev_split(100)
    for name, selector in ARMS.items():
        start = time.perf_counter()
        clf = NS3LClassifier(selector=selector, max_epochs=10, random_state=100)
        clf.fit(X_train, y_semi)
        acc = clf.score(X_dev, y_dev)
        _report(where, name, [acc], [clf], time.perf_counter() - start)
