"""Per-class nearest labelled distances ``d_c(u)``: the one place FAISS is used.

The exact search (``index="Flat"``) is one matrix product per block of queries
against all labelled rows sorted by class, followed by a per-class minimum
(``np.minimum.reduceat``). It ran faster than one FAISS ``IndexFlatL2`` per
class in ``benchmarks/nn_selection.py`` (figures in ``docs/selectors.md``), so
FAISS is only used for the approximate indexes, one per class, built from a
FAISS index factory string.

The product runs in float32, whose rounding error grows with the norms of the
vectors, not with their distance: points far from the origin and close to
each other (coordinates in metres around 1e6) would get distances off by more
than the distances. So each block also bounds that error, per query and
class, from the norms (the classic bound for a float32 dot product, valid for
any summation order), and recomputes in float64 from the original values every
distance whose bound could change the order of the classes or exceeds
``_RHO`` of the distance. Only the labelled rows that the bound cannot rule
out are recomputed, usually one per such entry.
"""

from __future__ import annotations

import functools
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor

import faiss
import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state
from threadpoolctl import ThreadpoolController

from .._memmap import FileMapping
from .._sparse import dense_rows

__all__ = [
    "EXACT_INDEX",
    "NearestRowsIndex",
    "PerClassNearestIndex",
    "per_class_nearest_distances",
]

#: The ``index`` value that selects exact search.
EXACT_INDEX = "Flat"

# Queries are processed in blocks whose largest temporary (distances to all
# labelled rows, or the float32 copy of the queries) stays near this size, so
# memory is bounded whatever the size of the unlabelled pool; small enough
# for the cache, large enough for an efficient matrix product.
_BLOCK_BYTES = 8 * 2**20

# Unit roundoff of float32.
_U = 2.0**-24
# Largest relative error left in an exact squared distance (or cosine
# distance); the float32 result is kept where its error bound is below it.
_RHO = 2.0**-8
# Queries whose centred, scaled norm exceeds this could overflow float32 in
# the product; they are computed in float64 throughout.
_FULL_ROW_NORM = 2.0**50

# FAISS defaults (nprobe=1, efSearch=16) lose many true neighbours on
# image-like data; these trade a few times the search time for high recall.
_HNSW_EF_SEARCH = 64
_IVF_PROBE_FRACTION = 8
# A refined index ("...,RFlat") re-ranks k * k_factor candidates by exact
# distance; FAISS's k_factor=1 only re-orders the k it found.
_REFINE_K_FACTOR = 8


