"""Every calibration rule: a wrong-negative rate turned into a threshold.

Both calibrated selectors score held-out labelled rows by the probability of
their true class (label spreading with the row's fold hidden,
:func:`held_out_scores`; the threshold rule with the network's held-out rows,
:func:`true_class_scores`) and take a threshold from them: the
split-conformal one (:func:`conformal_threshold`, which bounds the share of
rows whose true class is marked) or the largest whose estimated share of
wrong negatives stays below the target (:func:`false_discovery_threshold`).
:func:`calibrate` chooses between them as ``LabelSpreadingSelector`` does,
with its warnings, and measures the share it bounds at the threshold chosen.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from .._warnings import warn_user
from ._spreading import negative_mask

__all__ = [
    "calibrate",
    "conformal_threshold",
    "false_discovery_threshold",
    "held_out_scores",
    "min_calibration_rows",
    "share_below",
    "true_class_scores",
]


def min_calibration_rows(rate: float) -> int:
    """Held-out rows :func:`conformal_threshold` needs for any negative at ``rate``.

    ``floor(rate * (m + 1)) >= 1`` exactly when ``m >= ceil(1 / rate) - 1``.

    Examples
    --------
    >>> from sklearn_ns3l.selectors import min_calibration_rows
    >>> min_calibration_rows(0.05)
    19
    """
    return math.ceil(1 / rate) - 1


def conformal_threshold(scores: np.ndarray, rate: float) -> float:
    """``s_(j)``, the ``j``-th smallest score, ``j = floor(rate * (m + 1))``.

    With ``m`` held-out scores, a new score exchangeable with them is below
    ``s_(j)`` with probability at most ``j / (m + 1) <= rate`` (split
    conformal prediction; Vovk, Gammerman and Shafer, 2005).

    Parameters
    ----------
    scores : ndarray of shape (m,)
        Each held-out row's probability of its true class.
    rate : float
        Target rate of wrong negatives, in (0, 1).

    Returns
    -------
    threshold : float
        0.0 (no class is marked negative), with a ``UserWarning``, when
        ``j = 0``: fewer than ``1 / rate - 1`` scores.
    """
    j = math.floor(rate * (len(scores) + 1))
    if j == 0:
        warn_user(
            f"wrong_negative_rate={rate} needs at least {min_calibration_rows(rate)} "
            f"labelled rows to calibrate on, got {len(scores)}; no class is "
            "marked negative."
        )
        return 0.0
    return float(np.partition(scores, j - 1)[j - 1])


def share_below(scores: np.ndarray, threshold: float) -> float:
    """Share of rows whose true class is below ``threshold``: marked negative."""
    return float(np.mean(scores < threshold))


def true_class_scores(X: np.ndarray, y) -> np.ndarray:
    """``X[i, y[i]]``, with ``y`` checked to be column indices of ``X``."""
    y = check_array(y, ensure_2d=False, dtype=None)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must hold one class per row of X: got shape {y.shape} for "
            f"{len(X)} rows."
        )
    if not np.issubdtype(y.dtype, np.integer) or (
        len(y) and (y.min() < 0 or y.max() >= X.shape[1])
    ):
        raise ValueError(
            "y must be column indices of X, integers in 0 .. "
            f"{X.shape[1] - 1}; got {np.unique(y)[:10]}."
        )
    return X[np.arange(len(X)), y]


def held_out_scores(
    S, codes: np.ndarray, n_classes: int, n_folds: int, spread: Callable, random_state
):
    """Spread probability of the true class of each labelled row, its fold hidden.

    Parameters
    ----------
    S : scipy.sparse matrix of shape (n, n)
        The normalised graph.
    codes : ndarray of int, shape (n,)
        Class of each row, -1 for unlabelled.
    n_classes, n_folds : int
        Folds of the labelled rows, stratified; none below 2.
    spread : callable
        ``spread(S, codes, n_classes) -> (F, n_iter)``.
    random_state : int, RandomState instance or None
        Draws the folds' seed.

    Returns
    -------
    scores : ndarray of shape (n_labelled,)
        ``inf`` for rows the labels did not reach (never a negative).
    held_out : ndarray of shape (n_labelled, n_classes)
        The held-out distributions the scores are read from.
    n_folds : int
        The folds used; with none, empty arrays and 0.
    """
    labelled = np.flatnonzero(codes >= 0)
    held_out = np.zeros((len(labelled), n_classes))
    if n_folds < 2:
        return np.empty(0), held_out[:0], 0
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for _, held in folds.split(labelled, codes[labelled]):
        rows = labelled[held]
        hidden = codes.copy()
        hidden[rows] = -1
        F, _ = spread(S, hidden, n_classes)
        held_out[held] = F[rows]
    reached = held_out.sum(axis=1) > 0
    true_class = held_out[np.arange(len(labelled)), codes[labelled]]
    return np.where(reached, true_class, np.inf), held_out, n_folds


def false_discovery_threshold(held_out, codes, rate: float) -> float:
    """The largest threshold whose held-out negatives are at most ``rate`` wrong.

    ``held_out`` are the labelled rows' distributions spread with their fold
    hidden, ``codes`` their classes. At a threshold ``t`` the rows' negatives
    are those :func:`._spreading.negative_mask` marks; the share of them that
    are a row's true class is estimated as ``(wrong(t) + 1) / marked(t)`` (the
    ``+ 1`` keeps a few lucky rows from certifying a threshold, as in
    knockoff+, Barber and Candes, 2015). 0 (no negatives) when no threshold
    qualifies.
    """
    if len(held_out) == 0:
        return 0.0
    rows = np.arange(len(held_out))
    marked_at_one = negative_mask(held_out, np.inf)  # every markable class
    values = np.sort(held_out[marked_at_one])
    wrong_values = np.sort(held_out[rows, codes][marked_at_one[rows, codes]])
    # Candidate t = values[c] marks the c smallest entries (ties: fewer);
    # t = 1 every markable entry (a class other than the top one is below 1).
    candidates = np.append(values, 1.0)
    marked = np.searchsorted(values, candidates, side="left")
    wrong = np.searchsorted(wrong_values, candidates, side="left")
    ok = (marked > 0) & ((wrong + 1) <= rate * marked)
    if not ok.any():
        return 0.0
    return float(candidates[np.flatnonzero(ok)[-1]])


def calibrate(
    scores: np.ndarray,
    held_out: np.ndarray,
    codes: np.ndarray,
    *,
    rate: float | None,
    calibration: str,
    T: float,
    n_folds: int,
) -> tuple[float, float]:
    """The threshold of ``LabelSpreadingSelector``, and its estimated wrong share.

    Parameters
    ----------
    scores, held_out : ndarray
        From :func:`held_out_scores`.
    codes : ndarray of int, shape (len(held_out),)
        The held-out rows' classes.
    rate : float or None
        ``wrong_negative_rate``; None takes ``T`` as it is.
    calibration : {"negatives", "rows"}
        What ``rate`` bounds: the share of negatives that are wrong
        (:func:`false_discovery_threshold`), or of rows whose true class is
        marked (:func:`conformal_threshold`).
    T : float
        The fixed threshold.
    n_folds : int
        Folds the held-out scores came from; 0 when none could be held out.

    Returns
    -------
    threshold : float
        0.0 (no negatives), with a ``UserWarning``, when calibration finds no
        threshold.
    estimate : float
        The share ``calibration`` names at ``threshold``, measured on the
        held-out rows: for ``"negatives"`` the plain share (without the
        ``+ 1`` of the choice), NaN when nothing is marked; NaN without
        held-out rows.
    """
    if rate is None:
        threshold = float(T)
    elif calibration == "rows":
        threshold = conformal_threshold(scores, rate)
    else:
        threshold = false_discovery_threshold(held_out, codes, rate)
        if n_folds == 0:
            warn_user(
                f"wrong_negative_rate={rate}: a class has a single labelled "
                "row, so none can be held out to calibrate on; no class is "
                "marked negative."
            )
        elif threshold == 0:
            warn_user(
                f"wrong_negative_rate={rate}: no threshold keeps the held-out "
                f"negatives of the {len(held_out)} labelled rows (in "
                f"{n_folds} folds) below that share of wrong ones (the "
                f"estimate needs at least {math.ceil(1 / rate)} held-out "
                "negatives); no class is marked negative."
            )
    if len(scores) == 0:
        return threshold, float("nan")
    if calibration == "rows":
        return threshold, share_below(scores, threshold)
    marked = negative_mask(held_out, threshold)
    wrong = marked[np.arange(len(held_out)), codes].sum()
    return threshold, float(wrong / marked.sum()) if marked.any() else float("nan")
