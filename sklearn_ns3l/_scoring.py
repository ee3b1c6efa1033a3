"""Scoring that ignores unlabelled rows (y == -1)."""

import numpy as np
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.utils.validation import _check_sample_weight

# Re-exported: callers that import it from here keep working. The rule for
# what marks a row unlabelled lives in _unlabelled.py alone.
from ._unlabelled import unlabelled_mask

__all__ = ["labelled_accuracy_score", "labelled_accuracy_scorer", "unlabelled_mask"]


def labelled_accuracy_score(y_true, y_pred, *, sample_weight=None) -> float:
    """Accuracy over the rows whose true label is not -1.

    Under semi-supervised cross-validation the test folds hold unlabelled rows
    too; counting them as errors (as plain accuracy does) makes every model look
    bad and ranks hyper-parameters by how many unlabelled rows a fold drew.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, -1 for unlabelled rows: the number -1, or the string
        ``"-1"`` in a string array (``np.array(["spam", -1])`` holds it so).
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    score : float
        NaN when no row is labelled.

    Raises
    ------
    ValueError
        If ``y_true`` marks rows in another way than -1: NaN, None, a blank
        string, a mistyped -1 such as ``"-1.0"``; or mixes string and numeric
        labels. The rule is the one ``NS3LClassifier.fit`` applies
        (:ref:`unlabelled_rows`).

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
