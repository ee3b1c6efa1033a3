"""The supervised twin's network on feature vectors against linear models (#23 build 3).

On standardised wine and breast cancer (5 labels per class) and digits as 64
features (10 per class), development splits only (seeds 100 to 104, 30 %
test, as ``benchmarks/raw_tables.py``): the supervised twin
(``selector=None``) with the package's MLP as it is, with more dropout, with
a narrower network, and with AdamW's weight decay, beside labelled-only
``LogisticRegression`` and ``SVC``. Prints the test accuracy %, mean ± sd
per set, and the mean over the sets.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mlp"]

SEEDS = range(100, 105)
SETS = {"wine": 5, "breast_cancer": 5, "digits": 10}


def _arms(n_features: int, n_classes: int) -> dict:
    from sklearn_ns3l._networks import MLP

    return {
        "MLP 256-128, dropout 0.1 (now)": {},
        "MLP 256-128, dropout 0.5": dict(
            module=MLP(n_features, n_classes, dropout=0.5)
        ),
        "MLP 64, dropout 0.5": dict(
            module=MLP(n_features, n_classes, hidden=(64,), dropout=0.5)
        ),
        "AdamW (weight decay 0.01)": dict(optimizer="adamw"),
    }


def mlp() -> None:
    from sklearn import datasets
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from sklearn_ns3l import NS3LClassifier
    from sklearn_ns3l.datasets import hide_labels

    means: dict[str, list[float]] = {}
    for name, per_class in SETS.items():
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        if name == "digits":
            X = X / 16.0  # pixels on one scale: not standardised
        scores: dict[str, list[float]] = {}
        for seed in SEEDS:
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            if name != "digits":
                scaler = StandardScaler().fit(X_tr)
                X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
            X_tr, X_te = X_tr.astype(np.float32), X_te.astype(np.float32)
            y_semi = hide_labels(y_tr, per_class, random_state=seed)
            known = y_semi != -1
            for arm, params in _arms(X.shape[1], len(np.unique(y))).items():
                clf = NS3LClassifier(selector=None, random_state=seed, **params)
                clf.fit(X_tr, y_semi)
                scores.setdefault(arm, []).append(clf.score(X_te, y_te))
            for arm, model in (
                (
                    "LogisticRegression (labelled only)",
                    LogisticRegression(max_iter=5000),
                ),
                ("SVC (labelled only)", SVC()),
            ):
                model.fit(X_tr[known], y_semi[known])
                scores.setdefault(arm, []).append(model.score(X_te, y_te))
        print(f"{name} ({per_class} labels per class, {len(SEEDS)} splits):")
        for arm, values in scores.items():
            mean = 100 * np.mean(values)
            means.setdefault(arm, []).append(mean)
            print(f"  {arm:36s} {mean:5.1f} ± {100 * np.std(values):4.1f}", flush=True)
    print("mean over the sets:")
    for arm, values in means.items():
        print(f"  {arm:36s} {np.mean(values):5.1f}")
