"""Label spreading's iteration, and the rule that turns its output into negatives.

:func:`spread_labels` is the iteration of scikit-learn's
``LabelSpreading`` over a normalised graph (:func:`._knn_graph.normalised_graph`);
:func:`negative_mask` marks the classes below a threshold, never a row's most
probable one. The estimator (:mod:`._label_spreading`) and its calibration
(:mod:`._calibration`) both read the mask through this one rule, and spread
through the one function, so an option of the spreading (``class_balance``:
:func:`balanced_start`, :func:`class_mass_normalise`,
:func:`align_distribution`, which keep the large classes from drowning the
small ones) is calibrated as it is applied.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "CLASS_BALANCES",
    "align_distribution",
    "balanced_start",
    "class_mass_normalise",
    "negative_mask",
    "neighbour_mean",
    "normalise_rows",
    "spread_labels",
]

#: The values of ``class_balance``: None, the plain spreading, first.
CLASS_BALANCES = (None, "mass", "balanced", "align")


def spread_labels(
    S, codes, n_classes, alpha, max_iter, tol, *, class_balance=None, warn=False
):
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
    class_balance : {None, "mass", "balanced", "align"}, default=None
        How the classes' shares are kept from following the largest ones
        (see :class:`~._label_spreading.LabelSpreadingSelector`): None, the
        plain spreading; ``"balanced"``, a class-balanced start
        (:func:`balanced_start`); ``"mass"``, class mass normalisation of
        the converged ``F`` (:func:`class_mass_normalise`); ``"align"``,
        distribution alignment of the row-normalised ``F``
        (:func:`align_distribution`). The labelled proportions are those of
        ``codes``, so a spreading with some labels hidden (the calibration's)
        aligns to the labels it sees.
    warn : bool, default=False
        Warn (``ConvergenceWarning``) when ``max_iter`` is reached.

    Returns
    -------
    F : ndarray of shape (n, n_classes)
        Rows summing to 1, or 0 where no label reached.
    n_iter : int
    """
    if class_balance not in CLASS_BALANCES:
        raise ValueError(
            f"class_balance must be one of {CLASS_BALANCES}; got {class_balance!r}."
        )
    labelled = np.flatnonzero(codes >= 0)
    counts = np.bincount(codes[labelled], minlength=n_classes)
    F = np.zeros((len(codes), n_classes))
    if class_balance == "balanced":
        start = balanced_start(codes[labelled], counts)
        F[labelled, codes[labelled]] = start
        clamp = (1 - alpha) * start
    else:
        F[labelled, codes[labelled]] = 1.0
        clamp = 1 - alpha
    previous = np.zeros_like(F)
    n_iter = 0
    while n_iter < max_iter:
        if np.abs(F - previous).sum() < tol:
            break
        previous = F
        F = S @ F
        F *= alpha
        # The clamp: only labelled rows carry (1 - alpha) of their label.
        F[labelled, codes[labelled]] += clamp
        n_iter += 1
    else:
        if warn:
            warnings.warn(
                f"max_iter={max_iter} was reached without convergence.",
                ConvergenceWarning,
                stacklevel=4,
            )
    if class_balance == "mass":
        F = class_mass_normalise(F, codes < 0, counts)
    F = normalise_rows(F)
    if class_balance == "align":
        F = align_distribution(F, codes < 0, counts)
    return F, n_iter


