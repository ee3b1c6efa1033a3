"""A user's table, as read: features, encoded target, and how features are prepared."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .._scaling import RANGE_SPREAD_LIMIT, column_range_spread

__all__ = [
    "CompareError",
    "Table",
    "make_preprocessor",
    "scales_numeric_columns",
    "show_label",
]


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


def scales_numeric_columns(table: Table, scale: str = "auto") -> tuple[bool, float]:
    """Whether :func:`make_preprocessor` standardises the numeric columns, and why.

    The rule of ``NS3LClassifier(scale=...)``: ``"auto"`` standardises when
    the widest column range is more than ``RANGE_SPREAD_LIMIT`` (20) times
    the median one, ``"standard"`` always, ``"none"`` never.

    Returns
    -------
    scales : bool
    spread : float
        The numeric columns' range spread (missing values left out; 1.0
        without numeric columns).
    """
    if not table.numeric:
        return False, 1.0
    values = np.asarray(_numeric_block(table), dtype=np.float64)
    with warnings.catch_warnings():
        # An all-missing column has no median: the imputer keeps it as 0s.
        warnings.simplefilter("ignore", RuntimeWarning)
        values = np.where(np.isnan(values), np.nanmedian(values, axis=0), values)
    spread = column_range_spread(np.nan_to_num(values))
    if scale == "auto":
        return spread > RANGE_SPREAD_LIMIT, spread
    return scale == "standard", spread


def _numeric_block(table: Table):
    if hasattr(table.X, "loc"):
        return table.X[table.numeric].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(table.X)[:, table.numeric]


def make_preprocessor(table: Table, scale: str = "auto") -> ColumnTransformer:
    """Numeric columns imputed (and standardised where they need it), the rest one-hot.

    A missing numeric value becomes its column's median and a missing
    category a category of its own, so that every model can take the rows;
    categories first seen at prediction time are ignored (all zeros). The
    numeric columns are standardised for every method alike where
    :func:`scales_numeric_columns` says so (columns in very different units:
    raw wine's accuracy goes from 62 % to 92 % for NS3L and from 83 % to
    93 % for ``LogisticRegression``), and left as they are otherwise (digits'
    pixels lose 2 to 3 points standardised; ``docs/results/raw_tables.md``).
    The output is dense (``NS3LClassifier`` takes dense ``X``).

    Parameters
    ----------
    table : Table
    scale : {"auto", "standard", "none"}, default="auto"

    Returns
    -------
    preprocessor : ColumnTransformer
        Unfitted.
    """
    parts = []
    if table.numeric:
        impute = SimpleImputer(strategy="median", keep_empty_features=True)
        numeric = (
            Pipeline([("impute", impute), ("standardise", StandardScaler())])
            if scales_numeric_columns(table, scale)[0]
            else impute
        )
        parts.append(("numeric", numeric, table.numeric))
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
