"""Cross-validation on the labelled rows, with the unlabelled rows in every fold."""

from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from .._scaling import RANGE_SPREAD_LIMIT
from ._peers import PEERS, SUPERVISED_TWIN, ignore_deliberate_warnings
from ._table import (
    CompareError,
    Table,
    make_preprocessor,
    scales_numeric_columns,
    show_label,
)

__all__ = ["MethodResult", "compare", "paired_difference", "semi_supervised_folds"]

_NAN = float("nan")


@dataclass(frozen=True)
class MethodResult:
    """One method's cross-validated accuracy and balanced accuracy on a table.

    Parameters
    ----------
    method : str
        The method's name.
    scores : tuple of float
        Accuracy (a fraction) on each test fold, in fold order; empty if the
        method did not run.
    seconds : tuple of float
        Seconds to fit and predict, per fold that ran (also for a method that
        failed on a later fold).
    note : str, default=""
        Why it did not run ("not run: ...", "failed: ..."), else empty.
    warnings : tuple of str, default=()
        The distinct warnings its fits gave, one line each.
    delta, delta_sd : float, default=nan
        Accuracy minus the supervised twin's on the same folds, in points:
        mean and standard deviation of the per-fold differences (see
        :func:`paired_difference`). NaN for the twin itself.
    balanced_scores : tuple of float, default=()
        Balanced accuracy (a fraction: the mean of the per-class recalls) on
        each test fold, from the same predictions as ``scores``.
    balanced_delta, balanced_delta_sd : float, default=nan
        As ``delta`` and ``delta_sd``, for balanced accuracy.
    """

    method: str
    scores: tuple = ()
    seconds: tuple = ()
    note: str = ""
    warnings: tuple = ()
    delta: float = _NAN
    delta_sd: float = _NAN
    balanced_scores: tuple = ()
    balanced_delta: float = _NAN
    balanced_delta_sd: float = _NAN

    @property
    def mean(self) -> float:
        """Mean accuracy over the folds, in percent (NaN if it did not run)."""
        scores = np.array(self.scores) * 100
        return float(scores.mean()) if len(scores) else _NAN

    @property
    def sd(self) -> float:
        """Standard deviation (ddof=1) of the accuracy over the folds, in points."""
        scores = np.array(self.scores) * 100
        return float(scores.std(ddof=1)) if len(scores) > 1 else _NAN

    @property
    def balanced_mean(self) -> float:
        """Mean balanced accuracy over the folds, in percent (NaN if it did not run)."""
        scores = np.array(self.balanced_scores) * 100
        return float(scores.mean()) if len(scores) else _NAN

    @property
    def balanced_sd(self) -> float:
        """Standard deviation (ddof=1) of the balanced accuracy, in points."""
        scores = np.array(self.balanced_scores) * 100
        return float(scores.std(ddof=1)) if len(scores) > 1 else _NAN

    @property
    def seconds_per_fold(self) -> float:
        """Mean seconds to fit and predict one fold."""
        return float(np.mean(self.seconds)) if self.seconds else _NAN


def paired_difference(a, b) -> tuple[float, float]:
    """Mean and standard deviation (ddof=1) of ``a - b``, element by element.

    The paired comparison of two methods measured on the same folds or seeds:
    their differences vary less than either score.

    Parameters
    ----------
    a, b : array-like of shape (n,)
        Scores of two methods, matched by position.

    Returns
    -------
    mean : float
    sd : float
        NaN when ``n < 2``.
    """
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(diff.mean()), float(diff.std(ddof=1)) if len(diff) > 1 else _NAN


def semi_supervised_folds(y, n_splits: int, random_state=0):
    """Stratified folds of the labelled rows; every training fold has the pool.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels, -1 for unlabelled rows.
    n_splits : int
    random_state : int

    Returns
    -------
    folds : list of (ndarray, ndarray)
        ``(train, test)`` row indices: ``test`` holds labelled rows only,
        ``train`` the other labelled rows and every unlabelled one.
    """
    y = np.asarray(y)
    labelled = np.flatnonzero(y != -1)
    pool = np.flatnonzero(y == -1)
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return [
        (np.sort(np.concatenate([labelled[train], pool])), labelled[test])
        for train, test in cv.split(labelled, y[labelled])
    ]


