"""Per-class nearest labelled distances ``d_c(u)``, exact or with FAISS.

The exact search (``index="Flat"``) is one matrix product per block of queries
against all labelled rows sorted by class, followed by a per-class minimum
(``np.minimum.reduceat``). It ran faster than one FAISS ``IndexFlatL2`` per
class in ``benchmarks/nn_selection.py`` (figures in ``docs/selectors.md``), so
FAISS (:mod:`._faiss`) is only used for the approximate indexes, one per
class, built from a FAISS index factory string.

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
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse
from threadpoolctl import ThreadpoolController

from .._sparse import dense_rows, rows_per_block
from ._faiss import EXACT_INDEX, build_index
from ._float32 import (
    UNSCALED_NORM,
    check_scaled_norms,
    float32_rows,
    power_of_two_scale,
    row_norms,
    unit_rows,
)

__all__ = ["PerClassNearestIndex", "per_class_nearest_distances"]

# Unit roundoff of float32.
_U = 2.0**-24
# Largest relative error left in an exact squared distance (or cosine
# distance); the float32 result is kept where its error bound is below it.
_RHO = 2.0**-8
# Queries whose centred, scaled norm exceeds this could overflow float32 in
# the product; they are computed in float64 throughout.
_FULL_ROW_NORM = UNSCALED_NORM


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
        If a class has no labelled sample, if ``X`` holds NaN, infinity or
        values beyond float32's range, if FAISS rejects ``index``, or if a
        class has too few samples to train it.

    Notes
    -----
    Exact search ranks the classes of every query as float64 arithmetic on
    the same float32 values does, for any finite input: wherever two classes
    are too close for the float32 product to tell apart, their distances are
    recomputed in float64. Each distance is within a relative ``2**-9`` of
    the float64 one (in practice a few float32 epsilons), and identical
    points are 0 apart. Two classes whose float64 distances round to the same
    float32 tie; ``argmin`` then takes the first. A distance beyond the
    float32 range is refused (``ValueError``): as ``inf`` it would tie with
    any other.

    L2 distances come from ``|q|^2 + |x|^2 - 2 q.x`` in float32 after centring
    on the labelled mean and scaling by a power of two; cosine distances from
    a float32 product of unit rows (normalised in float64, so large values do
    not overflow). Approximate search may miss a class's nearest sample (a
    larger distance) or, for IVF, find none at all (``inf``); its rows are
    scaled by a power of two where their norms would overflow FAISS's float32
    squared distances (from about 1.8e19).
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
        # The labelled rows: few. Checked in float32, as they are searched.
        X = float32_rows(dense_rows(X, slice(None), dtype=None))
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
        self.n_features = X.shape[1]
        # The largest temporary per query: its products with every labelled
        # row, or its own float32 copy.
        self.chunk_size = chunk_size or rows_per_block(4 * max(len(X), X.shape[1]))
        if index == EXACT_INDEX:
            self._build_exact(X, y)
        else:
            if metric == "cosine":
                X = unit_rows(X)
            else:
                # FAISS's squared distances overflow float32 from norms of
                # about 1.8e19; a power of two changes no ranking.
                self._scale = np.float32(power_of_two_scale(row_norms(X).max()))
                if self._scale != 1:
                    X = X * self._scale
            self._faiss_indexes = _per_class_faiss(X, y, n_classes, index, metric)

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

        Raises
        ------
        ValueError
            If ``X`` holds NaN, infinity or values beyond float32's range, has
            another number of features than the labelled rows, or if a
            distance exceeds float32's range (about 3.4e38), or, for an
            approximate index, if a query is too far from the labelled rows
            for float32 squared distances (a norm over ``2**62`` times the
            power of two the labelled rows were scaled by).
        """
        exact = self.index == EXACT_INDEX
        search = self._search_exact if exact else self._search_faiss
        if not sparse.issparse(X):
            X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"X has shape {X.shape}; the labelled rows have "
                f"{self.n_features} features, so X needs shape (n_queries, "
                f"{self.n_features})."
            )
        D = np.empty((X.shape[0], self.n_classes), dtype=np.float32)

        def fill(start):
            stop = start + self.chunk_size
            # FAISS and BLAS both want C-contiguous float32; a sparse X is
            # densified here, one block at a time, and checked.
            q = float32_rows(dense_rows(X, slice(start, stop), dtype=None), start)
            D[start:stop] = search(q, start)

        starts = range(0, X.shape[0], self.chunk_size)
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
            self._scale = np.float32(power_of_two_scale(largest))
            Xc = (centred * float(self._scale)).astype(np.float32)
            self._sq_norms = np.einsum("ij,ij->i", Xc, Xc)
            self._weights = -2.0 * Xc
            norms = np.linalg.norm(Xc.astype(np.float64), axis=1)
        else:
            self._row_norms = np.linalg.norm(X64, axis=1)
            self._weights = -unit_rows(X)  # the product is minus the similarity
            norms = np.linalg.norm(self._weights.astype(np.float64), axis=1)
        self._class_norms = np.maximum.reduceat(norms, self._class_starts) * (1 + 1e-9)

    def _search_exact(self, q: np.ndarray, start: int) -> np.ndarray:
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
                g = unit_rows(q) @ self._weights.T
                gmin = np.minimum.reduceat(g, self._class_starts, axis=1)
                approx = 1.0 + gmin.astype(np.float64)  # one minus the similarity
                q_norms = np.ones(len(q))
                full = np.zeros(len(q), dtype=bool)
                D = np.clip(approx, 0.0, 2.0).astype(np.float32)
            spread = q_norms[:, None] + self._class_norms
            bound = self._coef * spread**2 + self._tiny * (1 + spread)
            self._refine(q, D, g, gmin, approx, bound, full)
        _check_range(D, start)
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
        pair_step = rows_per_block(8 * self._X.shape[1])
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
            step = rows_per_block(8 * width)
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
        step = rows_per_block(4 * g.shape[1])
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

    def _search_faiss(self, q: np.ndarray, start: int) -> np.ndarray:
        if self.metric == "cosine":
            q = unit_rows(q)
        else:
            check_scaled_norms(q, float(self._scale), range(start, start + len(q)))
            if self._scale != 1:
                q = q * self._scale
        d = np.empty((len(q), self.n_classes), dtype=np.float32)
        missing = np.zeros(d.shape, dtype=bool)
        for c, index in enumerate(self._faiss_indexes):
            found, ids = index.search(q, 1)
            d[:, c] = found[:, 0]
            missing[:, c] = ids[:, 0] < 0
        if self.metric == "l2":
            # FAISS reports squared L2 distances.
            np.maximum(d, 0.0, out=d)
            np.sqrt(d, out=d)
            if self._scale != 1:
                with np.errstate(over="ignore"):  # checked below
                    d /= self._scale
        else:
            d = np.clip(1.0 - d, 0.0, 2.0)
        _check_range(np.where(missing, 0.0, d), start)
        d[missing] = np.inf  # an IVF search that found no row of the class
        return d


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


def _check_range(D: np.ndarray, start: int) -> None:
    """Refuse distances float32 cannot hold: an inf would tie with any other."""
    if not np.isfinite(D).all():
        row = start + int(np.flatnonzero(~np.isfinite(D).all(axis=1))[0])
        raise ValueError(
            f"The distance from row {row} of X to a class's labelled rows "
            f"exceeds float32's range (about {np.finfo(np.float32).max:.3g}), "
            "in which distances are returned: scale X down."
        )


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController().select(user_api="blas")


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


def _per_class_faiss(X, y, n_classes, spec, metric):
    """One FAISS index per class over its labelled rows."""
    indexes = []
    for c in range(n_classes):
        rows = np.ascontiguousarray(X[y == c])
        indexes.append(
            build_index(
                spec,
                X.shape[1],
                metric,
                [rows],
                training_rows=lambda rows=rows: rows,
                described=lambda n, c=c: (
                    f"the {n} labelled samples of class {c} (classes_[{c}])"
                ),
            )
        )
    return indexes
