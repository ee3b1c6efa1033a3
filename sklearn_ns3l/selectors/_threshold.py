"""The paper's selector: classes whose current predicted probability is below T."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._base import _FLOATS, BaseProbabilitySelector
from ._calibration import calibrate, true_class_scores

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
    that share of such rows would have their true class marked negative,
    by default for each class on its own rows (``per_class``).
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
    per_class : bool or "auto", default="auto"
        Calibrate each class's threshold on the rows of that class (Mondrian
        split conformal, see Notes), at most the pool-wide one, so that the
        target holds for every class; a class with fewer than
        ``min_class_rows`` rows in :meth:`fit` is never marked negative,
        with a warning naming it. ``"auto"``: only where the classes of the
        rows in :meth:`fit` are imbalanced (a chi-square test rejects equal
        proportions, p < 0.05). False: one pool-wide threshold. Ignored without
        ``wrong_negative_rate``.
    min_class_rows : int, default=5
        Rows of a class :meth:`fit` needs, where ``per_class`` applies, to
        mark the class negative at all.

    Attributes
    ----------
    threshold_ : float
        The pool-wide threshold: ``T``, or the one calibrated on all the rows
        given to :meth:`fit`. Set by :meth:`fit`.
    thresholds_ : ndarray of shape (n_classes,)
        The threshold applied to each class (column): ``threshold_``, or with
        ``per_class`` the class's own, at most ``threshold_``.
    estimated_wrong_negative_rate_ : float
        Share of the rows given to :meth:`fit` whose true class is below its
        threshold; NaN for the fixed ``T``.
    class_wrong_rates_ : ndarray of shape (n_classes,)
        The same share among the rows of each class; NaN for the fixed ``T``
        or a class without rows.
    class_rate_bounds_ : ndarray of shape (n_classes,)
        With ``per_class``, the bound on that share for new rows of each
        class (``j / (m + 1)``, see Notes); NaN for a class never marked,
        the fixed ``T``, or without ``per_class``.
    class_calibration_rows_ : ndarray of int, shape (n_classes,)
        Rows of each class given to :meth:`fit`.
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
    rows as wrong. **Per class** (``per_class=True``), the same rule on the
    ``m_c`` rows of each class ``c``, with ``j = max(1, floor(a * (m_c +
    1)))``, gives ``t_c``, capped at the pool-wide threshold: a new row *of
    class c* exchangeable with them has ``c`` below ``t_c`` with probability
    at most ``j / (m_c + 1)`` (``a`` once ``m_c >= 1 / a - 1``), whatever the
    share of class ``c`` in the pool (Mondrian conformal prediction, Vovk,
    Gammerman and Shafer, 2005).

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
    true class, 0.2, is the threshold at a 5 % target), pool-wide:

    >>> held_out = np.tile([[0.7, 0.2, 0.1]], (19, 1))
    >>> held_out[0] = [0.2, 0.7, 0.1]
    >>> selector = ThresholdSelector(wrong_negative_rate=0.05, per_class=False)
    >>> selector.fit(held_out, np.zeros(19, dtype=int)).threshold_
    0.2
    >>> selector.transform(proba)
    array([[False,  True,  True],
           [False, False, False]])

    Per class, classes 1 and 2 have no held-out row to calibrate on: they
    are never marked negative (with a warning naming them).

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     per_class = ThresholdSelector(wrong_negative_rate=0.05).fit(
    ...         held_out, np.zeros(19, dtype=int))
    >>> per_class.thresholds_
    array([0.2, 0. , 0. ])
    """

    _parameter_constraints: dict = {
        **BaseProbabilitySelector._parameter_constraints,
        "T": [Interval(Real, 0, 1, closed="neither")],
        "wrong_negative_rate": [None, Interval(Real, 0, 1, closed="neither")],
        "per_class": ["boolean", StrOptions({"auto"})],
        "min_class_rows": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        T: float = 0.04,
        *,
        wrong_negative_rate: float | None = None,
        per_class: bool | str = "auto",
        min_class_rows: int = 5,
    ):
        self.T = T
        self.wrong_negative_rate = wrong_negative_rate
        self.per_class = per_class
        self.min_class_rows = min_class_rows

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
        n_classes = X.shape[1]
        self._calibrated_for = self._calibration_key()
        self.threshold_ = float(self.T)
        self.thresholds_ = np.full(n_classes, self.threshold_)
        self.estimated_wrong_negative_rate_ = float("nan")
        self.class_wrong_rates_ = np.full(n_classes, np.nan)
        self.class_rate_bounds_ = np.full(n_classes, np.nan)
        self.class_calibration_rows_ = np.zeros(n_classes, dtype=int)
        if self.wrong_negative_rate is None:
            return self
        if y is None:
            raise ValueError(
                f"wrong_negative_rate={self.wrong_negative_rate} calibrates the "
                "threshold on labelled rows: pass their true classes as y "
                "(column indices of X)."
            )
        scores = true_class_scores(X, y)
        chosen = calibrate(
            scores,
            X,
            np.asarray(y),
            rate=self.wrong_negative_rate,
            calibration="rows",
            T=self.T,
            n_folds=1,
            n_classes=n_classes,
            per_class=self.per_class,
            min_class_rows=self.min_class_rows,
            # Inside NS3LClassifier these are the validation rows only, not
            # every labelled row of the class.
            rows_name="held-out rows",
        )
        self.threshold_, self.thresholds_ = chosen.threshold, chosen.thresholds
        self.estimated_wrong_negative_rate_ = chosen.estimate
        self.class_wrong_rates_ = chosen.class_wrong_rates
        self.class_rate_bounds_ = chosen.class_bounds
        self.class_calibration_rows_ = chosen.class_rows
        return self

    def mask_from_proba(self, proba):
        """``proba < T``, or ``proba < thresholds_`` (per column) once calibrated.

        ``proba`` is an array or a tensor (the thresholds are cast to its
        dtype and device).

        Called on every unlabelled batch, so it does no validation.
        """
        if self.wrong_negative_rate is None:
            # T as it is now, whatever an earlier fit stored.
            return proba < self.T
        # A threshold fitted for another rate (or for the fixed T) is stale.
        if getattr(self, "_calibrated_for", None) != self._calibration_key():
            raise NotFittedError(
                f"ThresholdSelector(wrong_negative_rate={self.wrong_negative_rate},"
                f" per_class={self.per_class}, min_class_rows="
                f"{self.min_class_rows}) has no threshold calibrated for these "
                "settings: call fit(proba, y) with held-out rows first."
            )
        if isinstance(proba, torch.Tensor):
            return proba < torch.as_tensor(
                self.thresholds_, dtype=proba.dtype, device=proba.device
            )
        return proba < self.thresholds_

    def _calibration_key(self) -> tuple:
        """The parameters a calibrated threshold was fitted for."""
        return (self.wrong_negative_rate, self.per_class, self.min_class_rows)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A calibrated threshold exists only after fit.
        tags.requires_fit = self.wrong_negative_rate is not None
        return tags
