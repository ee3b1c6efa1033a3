"""The k-nearest-neighbour graph of a set of rows, as label spreading builds it.

:class:`NearestRowsIndex` finds the ``k`` nearest rows of ``X[rows]`` to any
query, exactly (FAISS's brute force in float32, re-ranked in float64) or with
an approximate FAISS index (:mod:`._faiss`) for pools that do not fit in
memory; :func:`connectivity` turns its neighbour lists into a sparse matrix
and :func:`normalised_graph` into the matrix label spreading iterates with,
as in scikit-learn's ``neighbors/_graph.py`` and ``LabelSpreading``.
"""

from __future__ import annotations

import math
import os

import numpy as np
import scipy.sparse as sp

from .._memmap import FileMapping
from .._sparse import BLOCK_BYTES, dense_rows, rows_per_block
from ._faiss import (
    EXACT_INDEX,
    build_index,
    deserialize,
    knn,
    probes,
    serialize,
    training_sample,
)
from ._float32 import (
    check_scaled_norms,
    float32_rows,
    power_of_two_scale,
    row_norms,
    unit_rows,
)

__all__ = [
    "NearestRowsIndex",
    "available_memory",
    "connectivity",
    "normalised_graph",
]

# Extra float32 candidates per query that exact search re-ranks in float64,
# so that rounding in the float32 product cannot swap the k-th neighbour
# with the next one.
_RERANK_MARGIN = 8
# Fraction of the available memory exact search may plan to use.
_MEMORY_FRACTION = 0.8


