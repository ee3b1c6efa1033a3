"""Checks of what a fitted classifier is asked to predict, and of its answer."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

__all__ = ["check_finite_proba", "check_sample_shape"]


def check_sample_shape(
    X, input_shape: tuple[int, ...], owner: str, *, validated: bool
) -> None:
    """Refuse samples of another shape than ``fit`` saw, saying how to mend them.

    Called twice: before scikit-learn's own check (``validated=False``), for
    the mistakes whose fix is a reshape, since that check would count an
    image model's features along the second axis ("expecting 8 features"
    for 8x8 images given as flat rows of 64); after it, for any other shape.

    Raises
    ------
    ValueError
        For one sample without the batch axis, flattened images given to an
        image model, or any other sample shape; the message names both shapes.
    """
    # Read the shape without converting X: an array-like that refuses numpy
    # functions (scikit-learn's checks pass one) is left to validate_data.
    shape = np.shape(X) if isinstance(X, (list, tuple)) else getattr(X, "shape", None)
    if shape is None or len(shape) == 0:
        return  # scikit-learn's own message is clear enough
    sample = tuple(shape[1:])
    if sample == input_shape:
        return
    if len(input_shape) >= 2 and tuple(shape) == input_shape:
        raise ValueError(
            f"X has shape {tuple(shape)}, the shape of ONE sample of {owner}, "
            "which takes a batch of them: add the batch axis, "
            f"X.reshape(1, *{input_shape}) or X[np.newaxis]."
        )
    if len(input_shape) >= 2 and len(shape) == 2 and shape[1] == math.prod(input_shape):
        raise ValueError(
            f"X holds flat rows of {shape[1]} values, but {owner} was fitted "
            f"on samples of shape {input_shape}: reshape them, "
            f"X.reshape(-1, *{input_shape})."
        )
    # scikit-learn's own check names feature counts, which is right for
    # feature vectors only.
    if validated or len(input_shape) >= 2 or len(shape) > 2:
        raise ValueError(
            f"X has samples of shape {sample}, but {owner} was fitted on "
            f"samples of shape {input_shape}."
        )


def check_finite_proba(proba: np.ndarray, X) -> None:
    """Refuse to answer where the network's output is not finite.

    A finite input far outside the training range (near the top of float32)
    overflows inside the network, and the argmax of a NaN row would silently
    be the first class.

    Raises
    ------
    ValueError
        Naming the rows and their largest absolute value.
    """
    bad = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if not len(bad):
        return
    values = X[bad[:1000]]
    values = values.toarray() if sparse.issparse(values) else np.asarray(values)
    largest = float(np.max(np.abs(values))) if values.size else float("nan")
    raise ValueError(
        f"The network's output overflows (inf or NaN) on {len(bad)} of "
        f"{len(proba)} rows of X (first: row {bad[0]}), whose values reach "
        f"|x| = {largest:.3g}, too large for its float32 arithmetic. Scale X "
        "as the training data were scaled."
    )
