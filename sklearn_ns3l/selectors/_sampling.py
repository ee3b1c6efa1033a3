"""Drawing k negative classes per sample, shared by the random selectors."""

import numpy as np

__all__ = ["check_k", "draw_negatives", "mask_of"]


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


def draw_negatives(allowed: np.ndarray, k: int, rng: np.random.RandomState):
    """Pick ``k`` classes per row uniformly, without replacement, among the allowed.

    Parameters
    ----------
    allowed : ndarray of bool, shape (n_samples, n_classes)
        Candidate classes of each row; every row needs at least ``k``.
    k : int
        Classes to pick per row.
    rng : numpy.random.RandomState

    Returns
    -------
    mask : ndarray of bool, shape (n_samples, n_classes)
        Exactly ``k`` True entries per row, all within ``allowed``.

    Examples
    --------
    >>> import numpy as np
    >>> allowed = np.array([[True, False, True], [False, True, True]])
    >>> draw_negatives(allowed, 2, np.random.RandomState(0)).astype(int)
    array([[1, 0, 1],
           [0, 1, 1]])
    """
    # The k smallest of i.i.d. uniform keys form a uniformly random k-subset;
    # a key of 2 keeps a disallowed class out as long as a row has k allowed.
    keys = rng.random_sample(allowed.shape)
    keys[~allowed] = 2.0
    chosen = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return mask_of(chosen, allowed.shape)


def mask_of(columns: np.ndarray, shape: tuple) -> np.ndarray:
    """Boolean mask of ``shape`` that is True at ``columns[i]`` of each row ``i``."""
    mask = np.zeros(shape, dtype=bool)
    np.put_along_axis(mask, columns, True, axis=1)
    return mask
