"""The contract every negative-label selector follows."""

from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["BaseNegativeSelector"]


class BaseNegativeSelector(
    TransformerMixin, BaseEstimator, metaclass=ABCMeta, auto_wrap_output_keys=None
):
    """Base class of the negative-label selectors.

    A selector turns samples into a boolean negative mask of shape
    ``(n_samples, n_classes)``: ``mask[i, k]`` is True when class ``classes_[k]``
    is a negative label of sample ``i``, a class sample ``i`` almost surely is
    not.

    Static selectors are fitted on the labelled samples and transform the
    unlabelled pool once per fit of :class:`~sklearn_ns3l.NS3LClassifier`:
    :meth:`fit` validates and sets ``classes_``, then calls ``_fit``;
    :meth:`transform` validates and calls ``_transform``.

    Dynamic selectors (``dynamic = True``) read the current network's class
    probabilities instead and are asked again on every unlabelled batch through
    :meth:`mask_from_proba`.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    #: The mask depends on the network being trained and is recomputed per batch.
    dynamic: bool = False
    #: ``transform`` needs the ground truth of the samples (the oracle only).
    needs_true_labels: bool = False

    _parameter_constraints: dict = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the selector on labelled samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labelled samples.
        y : array-like of shape (n_samples,)
            Their class labels.

        Returns
        -------
        self : object
            The fitted selector.
        """
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            # One class leaves no class a sample could surely not be.
            raise ValueError(
                f"{type(self).__name__} needs labelled samples of at least two "
                f"classes; got 1 class ({self.classes_[0]!r})."
            )
        self._fit(X, y_encoded)
        return self

    def transform(self, X):
        """Negative mask of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to choose negative labels for.

        Returns
        -------
        mask : ndarray of bool, shape (n_samples, n_classes)
            Column ``k`` refers to ``classes_[k]``.
        """
        return self._transform(self._validate_transform_input(X))

    def _validate_transform_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=[np.float32, np.float64])

    @abstractmethod
    def _fit(self, X, y):
        """Learn from labelled ``X`` and encoded labels ``y`` (0..n_classes-1)."""

    @abstractmethod
    def _transform(self, X):
        """Return the boolean mask of validated ``X``."""

    def mask_from_proba(self, proba):
        """Negative mask from class probabilities (dynamic selectors only)."""
        raise NotImplementedError(
            f"{type(self).__name__} is a static selector: it chooses negative "
            "labels from the samples, not from the network's probabilities."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = not self.dynamic
        # The output is a boolean mask, whatever the dtype of X.
        tags.transformer_tags.preserves_dtype = []
        return tags
