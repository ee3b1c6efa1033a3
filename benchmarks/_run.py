"""One run of a catalogue's row: fit on a split, measure, describe the fit.

``run_one(row, split, ctx)`` is the unit every benchmark's runner repeats
(``_pool.py`` over many (row, seed) pairs, ``table6_trajectories.py`` on its
own): it builds the row's estimator, fits it, scores it on the split's test
rows and returns the run's record (a JSON-ready dict), or the record of a
run that could not be made (``"skipped"``: the reason).
"""

from __future__ import annotations

import datetime
import os
import time

import numpy as np
from _catalogue import Row, RunContext, Skip, Split
from scipy import sparse
from sklearn.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
)

from sklearn_ns3l import NS3LClassifier, negative_label_quality
from sklearn_ns3l.callbacks import EpochProgress

__all__ = [
    "NEGATIVES_PER_SAMPLE",
    "WRONG_NEGATIVE_RATE",
    "diagnostics",
    "negative_diagnostics",
    "run_one",
    "skipped",
]

#: Keys of ``negative_diagnostics``' record that the reports read back.
WRONG_NEGATIVE_RATE = "wrong_negative_rate"
NEGATIVES_PER_SAMPLE = "negatives_per_sample"


def diagnostics(est, split: Split) -> dict:
    """What the fitted estimator says about its training, for the JSON."""
    out: dict = {}
    if isinstance(est, NS3LClassifier):
        # What the objective logged, by its own keys.
        last = est.history_[-1]
        out.update({key: float(last[key]) for key in est.objective_.history_keys})
    elif isinstance(est, SelfTrainingClassifier):
        added = est.labeled_iter_ > 0
        pseudo = est.transduction_[added]
        out["n_pseudo_labelled"] = int(added.sum())
        out["pseudo_label_accuracy"] = (
            float(np.mean(pseudo == split.y_true[added])) if added.any() else None
        )
        out["n_iter"] = int(est.n_iter_)
        out["termination_condition"] = est.termination_condition_
    elif isinstance(est, LabelSpreading):
        pool = split.y == -1
        out["transductive_error_pool"] = float(
            np.mean(est.transduction_[pool] != split.y_true[pool])
        )
        out["n_iter"] = int(est.n_iter_)
    return out


def negative_diagnostics(est, split: Split) -> dict:
    """The negative labels NS3L trained with on the pool, against the truth.

    ``wrong_negative_rate``: the share of all negative labels that are the
    sample's true class; ``negatives_per_sample``: their mean count per pool
    sample. A static rule's are the ones the network trained with
    (``pool_negatives_``: label spreading's on the inputs, or on the
    network's features the last mask it built); a probability rule (the
    threshold), which marks each batch anew, is read off the final
    network's probabilities of the pool, so it counts the negatives the
    network would give at the end of training. Empty for a supervised row.
    """
    selector = getattr(est, "selector_", None)
    pool = np.flatnonzero(split.y == -1)
    if selector is None or len(pool) == 0:
        return {}
    mask = est.pool_negatives_
    if mask is None:
        mask = selector.transform(est.predict_proba(split.X[pool]))
    quality = negative_label_quality(mask, split.y_true[pool], est.classes_)
    return {
        WRONG_NEGATIVE_RATE: quality.wrong_negative_rate,
        NEGATIVES_PER_SAMPLE: quality.negatives_per_sample,
        "n_negatives": quality.n_negatives,
        "n_wrong_negatives": quality.n_wrong_negatives,
    }


def label_epoch_bars(est, desc: str, position: int | None) -> None:
    """Give each verbose NS3LClassifier in ``est`` (itself or a parameter) a bar.

    The bar (:class:`sklearn_ns3l.callbacks.EpochProgress`) replaces the one
    ``verbose=1`` draws, labelled with ``desc`` and, in a worker process, on
    the worker's own line.
    """
    params = est.get_params(deep=True) if hasattr(est, "get_params") else {}
    for clf in [est, *params.values()]:
        if isinstance(clf, NS3LClassifier) and clf.verbose:
            bar = EpochProgress(desc=desc, position=position)
            clf.set_params(callbacks=[*(clf.callbacks or []), bar])


def refuses_sparse(exc: Exception, X) -> bool:
    """Whether ``exc``, raised by a fit on ``X``, says it cannot take sparse X."""
    return (
        sparse.issparse(X)
        and isinstance(exc, (TypeError, ValueError))
        and "sparse" in str(exc).lower()
    )


def skipped(row: Row, ctx: RunContext, split: Split | None, reason: str) -> dict:
    """The record of a run that was not made."""
    return {
        "row": row.name,
        "seed": ctx.seed,
        "skipped": reason,
        "n_labelled": None if split is None else split.n_labelled,
        "n_unlabelled": None if split is None else split.n_unlabelled,
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def run_one(row: Row, split: Split, ctx: RunContext, bar=None) -> dict:
    """Fit the row's estimator on the split and measure its test error.

    ``bar``: ``(label, position)`` of the epoch bars, or None for the bars
    ``verbose`` asks for, unlabelled. The recorded ``estimator`` is the row's,
    before its bars are labelled.

    A factory that raises :class:`_catalogue.Skip`, or a fit on sparse ``X``
    that raises a TypeError or ValueError about sparse input, gives a
    skipped record (``"skipped"``: the reason) instead of a run. On a
    transductive split a graph method (``LabelSpreading``,
    ``LabelPropagation``) is scored by its ``transduction_`` of the pool,
    the labels it fitted, rather than by predicting the pool anew. A row's
    ``measure`` adds what it measures of the fitted estimator and its test
    predictions as ``"measures"``.
    """
    try:
        est = row.make(ctx)
    except Skip as exc:
        return skipped(row, ctx, split, str(exc))
    described = repr(est)
    if bar is not None:
        label_epoch_bars(est, *bar)
    X = split.flat("X") if row.flat else split.X
    X_test = split.flat("X_test") if row.flat else split.X_test
    fit_params = {"y_true": split.y_true} if row.y_true else {}
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        est.fit(X, split.y, **fit_params)
    except (TypeError, ValueError) as exc:
        if not refuses_sparse(exc, X):
            raise
        inner = getattr(est, "estimator", None)  # a meta-estimator's
        name = type(est).__name__ + (f"({type(inner).__name__})" if inner else "")
        return skipped(row, ctx, split, f"{name} does not accept sparse X: {exc}")
    t1 = time.perf_counter()
    if split.transductive and isinstance(est, (LabelPropagation, LabelSpreading)):
        pred = est.transduction_[split.n_labelled :]
    else:
        pred = est.predict(X_test)
    t2, c2 = time.perf_counter(), time.process_time()
    diag = diagnostics(est, split)
    if row.negatives:
        diag.update(negative_diagnostics(est, split))
    measures = (
        {} if row.measure is None else {"measures": row.measure(est, split, pred)}
    )
    return {
        "row": row.name,
        "seed": ctx.seed,
        "error": float(np.mean(pred != split.y_test)),
        "seconds": t2 - t0,
        "fit_seconds": t1 - t0,
        "predict_seconds": t2 - t1,
        "cpu_seconds": c2 - c0,
        "load_average": [load_before, os.getloadavg()[0]],
        "n_labelled": split.n_labelled,
        "n_unlabelled": split.n_unlabelled,
        "n_test": len(split.y_test),
        "estimator": described,
        "diagnostics": diag,
        **measures,
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
    }