def compare(
    table: Table,
    methods: dict,
    n_splits: int = 5,
    random_state=0,
    progress: bool = True,
    scale: str = "auto",
) -> list[MethodResult]:
    """Cross-validate every method on the table's labelled rows.

    Each method is a ``Pipeline`` of :func:`make_preprocessor` and the model,
    fitted on every training fold of :func:`semi_supervised_folds`; its
    predictions on the test fold give both its accuracy and its balanced
    accuracy. A method
    that raises is recorded with a note and does not stop the others; a peer
    that would build a dense kernel over too many rows is not run.

    Parameters
    ----------
    table : Table
    methods : dict of str to estimator
        Unfitted, by name (see :func:`compare_methods`); the one named
        :data:`SUPERVISED_TWIN`, if any, is the reference of ``delta``.
    n_splits : int, default=5
        Folds; fewer if the rarest class has fewer labelled rows (a note is
        added to ``table.notes``).
    random_state : int, default=0
        The folds' shuffling.
    progress : bool, default=True
        Show a progress bar.
    scale : {"auto", "standard", "none"}, default="auto"
        Standardisation of the numeric columns, the same for every method
        (:func:`make_preprocessor`); what was done is added to
        ``table.notes``.

    Returns
    -------
    results : list of MethodResult
        One per method, in the order of ``methods``.

    Raises
    ------
    CompareError
        If a class has a single labelled row.
    """
    from tqdm.auto import tqdm

    n_splits = _folds_for(table, n_splits)
    folds = semi_supervised_folds(table.y, n_splits, random_state)
    n_train = len(folds[0][0])
    scales, spread = scales_numeric_columns(table, scale)
    preprocessor = make_preprocessor(table, "standard" if scales else "none")
    if table.numeric:
        table.notes.append(
            f"numeric columns {'standardised' if scales else 'not scaled'} for "
            f"every method (scale={scale!r}; their ranges differ by a factor "
            f"of {spread:.3g}, and 'auto' standardises above {RANGE_SPREAD_LIMIT:g})"
        )
    bar = tqdm(
        total=len(methods) * len(folds), unit="fit", disable=not progress, leave=False
    )
    results = []
    for name, model in methods.items():
        peer = PEERS.get(name)
        reason = peer.skip_reason(n_train) if peer is not None else None
        if reason is not None:
            results.append(MethodResult(name, note=f"not run: {reason}"))
            bar.update(len(folds))
            continue
        results.append(_cross_validate(name, model, preprocessor, table, folds, bar))
    bar.close()
    twin = next((r for r in results if r.method == SUPERVISED_TWIN), None)
    if twin is None or not twin.scores:
        return results
    return [_against(r, twin) for r in results]


def _against(result: MethodResult, twin: MethodResult) -> MethodResult:
    """``result`` with its paired differences to the twin's scores, in points."""
    if result is twin or not result.scores:
        return result
    delta, delta_sd = paired_difference(
        np.array(result.scores) * 100, np.array(twin.scores) * 100
    )
    balanced_delta, balanced_delta_sd = paired_difference(
        np.array(result.balanced_scores) * 100, np.array(twin.balanced_scores) * 100
    )
    return dataclasses.replace(
        result,
        delta=delta,
        delta_sd=delta_sd,
        balanced_delta=balanced_delta,
        balanced_delta_sd=balanced_delta_sd,
    )


def _folds_for(table: Table, n_splits: int) -> int:
    """The folds the labelled rows allow: at most the rarest class's rows."""
    counts = np.bincount(table.y[table.y != -1], minlength=len(table.classes))
    smallest = int(counts.min())
    if smallest < 2:
        name = show_label(table.classes[int(np.argmin(counts))])
        raise CompareError(
            f"class {name} has a single labelled row; cross-validation needs "
            "at least two labelled rows of every class."
        )
    if smallest < n_splits:
        table.notes.append(
            f"{n_splits} folds asked for, but the rarest class has {smallest} "
            f"labelled rows: {smallest} folds."
        )
        return smallest
    return n_splits


def _cross_validate(
    name: str, model, preprocessor, table: Table, folds: list, bar
) -> MethodResult:
    """One method on every fold; its first exception ends it with a note.

    Accuracy and balanced accuracy are read off the same predictions: one
    fit per fold gives both.
    """
    scores, balanced, seconds, seen = [], [], [], []
    for train, test in folds:
        bar.set_description(name)
        pipe = Pipeline([("features", clone(preprocessor)), ("model", clone(model))])
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ignore_deliberate_warnings()
                pipe.fit(_safe_indexing(table.X, train), table.y[train])
                pred = pipe.predict(_safe_indexing(table.X, test))
        except Exception as exc:  # noqa: BLE001 - one method must not stop the rest
            bar.update(len(folds) - len(seconds))
            note = f"failed: {type(exc).__name__}: {exc}".splitlines()[0]
            # The folds that ran keep their times; no score stands alone.
            return MethodResult(name, (), tuple(seconds), note, tuple(seen))
        for w in caught:
            text = f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
            if text not in seen:
                seen.append(text)
        seconds.append(time.perf_counter() - t0)
        scores.append(float(np.mean(pred == table.y[test])))
        # Every class is in every test fold (no more folds than the rarest
        # class has labelled rows), so no class is missing from the mean.
        balanced.append(float(balanced_accuracy_score(table.y[test], pred)))
        bar.update(1)
    return MethodResult(
        name,
        tuple(scores),
        tuple(seconds),
        "",
        tuple(seen),
        balanced_scores=tuple(balanced),
    )
