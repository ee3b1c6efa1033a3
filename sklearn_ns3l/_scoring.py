"""Scoring that ignores unlabelled rows (y == -1)."""

import numpy as np
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.utils.validation import _check_sample_weight

__all__ = ["labelled_accuracy_score", "labelled_accuracy_scorer", "unlabelled_mask"]


def unlabelled_mask(y) -> np.ndarray:
    """Boolean mask of the entries of ``y`` equal to the integer -1.

    Works for numeric and object arrays; strings (even ``"-1"``) are labels.
    """
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y == -1
    if y.dtype.kind == "O":
        return np.fromiter(
            (not isinstance(v, (str, bytes)) and v == -1 for v in y.ravel()),
            dtype=bool,
            count=y.size,
        ).reshape(y.shape)
    return np.zeros(y.shape, dtype=bool)


def labelled_accuracy_score(y_true, y_pred, *, sample_weight=None) -> float:
    """Accuracy over the rows whose true label is not -1.

    Under semi-supervised cross-validation the test folds hold unlabelled rows
    too; counting them as errors (as plain accuracy does) makes every model look
    bad and ranks hyper-parameters by how many unlabelled rows a fold drew.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, -1 for unlabelled rows.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    score : float
        NaN when no row is labelled.

    Examples
    --------
    >>> from sklearn_ns3l import labelled_accuracy_score
    >>> labelled_accuracy_score([0, 1, -1, -1], [0, 0, 1, 1])
    0.5
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if sample_weight is not None:
        # Checked against y before the mask indexes it.
        sample_weight = _check_sample_weight(sample_weight, y_true)
    keep = ~unlabelled_mask(y_true)
    if not keep.any():
        return float("nan")
    if sample_weight is not None:
        sample_weight = sample_weight[keep]
    return float(
        accuracy_score(y_true[keep], y_pred[keep], sample_weight=sample_weight)
    )


#: Scorer for ``GridSearchCV(..., scoring=labelled_accuracy_scorer)``.
labelled_accuracy_scorer = make_scorer(labelled_accuracy_score)
