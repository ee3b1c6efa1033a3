"""The paper's selector: classes whose current predicted probability is below T."""

from numbers import Real

from sklearn.utils._param_validation import Interval

from ._base import BaseProbabilitySelector

__all__ = ["ThresholdSelector"]


class ThresholdSelector(BaseProbabilitySelector):
    """Negative labels are the classes the current model gives probability below T.

    For each unlabelled sample ``u``, ``N(u) = {k : p_k(u) < T}`` where ``p(u)``
    are the class probabilities of the network being trained. Inside
    :class:`~sklearn_ns3l.NS3LClassifier` the mask is recomputed on every
    unlabelled batch from the detached probabilities of the same forward pass.

    Parameters
    ----------
    T : float, default=0.04
        Probability threshold in (0, 1). The paper's best value is about 0.04
        for 10 classes and ``T / 10`` for 100 classes.

    See Also
    --------
    sklearn_ns3l.NS3LClassifier : Uses this selector by default.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, section 4.3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l.selectors import ThresholdSelector
    >>> proba = np.array([[0.90, 0.08, 0.02], [0.30, 0.35, 0.35]])
    >>> ThresholdSelector(T=0.05).fit_transform(proba)
    array([[False, False,  True],
           [False, False, False]])
    """

    _parameter_constraints: dict = {
        **BaseProbabilitySelector._parameter_constraints,
        "T": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, T: float = 0.04):
        self.T = T

    def mask_from_proba(self, proba):
        """``proba < T`` for a numpy array or a torch tensor, without validation."""
        return proba < self.T
