"""``network``: the graph on the network's features inside one fit.

As the package does it (``selector_features="network"``: 5 supervised
epochs, then the negatives from the network's features, rebuilt every 5
epochs, at the fixed ``T = 0.01``), against the supervised network and the
input graph (then the calibrated default of feature vectors, rows 2 %):
digits as 64 features and as 8x8 images on the development seeds 10, 11,
12, and Fashion-MNIST on the development splits 100 and 101 at 10 and 20
epochs. This chose ``selector_features="auto"``.
"""

from __future__ import annotations

import time

import numpy as np
from _common import ROWS_2

from choose_default._dev_splits import digits_split, fashion_dev_split
from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier

__all__ = ["NETWORK_ARMS", "network"]


NETWORK_ARMS = {
    "supervised": dict(selector=None),
    "LS input, rate=0.02": dict(
        selector=LabelSpreadingSelector(**ROWS_2), selector_features="input"
    ),
    "LS network, T=0.01": dict(selector_features="network"),
}


def network(where: str) -> None:
    if where == "digits":
        for shape in ("features", "images"):
            for name, params in NETWORK_ARMS.items():
                accs, start = [], time.perf_counter()
                for s in (10, 11, 12):
                    X_tr, y_semi, X_te, y_te = digits_split(s, 10)
                    if shape == "images":
                        X_tr, X_te = X_tr.reshape(-1, 8, 8), X_te.reshape(-1, 8, 8)
                    clf = NS3LClassifier(random_state=s, **params)
                    accs.append(clf.fit(X_tr, y_semi).score(X_te, y_te))
                print(
                    f"digits {shape:8s} {name:20s} "
                    + " ".join(f"{100 * a:.2f}" for a in accs)
                    + f" mean={100 * np.mean(accs):.2f}"
                    f" s/fit={(time.perf_counter() - start) / 3:.1f}",
                    flush=True,
                )
        return
    for seed in (100, 101):
        X_train, y_semi, _, X_dev, y_dev = fashion_dev_split(seed)
        for epochs in (10, 20):
            for name, params in NETWORK_ARMS.items():
                start = time.perf_counter()
                clf = NS3LClassifier(max_epochs=epochs, random_state=seed, **params)
                clf.fit(X_train, y_semi)
                acc = clf.score(X_dev, y_dev)
                print(
                    f"fashion-mnist seed={seed} epochs={epochs} {name:20s} "
                    f"acc={100 * acc:.2f} s/fit={time.perf_counter() - start:.1f}",
                    flush=True,
                )
