"""``propagation``: issue #22's build 2, spreading that does not drown small classes.

``LabelSpreadingSelector(class_balance=...)``: None (the plain spreading),
``"mass"`` (class mass normalisation), ``"balanced"`` (a class-balanced start)
and ``"align"`` (distribution alignment), each inside the NS3L default
(``NS3LClassifier(selector=LabelSpreadingSelector(class_balance=...))``,
default epochs), beside the supervised twin (``selector=None``), on
development splits only (seeds 100 to 104; the benchmarks test on 0, 1, 2):

- ``rho10``, ``rho100``: digits as 64 features in [0, 1], long-tailed
  (``_long_tail.long_tailed_split(X, y, seed, rho=..., test_per_class=50)``);
- ``digits``: the balanced digits, 10 labels per class (``_dev_splits``);
- ``breast_cancer``: standardised, 30 % test (stratified), 10 % of each
  class's training rows labelled (at least 2).

Per arm, mean ± sd over the seeds: balanced accuracy on the test set (%),
its paired differences to the twin and to the plain spreading, the test
recall of the 3 rarest classes (by training rows; the rarer class of breast
cancer), and of the pool's negatives (``clf.pool_negatives_`` against the
pool's true classes, ``negative_label_quality``): the share of the rarest
classes' pool rows whose true class is marked, the largest per-class share
of rows whose true class is marked (``class_wrong_rate``), the largest
per-class share of wrong negatives (``class_wrong_negative_rate``), the
pool-wide share, and the negatives per row (means over the seeds with any
negatives). The selector alone (fitted on the training rows) is
scored on the pool: accuracy and balanced accuracy of the argmax of its
spread distributions, the rarest classes' recall, and its negatives.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SETS", "propagation"]

SEEDS = range(100, 105)
SETS = ("rho10", "rho100", "digits", "breast_cancer")
OPTIONS = (None, "mass", "balanced", "align")


def _split(name: str, seed: int):
    """``X, y_semi, y_true, X_test, y_test`` of one development split."""
    from _long_tail import long_tailed_split
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from choose_default._dev_splits import digits_split, digits_train_test

    if name.startswith("rho"):
        X, y = load_digits(return_X_y=True)
        X = (X / 16).astype(np.float32)
        split = long_tailed_split(X, y, seed, rho=int(name[3:]), test_per_class=50)
        return split.X, split.y, split.y_true, split.X_test, split.y_test
    if name == "digits":
        _, _, y_tr, _ = digits_train_test(seed)
        X_tr, y_semi, X_te, y_te = digits_split(seed, 10)
        return X_tr, y_semi, y_tr, X_te, y_te
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr = scaler.transform(X_tr).astype(np.float32)
    X_te = scaler.transform(X_te).astype(np.float32)
    rng = np.random.default_rng(seed)
    y_semi = np.full_like(y_tr, -1)
    for c in np.unique(y_tr):
        rows = rng.permutation(np.flatnonzero(y_tr == c))
        kept = rows[: max(2, round(0.1 * len(rows)))]
        y_semi[kept] = c
    return X_tr, y_semi, y_tr, X_te, y_te


def _rarest(y_true: np.ndarray) -> np.ndarray:
    classes, counts = np.unique(y_true, return_counts=True)
    return classes[np.argsort(counts, kind="stable")[: min(3, len(classes) - 1)]]


def _recall(y: np.ndarray, pred: np.ndarray, classes) -> float:
    return float(np.mean([np.mean(pred[y == c] == c) for c in classes]))


def _negatives(mask, y_pool, classes, rare) -> list[float]:
    from sklearn_ns3l import negative_label_quality

    if mask is None:
        return [np.nan] * 5
    q = negative_label_quality(mask, y_pool, classes)
    worst = [
        np.nanmax(r) if np.isfinite(r).any() else 0.0
        for r in (q.class_wrong_rate, q.class_wrong_negative_rate)
    ]
    # The rarest classes' rows together: the share whose class is marked.
    in_rare = np.isin(classes, rare)
    rare_rows = q.class_rows[in_rare].sum()
    rare_wrong = np.nansum(q.class_wrong_rate[in_rare] * q.class_rows[in_rare])
    return [
        rare_wrong / rare_rows if rare_rows else np.nan,
        *worst,
        q.wrong_negative_rate,
        q.negatives_per_sample,
    ]


def _name(option) -> str:
    return "plain" if option is None else option


def _print(title: str, header: str, rows: dict[str, list[list[float]]], pct: int):
    """Mean ± sd over seeds per column; the first ``pct`` columns in %."""
    print(f"  {title:20s} " + " ".join(f"{h:>13s}" for h in header.split(",")))
    for arm, values in rows.items():
        values = np.array(values, dtype=float)
        scale = np.where(np.arange(values.shape[1]) < pct, 100.0, 1.0)
        cells = " ".join(
            f"{np.nanmean(v) * s:6.2f} ± {np.nanstd(v) * s:4.2f}"
            if np.isfinite(v).any()
            else f"{'-':>13s}"
            for v, s in zip(values.T, scale, strict=True)
        )
        print(f"  {arm:20s} {cells}", flush=True)


def _selector_alone(name: str) -> None:
    from sklearn.metrics import balanced_accuracy_score

    from sklearn_ns3l.selectors import LabelSpreadingSelector

    rows: dict[str, list[list[float]]] = {}
    for seed in SEEDS:
        X, y_semi, y_true, _, _ = _split(name, seed)
        pool, rare = y_semi == -1, _rarest(y_true)
        for option in OPTIONS:
            selector = LabelSpreadingSelector(class_balance=option, random_state=seed)
            selector.fit(X, y_semi)
            F = selector.label_distributions_[pool]
            pred, truth = selector.classes_[F.argmax(axis=1)], y_true[pool]
            rows.setdefault(_name(option), []).append(
                [
                    np.mean(pred == truth),
                    balanced_accuracy_score(truth, pred),
                    _recall(truth, pred, rare),
                    *_negatives(
                        selector.negatives_[pool], truth, selector.classes_, rare
                    ),
                ]
            )
    _print(
        "selector on the pool",
        "accuracy,balanced acc,rarest recall,rarest rows,max cls rows,"
        "max cls negs,wrong negs,negs per row",
        rows,
        pct=7,
    )


def _classifiers(name: str) -> None:
    from sklearn.metrics import balanced_accuracy_score

    from sklearn_ns3l import NS3LClassifier
    from sklearn_ns3l.selectors import LabelSpreadingSelector

    rows: dict[str, list[list[float]]] = {}
    for seed in SEEDS:
        X, y_semi, y_true, X_te, y_te = _split(name, seed)
        pool, rare = y_semi == -1, _rarest(y_true)
        arms = {"twin": None} | {
            _name(o): LabelSpreadingSelector(class_balance=o) for o in OPTIONS
        }
        seed_rows = {}
        for arm, selector in arms.items():
            clf = NS3LClassifier(selector=selector, random_state=seed)
            pred = clf.fit(X, y_semi).predict(X_te)
            seed_rows[arm] = [
                balanced_accuracy_score(y_te, pred),
                _recall(y_te, pred, rare),
                *_negatives(clf.pool_negatives_, y_true[pool], clf.classes_, rare),
            ]
        # Paired differences of balanced accuracy: to the twin, to plain.
        twin, plain = seed_rows["twin"][0], seed_rows["plain"][0]
        for arm, (bacc, *rest) in seed_rows.items():
            vs_plain = np.nan if arm == "twin" else bacc - plain
            rows.setdefault(arm, []).append([bacc, bacc - twin, vs_plain, *rest])
    _print(
        "NS3L on the test set",
        "balanced acc,vs twin,vs plain,rarest recall,rarest rows,max cls rows,"
        "max cls negs,wrong negs,negs per row",
        rows,
        pct=8,
    )


def propagation(names: list[str], selector_only: bool = False) -> None:
    """Print the tables of the sets ``names`` (keys of ``SETS``)."""
    import sklearn_ns3l

    print(f"sklearn_ns3l from {sklearn_ns3l.__file__}; seeds {list(SEEDS)}")
    for name in names:
        print(f"{name}:", flush=True)
        _selector_alone(name)
        if not selector_only:
            _classifiers(name)