def available_memory() -> int | None:
    """Bytes of memory available to this process (``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


class NearestRowsIndex:
    """The k nearest rows of ``X[rows]`` to any query, exactly or with FAISS.

    Rows are read from ``X`` a block at a time, flattened to feature vectors
    and checked for NaN, infinity and values beyond float32's range as they
    are read; the pages of a memory-mapped ``X`` are released after each
    block, so an approximate index over a file larger than memory keeps its
    resident set small. For ``metric="l2"``, rows whose norms would overflow
    float32 squared distances (from about 1.8e19) are searched scaled by a
    power of two, which changes no ranking.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Holds the rows; any array (a ``numpy.memmap`` included) that can be
        indexed by an array of row numbers.
    rows : ndarray of int, shape (n_rows,) or None, default=None
        The rows of ``X`` to search among, in the order neighbours are
        numbered; None for all of them.
    metric : {"l2", "cosine"}, default="l2"
        Euclidean distance, or one minus the cosine similarity (unit rows,
        searched by inner product).
    index : str, default="Flat"
        ``"Flat"``: exact search. The rows are copied into memory as float32
        (``n_rows * n_features * 4`` bytes); each block of queries is searched
        with ``faiss.knn`` in float32 for ``_RERANK_MARGIN`` more neighbours
        than asked, which are then re-ranked by their float64 distance.
        Anything else is a FAISS index factory string, e.g.
        ``"IVF1024,PQ16"`` (compressed, for pools that do not fit in
        memory): trained on a uniform sample of at most 100,000 rows, then
        filled a block at a time; its distances are FAISS's approximations.
        A refined index (``",RFlat"`` or ``",Refine(...)"``) re-ranks
        ``_REFINE_K_FACTOR`` (8) times the neighbours asked by their exact
        distance, unless FAISS's ``k_factor`` was already larger.
    nprobe : int or None, default=None
        Lists an IVF index visits per query; None: an eighth of them, at least
        8 (as for the per-class search).
    chunk_size : int or None, default=None
        Rows per block; None sizes blocks to about 8 MiB.
    random_state : int, RandomState instance or None, default=None
        Draws the training sample of an approximate index.

    Raises
    ------
    ValueError
        If a row holds NaN, infinity or values beyond float32's range, or
        FAISS rejects or cannot train ``index``.
    MemoryError
        If exact search would need more than 80 % of the available memory;
        the message names a compressed index as the way out.
    """

    def __init__(
        self,
        X,
        rows=None,
        *,
        metric: str = "l2",
        index: str = EXACT_INDEX,
        nprobe: int | None = None,
        chunk_size: int | None = None,
        random_state=None,
    ):
        self.rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
        self.n_features = math.prod(X.shape[1:])
        self.metric = metric
        self.index = index
        self.chunk_size = chunk_size or rows_per_block(4 * self.n_features)
        self._nprobe = nprobe
        n = len(self.rows)
        # The power of two the rows are searched scaled by (l2 only).
        self._scale = 1.0
        if index == EXACT_INDEX:
            self._check_memory(n)
            base = np.empty((n, self.n_features), dtype=np.float32)
            largest = 0.0
            for start, block in self._blocks(X, self.rows):
                base[start : start + len(block)] = block
                if metric == "l2":
                    largest = max(largest, row_norms(block).max(initial=0.0))
            self._scale = power_of_two_scale(largest)
            if self._scale != 1:
                base *= np.float32(self._scale)
            self._base = base
            # The float64 re-ranking reads the rows as searched: unit rows
            # for the cosine distance.
            self._search_base = unit_rows(base) if metric == "cosine" else base
            self._faiss = None
        else:
            self._base = self._search_base = None
            self._faiss = self._build_faiss(X, nprobe, random_state)

    @property
    def n_rows(self) -> int:
        """Rows searched among."""
        return len(self.rows)

    @property
    def probes(self) -> int | None:
        """Lists an IVF index visits per query; None for other indexes."""
        return None if self._faiss is None else probes(self._faiss)

    def search(self, X, k: int, rows=None, *, exclude_self: bool = False):
        """Row numbers of the ``k`` nearest indexed rows of each query.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Holds the queries, read a block at a time.
        k : int
            Neighbours per query, at most ``n_rows``.
        rows : ndarray of int or None, default=None
            The rows of ``X`` to query; None for all.
        exclude_self : bool, default=False
            The queries are the indexed rows themselves, in order (query ``i``
            is indexed row ``i``): each list is ``i`` itself followed by its
            ``k - 1`` nearest other rows, whatever the index finds.

        Returns
        -------
        neighbours : ndarray of int64, shape (n_queries, k)
            Indexed row numbers (0 .. n_rows - 1), nearest first; -1 where an
            approximate index found fewer than ``k``.

        Raises
        ------
        ValueError
            If ``k`` is not in ``1 .. n_rows``, if the queries have another
            number of features than the indexed rows, if a query holds NaN,
            infinity or values beyond float32's range, or (``metric="l2"``)
            if a query is so far from the indexed rows that float32 squared
            distances would overflow even scaled (a norm over ``2**62``
            times the power of two the indexed rows were scaled by).
        """
        if not 1 <= k <= self.n_rows:
            raise ValueError(f"k={k} must be in 1 .. {self.n_rows}, the rows indexed.")
        if math.prod(X.shape[1:]) != self.n_features:
            raise ValueError(
                f"X has shape {X.shape}; the indexed rows have {self.n_features} "
                "features."
            )
        rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
        out = np.empty((len(rows), k), dtype=np.int64)
        wanted = k - 1 if exclude_self else k
        for start, block in self._blocks(X, rows):
            if self.metric == "l2":
                check_scaled_norms(block, self._scale, rows[start:])
                if self._scale != 1:  # a new array: block may view X
                    block = block * np.float32(self._scale)
            found = self._search_block(block, wanted + int(exclude_self))
            if exclude_self:
                own = np.arange(start, start + len(block))[:, None]
                found = _drop(found, found == own, wanted)
                found = np.hstack([own, found])
            out[start : start + len(block)] = found
        return out

    def _search_block(self, q: np.ndarray, k: int) -> np.ndarray:
        if self.metric == "cosine":
            q = unit_rows(q)
        if self._faiss is not None:
            return self._faiss.search(q, k)[1]
        n = self.n_rows
        wide = min(n, k + _RERANK_MARGIN)
        found = knn(q, self._search_base, wide, self.metric)
        if wide == k:
            return found
        # Re-rank in float64 from the rows as stored (ties: the float32 order),
        # a few queries at a time so the gathered candidates stay small.
        score = np.empty(found.shape)
        step = rows_per_block(8 * wide * self.n_features)
        for start in range(0, len(q), step):
            part = slice(start, start + step)
            x = self._search_base[found[part]].astype(np.float64)
            q64 = q[part].astype(np.float64)[:, :, None]
            dot = np.matmul(x, q64)[:, :, 0]
            if self.metric == "l2":
                sq = np.einsum("ijk,ijk->ij", x, x)
                score[part] = sq - 2 * dot  # |q|^2 is the same for the whole row
            else:
                score[part] = -dot
        order = np.argsort(score, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(found, order, axis=1)

    def _blocks(self, X, rows):
        """(start, block) of float32 rows ``X[rows]``, flattened and checked."""
        mapping = FileMapping.of(X)
        try:
            for start in range(0, len(rows), self.chunk_size):
                # Dense rows of a sparse X too, a block at a time.
                part = rows[start : start + self.chunk_size]
                block = float32_rows(dense_rows(X, part, dtype=None), part[0], part[-1])
                if mapping is not None:
                    mapping.release()
                yield start, block
        finally:
            if mapping is not None:
                mapping.release()

    def _check_memory(self, n: int) -> None:
        needed = n * self.n_features * 4 + 4 * BLOCK_BYTES
        if self.metric == "cosine":
            needed += n * self.n_features * 4
        available = available_memory()
        if available is not None and needed > _MEMORY_FRACTION * available:
            raise MemoryError(
                f"Exact search (index={EXACT_INDEX!r}) keeps the {n} rows of "
                f"{self.n_features} features in memory as float32: about "
                f"{needed / 2**30:.1f} GiB, but {available / 2**30:.1f} GiB is "
                "available. Use a compressed FAISS index instead, e.g. "
                "index='IVF1024,PQ16', which stores 16 bytes per row and reads "
                "the rows a block at a time."
            )

    def _build_faiss(self, X, nprobe, random_state):
        if self.metric == "l2":
            # One more pass, for the largest norm: FAISS's squared distances
            # overflow float32 from about 1.8e19.
            largest = max(
                (row_norms(b).max(initial=0.0) for _, b in self._blocks(X, self.rows)),
                default=0.0,
            )
            self._scale = power_of_two_scale(largest)

        def prepare(rows):
            if self.metric == "cosine":
                return unit_rows(rows)
            return rows * np.float32(self._scale) if self._scale != 1 else rows

        def training_rows():
            sample = self.rows[training_sample(self.n_rows, random_state)]
            return prepare(np.concatenate([b for _, b in self._blocks(X, sample)]))

        return build_index(
            self.index,
            self.n_features,
            self.metric,
            (prepare(b) for _, b in self._blocks(X, self.rows)),
            training_rows=training_rows,
            described=lambda n: f"{n} rows",
            nprobe=nprobe,
        )

    def __getstate__(self):
        # FAISS indexes do not pickle; their serialised bytes do.
        state = self.__dict__.copy()
        if self._faiss is not None:
            state["_faiss"] = serialize(self._faiss)
        if self.metric != "cosine":
            state["_search_base"] = None  # the same array as _base
        return state

    def __setstate__(self, state):
        state.setdefault("_scale", 1.0)  # pickled before rows were scaled
        self.__dict__.update(state)
        if self._faiss is not None:
            # Search parameters are not serialised; set them again.
            self._faiss = deserialize(self._faiss, state.get("_nprobe"))
        if self._search_base is None and self._base is not None:
            self._search_base = self._base


def _drop(found: np.ndarray, drop: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` entries of each row of ``found`` not marked in ``drop``.

    A row with fewer than ``k`` left is padded with -1.
    """
    keep = ~drop & (found >= 0)
    # A stable sort of "not kept" moves the kept entries to the front in order.
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
    out = np.take_along_axis(found, order, axis=1)
    out[~np.take_along_axis(keep, order, axis=1)] = -1
    return out


