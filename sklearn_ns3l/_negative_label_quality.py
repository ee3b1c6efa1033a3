"""How often negative labels are wrong: overall and per class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NegativeLabelQuality", "negative_label_quality"]


@dataclass(frozen=True)
class NegativeLabelQuality:
    """Wrong-negative counts of one negative-label mask against the truth.

    A negative label is *wrong* when it is the row's true class.

    Attributes
    ----------
    wrong_negative_rate : float
        Wrong negative labels over all negative labels marked (the share
        that label spreading's default calibration bounds); NaN when none
        is marked.
    negatives_per_sample : float
        Mean number of negative labels per row.
    n_negatives, n_wrong_negatives : int
        Negative labels marked, and how many of them are wrong.
    classes : ndarray of shape (n_classes,)
        The mask's columns.
    class_rows : ndarray of int, shape (n_classes,)
        Rows of each true class.
    class_wrong_rate : ndarray of float, shape (n_classes,)
        For each class ``c``: the share of the rows of true class ``c`` whose
        class ``c`` is marked negative (NaN for a class with no row). A rare
        class hides here what the overall rate averages away.
    class_negatives : ndarray of int, shape (n_classes,)
        Negative labels given to the rows of each true class.
    class_wrong_negative_rate : ndarray of float, shape (n_classes,)
        For each class ``c``: the share of the negative labels given to rows
        of true class ``c`` that are wrong (``c`` itself), the per-class
        version of ``wrong_negative_rate`` that label spreading's per-class
        calibration bounds; NaN for a class whose rows got none.
    """

    wrong_negative_rate: float
    negatives_per_sample: float
    n_negatives: int
    n_wrong_negatives: int
    classes: np.ndarray
    class_rows: np.ndarray
    class_wrong_rate: np.ndarray
    class_negatives: np.ndarray
    class_wrong_negative_rate: np.ndarray


def negative_label_quality(negatives, y_true, classes) -> NegativeLabelQuality:
    """Measure a negative-label mask against the rows' true classes.

    Parameters
    ----------
    negatives : array-like of bool, shape (n_samples, n_classes)
        ``negatives[i, k]``: class ``classes[k]`` is a negative label of row
        ``i``; e.g. ``NS3LClassifier.pool_negatives_``, the mask the network
        trained with, whose rows are those of ``X`` with ``y == -1`` (and a
        positive ``sample_weight``).
    y_true : array-like of shape (n_samples,)
        The rows' true classes. A row whose class is not in ``classes`` has
        no column, so none of its negative labels can be wrong.
    classes : array-like of shape (n_classes,)
        The mask's columns, distinct, in any order (e.g.
        ``NS3LClassifier.classes_``).

    Returns
    -------
    NegativeLabelQuality

    Raises
    ------
    ValueError
        If the shapes disagree, or ``classes`` repeats a class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l import negative_label_quality
    >>> negatives = np.array([[False, True, True], [True, False, False]])
    >>> quality = negative_label_quality(negatives, [0, 0], [0, 1, 2])
    >>> quality.wrong_negative_rate, quality.class_wrong_rate.tolist()
    (0.3333333333333333, [0.5, nan, nan])
    >>> quality.class_negatives.tolist(), quality.class_wrong_negative_rate.tolist()
    ([3, 0, 0], [0.3333333333333333, nan, nan])
    """
    negatives = np.asarray(negatives, dtype=bool)
    y_true, classes = np.asarray(y_true), np.asarray(classes)
    if negatives.ndim != 2 or negatives.shape != (len(y_true), len(classes)):
        raise ValueError(
            f"negatives must have shape (len(y_true), len(classes)) = "
            f"({len(y_true)}, {len(classes)}); got {negatives.shape}."
        )
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes must be distinct; got {classes.tolist()}.")
    # Each row's column, through the sorted classes (searchsorted needs them).
    order = np.argsort(classes, kind="stable")
    at = np.minimum(np.searchsorted(classes[order], y_true), len(classes) - 1)
    known = (
        classes[order][at] == y_true if len(classes) else np.zeros(len(y_true), bool)
    )
    column = order[at] if len(classes) else at
    wrong_rows = np.zeros(len(y_true), bool)
    wrong_rows[known] = negatives[np.flatnonzero(known), column[known]]
    class_rows = np.bincount(column[known], minlength=len(classes))
    class_wrong = np.bincount(column[wrong_rows], minlength=len(classes))
    class_negatives = np.bincount(
        column[known],
        weights=negatives[np.flatnonzero(known)].sum(axis=1),
        minlength=len(classes),
    ).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        class_wrong_rate = class_wrong / class_rows
        class_wrong_negative_rate = class_wrong / class_negatives
    total, wrong = int(negatives.sum()), int(wrong_rows.sum())
    return NegativeLabelQuality(
        wrong_negative_rate=wrong / total if total else float("nan"),
        negatives_per_sample=total / len(y_true) if len(y_true) else float("nan"),
        n_negatives=total,
        n_wrong_negatives=wrong,
        classes=classes,
        class_rows=class_rows,
        class_wrong_rate=np.where(class_rows > 0, class_wrong_rate, np.nan),
        class_negatives=class_negatives,
        class_wrong_negative_rate=np.where(
            class_negatives > 0, class_wrong_negative_rate, np.nan
        ),
    )
