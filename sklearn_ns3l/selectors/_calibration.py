"""Split-conformal thresholds: a wrong-negative rate turned into a threshold.

Both calibrated selectors score held-out labelled rows by the probability of
their true class (label spreading with the row's fold hidden, the threshold
rule with the network's held-out rows) and take the threshold below which at
most the target share of such scores fall.
"""

from __future__ import annotations

import math

import numpy as np

from .._warnings import warn_user

__all__ = ["conformal_threshold", "min_calibration_rows"]


def min_calibration_rows(rate: float) -> int:
    """Held-out rows :func:`conformal_threshold` needs for any negative at ``rate``.

    ``floor(rate * (m + 1)) >= 1`` exactly when ``m >= ceil(1 / rate) - 1``.
    """
    return math.ceil(1 / rate) - 1


def conformal_threshold(scores: np.ndarray, rate: float) -> float:
    """``s_(j)``, the ``j``-th smallest score, ``j = floor(rate * (m + 1))``.

    With ``m`` held-out scores, a new score exchangeable with them is below
    ``s_(j)`` with probability at most ``j / (m + 1) <= rate`` (split
    conformal prediction; Vovk, Gammerman and Shafer, 2005).

    Parameters
    ----------
    scores : ndarray of shape (m,)
        Each held-out row's probability of its true class.
    rate : float
        Target rate of wrong negatives, in (0, 1).

    Returns
    -------
    threshold : float
        0.0 (no class is marked negative), with a ``UserWarning``, when
        ``j = 0``: fewer than ``1 / rate - 1`` scores.
    """
    j = math.floor(rate * (len(scores) + 1))
    if j == 0:
        warn_user(
            f"wrong_negative_rate={rate} needs at least {min_calibration_rows(rate)} "
            f"labelled rows to calibrate on, got {len(scores)}; no class is "
            "marked negative."
        )
        return 0.0
    return float(np.partition(scores, j - 1)[j - 1])
