"""Per-class nearest labelled distances ``d_c(u)``: the one place FAISS is used.

The exact search (``index="Flat"``) is one matrix product per block of queries
against all labelled rows sorted by class, followed by a per-class minimum
(``np.minimum.reduceat``). It ran faster than one FAISS ``IndexFlatL2`` per
class in ``benchmarks/nn_selection.py`` (figures in ``docs/selectors.md``), so
FAISS is only used for the approximate indexes, one per class, built from a
FAISS index factory string.
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor

import faiss
import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["EXACT_INDEX", "PerClassNearestIndex", "per_class_nearest_distances"]

#: The ``index`` value that selects exact search.
EXACT_INDEX = "Flat"

# Queries are processed in blocks whose largest temporary (distances to all
# labelled rows, or the float32 copy of the queries) stays near this size, so
# memory is bounded whatever the size of the unlabelled pool; small enough
# for the cache, large enough for an efficient matrix product.
_BLOCK_BYTES = 8 * 2**20

# FAISS defaults (nprobe=1, efSearch=16) lose many true neighbours on
# image-like data; these trade a few times the search time for high recall.
_HNSW_EF_SEARCH = 64
_IVF_PROBE_FRACTION = 8


class PerClassNearestIndex:
    """Distance from each query to the nearest labelled sample of each class.

    Parameters
    ----------
    X : array-like of shape (n_labelled, n_features)
        Labelled samples.
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
    Exact L2 distances come from ``|q|^2 + |x|^2 - 2 q.x`` in float32 after
    centring on the labelled mean. The squared distance is off by a few
    float32 epsilons of ``|q - mean|^2``, so identical points may come out a
    small positive distance apart. Approximate search may miss a class's
    nearest sample (a larger distance) or, for IVF, find none at all
    (``inf``).
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
        X = np.asarray(X, dtype=np.float32)
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
        if metric == "cosine":
            X = _unit_rows(X)
        if index == EXACT_INDEX:
            self._build_exact(X, y)
        else:
            self._faiss_indexes = _build_faiss(X, y, n_classes, index, metric)

    def distances(self, X) -> np.ndarray:
        """Per-class nearest distances of the queries.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Queries; read a block of ``chunk_size`` rows at a time.

        Returns
        -------
        D : ndarray of float32, shape (n_queries, n_classes)
            ``D[i, c]`` is the distance from ``X[i]`` to the nearest labelled
            sample of class ``c``.
        """
        exact = self.index == EXACT_INDEX
        search = self._search_exact if exact else self._search_faiss
        D = np.empty((len(X), self.n_classes), dtype=np.float32)

        def fill(start):
            stop = start + self.chunk_size
            # FAISS and BLAS both want C-contiguous float32.
            D[start:stop] = search(np.ascontiguousarray(X[start:stop], np.float32))

        starts = range(0, len(X), self.chunk_size)
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
        X = X[order]
        self._class_starts = np.searchsorted(y[order], np.arange(self.n_classes))
        if self.metric == "l2":
            # Centring shrinks the norms, hence the float32 cancellation error
            # of |q|^2 + |x|^2 - 2 q.x, e.g. for non-negative pixel data.
            self._shift = X.mean(axis=0, dtype=np.float64).astype(np.float32)
            X -= self._shift
            self._sq_norms = np.einsum("ij,ij->i", X, X)
            self._weights = -2.0 * X
        else:
            self._weights = X

    def _search_exact(self, q: np.ndarray) -> np.ndarray:
        if self.metric == "l2":
            q = q - self._shift
            g = q @ self._weights.T
            g += self._sq_norms
            d = np.minimum.reduceat(g, self._class_starts, axis=1)
            d += np.einsum("ij,ij->i", q, q)[:, None]
            np.maximum(d, 0.0, out=d)
            return np.sqrt(d, out=d)
        similarity = np.maximum.reduceat(
            _unit_rows(q) @ self._weights.T, self._class_starts, axis=1
        )
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
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return X / norms


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
    hnsw = getattr(faiss.downcast_index(index), "hnsw", None)
    if hnsw is not None:
        hnsw.efSearch = max(hnsw.efSearch, _HNSW_EF_SEARCH)


def _reason(exc: RuntimeError) -> str:
    """FAISS's own message, without the C++ signature and source location."""
    match = re.search(r"\.(?:cpp|h):\d+: (.*)", str(exc), flags=re.DOTALL)
    return (match.group(1) if match else str(exc)).strip()
