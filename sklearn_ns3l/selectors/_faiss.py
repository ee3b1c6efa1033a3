"""FAISS, and the one module that imports it.

Both searches build their approximate indexes here (:func:`build_index`, from
a FAISS index factory string), tune how hard they search
(:func:`tune_search`), draw the rows an index is trained on
(:func:`training_sample`) and serialise them for pickling. The exact
nearest-rows search also calls FAISS's brute force, :func:`knn`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import faiss
import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "EXACT_INDEX",
    "build_index",
    "deserialize",
    "knn",
    "probes",
    "serialize",
    "training_sample",
    "tune_search",
]

#: The ``index`` value that selects exact search.
EXACT_INDEX = "Flat"

# FAISS defaults (nprobe=1, efSearch=16) lose many true neighbours on
# image-like data; these trade a few times the search time for high recall.
_HNSW_EF_SEARCH = 64
_IVF_PROBE_FRACTION = 8
# A refined index ("...,RFlat") re-ranks k * k_factor candidates by exact
# distance; FAISS's k_factor=1 only re-orders the k it found.
_REFINE_K_FACTOR = 8
# Rows an approximate index is trained on, at most (a uniform sample); FAISS
# itself samples at most 256 rows per IVF list.
_TRAIN_ROWS = 100_000


def build_index(
    spec: str,
    dim: int,
    metric: str,
    blocks: Iterable[np.ndarray],
    *,
    training_rows: Callable[[], np.ndarray],
    described: Callable[[int], str],
    nprobe: int | None = None,
):
    """A FAISS index from a factory string, trained, filled and tuned.

    Parameters
    ----------
    spec : str
        FAISS index factory string, e.g. ``"HNSW32"`` or ``"IVF1024,PQ16"``.
    dim : int
        Features per row.
    metric : {"l2", "cosine"}
        ``"cosine"`` searches by inner product: the rows must be unit rows.
    blocks : iterable of ndarray of float32, shape (n_block, dim)
        The rows to add, C-contiguous; read after training.
    training_rows : callable
        Returns the rows to train on; called only if the index needs training.
    described : callable
        Names ``n`` training rows in the error message, e.g. ``"12 rows"``.
    nprobe : int or None, default=None
        Lists an IVF index visits per query; None: see :func:`tune_search`.

    Returns
    -------
    index : faiss.Index

    Raises
    ------
    ValueError
        If FAISS rejects ``spec``, or cannot train it on the rows given.
    """
    try:
        index = faiss.index_factory(dim, spec, _metric(metric))
    except RuntimeError as exc:
        raise ValueError(
            f"index={spec!r} is not a FAISS index factory string FAISS accepts "
            f"(e.g. 'Flat', 'HNSW32', 'IVF256,Flat', 'IVF1024,PQ16'): {_reason(exc)}"
        ) from None
    if not index.is_trained:
        train = training_rows()
        try:
            index.train(train)
        except RuntimeError as exc:
            raise ValueError(
                f"index={spec!r} cannot be trained on {described(len(train))}: "
                f"{_reason(exc)}"
            ) from None
        del train  # before the rows are added
    for block in blocks:
        index.add(block)
    tune_search(index, nprobe)
    return index


def tune_search(index, nprobe: int | None = None) -> None:
    """Set the search effort of ``index``: IVF lists probed, HNSW's ``efSearch``.

    IVF indexes probe ``nprobe`` lists (at most ``nlist``), or None: an eighth
    of their lists, at least 8; HNSW searches with ``efSearch`` at least 64;
    a refined index re-ranks at least 8 times the neighbours asked. FAISS
    does not serialise these, so a deserialised index is tuned again.
    """
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        default = max(8, ivf.nlist // _IVF_PROBE_FRACTION)
        ivf.nprobe = min(ivf.nlist, default if nprobe is None else nprobe)
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


def probes(index) -> int | None:
    """Lists an IVF index visits per query; None for other indexes."""
    ivf = faiss.try_extract_index_ivf(index)
    return None if ivf is None else int(ivf.nprobe)


def training_sample(n_rows: int, random_state) -> np.ndarray:
    """Sorted row numbers of a uniform sample of at most 100,000 of ``n_rows``."""
    rng = np.random.default_rng(_seed(random_state))
    return np.sort(rng.choice(n_rows, size=min(n_rows, _TRAIN_ROWS), replace=False))


def knn(queries: np.ndarray, rows: np.ndarray, k: int, metric: str) -> np.ndarray:
    """Row numbers of the ``k`` nearest ``rows`` of each query, by brute force."""
    return faiss.knn(queries, rows, k, metric=_metric(metric))[1]


def serialize(index) -> np.ndarray:
    """``index`` as bytes: FAISS indexes do not pickle."""
    return faiss.serialize_index(index)


def deserialize(data: np.ndarray, nprobe: int | None = None):
    """The index :func:`serialize` wrote, tuned again (FAISS does not keep it)."""
    index = faiss.deserialize_index(data)
    tune_search(index, nprobe)
    return index


def _metric(metric: str) -> int:
    # Cosine distances are searched as inner products of unit rows.
    return faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT


def _reason(exc: RuntimeError) -> str:
    """FAISS's own message, without the C++ signature and source location."""
    match = re.search(r"\.(?:cpp|h):\d+: (.*)", str(exc), flags=re.DOTALL)
    return (match.group(1) if match else str(exc)).strip()


def _seed(random_state) -> int:
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
