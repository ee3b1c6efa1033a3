"""Memory-mapped inputs, read through without becoming resident.

A ``numpy.memmap`` (or an array viewing one) is read where it lies, a chunk or
a batch at a time. Every page of a file mapping that the process touches counts
in its resident set size until it is unmapped, so one pass over a large file
(scikit-learn's finiteness check, or enough random batches) would make the
whole file resident. After each read the mapping's pages are dropped from the
process with ``madvise(MADV_DONTNEED)``: the data stays in the file and the
kernel's page cache, and the next read maps it again. Only shared mappings
(memmap modes ``r``, ``r+`` and ``w+``) are released this way; a copy-on-write
mapping (mode ``c``) may hold changes that exist nowhere else, so its pages are
left alone.
"""

from __future__ import annotations

import math
import mmap

import numpy as np
from sklearn.utils.validation import _assert_all_finite, validate_data

__all__ = ["FileMapping", "assert_all_finite_chunked", "validate_data_chunked"]

_SHARED_MODES = ("r", "r+", "w+")
_MADV_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
#: Bytes read per chunk by the finiteness check.
CHUNK_BYTES = 32 * 2**20


class FileMapping:
    """The file mapping an array's data lives in.

    Parameters
    ----------
    mm : mmap.mmap
        The mapping.
    shared : bool
        Whether it is a shared mapping, whose pages can be dropped safely.
    """

    def __init__(self, mm: mmap.mmap, shared: bool):
        self.mm = mm
        self.shared = shared

    @classmethod
    def of(cls, X) -> FileMapping | None:
        """The mapping under ``X`` (a memmap or a view of one), else None."""
        obj = X
        while isinstance(obj, np.ndarray):
            if isinstance(obj.base, mmap.mmap):
                return cls(obj.base, getattr(obj, "mode", None) in _SHARED_MODES)
            obj = obj.base
        return None

    def release(self) -> None:
        """Drop the mapping's pages from this process; the data stays on file."""
        if not self.shared or _MADV_DONTNEED is None:
            return
        try:
            self.mm.madvise(_MADV_DONTNEED)
        except (OSError, ValueError):  # a closed mapping, or a refusing kernel
            pass


def assert_all_finite_chunked(X: np.ndarray, *, estimator_name=None, input_name="X"):
    """scikit-learn's finiteness check of ``X``, a chunk of rows at a time.

    Raises the same ``ValueError`` ("Input X contains NaN." ...) as
    ``check_array``. A memory map's pages are dropped after each chunk.
    """
    mapping = FileMapping.of(X)
    row_bytes = max(X.dtype.itemsize * math.prod(X.shape[1:]), 1)
    step = max(CHUNK_BYTES // row_bytes, 1)
    try:
        for start in range(0, len(X), step):
            _assert_all_finite(
                X[start : start + step],
                allow_nan=False,
                estimator_name=estimator_name,
                input_name=input_name,
            )
            if mapping is not None:
                mapping.release()
    finally:
        if mapping is not None:
            mapping.release()


def validate_data_chunked(estimator, X="no_validation", y="no_validation", **params):
    """``sklearn.utils.validation.validate_data``, reading a memory-mapped X in chunks.

    A memory-mapped ``X`` of the requested dtype comes back as a view of the
    file, not a copy; its check for NaN and infinity reads it chunk by chunk
    instead of in one pass that would leave the whole file resident. Other
    inputs are validated exactly as ``validate_data`` does.
    """
    mapping = FileMapping.of(X)
    if mapping is None:
        return validate_data(estimator, X, y, **params)
    out = validate_data(estimator, X, y, ensure_all_finite=False, **params)
    # A memory map of another dtype has just been read whole into a converted
    # copy; its pages need not stay.
    mapping.release()
    no_y = isinstance(y, str) and y == "no_validation"
    assert_all_finite_chunked(
        out if no_y else out[0], estimator_name=type(estimator).__name__
    )
    return out
