"""Label spreading's iteration, and the rule that turns its output into negatives.

:func:`spread_labels` is the iteration of scikit-learn's
``LabelSpreading`` over a normalised graph (:func:`._knn_graph.normalised_graph`);
:func:`negative_mask` marks the classes below a threshold, never a row's most
probable one. The estimator (:mod:`._label_spreading`) and its calibration
(:mod:`._calibration`) both read the mask through this one rule.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = ["negative_mask", "normalise_rows", "spread_labels"]


def spread_labels(S, codes, n_classes, alpha, max_iter, tol, *, warn=False):
    """Iterate ``F <- alpha * S @ F + (1 - alpha) * Y``; rows scaled to sum 1.

    Parameters
    ----------
    S : scipy.sparse matrix of shape (n, n)
        The normalised graph (:func:`._knn_graph.normalised_graph`).
    codes : ndarray of int, shape (n,)
        Class of each row, -1 for unlabelled.
    n_classes : int
    alpha, max_iter, tol
        As in scikit-learn's ``LabelSpreading``, and its stopping rule: the
        summed absolute change is checked before each step.
    warn : bool, default=False
        Warn (``ConvergenceWarning``) when ``max_iter`` is reached.

    Returns
    -------
    F : ndarray of shape (n, n_classes)
        Rows summing to 1, or 0 where no label reached.
    n_iter : int
    """
    labelled = np.flatnonzero(codes >= 0)
    F = np.zeros((len(codes), n_classes))
    F[labelled, codes[labelled]] = 1.0
    previous = np.zeros_like(F)
    n_iter = 0
    while n_iter < max_iter:
        if np.abs(F - previous).sum() < tol:
            break
        previous = F
        F = S @ F
        F *= alpha
        # The clamp: only labelled rows carry (1 - alpha) of their label.
        F[labelled, codes[labelled]] += 1 - alpha
        n_iter += 1
    else:
        if warn:
            warnings.warn(
                f"max_iter={max_iter} was reached without convergence.",
                ConvergenceWarning,
                stacklevel=4,
            )
    return normalise_rows(F), n_iter


def normalise_rows(F: np.ndarray) -> np.ndarray:
    """Rows of ``F`` scaled in place to sum to 1; all-zero rows stay zero."""
    total = F.sum(axis=1, keepdims=True)
    total[total == 0] = 1
    F /= total
    return F


def negative_mask(proba: np.ndarray, threshold: float) -> np.ndarray:
    """``proba < threshold``, but never a row's most probable class.

    Unreached rows (all zeros) get no negatives; a threshold above a row's
    largest probability would otherwise mark every class of it.
    """
    mask = proba < threshold
    top = proba.argmax(axis=1)
    mask[np.arange(len(proba)), top] = False
    mask[proba[np.arange(len(proba)), top] == 0] = False
    return mask
