"""Sparse (CSR) inputs, densified a block of rows at a time, never whole.

A scipy sparse ``X`` (``csr_matrix`` or ``csr_array``; validation turns the
other formats into CSR) stays sparse in the estimators: the network, the
nearest-neighbour search and the selectors' draws read dense rows, and get
them here, a batch or block at a time. Densifying the whole of a sparse set
such as the SSL book's Text (11,960 features) would cost memory in
proportion to its width, not to its non-zeros.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy import sparse

__all__ = ["BLOCK_BYTES", "dense_blocks", "dense_rows", "rows_per_block"]

#: Bytes per block wherever rows are read or searched a block at a time
#: (:func:`dense_blocks`, the selectors' searches): small enough for the
#: cache and to bound memory whatever the number of rows, large enough for
#: an efficient matrix product.
BLOCK_BYTES = 8 * 2**20


def rows_per_block(row_bytes: int, block_bytes: int | None = None) -> int:
    """Rows of ``row_bytes`` bytes each that fit in a block, at least one.

    Parameters
    ----------
    row_bytes : int
        Bytes of the largest temporary per row.
    block_bytes : int or None, default=None
        None reads :data:`BLOCK_BYTES` when called.
    """
    return max((block_bytes or BLOCK_BYTES) // max(row_bytes, 1), 1)


def dense_rows(X, rows, dtype=np.float32) -> np.ndarray:
    """Rows ``rows`` of ``X`` as a C-contiguous dense array.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix or array
        A sparse ``X`` is densified for these rows only (``X[rows].toarray()``),
        never as a whole; a dense one is indexed as it is.
    rows : slice or ndarray of int
    dtype : numpy dtype or None, default=np.float32
        None keeps the dtype of ``X``.

    Returns
    -------
    block : ndarray of shape (n_rows, *X.shape[1:])
        A new array for sparse ``X``; for dense ``X`` a copy only where
        indexing, the dtype or the layout needs one.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sklearn_ns3l._sparse import dense_rows
    >>> X = sparse.csr_matrix(np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 0.0]]))
    >>> dense_rows(X, np.array([1, 0]))
    array([[3., 0.],
           [0., 2.]], dtype=float32)
    """
    if sparse.issparse(X):
        block = X[rows].toarray()
        return block if dtype is None else block.astype(dtype, copy=False)
    return np.ascontiguousarray(X[rows], dtype=dtype)


def dense_blocks(X, block_bytes: int | None = None) -> Iterator[np.ndarray]:
    """Consecutive blocks of the rows of ``X``, dense, in their own dtype.

    A dense ``X`` is one block; a sparse one comes in blocks of about
    ``block_bytes`` once dense.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix or array
    block_bytes : int or None, default=None
        None reads :data:`BLOCK_BYTES` when called.

    Yields
    ------
    block : ndarray of shape (n_block, *X.shape[1:])
    """
    if not sparse.issparse(X):
        yield np.ascontiguousarray(X)
        return
    step = rows_per_block(X.dtype.itemsize * math.prod(X.shape[1:]), block_bytes)
    for start in range(0, X.shape[0], step):
        yield dense_rows(X, slice(start, start + step), dtype=None)
