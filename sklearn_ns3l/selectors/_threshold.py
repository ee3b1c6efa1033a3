"""The paper's selector: classes whose current predicted probability is below T."""

from __future__ import annotations

from numbers import Real

from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from ._base import _FLOATS, BaseProbabilitySelector
from ._calibration import conformal_threshold, share_below, true_class_scores

__all__ = ["ThresholdSelector"]


class ThresholdSelector(BaseProbabilitySelector):
    """Negative labels are the classes the current model gives probability below T.

    For each unlabelled sample ``u``, ``N(u) = {k : p_k(u) < T}`` where ``p(u)``
    are the class probabilities of the network being trained. Inside
    :class:`~sklearn_ns3l.NS3LClassifier` the mask is recomputed on every
    unlabelled batch from the detached probabilities of the same forward pass.

    With ``wrong_negative_rate`` the threshold is not ``T`` but calibrated on
    labelled rows the network does not train on: :meth:`fit` takes their
    probabilities and true classes and sets ``threshold_`` so that at most
    that share of such rows would have their true class marked negative.
    Inside the classifier this needs ``validation_fraction``; the threshold
    is calibrated again at the start of every epoch, on the held-out rows'
    probabilities under the current network. The guarantee is for those
    probabilities (eval mode, no augmentation); the unlabelled batches are
    thresholded on the training forward pass (dropout, batch statistics,
    augmentation) of a network that moves during the epoch, so inside
    training the rate is a target, not a bound.

    Parameters
    ----------
    T : float, default=0.04
        Probability threshold in (0, 1). The paper's best value is about 0.04
        for 10 classes and ``T / 10`` for 100 classes. Ignored when
        ``wrong_negative_rate`` is set.
    wrong_negative_rate : float or None, default=None
        Target rate in (0, 1) of wrong negatives (a row's true class marked
        negative). None: the fixed ``T``, the paper's method.

    Attributes
    ----------
    threshold_ : float
        The threshold in use: ``T``, or the calibrated one. Set by :meth:`fit`.
    estimated_wrong_negative_rate_ : float
        Share of the rows given to :meth:`fit` whose true class is below
        ``threshold_``; NaN for the fixed ``T``.
    n_features_in_ : int
        Number of classes (columns) of the probabilities seen in :meth:`fit`.

    Raises
    ------
    ValueError
        From :meth:`fit`, if ``wrong_negative_rate`` is set and ``y`` is
        missing, of the wrong length, or not column indices of ``X``.
    sklearn.exceptions.NotFittedError
        From :meth:`transform`, if ``wrong_negative_rate`` is set and the
        threshold has not been calibrated.

    See Also
    --------
    sklearn_ns3l.NS3LClassifier : Uses this selector with ``selector="threshold"``.
    LabelSpreadingSelector : Calibrates its threshold the same way, on
        cross-fitted label spreading.

    Notes
    -----
    **Calibration** is split conformal: with the ``m`` scores ``s_i =
    X[i, y_i]`` sorted and ``a = wrong_negative_rate``, ``threshold_ = s_(j)``
    with ``j = floor(a * (m + 1))``; a new row exchangeable with the
    calibration rows has its true class below it with probability at most
    ``a``. Fewer than ``1 / a - 1`` rows give ``threshold_ = 0`` (no
    negatives), with a warning. A threshold above a row's largest probability
    marks all its classes, its true one included; the calibration counts such
    rows as wrong.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, section 4.3. V. Vovk, A. Gammerman and G. Shafer,
    "Algorithmic Learning in a Random World", Springer, 2005 (split conformal
    prediction). Issue #14, part 3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l.selectors import ThresholdSelector
    >>> proba = np.array([[0.90, 0.08, 0.02], [0.30, 0.35, 0.35]])
    >>> ThresholdSelector(T=0.05).fit_transform(proba)
    array([[False, False,  True],
           [False, False, False]])

    Calibrated on 19 held-out rows (so the smallest score of the
    true class, 0.2, is the threshold at a 5 % target):

    >>> held_out = np.tile([[0.7, 0.2, 0.1]], (19, 1))
    >>> held_out[0] = [0.2, 0.7, 0.1]
    >>> selector = ThresholdSelector(wrong_negative_rate=0.05)
    >>> selector.fit(held_out, np.zeros(19, dtype=int)).threshold_
    0.2
    >>> selector.transform(proba)
    array([[False,  True,  True],
           [False, False, False]])
    """

    _parameter_constraints: dict = {
        **BaseProbabilitySelector._parameter_constraints,
        "T": [Interval(Real, 0, 1, closed="neither")],
        "wrong_negative_rate": [None, Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, T: float = 0.04, *, wrong_negative_rate: float | None = None):
        self.T = T
        self.wrong_negative_rate = wrong_negative_rate

    @property
    def _calibrates_on_held_out_rows(self) -> bool:
        return self.wrong_negative_rate is not None

    def fit(self, X, y=None):
        """Set ``threshold_``: ``T``, or calibrated on rows with known classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Class probabilities of labelled rows the model did not train on.
        y : array-like of int, shape (n_samples,), or None, default=None
            Their true classes, as column indices of ``X`` (0 ..
            ``n_classes - 1``). Required with ``wrong_negative_rate``;
            ignored without it.

        Returns
        -------
        self : object
        """
        self._validate_params()
        X = validate_data(self, X, dtype=_FLOATS)
        self._calibrated_for = self.wrong_negative_rate
        self.threshold_ = float(self.T)
        self.estimated_wrong_negative_rate_ = float("nan")
        if self.wrong_negative_rate is None:
            return self
        if y is None:
            raise ValueError(
                f"wrong_negative_rate={self.wrong_negative_rate} calibrates the "
                "threshold on labelled rows: pass their true classes as y "
                "(column indices of X)."
            )
        scores = true_class_scores(X, y)
        self.threshold_ = conformal_threshold(scores, self.wrong_negative_rate)
        self.estimated_wrong_negative_rate_ = share_below(scores, self.threshold_)
        return self

    def mask_from_proba(self, proba):
        """``proba < T``, or ``proba < threshold_`` once calibrated (array or tensor).

        Called on every unlabelled batch, so it does no validation.
        """
        if self.wrong_negative_rate is None:
            # T as it is now, whatever an earlier fit stored.
            return proba < self.T
        # A threshold fitted for another rate (or for the fixed T) is stale.
        if getattr(self, "_calibrated_for", None) != self.wrong_negative_rate:
            raise NotFittedError(
                f"ThresholdSelector(wrong_negative_rate={self.wrong_negative_rate})"
                " has no threshold calibrated for that rate: call fit(proba, y) "
                "with held-out rows first."
            )
        return proba < self.threshold_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A calibrated threshold exists only after fit.
        tags.requires_fit = self.wrong_negative_rate is not None
        return tags
