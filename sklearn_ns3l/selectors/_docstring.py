"""Docstring text shared by the selectors, written once."""

__all__ = ["shared_docstring"]

_SHARED = {
    "{k}": """k : int, default=1
        Negative labels per sample, below the number of classes.""",
    "{random_state}": """random_state : int, RandomState instance or None, default=None
        Seeds the draws. A sample's draw depends only on the seed and its own
        values, so with an integer every call of ``transform`` returns the
        same mask for the same sample, whatever else is in ``X``.""",
    "{fitted_attributes}": """classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``; column ``j`` of the mask is
        ``classes_[j]``.
    n_features_in_ : int
        Number of features seen in ``fit``.""",
}


def shared_docstring(cls):
    """Fill the ``{k}``, ``{random_state}`` and ``{fitted_attributes}`` slots.

    Plain replacement rather than ``str.format``, so that braces elsewhere in
    a docstring (dicts in the examples) need no escaping.
    """
    for slot, text in _SHARED.items():
        cls.__doc__ = cls.__doc__.replace(slot, text)
    return cls
