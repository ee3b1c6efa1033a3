"""Which targets mark unlabelled rows: the one place that decides.

The marker is -1, as in :mod:`sklearn.semi_supervised`. How -1 can appear
depends on the array that holds the targets:

- numeric arrays (integer or float): the number -1 (``-1`` or ``-1.0``).
  Unsigned and boolean arrays cannot hold -1, so all their rows are labelled.
- string arrays (numpy dtype ``U`` or ``S``): the string ``"-1"`` (``b"-1"``).
  That is what numpy makes of -1 beside strings (``np.array(["spam", -1])``)
  and what a text or CSV reader returns.
- object arrays: the number -1 (a Python or numpy int or float) or the
  string ``"-1"`` (``b"-1"``).

Every other value is a label, except values that look like a missing label or
like a mistyped -1, which are refused with a ``ValueError`` that says how to
mark unlabelled rows:

- NaN (in a float array, or ``float("nan")`` / ``np.nan`` in an object array),
  ``None`` and other missing-value objects (``pandas.NA``, ``NaT``);
- blank strings, and strings that read as NaN (``"nan"``, ``"NaN"``);
- strings that read as -1 but are not written ``"-1"`` (``" -1"``,
  ``"-1.0"``): numpy writes a float -1 as ``"-1.0"`` in a string array.

Labels must be all numbers or all strings (or all bytes); an object array
mixing them is refused too, since its classes could not be sorted.
"""

from __future__ import annotations

from numbers import Number

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

__all__ = ["UNLABELLED", "labelled_classes", "split_labelled", "unlabelled_mask"]

#: The target value of an unlabelled row.
UNLABELLED = -1

_HOW = (
    "Mark unlabelled rows with -1, as in sklearn.semi_supervised: the number -1 "
    "in a numeric or object array, the string '-1' in a string array."
)

# Roles of a single target value.
_LABEL, _UNLABELLED, _MISSING, _MISTYPED = "label", "unlabelled", "missing", "mistyped"


def unlabelled_mask(y) -> np.ndarray:
    """Boolean mask of the unlabelled rows of ``y`` (those marked -1).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, 1)
        Targets: class labels, and -1 for unlabelled rows. Which values mark
        an unlabelled row in each kind of array is described in
        :mod:`sklearn_ns3l._unlabelled`; in short, -1 as a number, or
        ``"-1"`` as a string.

    Returns
    -------
    mask : ndarray of bool, shape (n_samples,)
        True for unlabelled rows.

    Raises
    ------
    ValueError
        If ``y`` holds a value that looks like a missing label (NaN, None,
        a blank string) or a mistyped -1 (``"-1.0"``), mixes strings and
        numbers among its labels, or is not one-dimensional.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l._unlabelled import unlabelled_mask
    >>> unlabelled_mask([0, 1, -1])
    array([False, False,  True])
    >>> unlabelled_mask(np.array(["spam", -1, "ham"]))  # numpy makes -1 "-1"
    array([False,  True, False])
    """
    return split_labelled(y)[0]


def split_labelled(y) -> tuple[np.ndarray, np.ndarray]:
    """Find the unlabelled rows of ``y`` and return the labels of the others.

    This checks the markers as :func:`unlabelled_mask` does; it is the one
    call a semi-supervised ``fit`` needs before encoding the classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, 1)
        Targets: class labels, and -1 for unlabelled rows. A column vector is
        read as its one column.

    Returns
    -------
    mask : ndarray of bool, shape (n_samples,)
        True for unlabelled rows.
    y_labelled : ndarray of shape (n_labelled,)
        ``y[~mask]``. Numbers held in an object array (as when -1 sat beside
        string labels that were then all hidden, or a pandas column of
        integers) come back as a numeric array, which scikit-learn's target
        checks need; strings keep their dtype.

    Raises
    ------
    ValueError
        As :func:`unlabelled_mask`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l._unlabelled import split_labelled
    >>> mask, y_labelled = split_labelled(np.array(["a", -1, "b"], dtype=object))
    >>> mask
    array([False,  True, False])
    >>> y_labelled
    array(['a', 'b'], dtype=object)
    >>> split_labelled(np.array([3, -1, 5], dtype=object))[1]
    array([3, 5])
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        # scikit-learn's wording, which its estimator checks look for.
        raise ValueError(
            f"y should be a 1d array, got an array of shape {y.shape} instead."
        )
    kind = y.dtype.kind
    if kind in "iu":
        mask = y == UNLABELLED
    elif kind in "fc":
        missing = np.isnan(y)
        if missing.any():
            raise _missing_error("NaN", missing)
        mask = y == UNLABELLED
    elif kind in "US":
        mask = _text_array_mask(y)
    elif kind == "O":
        return _split_objects(y)
    else:  # bool, datetime, ...: no value of these types is -1
        mask = np.zeros(len(y), dtype=bool)
    return mask, y[~mask]


def _text_role(text: str | bytes) -> str:
    """The role of one string target: a label, the marker, or refused."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if text == "-1":
        return _UNLABELLED
    stripped = text.strip()
    if not stripped:
        return _MISSING
    try:
        value = float(stripped)
    except ValueError:
        return _LABEL
    if value != value:
        return _MISSING
    # " -1", "-1.0", "-1e0": the marker, mistyped or converted from a float.
    return _MISTYPED if value == UNLABELLED else _LABEL


