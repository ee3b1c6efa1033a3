"""Rows as both searches compute with them: float32, scaled, unit.

Both searches (:mod:`._per_class_search`, :mod:`._knn_graph`) and FAISS work
in float32, whose squares overflow beyond about 1.8e19 and underflow below
1e-23.
"""

from __future__ import annotations

import numpy as np

__all__ = ["UNSCALED_NORM", "power_of_two_scale", "unit_rows"]

#: Norms within ``2**+-50`` need no scaling: float32 holds their squares and
#: products with room to spare.
UNSCALED_NORM = 2.0**50


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


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to norm 1 (all-zero rows kept), as float32.

    Normalised in float64: float32 squares overflow beyond about 1.8e19 and
    underflow below 1e-23, which would zero such rows.
    """
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (X / norms).astype(np.float32)
