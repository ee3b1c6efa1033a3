"""``digits-default``: can NS3L's default reach ``LabelSpreading`` on digits-64? (#23).

Digits as 64 features in [0, 1], 10 labels per class, the development splits
of ``_dev_splits.digits_split`` on seeds 100 to 104 (never the peer
benchmark's 0, 1, 2). Arms: NS3L's default (label-spreading negatives read
from the neighbours' mean), the rule before (each row's own spread
distribution), and the default with one change each: a larger NS3L weight,
longer training, a wider or more regularised MLP, AdamW, fewer labelled rows
per batch, a larger learning rate, and a companion loss (VAT,
pseudo-labelling); beside ``LabelSpreading(kernel="knn")`` at its defaults.
Prints how often ``LabelSpreading``'s label is right on the pool, read from
each row's own distribution (``transduction_``) and from its neighbours'
mean (``predict``); then the test accuracy % per split, the mean and sd, and
each arm's paired difference to the default (mean and sd over the splits).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["digits_default"]

SEEDS = range(100, 105)


def _arms() -> dict:
    from sklearn_ns3l import LabelSpreadingSelector
    from sklearn_ns3l._networks import MLP

    return {
        "default": {},
        "own distribution (before)": dict(
            selector=LabelSpreadingSelector(neighbour_mean=False)
        ),
        "ns_weight=2": dict(ns_weight=2.0),
        "max_epochs=100": dict(max_epochs=100),
        "MLP 512-256, dropout 0.3": dict(
            module=MLP(64, 10, hidden=(512, 256), dropout=0.3)
        ),
        "MLP dropout 0.5": dict(module=MLP(64, 10, dropout=0.5)),
        "AdamW": dict(optimizer="adamw"),
        "labelled_fraction=0.25": dict(labelled_fraction=0.25),
        "lr=2e-3": dict(lr=2e-3),
        "companion VAT": dict(companion="vat"),
        "companion pseudo-label": dict(companion="pseudo_label"),
    }


def digits_default() -> None:
    from sklearn.semi_supervised import LabelSpreading

    from choose_default._dev_splits import digits_split, digits_train_test
    from sklearn_ns3l import NS3LClassifier

    accuracy: dict[str, list[float]] = {}
    own: list[float] = []
    vote: list[float] = []
    for seed in SEEDS:
        X_tr, y_semi, X_te, y_te = digits_split(seed, 10)
        for arm, params in _arms().items():
            clf = NS3LClassifier(random_state=seed, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                clf.fit(X_tr, y_semi)
            accuracy.setdefault(arm, []).append(100 * clf.score(X_te, y_te))
        spreading = LabelSpreading(kernel="knn").fit(X_tr, y_semi)
        accuracy.setdefault("LabelSpreading (knn)", []).append(
            100 * spreading.score(X_te, y_te)
        )
        # How right the spreading is on the pool, read from each row's own
        # distribution (transduction_) or from its neighbours' mean (predict).
        pool = y_semi == -1
        y_pool = digits_train_test(seed)[2][pool]
        own.append(100 * np.mean(spreading.transduction_[pool] == y_pool))
        vote.append(100 * np.mean(spreading.predict(X_tr[pool]) == y_pool))
    print(
        "LabelSpreading(knn)'s label right on the pool, % (mean over the splits): "
        f"each row's own distribution {np.mean(own):.2f}, "
        f"its neighbours' mean {np.mean(vote):.2f}"
    )
    default = np.array(accuracy["default"])
    print(f"digits as 64 features, 10 labels per class, seeds {list(SEEDS)}:")
    for arm, values in accuracy.items():
        delta = np.array(values) - default
        print(
            f"  {arm:28s} "
            + " ".join(f"{v:5.2f}" for v in values)
            + f"  mean {np.mean(values):5.2f} ± {np.std(values, ddof=1):4.2f}"
            + (
                f"  vs default {delta.mean():+.2f} ± {delta.std(ddof=1):.2f}"
                if arm != "default"
                else ""
            ),
            flush=True,
        )