def balanced_start(labelled_codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each labelled row's start, ``n_labelled / (n_classes * counts[c])``.

    Every class then starts with the same total mass, ``n_labelled /
    n_classes`` (the weights of scikit-learn's ``class_weight="balanced"``);
    the whole start keeps the one-hot start's mass, ``n_labelled``, so that
    ``tol`` stops the iteration at the same relative change. As the
    iteration is linear and acts on each column alone, this is the plain
    spreading with each class's column divided by its labelled count, up to
    the stopping rule.

    Parameters
    ----------
    labelled_codes : ndarray of int, shape (n_labelled,)
    counts : ndarray of int, shape (n_classes,)
        Labelled rows of each class.

    Returns
    -------
    start : ndarray of shape (n_labelled,)
    """
    present = np.count_nonzero(counts)
    return len(labelled_codes) / (present * counts[labelled_codes])


def class_mass_normalise(
    F: np.ndarray, unlabelled: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Columns of ``F`` scaled so their masses on ``unlabelled`` rows follow ``counts``.

    Class mass normalisation (Zhu, Ghahramani and Lafferty, 2003): column
    ``c`` is multiplied by ``q[c] / mass[c]``, ``q`` the labelled proportions
    and ``mass[c]`` the sum of ``F[unlabelled, c]``, so that the scaled
    masses are proportional to ``q`` (each is ``q[c]``); rows are normalised
    afterwards by the caller. A column without mass on the unlabelled rows
    (or without unlabelled rows at all) is left as it is.

    Parameters
    ----------
    F : ndarray of shape (n, n_classes)
        The spread scores before their rows are normalised (scaled in place).
    unlabelled : ndarray of bool, shape (n,)
    counts : ndarray of int, shape (n_classes,)
        Labelled rows of each class.

    Returns
    -------
    F : ndarray of shape (n, n_classes)
    """
    mass = F[unlabelled].sum(axis=0)
    q = counts / max(counts.sum(), 1)
    F *= np.divide(q, mass, out=np.ones_like(mass), where=mass > 0)
    return F


#: Most rescalings of :func:`align_distribution`, and its tolerance.
ALIGN_MAX_ITER, ALIGN_TOL = 100, 1e-6


def align_distribution(
    F: np.ndarray, unlabelled: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Columns of ``F`` rescaled until the unlabelled rows' mean is ``q``.

    Distribution alignment (Berthelot et al., ReMixMatch, 2020; Kim et al.,
    DARP, 2020): each step multiplies column ``c`` by ``q[c] / m[c]``, ``q``
    the labelled proportions and ``m`` the mean distribution of the reached
    unlabelled rows, and renormalises the rows; ReMixMatch takes one step,
    DARP solves for an exact match, which these alternating steps reach
    (Sinkhorn's iteration: the closest distributions, in Kullback-Leibler
    divergence, whose mean is ``q``) within ``ALIGN_TOL`` in at most
    ``ALIGN_MAX_ITER`` steps. A class absent from every reached unlabelled
    row cannot be matched and keeps its column.

    Parameters
    ----------
    F : ndarray of shape (n, n_classes)
        Rows summing to 1 or 0 (scaled in place).
    unlabelled : ndarray of bool, shape (n,)
    counts : ndarray of int, shape (n_classes,)
        Labelled rows of each class.

    Returns
    -------
    F : ndarray of shape (n, n_classes)
        Rows summing to 1 or 0.
    """
    rows = unlabelled & (F.sum(axis=1) > 0)
    if not rows.any():
        return F
    q = counts / max(counts.sum(), 1)
    for _ in range(ALIGN_MAX_ITER):
        mean = F[rows].mean(axis=0)
        reachable = mean > 0
        if np.abs(mean - q)[reachable].max() < ALIGN_TOL:
            break
        F *= np.divide(q, mean, out=np.ones_like(mean), where=reachable)
        F = normalise_rows(F)
    return F


def normalise_rows(F: np.ndarray) -> np.ndarray:
    """Rows of ``F`` scaled in place to sum to 1; all-zero rows stay zero."""
    total = F.sum(axis=1, keepdims=True)
    total[total == 0] = 1
    F /= total
    return F


def neighbour_mean(graph, F: np.ndarray) -> np.ndarray:
    """Each row's mean of ``F`` over its neighbour list.

    scikit-learn's inductive rule (``LabelSpreading.predict`` with the knn
    kernel): ``graph`` is a connectivity matrix
    (:func:`._knn_graph.connectivity`) with one row per neighbour list and
    one column per row of ``F``, so ``graph @ F`` sums the listed rows'
    spread distributions. For the fitted rows it is ``graph_``, whose lists
    hold each row itself and its nearest others; for new rows, their
    nearest fitted rows. Rows are then scaled to sum to 1; a row no label
    reached through any neighbour stays all zeros.
    """
    return normalise_rows(np.asarray(graph @ F, dtype=np.float64))


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
