"""Rows as both searches compute with them: float32, checked, scaled, unit.

Both searches (:mod:`._per_class_search`, :mod:`._knn_graph`) and FAISS work
in float32. A float64 ``X`` that scikit-learn's validation accepts may still
hold values float32 cannot (beyond about 3.4e38), which the cast turns into
infinity, and finite float32 rows far from the origin (norms beyond about
1.8e19) overflow the squared distances FAISS and the products compute.
:func:`float32_rows` refuses the first kind with a message; the second is
avoided by scaling the rows with a power of two (:func:`power_of_two_scale`),
which changes no ranking, and refused (:func:`check_scaled_norms`) for
queries even scaling cannot bring into range.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "UNSCALED_NORM",
    "check_scaled_norms",
    "float32_rows",
    "power_of_two_scale",
    "row_norms",
    "unit_rows",
]

#: Norms within ``2**+-50`` need no scaling: float32 holds their squares and
#: products with room to spare.
UNSCALED_NORM = 2.0**50
# The largest scaled norm a query may have: with indexed rows of norms up to
# UNSCALED_NORM, squared distances stay below 2**126, within float32.
_SAFE_NORM = 2.0**62
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def float32_rows(block, first_row: int = 0, last_row: int | None = None) -> np.ndarray:
    """``block`` flattened to rows of C-contiguous float32, every value finite.

    Parameters
    ----------
    block : ndarray of shape (n_rows, ...)
        Rows as read (any float dtype).
    first_row : int, default=0
        Row number of ``block[0]`` in ``X``, for the error message.
    last_row : int or None, default=None
        Row number of ``block[-1]``; None: the rows are consecutive.

    Returns
    -------
    rows : ndarray of float32, shape (n_rows, n_features)

    Raises
    ------
    ValueError
        If ``block`` holds NaN or infinity, or finite values float32 cannot
        hold (beyond about 3.4e38).
    """
    block = np.asarray(block)
    flat = block.reshape(len(block), -1)
    with np.errstate(over="ignore"):  # values float32 cannot hold: below
        rows = np.ascontiguousarray(flat, dtype=np.float32)
    if not np.isfinite(rows).all():
        last = first_row + len(rows) - 1 if last_row is None else last_row
        where = f"in one of rows {first_row}..{last}"
        if np.isfinite(flat).all():
            raise ValueError(
                f"Input X holds values beyond float32's range ({where}; "
                f"float32 holds up to {_FLOAT32_MAX:.3g}); the neighbour search "
                "computes in float32: scale X down."
            )
        raise ValueError(
            f"Input X contains NaN or infinity ({where}); the neighbour search "
            "needs finite values."
        )
    return rows


def row_norms(rows: np.ndarray) -> np.ndarray:
    """Euclidean norms of float32 rows, in float64 (no overflow, no underflow)."""
    return np.linalg.norm(rows.astype(np.float64), axis=1)


def power_of_two_scale(largest: float) -> float:
    """A power of two that keeps float32 squares of norms up to ``largest`` in range.

    1 (no pass over the queries) for norms within ``2**+-50``, whose squares
    and products float32 holds; otherwise the power of two that brings the
    largest norm to between 1/2 and 1, or as near as float32 can scale (at
    most ``2**100``). Scaling by it is exact, but for underflow.
    """
    if not 0 < largest < np.inf or 2.0**-50 <= largest <= UNSCALED_NORM:
        return 1.0
    return 2.0 ** -max(int(np.ceil(np.log2(largest))), -100)


def check_scaled_norms(rows: np.ndarray, scale: float, row_numbers) -> None:
    """Refuse rows whose squared distances overflow float32, even scaled by ``scale``.

    Parameters
    ----------
    rows : ndarray of float32, shape (n_rows, n_features)
        Queries, not yet scaled.
    scale : float
        The power of two the indexed rows were scaled by.
    row_numbers : sequence of int, length n_rows
        Row numbers of ``rows`` in ``X``, for the error message.

    Raises
    ------
    ValueError
        If a row's norm times ``scale`` exceeds ``2**62``.
    """
    norms = row_norms(rows)
    if len(norms) and norms.max() * scale > _SAFE_NORM:
        i = int(norms.argmax())
        raise ValueError(
            f"Row {row_numbers[i]} of X has norm {norms[i]:.3g}, too far from the "
            f"indexed rows (norms up to about {UNSCALED_NORM / scale:.3g}) for the "
            "float32 squared distances of the search, which would overflow: "
            "scale X down (e.g. with sklearn.preprocessing.StandardScaler)."
        )


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to norm 1 (all-zero rows kept), as float32.

    Normalised in float64: float32 squares overflow beyond about 1.8e19 and
    underflow below 1e-23, which would zero such rows.
    """
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (X / norms).astype(np.float32)
