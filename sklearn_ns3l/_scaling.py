"""Scaling feature vectors whose columns come in very different units.

A table as users have it holds columns in their own units (wine: proline in
the thousands, hue around 1). A network's first layer and a nearest-neighbour
graph both read such columns by their raw size, so the widest swamps the
rest. ``scale="auto"`` standardises the columns when their ranges differ by
more than :data:`RANGE_SPREAD_LIMIT` and leaves them as they are otherwise:
pixels, and tables already on one scale, lose accuracy when standardised
(``docs/results/raw_tables.md``; ``python benchmarks/raw_tables.py``).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.preprocessing import StandardScaler

from ._memmap import FileMapping
from ._sparse import dense_blocks
from ._warnings import warn_user

__all__ = ["RANGE_SPREAD_LIMIT", "column_range_spread", "make_scaler", "scaled"]

#: ``scale="auto"`` standardises when the widest column range is more than this
#: many times the median one. Raw wine (369) and breast cancer (8,712) are
#: above it; digits' pixels (1.0) and every feature-vector set of the peer
#: benchmark (at most 5.3, Text) are below.
RANGE_SPREAD_LIMIT = 20.0


def column_range_spread(X, rows=None) -> float:
    """The widest column range over the median one (constant columns left out).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        A memory map is read a block at a time.
    rows : ndarray of int or None, default=None
        The rows to read; None reads every row.

    Returns
    -------
    spread : float
        1.0 when fewer than one column varies.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l._scaling import column_range_spread
    >>> column_range_spread(np.array([[0.0, 0.0, 5.0], [1.0, 2.0, 5.0]]))
    1.3333333333333333
    """
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    if sparse.issparse(X):
        kept = X[rows]
        low = kept.min(axis=0).toarray().ravel()
        high = kept.max(axis=0).toarray().ravel()
    else:
        low = np.full(X.shape[1], np.inf)
        high = np.full(X.shape[1], -np.inf)
        step = max(1, 2**22 // max(X.shape[1], 1))
        for start in range(0, len(rows), step):
            block = np.asarray(X[rows[start : start + step]], dtype=np.float64)
            low = np.minimum(low, block.min(axis=0))
            high = np.maximum(high, block.max(axis=0))
    spans = (high.astype(np.float64) - low)[high > low]
    if not len(spans):
        return 1.0
    return float(spans.max() / np.median(spans))


def make_scaler(scale, X, image_shape, rows) -> StandardScaler | None:
    """``NS3LClassifier``'s ``scale`` for this ``X``: a fitted scaler, or None.

    Images (``image_shape`` given, or resolved from ``X``'s shape) are never
    scaled. ``"auto"`` scales when :func:`column_range_spread` of ``rows``
    exceeds :data:`RANGE_SPREAD_LIMIT`; ``"standard"`` always. The scaler is
    fitted on ``rows`` (the fit's rows: labelled or not, weight above 0). A
    sparse ``X`` is scaled without centring, which would make it dense.

    A memory-mapped ``X`` is not scaled, which would copy it whole into
    memory: ``"auto"`` warns where it would have scaled.

    Raises
    ------
    ValueError
        For ``"standard"`` with a memory-mapped ``X``.
    """
    if scale is None or image_shape is not None or X.ndim != 2:
        return None
    spread = column_range_spread(X, rows)
    if scale == "auto" and spread <= RANGE_SPREAD_LIMIT:
        return None
    if FileMapping.of(X) is not None:
        message = (
            "the columns of the memory-mapped X have ranges that differ by a "
            f"factor of {spread:.3g}; standardising them would copy X whole "
            "into memory. Standardise the file on disk"
        )
        if scale == "standard":
            raise ValueError(f"scale='standard': {message}, or pass scale=None.")
        warn_user(f"scale='auto' leaves X as it is: {message} (scale=None hides this).")
        return None
    in_fit = np.zeros(X.shape[0])
    in_fit[rows] = 1.0
    scaler = StandardScaler(with_mean=not sparse.issparse(X))
    return scaler.fit(X, sample_weight=in_fit)


def scaled(scaler: StandardScaler | None, X):
    """``X`` through a fitted ``scaler`` (float32), or ``X`` itself.

    A sparse ``X`` given to a scaler that centres (fitted on dense rows) is
    centred a block of rows at a time, and comes back dense.
    """
    if scaler is None:
        return X
    if sparse.issparse(X) and scaler.with_mean:
        return np.concatenate(
            [scaler.transform(block).astype(np.float32) for block in dense_blocks(X)]
        )
    return scaler.transform(X).astype(np.float32, copy=False)