class PerClassNearestIndex:
    """Distance from each query to the nearest labelled sample of each class.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_labelled, n_features)
        Labelled samples (a sparse one is densified: they are few).
    y : array-like of int, shape (n_labelled,)
        Their classes encoded as ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes; each needs at least one labelled sample.
    metric : {"l2", "cosine"}, default="l2"
        ``"l2"``: Euclidean distance (not squared). ``"cosine"``: one minus
        the cosine similarity, in [0, 2]; an all-zero row counts as
        orthogonal to everything.
    index : str, default="Flat"
        ``"Flat"`` for exact search, or a FAISS index factory string such as
        ``"HNSW32"`` or ``"IVF256,Flat"`` for approximate search; one index is
        built (and trained) per class. IVF indexes probe an eighth of their
        lists (at least 8), HNSW indexes search with ``efSearch=64``.
    chunk_size : int or None, default=None
        Queries per block. None sizes blocks to about 8 MiB of temporaries.

    Raises
    ------
    ValueError
        If a class has no labelled sample, if FAISS rejects ``index``, or if a
        class has too few samples to train it.

    Notes
    -----
    Exact search ranks the classes of every query as float64 arithmetic on
    the same float32 values does, for any finite input: wherever two classes
    are too close for the float32 product to tell apart, their distances are
    recomputed in float64. Each distance is within a relative ``2**-9`` of
    the float64 one (in practice a few float32 epsilons), and identical
    points are 0 apart. Two classes whose float64 distances round to the same
    float32 tie; ``argmin`` then takes the first. Distances beyond the
    float32 range come out ``inf``.

    L2 distances come from ``|q|^2 + |x|^2 - 2 q.x`` in float32 after centring
    on the labelled mean and scaling by a power of two; cosine distances from
    a float32 product of unit rows (normalised in float64, so large values do
    not overflow). Approximate search may miss a class's nearest sample (a
    larger distance) or, for IVF, find none at all (``inf``).
    """

    def __init__(
        self,
        X,
        y,
        n_classes: int,
        *,
        metric: str = "l2",
        index: str = EXACT_INDEX,
        chunk_size: int | None = None,
    ):
        X = dense_rows(X, slice(None))  # the labelled rows: few
        y = np.asarray(y)
        counts = np.bincount(y, minlength=n_classes)
        if (counts == 0).any():
            raise ValueError(
                f"Classes {np.flatnonzero(counts == 0).tolist()} have no labelled "
                "sample; each class needs one to measure distances to it."
            )
        self.metric = metric
        self.index = index
        self.n_classes = n_classes
        self.chunk_size = chunk_size or max(
            1, _BLOCK_BYTES // (4 * max(len(X), X.shape[1]))
        )
        if index == EXACT_INDEX:
            self._build_exact(X, y)
        else:
            if metric == "cosine":
                X = _unit_rows(X)
            self._faiss_indexes = _build_faiss(X, y, n_classes, index, metric)

    def distances(self, X) -> np.ndarray:
        """Per-class nearest distances of the queries.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_queries, n_features)
            Queries; read (a sparse one densified) a block of ``chunk_size``
            rows at a time.

        Returns
        -------
        D : ndarray of float32, shape (n_queries, n_classes)
            ``D[i, c]`` is the distance from ``X[i]`` to the nearest labelled
            sample of class ``c``.
        """
        exact = self.index == EXACT_INDEX
        search = self._search_exact if exact else self._search_faiss
        n_queries = X.shape[0] if sparse.issparse(X) else len(X)
        D = np.empty((n_queries, self.n_classes), dtype=np.float32)

        def fill(start):
            stop = start + self.chunk_size
            # FAISS and BLAS both want C-contiguous float32; a sparse X is
            # densified here, one block at a time.
            D[start:stop] = search(dense_rows(X, slice(start, stop)))

        starts = range(0, n_queries, self.chunk_size)
        if not exact or len(starts) == 1:
            # One block, or FAISS, which spreads each search over its threads.
            for start in starts:
                fill(start)
            return D
        # Blocks spread over threads, each with a single-threaded product: on a
        # busy machine this beat multi-threaded products, whose threads wait
        # for each other after every block.
        blas = _blas_controller()
        n_threads = max((lib.num_threads for lib in blas.lib_controllers), default=1)
        with blas.limit(limits=1), ThreadPoolExecutor(n_threads) as pool:
            for _ in pool.map(fill, starts):
                pass
        return D

    def _build_exact(self, X, y):
        order = np.argsort(y, kind="stable")
        # The original values, sorted by class: what float64 recomputes from.
        self._X = X = np.ascontiguousarray(X[order])
        self._column_class = y[order].astype(np.intp)
        self._class_starts = np.searchsorted(
            self._column_class, np.arange(self.n_classes)
        )
        self._class_sizes = np.bincount(self._column_class, minlength=self.n_classes)
        n_features = X.shape[1]
        # Error bound of a float32 dot product of length n in any order,
        # gamma_n = n u / (1 - n u), plus the roundings around it (centring,
        # scaling, the additions), with a margin.
        self._coef = 1.01 * (n_features + 8) * _U
        # Underflow: absolute error per product, even where subnormal numbers
        # are flushed to zero.
        self._tiny = 4 * (n_features + 8) * 2.0**-126
        self._lost_squares = n_features * 2.0**-125
        X64 = X.astype(np.float64)
        if self.metric == "l2":
            # Centring shrinks the norms, hence the rounding error of
            # |q|^2 + |x|^2 - 2 q.x, e.g. for non-negative pixel data.
            self._shift = X64.mean(axis=0).astype(np.float32)
            centred = X64 - self._shift
            largest = np.sqrt(np.einsum("ij,ij->i", centred, centred)).max()
            self._scale = np.float32(_power_of_two_scale(largest))
            Xc = (centred * float(self._scale)).astype(np.float32)
            self._sq_norms = np.einsum("ij,ij->i", Xc, Xc)
            self._weights = -2.0 * Xc
            norms = np.linalg.norm(Xc.astype(np.float64), axis=1)
        else:
            self._row_norms = np.linalg.norm(X64, axis=1)
            self._weights = -_unit_rows(X)  # the product is minus the similarity
            norms = np.linalg.norm(self._weights.astype(np.float64), axis=1)
        self._class_norms = np.maximum.reduceat(norms, self._class_starts) * (1 + 1e-9)

    def _search_exact(self, q: np.ndarray) -> np.ndarray:
        # Queries far outside the labelled data may overflow float32 (inf,
        # NaN); those rows are recomputed in float64, so numpy's warnings
        # would say nothing of use.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.metric == "l2":
                qc = q - self._shift
                if self._scale != 1:
                    qc *= self._scale
                sq_q = np.einsum("ij,ij->i", qc, qc)
                g = qc @ self._weights.T
                g += self._sq_norms
                gmin = np.minimum.reduceat(g, self._class_starts, axis=1)
                # Squared scaled distances; the error bound needs the norms.
                approx = gmin + sq_q.astype(np.float64)[:, None]
                # Upper bounds of the norms: squares below float32's normal
                # range may have been lost.
                q_norms = np.sqrt(
                    sq_q.astype(np.float64) * (1 + 2 * self._coef) + self._lost_squares
                )
                full = ~np.isfinite(q_norms) | (q_norms > _FULL_ROW_NORM)
                # Distances beyond float32's range become inf here.
                D = np.sqrt(np.maximum(approx, 0.0)) / float(self._scale)
                D = D.astype(np.float32)
            else:
                g = _unit_rows(q) @ self._weights.T
                gmin = np.minimum.reduceat(g, self._class_starts, axis=1)
                approx = 1.0 + gmin.astype(np.float64)  # one minus the similarity
                q_norms = np.ones(len(q))
                full = np.zeros(len(q), dtype=bool)
                D = np.clip(approx, 0.0, 2.0).astype(np.float32)
            spread = q_norms[:, None] + self._class_norms
            bound = self._coef * spread**2 + self._tiny * (1 + spread)
            self._refine(q, D, g, gmin, approx, bound, full)
        return D

    def _refine(self, q, D, g, gmin, approx, bound, full) -> None:
        """Recompute in float64 the entries of ``D`` the float32 bound leaves open.

        ``approx`` (increasing with the distance) is within ``bound`` of the
        exact value, entry by entry. An entry is recomputed if its interval
        overlaps another class's in the same row (the order could be wrong),
        if the bound exceeds ``_RHO`` of the value, or if its row cannot be
        bounded (``full``). Its candidates are the labelled rows of its class
        whose product ``g`` is within ``2 * bound`` of the class's minimum
        ``gmin``: any other is provably further than the nearest.
        """
        redo = (bound > _RHO * (approx - bound)) | ~np.isfinite(approx)
        redo |= _overlapping(approx - bound, approx + bound)
        redo[full] = True
        rows, classes = np.nonzero(redo)
        if len(rows) == 0:
            return
        limit = gmin[rows, classes] + 2 * bound[rows, classes]
        best = np.full(len(rows), np.inf)
        pair_step = max(1, _BLOCK_BYTES // (8 * self._X.shape[1]))
        for entries, columns in self._candidates(g, rows, classes, limit, full):
            for p in range(0, len(entries), pair_step):
                i, j = entries[p : p + pair_step], columns[p : p + pair_step]
                np.minimum.at(best, i, self._exact_distances(q[rows[i]], j))
        D[rows, classes] = best  # beyond float32's range: inf

    def _candidates(self, g, rows, classes, limit, full):
        """Chunks of (entry, labelled column) pairs left open by the bound.

        Entry ``e`` is ``(rows[e], classes[e])``; its candidates are the
        columns of its class with ``g[rows[e], column] <= limit[e]``, and all
        of them in rows that could not be bounded (``full``), whose products
        may be inf or NaN. Few entries per row are read from their classes'
        columns alone; many, from whole rows of ``g``.
        """
        first, size = self._class_starts[classes], self._class_sizes[classes]
        width = int(size.max())
        row_set, row_of = np.unique(rows, return_inverse=True)
        # A gather by (row, column) pairs costs about three times as much per
        # element as reading whole rows.
        if 3 * len(rows) * width <= len(row_set) * g.shape[1]:
            offsets = np.arange(width)
            step = max(1, _BLOCK_BYTES // (8 * width))
            for start in range(0, len(rows), step):
                e = slice(start, start + step)
                inside = offsets < size[e, None]
                columns = first[e, None] + np.where(inside, offsets, 0)
                keep = inside & (
                    (g[rows[e, None], columns] <= limit[e, None]) | full[rows[e], None]
                )
                yield np.nonzero(keep)[0] + start, columns[keep]
            return
        entry_of = np.full((len(row_set), self.n_classes), -1)
        entry_of[row_of, classes] = np.arange(len(rows))
        # In float32 like g, rounded up: a candidate more is harmless.
        row_limit = np.full((len(row_set), self.n_classes), -np.inf, np.float32)
        row_limit[row_of, classes] = np.nextafter(limit.astype(np.float32), np.inf)
        ends = self._class_starts + self._class_sizes
        step = max(1, _BLOCK_BYTES // (4 * g.shape[1]))
        for start in range(0, len(row_set), step):
            k = slice(start, start + step)
            products = g[row_set[k]]
            keep = np.empty(products.shape, dtype=bool)
            for c, (lo, hi) in enumerate(zip(self._class_starts, ends, strict=True)):
                np.less_equal(
                    products[:, lo:hi], row_limit[k, c, None], out=keep[:, lo:hi]
                )
            keep |= full[row_set[k], None]  # every class of such a row is open
            at, columns = np.nonzero(keep)
            yield entry_of[k][at, self._column_class[columns]], columns

    def _exact_distances(self, q: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Float64 distance from each ``q[k]`` to labelled row ``columns[k]``."""
        q = q.astype(np.float64)
        x = self._X[columns].astype(np.float64)
        if self.metric == "l2":
            diff = q - x
            return np.sqrt(np.einsum("ij,ij->i", diff, diff))
        norms = np.linalg.norm(q, axis=1) * self._row_norms[columns]
        dot = np.einsum("ij,ij->i", q, x)
        # An all-zero row is orthogonal to everything, as in the product.
        similarity = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
        return np.clip(1.0 - similarity, 0.0, 2.0)

    def _search_faiss(self, q: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            q = _unit_rows(q)
        d = np.empty((len(q), self.n_classes), dtype=np.float32)
        for c, index in enumerate(self._faiss_indexes):
            found, ids = index.search(q, 1)
            d[:, c] = found[:, 0]
            d[ids[:, 0] < 0, c] = np.inf
        if self.metric == "l2":
            # FAISS reports squared L2 distances.
            np.maximum(d, 0.0, out=d)
            return np.sqrt(d, out=d)
        return np.clip(1.0 - d, 0.0, 2.0)


def per_class_nearest_distances(
    X_query,
    X_labelled,
    y_labelled,
    *,
    metric: str = "l2",
    index: str = EXACT_INDEX,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Distance from each query to the nearest labelled sample of each class.

    Parameters
    ----------
    X_query : array-like of shape (n_queries, n_features)
    X_labelled : array-like of shape (n_labelled, n_features)
    y_labelled : array-like of shape (n_labelled,)
        Class labels of any type; columns follow ``np.unique(y_labelled)``.
    metric : {"l2", "cosine"}, default="l2"
    index : str, default="Flat"
        ``"Flat"`` (exact) or a FAISS index factory string.
    chunk_size : int or None, default=None
        See :class:`PerClassNearestIndex`.

    Returns
    -------
    D : ndarray of float32, shape (n_queries, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> X_l = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    >>> per_class_nearest_distances([[0.0, 0.0]], X_l, ["a", "b", "a"])
    array([[0., 5.]], dtype=float32)
    """
    classes, y = np.unique(y_labelled, return_inverse=True)
    searcher = PerClassNearestIndex(
        X_labelled,
        y,
        len(classes),
        metric=metric,
        index=index,
        chunk_size=chunk_size,
    )
    return searcher.distances(X_query)


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController().select(user_api="blas")


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to norm 1 (all-zero rows kept), as float32.

    Normalised in float64: float32 squares overflow beyond about 1.8e19 and
    underflow below 1e-23, which would zero such rows.
    """
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (X / norms).astype(np.float32)


def _power_of_two_scale(largest: float) -> float:
    """A power of two that keeps float32 squares of norms up to ``largest`` in range.

    1 (no pass over the queries) for norms within ``2**+-50``, whose squares
    and products float32 holds; otherwise the power of two that brings the
    largest norm to between 1/2 and 1, or as near as float32 can scale (at
    most ``2**100``). Scaling by it is exact, but for underflow.
    """
    if not 0 < largest < np.inf or 2.0**-50 <= largest <= _FULL_ROW_NORM:
        return 1.0
    return 2.0 ** -max(int(np.ceil(np.log2(largest))), -100)


def _overlapping(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Which intervals ``[low, high]`` overlap another one of the same row."""
    out = np.zeros(low.shape, dtype=bool)
    # Most rows have their intervals far apart: two intervals can only meet
    # if their centres are within the widest width of the row.
    gaps = np.diff(np.sort(low + high, axis=1), axis=1).min(axis=1, initial=np.inf)
    close = np.flatnonzero(gaps <= 2 * (high - low).max(axis=1))
    if len(close) == 0:
        return out
    order = np.argsort(low[close], axis=1)
    low, high = (np.take_along_axis(a[close], order, axis=1) for a in (low, high))
    overlap = np.zeros(low.shape, dtype=bool)
    # Sorted by their lower ends, an interval overlaps an earlier one if it
    # starts before the furthest end so far, and a later one if it ends after
    # the next start.
    reach = np.maximum.accumulate(high, axis=1)
    overlap[:, 1:] = low[:, 1:] <= reach[:, :-1]
    overlap[:, :-1] |= high[:, :-1] >= low[:, 1:]
    np.put_along_axis(overlap, order, overlap.copy(), axis=1)
    out[close] = overlap
    return out


def _build_faiss(X, y, n_classes, spec, metric):
    faiss_metric = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
    indexes = []
    for c in range(n_classes):
        try:
            index = faiss.index_factory(X.shape[1], spec, faiss_metric)
        except RuntimeError as exc:
            raise ValueError(
                f"index={spec!r} is not a FAISS index factory string FAISS "
                f"accepts (e.g. 'Flat', 'HNSW32', 'IVF256,Flat'): {_reason(exc)}"
            ) from None
        rows = np.ascontiguousarray(X[y == c])
        if not index.is_trained:
            try:
                index.train(rows)
            except RuntimeError as exc:
                raise ValueError(
                    f"index={spec!r} cannot be trained on the {len(rows)} labelled "
                    f"samples of class {c} (classes_[{c}]): {_reason(exc)}"
                ) from None
        index.add(rows)
        _tune_search(index)
        indexes.append(index)
    return indexes


def _tune_search(index) -> None:
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = min(ivf.nlist, max(8, ivf.nlist // _IVF_PROBE_FRACTION))
    # Through the wrappers ("PCA64,HNSW32", "HNSW32,RFlat") to the inner index.
    inner = faiss.downcast_index(index)
    while inner is not None:
        hnsw = getattr(inner, "hnsw", None)
        if hnsw is not None:
            hnsw.efSearch = max(hnsw.efSearch, _HNSW_EF_SEARCH)
        if isinstance(inner, faiss.IndexRefine):
            inner.k_factor = max(inner.k_factor, _REFINE_K_FACTOR)
            inner = faiss.downcast_index(inner.base_index)
        elif isinstance(inner, faiss.IndexPreTransform):
            inner = faiss.downcast_index(inner.index)
        else:
            inner = None


def _reason(exc: RuntimeError) -> str:
    """FAISS's own message, without the C++ signature and source location."""
    match = re.search(r"\.(?:cpp|h):\d+: (.*)", str(exc), flags=re.DOTALL)
    return (match.group(1) if match else str(exc)).strip()


# --------------------------------------------------------------------------
# The k nearest rows of a set of rows: the neighbour graph of
# LabelSpreadingSelector. Kept apart from the per-class search above; it
# shares its FAISS helpers (_tune_search, _reason, _unit_rows, the BLAS
# controller) and its block size.
# --------------------------------------------------------------------------

# Extra float32 candidates per query that exact search re-ranks in float64,
# so that rounding in the float32 product cannot swap the k-th neighbour
# with the next one.
_RERANK_MARGIN = 8
# Rows an approximate index is trained on, at most (a uniform sample); FAISS
# itself samples at most 256 rows per IVF list.
_TRAIN_ROWS = 100_000
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
    and checked for NaN and infinity as they are read; the pages of a
    memory-mapped ``X`` are released after each block, so an approximate
    index over a file larger than memory keeps its resident set small.

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
        If a row holds NaN or infinity, or FAISS rejects or cannot train
        ``index``.
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
        self.chunk_size = chunk_size or max(1, _BLOCK_BYTES // (4 * self.n_features))
        self._nprobe = nprobe
        n = len(self.rows)
        if index == EXACT_INDEX:
            self._check_memory(n)
            base = np.empty((n, self.n_features), dtype=np.float32)
            for start, block in self._blocks(X, self.rows):
                base[start : start + len(block)] = block
            self._base = base
            # The float64 re-ranking reads the rows as searched: unit rows
            # for the cosine distance.
            self._search_base = _unit_rows(base) if metric == "cosine" else base
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
        ivf = None if self._faiss is None else faiss.try_extract_index_ivf(self._faiss)
        return None if ivf is None else int(ivf.nprobe)

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
        """
        rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
        out = np.empty((len(rows), k), dtype=np.int64)
        wanted = k - 1 if exclude_self else k
        for start, block in self._blocks(X, rows):
            found = self._search_block(block, wanted + int(exclude_self))
            if exclude_self:
                own = np.arange(start, start + len(block))[:, None]
                found = _drop(found, found == own, wanted)
                found = np.hstack([own, found])
            out[start : start + len(block)] = found
        return out

    def _search_block(self, q: np.ndarray, k: int) -> np.ndarray:
        if self.metric == "cosine":
            q = _unit_rows(q)
        if self._faiss is not None:
            return self._faiss.search(q, k)[1]
        n = self.n_rows
        wide = min(n, k + _RERANK_MARGIN)
        if self.metric == "l2":
            _, found = faiss.knn(q, self._search_base, wide)
        else:
            _, found = faiss.knn(
                q, self._search_base, wide, metric=faiss.METRIC_INNER_PRODUCT
            )
        if wide == k:
            return found
        # Re-rank in float64 from the rows as stored (ties: the float32 order),
        # a few queries at a time so the gathered candidates stay small.
        score = np.empty(found.shape)
        step = max(1, _BLOCK_BYTES // (8 * wide * self.n_features))
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
                block = dense_rows(X, rows[start : start + self.chunk_size])
                block = np.ascontiguousarray(
                    block.reshape(len(block), -1), dtype=np.float32
                )
                if not np.isfinite(block).all():
                    raise ValueError(
                        "Input X contains NaN or infinity (in one of rows "
                        f"{rows[start]}..{rows[start + len(block) - 1]}); "
                        "the neighbour search needs finite values."
                    )
                if mapping is not None:
                    mapping.release()
                yield start, block
        finally:
            if mapping is not None:
                mapping.release()

    def _check_memory(self, n: int) -> None:
        needed = n * self.n_features * 4 + 4 * _BLOCK_BYTES
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
        faiss_metric = (
            faiss.METRIC_L2 if self.metric == "l2" else faiss.METRIC_INNER_PRODUCT
        )
        try:
            index = faiss.index_factory(self.n_features, self.index, faiss_metric)
        except RuntimeError as exc:
            raise ValueError(
                f"index={self.index!r} is not a FAISS index factory string FAISS "
                f"accepts (e.g. 'Flat', 'HNSW32', 'IVF1024,PQ16'): {_reason(exc)}"
            ) from None
        n = self.n_rows
        if not index.is_trained:
            rng = np.random.default_rng(_seed(random_state))
            sample = np.sort(rng.choice(n, size=min(n, _TRAIN_ROWS), replace=False))
            train = np.concatenate(
                [block for _, block in self._blocks(X, self.rows[sample])]
            )
            if self.metric == "cosine":
                train = _unit_rows(train)
            try:
                index.train(train)
            except RuntimeError as exc:
                raise ValueError(
                    f"index={self.index!r} cannot be trained on {len(train)} "
                    f"rows: {_reason(exc)}"
                ) from None
            del train
        for _, block in self._blocks(X, self.rows):
            index.add(_unit_rows(block) if self.metric == "cosine" else block)
        _tune_search(index)
        ivf = faiss.try_extract_index_ivf(index)
        if ivf is not None and nprobe is not None:
            ivf.nprobe = min(ivf.nlist, nprobe)
        return index

    def __getstate__(self):
        # FAISS indexes do not pickle; their serialised bytes do.
        state = self.__dict__.copy()
        if self._faiss is not None:
            state["_faiss"] = faiss.serialize_index(self._faiss)
        if self.metric != "cosine":
            state["_search_base"] = None  # the same array as _base
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self._faiss is not None:
            self._faiss = faiss.deserialize_index(self._faiss)
            _tune_search_from(self._faiss, state)
        if self._search_base is None and self._base is not None:
            self._search_base = self._base


def _tune_search_from(index, state) -> None:
    """Search parameters are not serialised; set them again."""
    _tune_search(index)
    nprobe = state.get("_nprobe")
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None and nprobe is not None:
        ivf.nprobe = min(ivf.nlist, nprobe)


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


def _seed(random_state) -> int:
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
