"""A user's table, as read: features, encoded target, and how features are prepared."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

__all__ = ["CompareError", "Table", "make_preprocessor", "show_label"]


class CompareError(ValueError):
    """A table that cannot be compared on, with what to do about it."""


@dataclass
class Table:
    """A user's table, read: features, encoded target, and what they came from.

    ``y`` holds ``0 .. n_classes - 1`` on labelled rows (the index into
    ``classes``) and -1 on unlabelled ones. ``X`` is a DataFrame (a table) or
    an ndarray (an ``.npz``); ``numeric`` and ``categorical`` name its columns
    (indices for an ndarray). ``image_shape``: the shape of one sample of an
    ``.npz`` whose ``X`` held images, flattened here. ``notes``: what the
    reader and the cross-validation decided, for the user to read.
    """

    X: object
    y: np.ndarray
    classes: np.ndarray
    numeric: list
    categorical: list
    image_shape: tuple | None = None
    notes: list = field(default_factory=list)

    @property
    def n_labelled(self) -> int:
        """Rows with a label."""
        return int(np.sum(self.y != -1))

    @property
    def n_unlabelled(self) -> int:
        """Rows without one (``y == -1``)."""
        return int(np.sum(self.y == -1))


def show_label(label) -> str:
    """A class label as the user wrote it: 'cat', 3 (not np.int64(3))."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def make_preprocessor(table: Table) -> ColumnTransformer:
    """Numeric columns as they are, categorical ones one-hot encoded.

    A missing numeric value becomes its column's median and a missing
    category a category of its own, so that every model can take the rows;
    categories first seen at prediction time are ignored (all zeros). The
    output is dense (``NS3LClassifier`` takes dense ``X``).

    Parameters
    ----------
    table : Table

    Returns
    -------
    preprocessor : ColumnTransformer
        Unfitted.
    """
    parts = []
    if table.numeric:
        parts.append(
            (
                "numeric",
                SimpleImputer(strategy="median", keep_empty_features=True),
                table.numeric,
            )
        )
    if table.categorical:
        missing = SimpleImputer(
            strategy="constant", fill_value="(missing)", missing_values=np.nan
        )
        one_hot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        parts.append(
            (
                "categorical",
                Pipeline([("missing", missing), ("one_hot", one_hot)]),
                table.categorical,
            )
        )
    return ColumnTransformer(parts, sparse_threshold=0.0)