def connectivity(neighbours: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """CSR matrix with a one at ``(i, neighbours[i, j])``; -1 entries skipped.

    One row per neighbour list, ``n_rows`` columns: the rows the lists point
    into (square for the graph of the fitted rows; queries against them in
    :meth:`LabelSpreadingSelector.transform`). Each row keeps its list's order.
    """
    found = neighbours >= 0
    indptr = np.concatenate([[0], np.cumsum(found.sum(axis=1))])
    return sp.csr_matrix(
        (
            np.ones(int(indptr[-1]), dtype=np.float32),
            neighbours[found].astype(np.int32 if n_rows < 2**31 else np.int64),
            indptr,
        ),
        shape=(len(neighbours), n_rows),
    )


def normalised_graph(graph: sp.csr_matrix) -> sp.csr_matrix:
    """``D**-1/2 W D**-1/2`` without self-loops, ``D`` the in-degrees.

    The matrix scikit-learn's ``LabelSpreading._build_graph`` iterates with:
    minus the normalised Laplacian of ``scipy.sparse.csgraph.laplacian``
    (which reads in-degrees of a directed graph and ignores self-loops), with
    its diagonal set to zero. A row nothing points to gets degree 1.
    """
    W = graph.astype(np.float64)
    W.setdiag(0)
    W.eliminate_zeros()
    degree = np.asarray(W.sum(axis=0)).ravel()
    degree[degree == 0] = 1
    scale = 1 / np.sqrt(degree)
    W = sp.diags(scale) @ W @ sp.diags(scale)
    return W.tocsr()
