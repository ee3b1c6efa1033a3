"""Warnings that point at the user's line, however deep the package raised them.

A fixed ``stacklevel`` is right for one call path only: the same selector
warns from ``fit`` (the user's call) and from inside
``NS3LClassifier.fit``. :func:`warn_user` counts the frames up to the first
one outside this package and the libraries it calls through.
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["warn_user"]

# Frames of these packages are skipped: scikit-learn's _fit_context wraps
# fit, skorch calls callbacks, joblib runs GridSearchCV's fits.
_INTERNAL = ("sklearn_ns3l", "sklearn", "skorch", "joblib")


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` at the first frame outside the package."""
    # stacklevel 1 is this function; 2 its caller, the frame below.
    level, frame = 2, sys._getframe(1)
    while (
        frame is not None
        and frame.f_globals.get("__name__", "").split(".")[0] in _INTERNAL
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
