"""``pseudo-labels``: how far an MLP gets on label spreading's own labels.

Why digits as features stays behind scikit-learn's ``LabelSpreading``: see
:func:`pseudo_labels`.
"""

from __future__ import annotations

import numpy as np
from sklearn.semi_supervised import LabelSpreading

from choose_default._dev_splits import digits_split, digits_train_test
from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier

__all__ = ["pseudo_labels"]


def pseudo_labels() -> None:
    """How far an MLP gets on label spreading's own labels (digits features).

    On the digits development seeds 10, 11, 12 (64 features, 10 labels per
    class): the share of the pool whose spread label (argmax, k = 7, alpha =
    0.2) is right, and the test accuracy of the package's MLP trained
    supervised on every training row with those labels (the pool's spread,
    the labelled rows' own), against scikit-learn's
    ``LabelSpreading(kernel="knn")`` and the same MLP on the true labels.
    """
    for seed in (10, 11, 12):
        X_tr, y_semi, X_te, y_te = digits_split(seed, 10)
        y_true = digits_train_test(seed)[2]
        selector = LabelSpreadingSelector(T=0.01, wrong_negative_rate=None)
        selector.fit(X_tr, y_semi)
        spread = selector.classes_[selector.label_distributions_.argmax(axis=1)]
        pool = y_semi == -1
        on_spread = NS3LClassifier(selector=None, random_state=seed)
        on_true = NS3LClassifier(selector=None, random_state=seed)
        peer = LabelSpreading(kernel="knn", n_neighbors=7).fit(X_tr, y_semi)
        print(
            f"digits seed={seed} spread labels right on the pool "
            f"{100 * np.mean(spread[pool] == y_true[pool]):.2f}%; test accuracy: "
            f"MLP on the spread labels "
            f"{100 * on_spread.fit(X_tr, spread).score(X_te, y_te):.2f}, "
            f"MLP on the true labels "
            f"{100 * on_true.fit(X_tr, y_true).score(X_te, y_te):.2f}, "
            f"LabelSpreading(knn) {100 * peer.score(X_te, y_te):.2f}",
            flush=True,
        )
