"""Which score ``ns3l compare`` ranks the methods by: accuracy or balanced accuracy.

The rule: the labelled classes are *imbalanced* when the largest has at least
:data:`IMBALANCE_RATIO` (1.5) times the labelled rows of the smallest; the
methods are then ranked by balanced accuracy (the mean of the per-class
recalls), and by accuracy otherwise. At 1.5 to 1 (60 % and 40 % of two
classes), always answering the larger class already scores 60 % accuracy but
50 % balanced accuracy: from there on, accuracy rewards a method for
neglecting the smaller class. The cut is a convention, stated wherever it is
used (``ns3l compare --help``, the printed table, the CSV's ``ranked_by``);
below it the two scores rank methods nearly alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from .._unlabelled import unlabelled_mask
from ._cv import MethodResult

__all__ = ["IMBALANCE_RATIO", "Ranking", "ranking_for"]

#: The largest labelled class over the smallest, in labelled rows, from which
#: the classes count as imbalanced and the methods are ranked by balanced
#: accuracy.
IMBALANCE_RATIO = 1.5

_NAN = float("nan")


@dataclass(frozen=True)
class Ranking:
    """The score the methods of one table are ranked by, and why.

    Parameters
    ----------
    imbalance : float
        Labelled rows of the largest class over those of the smallest
        (1.0 for equal classes).
    threshold : float, default=IMBALANCE_RATIO
        ``imbalance`` at or above which the classes count as imbalanced.

    Examples
    --------
    >>> from sklearn_ns3l.compare import ranking_for
    >>> ranking_for([0, 0, 0, 1, 1, -1]).metric
    'balanced_accuracy'
    >>> ranking_for([0, 0, 0, 0, 1, 1, 1, -1]).metric
    'accuracy'
    """

    imbalance: float
    threshold: float = IMBALANCE_RATIO

    @property
    def imbalanced(self) -> bool:
        """Whether the largest class has ``threshold`` times the smallest's rows."""
        return self.imbalance >= self.threshold

    @property
    def metric(self) -> str:
        """``"balanced_accuracy"`` when :attr:`imbalanced`, else ``"accuracy"``."""
        return "balanced_accuracy" if self.imbalanced else "accuracy"

    @property
    def label(self) -> str:
        """The metric in words: ``"balanced accuracy"`` or ``"accuracy"``."""
        return self.metric.replace("_", " ")

    def score(self, result: MethodResult) -> float:
        """``result``'s mean of the ranking metric, in percent (NaN: not run)."""
        return result.balanced_mean if self.imbalanced else result.mean

    def delta(self, result: MethodResult) -> tuple[float, float]:
        """``result``'s paired difference to the twin in the ranking metric."""
        if self.imbalanced:
            return result.balanced_delta, result.balanced_delta_sd
        return result.delta, result.delta_sd

    def ranks(self, results: list[MethodResult]) -> list[int | None]:
        """Each result's rank by :meth:`score`, 1 the best; None: it did not run.

        Scores equal at four decimals (the CSV's precision) share a rank, and
        the next rank is skipped (1, 1, 3).
        """
        scores = [round(self.score(r), 4) for r in results]
        ran = [s for s in scores if not np.isnan(s)]
        return [
            None if np.isnan(s) else 1 + sum(other > s for other in ran) for s in scores
        ]

    def describe(self) -> str:
        """One sentence for the table's legend: the metric, the imbalance, the rule."""
        rule = (
            f"classes count as imbalanced when the largest has at least "
            f"{self.threshold:g} times the labelled rows of the smallest"
        )
        if self.imbalanced:
            return (
                f"Ranked by balanced accuracy (the mean of the per-class "
                f"recalls): the largest labelled class has {self.imbalance:.2f} "
                f"times the rows of the smallest ({rule})."
            )
        return (
            f"Ranked by accuracy: the largest labelled class has "
            f"{self.imbalance:.2f} times the rows of the smallest ({rule}, "
            "and are then ranked by balanced accuracy)."
        )


@validate_params(
    {"y": ["array-like"], "threshold": [Interval(Real, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def ranking_for(y, threshold: float = IMBALANCE_RATIO) -> Ranking:
    """How to rank methods on ``y``: balanced accuracy if its classes are imbalanced.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels, -1 for unlabelled rows (which are not counted), as
        ``NS3LClassifier.fit`` reads them.
    threshold : float, default=IMBALANCE_RATIO
        The largest labelled class over the smallest, in rows, from which
        they count as imbalanced.

    Returns
    -------
    ranking : Ranking

    Raises
    ------
    ValueError
        If ``y`` has no labelled row or a missing label (NaN, None), or
        ``threshold`` is below 1 (an ``InvalidParameterError``).
    """
    y = np.asarray(y)
    labelled = y[~unlabelled_mask(y)]
    if len(labelled) == 0:
        raise ValueError("y contains no labelled samples: every entry is -1.")
    _, counts = np.unique(labelled, return_counts=True)
    return Ranking(float(counts.max() / counts.min()), float(threshold))