def _text_array_mask(y: np.ndarray) -> np.ndarray:
    # Roles are decided per distinct value: few classes, many rows.
    values = np.unique(y)
    roles = np.array([_text_role(v.item()) for v in values])
    for role in (_MISSING, _MISTYPED):
        bad = values[roles == role]
        if len(bad):
            raise _refusal(role, repr(bad[0].item()), np.isin(y, bad))
    return np.isin(y, values[roles == _UNLABELLED])


def _split_objects(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros(len(y), dtype=bool)
    # The first row of each kind of label, to name a mixture in the error.
    first_of_kind: dict[str, int] = {}
    text_roles: dict = {}  # strings repeat: one parse per distinct value
    for i, value in enumerate(y):
        role, kind = _object_role(value, text_roles)
        if role == _UNLABELLED:
            mask[i] = True
        elif role == _LABEL:
            first_of_kind.setdefault(kind, i)
        else:
            rows = np.fromiter(
                (_object_role(v, text_roles)[0] == role for v in y),
                dtype=bool,
                count=len(y),
            )
            raise _refusal(role, _describe(value), rows)
    if len(first_of_kind) > 1:
        raise _mixture_error(y, first_of_kind)
    labels = y[~mask]
    if first_of_kind.keys() == {"numbers"}:
        # scikit-learn types an object array of numbers "unknown".
        labels = np.asarray(labels.tolist())
    return mask, labels


def _object_role(value, text_roles: dict) -> tuple[str, str]:
    """(role, kind of label) of one entry of an object array."""
    if isinstance(value, (str, bytes)):
        role = text_roles.get(value)
        if role is None:
            role = text_roles[value] = _text_role(value)
        return role, "bytes" if isinstance(value, bytes) else "strings"
    if isinstance(value, (Number, np.bool_)):
        if value != value:  # NaN, also complex
            return _MISSING, "numbers"
        return (_UNLABELLED if value == UNLABELLED else _LABEL), "numbers"
    if value is None:
        return _MISSING, "other objects"
    try:
        # NaT is unequal to itself; pandas.NA has no truth value at all.
        missing = bool(value != value)
    except TypeError:
        missing = True
    except ValueError:  # an array held as a label: scikit-learn will judge it
        missing = False
    return (_MISSING if missing else _LABEL), "other objects"


def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, (float, np.floating)) and value != value:
        return "NaN"
    return repr(value)


def _refusal(role: str, shown: str, rows: np.ndarray) -> ValueError:
    if role == _MISSING:
        return _missing_error(shown, rows)
    first, count = int(np.flatnonzero(rows)[0]), int(rows.sum())
    return ValueError(
        f"y has {count} row(s) that read as -1 but are not written -1, such as "
        f"{shown} at row {first}: they are neither a class label nor the "
        f"unlabelled marker. {_HOW} Write them as -1 exactly (strip spaces; numpy "
        "writes a float -1 as '-1.0' in a string array)."
    )


def _missing_error(shown: str, rows: np.ndarray) -> ValueError:
    first, count = int(np.flatnonzero(rows)[0]), int(rows.sum())
    return ValueError(
        f"y has {count} row(s) with a missing value instead of a class label, "
        f"such as {shown} at row {first}. {_HOW} Set those entries to -1 if the "
        "rows are unlabelled, or drop the rows."
    )


def _mixture_error(y: np.ndarray, first_of_kind: dict[str, int]) -> ValueError:
    examples = " and ".join(
        f"{kind} ({y[row]!r} at row {row})" for kind, row in first_of_kind.items()
    )
    return ValueError(
        f"y mixes {examples} among its class labels; they must be all numbers "
        "or all strings, so that they sort into classes_. The unlabelled marker "
        "-1 may stand beside either."
    )


def labelled_classes(y_labelled, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted classes of the labelled targets and each target's code.

    The one check, for the classifier and the selectors, that labelled rows
    of at least two classes exist: with one class no class is one a row could
    surely not be.

    Parameters
    ----------
    y_labelled : array-like of shape (n_labelled,)
        The targets of the labelled rows only.
    owner : str
        The estimator's name, for the messages.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    codes : ndarray of int, shape (n_labelled,)
        ``classes[codes] == y_labelled``.

    Raises
    ------
    ValueError
        With no labelled row, fewer than two classes, or targets that are not
        classes (scikit-learn's ``check_classification_targets``).
    """
    y_labelled = np.asarray(y_labelled)
    if len(y_labelled) == 0:
        raise ValueError(
            "y contains no labelled samples: every entry is -1. "
            f"{owner} needs labelled samples of at least two classes."
        )
    check_classification_targets(y_labelled)
    classes, codes = np.unique(y_labelled, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"{owner} needs labelled samples of at least two classes; "
            f"got 1 class ({classes.tolist()[0]!r})."
        )
    return classes, codes
