"""Every calibration rule: a wrong-negative rate turned into thresholds.

Both calibrated selectors score held-out labelled rows by the probability of
their true class (label spreading with the row's fold hidden,
:func:`held_out_scores`; the threshold rule with the network's held-out rows,
:func:`true_class_scores`) and take a threshold from them: the
split-conformal one (:func:`conformal_threshold`, which bounds the share of
rows whose true class is marked) or the largest whose estimated share of
wrong negatives stays below the target (:func:`false_discovery_threshold`).

Per class (issue #22), the same two rules are applied to each class's own
held-out rows (Mondrian calibration; Vovk et al., 2005): the threshold for
marking class ``c`` negative is chosen so that the rows *of class c* meet the
target, never above the pool-wide threshold; a class whose rows are too few
to certify any threshold is never marked negative
(:func:`class_conformal_thresholds`, :func:`class_false_discovery_thresholds`).
:func:`calibrate` chooses among them as the selectors do, with the warnings,
and measures the shares it bounds at the thresholds chosen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import chisquare
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from .._warnings import warn_user
from ._spreading import negative_mask

#: ``per_class="auto"`` calibrates each class on its own rows when a
#: chi-square test of equal proportions on the labelled counts has a p-value
#: below this (issue #22).
IMBALANCE_P_VALUE = 0.05

__all__ = [
    "IMBALANCE_P_VALUE",
    "Calibration",
    "calibrate",
    "class_conformal_thresholds",
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


def class_conformal_thresholds(
    scores: np.ndarray,
    codes: np.ndarray,
    n_classes: int,
    rate: float,
    cap: float,
    min_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the split-conformal threshold of its own rows, at most ``cap``.

    For class ``c`` with ``m_c >= min_rows`` held-out rows, ``t_c = s^c_(j)``,
    the ``j``-th smallest of their scores, ``j = max(1, floor(rate * (m_c +
    1)))``: a new row *of class c* exchangeable with them has ``c`` below
    ``t_c`` with probability at most ``j / (m_c + 1)`` (Mondrian conformal
    prediction), which is ``rate`` once ``m_c >= 1 / rate - 1`` and
    ``1 / (m_c + 1)`` below that. A class with fewer than ``min_rows`` rows
    gets 0: never marked.

    Parameters
    ----------
    scores : ndarray of shape (m,)
        Each held-out row's probability of its true class (``inf``: never
        marked).
    codes : ndarray of int, shape (m,)
        Their classes, 0 .. ``n_classes - 1``.
    n_classes : int
    rate : float
        Target in (0, 1).
    cap : float
        The pool-wide threshold; no class's is above it.
    min_rows : int
        Held-out rows a class needs to be marked at all.

    Returns
    -------
    thresholds : ndarray of shape (n_classes,)
    bounds : ndarray of shape (n_classes,)
        ``j / (m_c + 1)`` per class; NaN for a class never marked.
    """
    thresholds, bounds = np.zeros(n_classes), np.full(n_classes, np.nan)
    for c in range(n_classes):
        own = scores[codes == c]
        if len(own) < max(min_rows, 1):
            continue
        j = max(1, math.floor(rate * (len(own) + 1)))
        thresholds[c] = min(cap, float(np.partition(own, j - 1)[j - 1]))
        # A threshold of 0 marks nothing: no bound to state.
        bounds[c] = j / (len(own) + 1) if thresholds[c] > 0 else np.nan
    return thresholds, bounds


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` chose, and what it estimates at that choice.

    Attributes
    ----------
    threshold : float
        The pool-wide threshold: ``T``, or calibrated over all held-out rows.
    thresholds : ndarray of shape (n_classes,)
        The threshold applied to each class's column: ``threshold`` for
        every class, or, per class, at most it.
    estimate : float
        The share the calibration bounds, over all held-out rows, at
        ``thresholds``; NaN where undefined (nothing marked, no held-out rows).
    class_wrong_rates : ndarray of shape (n_classes,)
        For each class, the share of its held-out rows whose class is below
        its threshold (marked negative); NaN without held-out rows of it.
    class_bounds : ndarray of shape (n_classes,)
        The finite-sample bound on that share for new rows of the class
        (:func:`class_conformal_thresholds`); NaN where the class is never
        marked or no per-class calibration was made.
    class_rows : ndarray of int, shape (n_classes,)
        Held-out rows of each class.
    """

    threshold: float
    thresholds: np.ndarray
    estimate: float
    class_wrong_rates: np.ndarray
    class_bounds: np.ndarray
    class_rows: np.ndarray


def _shares(wrong: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, wrong / np.maximum(total, 1), np.nan)


def calibrate(
    scores: np.ndarray,
    held_out: np.ndarray,
    codes: np.ndarray,
    *,
    rate: float | None,
    calibration: str,
    T: float,
    n_folds: int,
    n_classes: int,
    per_class: bool | str = False,
    min_class_rows: int = 1,
    classes=None,
    class_counts=None,
    rows_name: str = "labelled rows",
) -> Calibration:
    """The thresholds of ``LabelSpreadingSelector``, and their estimated wrong shares.

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
    n_classes : int
    per_class : bool or "auto", default=False
        Also bound, for each class, the share of its own held-out rows whose
        class is marked (:func:`class_conformal_thresholds`), below the
        pool-wide threshold; with a fixed ``T``, only leave unmarked the
        classes of fewer labelled rows than ``min_class_rows`` or (with three
        classes or more) than the mean class. ``"auto"``: where the
        labelled classes are imbalanced (:func:`_per_class_applies`).
    min_class_rows : int, default=1
        Held-out rows a class needs to be marked at all, with ``per_class``.
    classes : array-like of shape (n_classes,) or None
        The class labels, to name in the warning.
    class_counts : array-like of int, shape (n_classes,) or None
        Labelled rows of each class (None: the held-out rows' counts); what
        ``"auto"`` and ``min_class_rows`` read, also when none was held out.
    rows_name : str, default="labelled rows"
        What the warning calls the rows counted: ``"held-out rows"`` where
        they are only the rows calibrated on (the threshold rule).

    Returns
    -------
    Calibration
        0 thresholds (no negatives) come with a ``UserWarning``: pool-wide
        when calibration finds no threshold, per class naming the classes
        never marked. The estimates for ``"negatives"`` are the plain share
        (without the ``+ 1`` of the choice).
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
    thresholds = np.full(n_classes, threshold)
    class_rows = np.bincount(codes, minlength=n_classes)
    counts = class_rows if class_counts is None else np.asarray(class_counts)
    bounds = np.full(n_classes, np.nan)
    if _per_class_applies(per_class, counts) and threshold > 0:
        if rate is None:
            # A fixed T (e.g. on the network's features, where the labelled
            # rows cannot be held out fairly): nothing to bound a class on,
            # so the classes the imbalance leaves small are only protected:
            # those under min_class_rows, or (with three classes or more)
            # under the mean labelled count: with two, leaving the smaller
            # unmarked would push every marked row into it.
            small = counts < min_class_rows
            if n_classes > 2:
                small |= counts < counts.mean()
            thresholds[small] = 0.0
        else:
            thresholds, bounds = class_conformal_thresholds(
                scores, codes, n_classes, rate, threshold, min_class_rows
            )
        reason = (
            f"fewer than min_class_rows={min_class_rows} {rows_name}, or too few "
            "for the target to be certified on them"
            if rate is not None
            else f"at the fixed T={threshold:g} no bound is calibrated, and "
            f"they have fewer {rows_name} than min_class_rows={min_class_rows}"
            + (
                f" or than the mean class ({counts.mean():.3g})"
                if n_classes > 2
                else ""
            )
        )
        _warn_per_class(thresholds, counts, classes, rows_name, reason)
    if len(scores) == 0:
        nan = np.full(n_classes, np.nan)
        return Calibration(threshold, thresholds, float("nan"), nan, bounds, class_rows)
    below = scores < thresholds[codes]
    class_wrong_rates = _shares(np.bincount(codes, below, n_classes), class_rows)
    if calibration == "rows":
        estimate = float(below.mean())
    else:
        marked = negative_mask(held_out, thresholds)
        wrong = marked[np.arange(len(codes)), codes].sum()
        estimate = float(wrong / marked.sum()) if marked.any() else float("nan")
    return Calibration(
        threshold, thresholds, estimate, class_wrong_rates, bounds, class_rows
    )


def _per_class_applies(per_class, counts: np.ndarray) -> bool:
    """``per_class``, or with ``"auto"`` whether the labelled classes are imbalanced.

    Imbalanced: a chi-square test rejects equal class proportions in the
    labelled counts at the :data:`IMBALANCE_P_VALUE` level. Classes labelled
    in equal numbers, or in counts that equal proportions explain (e.g. 100
    labels drawn at random from 6 balanced classes), weigh alike in the
    pool-wide calibration, where the per-class one would only cost
    negatives (on digits at 2 labels per class, all of them).
    """
    if per_class != "auto":
        return bool(per_class)
    counts = np.asarray(counts, dtype=float)
    if len(counts) < 2 or counts.sum() == 0:
        return False
    return bool(chisquare(counts).pvalue < IMBALANCE_P_VALUE)


def _warn_per_class(thresholds, counts, classes, rows_name, reason) -> None:
    """One warning naming the classes per-class calibration never marks."""
    never = np.flatnonzero(thresholds == 0)
    if not len(never):
        return
    names = never.tolist() if classes is None else np.asarray(classes)[never].tolist()
    one_row = rows_name.removesuffix("s")
    listed = ", ".join(
        f"{name!r} ({n} {rows_name if n != 1 else one_row})"
        for name, n in zip(names, counts[never], strict=True)
    )
    plural = len(never) > 1
    warn_user(
        f"per_class calibration: class{'es' if plural else ''} {listed} "
        f"{'are' if plural else 'is'} never marked negative: {reason}. Label "
        "more rows of "
        f"{'them' if plural else 'it'} to let the NS3L term use "
        f"{'them' if plural else 'it'}."
    )
