"""Long-tailed semi-supervised splits (issue #22), as in DARP, CReST and ABC.

A balanced test set is set aside first (the same number of rows of every
class); of the remaining rows, the class at rank ``r`` (``r = 0 .. K - 1``,
the ranks a random permutation of the classes, so which classes are rare
changes with the seed) keeps ``n_max * rho ** (-r / (K - 1))`` rows, at least
``min_labelled + 1``; ``labelled_fraction`` of each class keeps its label (at
least ``min_labelled``), the rest are -1.

References: J. Kim et al., "Distribution Aligning Refinery of Pseudo-label for
Imbalanced Semi-supervised Learning" (DARP), NeurIPS 2020; C. Wei et al.,
"CReST", CVPR 2021; H. Lee et al., "ABC", NeurIPS 2021.
"""

from __future__ import annotations

import numpy as np
from _catalogue import Split

__all__ = ["class_sizes", "long_tailed_split", "rarest_classes"]


def class_sizes(n_max: int, n_classes: int, rho: float, minimum: int) -> np.ndarray:
    """Rows kept at rank ``r``: ``max(minimum, round(n_max * rho ** (-r / (K - 1))))``.

    Examples
    --------
    >>> class_sizes(100, 3, 100, 3).tolist()
    [100, 10, 3]
    """
    ranks = np.arange(n_classes)
    sizes = np.round(n_max * float(rho) ** (-ranks / max(n_classes - 1, 1)))
    return np.maximum(sizes.astype(int), minimum)


def long_tailed_split(
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    rho: float,
    test_per_class: int,
    n_max: int | None = None,
    labelled_fraction: float = 0.1,
    min_labelled: int = 2,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
) -> Split:
    """One seed's long-tailed split of ``(X, y)``: labelled rows, then the pool.

    Parameters
    ----------
    X, y : ndarray
        The rows (any sample shape) and their classes, 0 .. K - 1.
    seed : int
        Draws the test rows, the class ranks, the rows kept and the labels.
    rho : float
        Imbalance ratio: the largest class over the smallest (before the
        ``min_labelled + 1`` floor).
    test_per_class : int
        Test rows of every class (balanced test set), drawn from ``X_test``
        when given, else set aside from ``X`` first.
    n_max : int or None
        Training rows of the largest class; None: as many as the class with
        the fewest rows left after the test rows has.
    labelled_fraction, min_labelled
        Share of each class's training rows that keep their label, at least
        ``min_labelled``.

    Returns
    -------
    split : Split
        ``y_true`` holds every training row's class; the rank of each class is
        recoverable with :func:`rarest_classes`.
    """
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    n_classes = len(classes)
    train_rows, test_rows = [], []
    for c in classes:
        rows = rng.permutation(np.flatnonzero(y == c))
        if X_test is None:
            test_rows.append(rows[:test_per_class])
            rows = rows[test_per_class:]
        train_rows.append(rows)
    if X_test is not None:
        for c in classes:
            rows = rng.permutation(np.flatnonzero(y_test == c))
            test_rows.append(rows[:test_per_class])
    available = min(len(r) for r in train_rows)
    n_max = available if n_max is None else min(n_max, available)
    sizes = class_sizes(n_max, n_classes, rho, min_labelled + 1)
    rank_of_class = rng.permutation(n_classes)  # class i has rank rank_of_class[i]
    labelled, pool = [], []
    for i, rows in enumerate(train_rows):
        kept = rows[: sizes[rank_of_class[i]]]
        n_labelled = max(min_labelled, int(round(labelled_fraction * len(kept))))
        labelled.append(kept[:n_labelled])
        pool.append(kept[n_labelled:])
    labelled, pool = np.concatenate(labelled), np.concatenate(pool)
    pool = rng.permutation(pool)
    rows = np.concatenate([labelled, pool])
    test = np.concatenate(test_rows)
    X_source, y_source = (X, y) if X_test is None else (X_test, y_test)
    return Split(
        X=X[rows],
        y=np.concatenate([y[labelled], np.full(len(pool), -1)]),
        y_true=y[rows],
        X_test=X_source[test],
        y_test=np.asarray(y_source[test]),
        n_labelled=len(labelled),
        n_unlabelled=len(pool),
    )


def rarest_classes(split: Split, n: int = 3) -> np.ndarray:
    """The ``n`` classes with the fewest training rows (labelled and pool)."""
    classes, counts = np.unique(split.y_true, return_counts=True)
    return classes[np.argsort(counts, kind="stable")[:n]]
