"""Drawing k negative classes per sample: the base of the random selectors."""

from hashlib import blake2b
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._sparse import dense_blocks
from ._base import BaseStaticSelector

__all__ = ["BaseRandomSelector", "check_k", "draw_negatives", "mask_of"]


class BaseRandomSelector(BaseStaticSelector):
    """Static selectors that draw ``k`` negative classes per sample.

    A subclass says which classes each sample may draw from (all of them,
    all but its true class, all but its nearest labelled classes) and calls
    :meth:`_draw`; ``k`` is checked against the classes in :meth:`fit`. A
    sample's draw depends only on ``random_state`` and its own values (see
    :func:`draw_negatives`).

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _parameter_constraints: dict = {
        **BaseStaticSelector._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def _fit(self, X, y):
        check_k(self, len(self.classes_))

    def _draw(self, allowed: np.ndarray, X: np.ndarray) -> np.ndarray:
        """``k`` classes per row of ``X``, among those ``allowed`` for it."""
        return draw_negatives(allowed, self.k, self.random_state, X)

    def _all_classes(self, X: np.ndarray) -> np.ndarray:
        return np.ones((X.shape[0], len(self.classes_)), dtype=bool)


def check_k(selector, n_classes: int) -> None:
    """Refuse ``k`` that would mark every class of a sample as negative.

    Parameters
    ----------
    selector : BaseNegativeSelector
        A selector with a parameter ``k``; named in the message.
    n_classes : int
        Number of classes seen in ``fit``.

    Raises
    ------
    ValueError
        If ``k >= n_classes``.
    """
    if selector.k >= n_classes:
        raise ValueError(
            f"{type(selector).__name__}(k={selector.k}) needs more than k classes, "
            f"but y has {n_classes} classes: with "
            "k >= n_classes the true class of every sample would be a negative."
        )


def draw_negatives(allowed: np.ndarray, k: int, random_state, X: np.ndarray):
    """Pick ``k`` classes per row uniformly, without replacement, among the allowed.

    The draw of a row depends only on ``random_state`` and the row's values,
    not on its position or on the other rows: transforming a subset or a
    permutation of ``X`` gives the same masks for the same rows, and
    identical rows get identical draws.

    Parameters
    ----------
    allowed : ndarray of bool, shape (n_samples, n_classes)
        Candidate classes of each row; every row needs at least ``k``.
    k : int
        Classes to pick per row.
    random_state : int, RandomState instance or None
    X : ndarray of shape (n_samples, ...) or sparse matrix
        The samples the rows belong to; their values key the draws (a
        sparse row keys the same draws as its dense twin).

    Returns
    -------
    mask : ndarray of bool, shape (n_samples, n_classes)
        Exactly ``k`` True entries per row, all within ``allowed``.

    Examples
    --------
    >>> import numpy as np
    >>> allowed = np.array([[True, False, True], [False, True, True]])
    >>> draw_negatives(allowed, 2, 0, np.eye(2)).astype(int)
    array([[1, 0, 1],
           [0, 1, 1]])
    """
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    # The k smallest of i.i.d. uniform keys form a uniformly random k-subset;
    # a key of 2 keeps a disallowed class out as long as a row has k allowed.
    keys = _uniform_keys(X, seed, allowed.shape[1])
    keys[~allowed] = 2.0
    chosen = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return mask_of(chosen, allowed.shape)


def _splitmix64(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _uniform_keys(X: np.ndarray, seed: int, n_classes: int) -> np.ndarray:
    """Pseudo-random numbers in [0, 1) keyed by (seed, row values, class)."""
    key = seed.to_bytes(8, "little")
    # A sparse X is hashed by its dense rows, a block at a time: the same
    # values draw the same classes in either form.
    row_hash = np.fromiter(
        (
            int.from_bytes(blake2b(row.tobytes(), digest_size=8, key=key).digest())
            for block in dense_blocks(X)
            for row in block.reshape(len(block), -1)
        ),
        dtype=np.uint64,
        count=X.shape[0],
    )
    with np.errstate(over="ignore"):
        golden = np.uint64(0x9E3779B97F4A7C15)
        classes = np.arange(1, n_classes + 1, dtype=np.uint64) * golden
        bits = _splitmix64(row_hash[:, None] ^ classes[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def mask_of(columns: np.ndarray, shape: tuple) -> np.ndarray:
    """Boolean mask of ``shape`` that is True at ``columns[i]`` of each row ``i``."""
    mask = np.zeros(shape, dtype=bool)
    np.put_along_axis(mask, columns, True, axis=1)
    return mask
