"""The two kinds of negative-label selector, and what they share.

- :class:`BaseStaticSelector`: fitted on the labelled rows' features, it
  transforms the unlabelled pool once, before training (uniform, the
  nearest-neighbour rules, the oracle).
- :class:`BaseProbabilitySelector`: a rule on the network's class
  probabilities, applied to every unlabelled batch during training (the
  paper's threshold).

Both answer the two questions the training asks, so that no caller needs to
know which kind it holds: :meth:`~BaseNegativeSelector.pool_negatives` (the
pool's mask, fixed for the whole training, or None) before training, and
:meth:`~BaseNegativeSelector.batch_negatives` on every unlabelled batch.

Both are full scikit-learn transformers: ``transform`` follows
``set_output`` (a pandas or polars frame of booleans, one ``not_<class>``
column per class, see ``get_feature_names_out``), while the two methods the
training calls always return arrays.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from .._unlabelled import labelled_classes

__all__ = [
    "BaseNegativeSelector",
    "BaseProbabilitySelector",
    "BaseStaticSelector",
    "flat_rows",
]

_FLOATS = [np.float32, np.float64]


def flat_rows(X, rows: np.ndarray):
    """Rows ``rows`` of ``X`` in memory, each flattened to a feature vector.

    A sparse ``X`` (2-D already) gives its rows as a sparse matrix of the same
    kind: selectors densify what they read a block at a time.
    """
    if sparse.issparse(X):
        return X[rows]
    return np.asarray(X[rows]).reshape(len(rows), -1)


class BaseNegativeSelector(TransformerMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the negative-label selectors.

    A selector gives a boolean negative mask of shape ``(n_samples,
    n_classes)``: ``mask[i, k]`` is True when class ``k`` is a negative label
    of sample ``i``, a class sample ``i`` almost surely is not. Subclass
    :class:`BaseStaticSelector` or :class:`BaseProbabilitySelector`, not this
    class.

    A selector says what it is through class attributes, which
    :class:`~sklearn_ns3l.NS3LClassifier` reads to plan a fit (as
    imbalanced-learn's samplers declare ``_sampling_type``): ``_negatives_from``
    (``"pool"``: the pool is marked once, before training; ``"batch"``: each
    batch from the network's probabilities), ``_reads_neighbourhoods`` (it
    measures distances between rows, so it can run on the network's
    features), ``_network_features_by_default`` (``selector_features="auto"``
    gives it the CNN's features), ``_needs_y_true`` (it reads the pool's true
    classes: the oracle), ``_row_attributes`` (fitted attributes that
    hold or grow with the training rows), and the properties
    ``_calibrates_in_fit`` and ``_calibrates_on_held_out_rows``.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _parameter_constraints: dict = {}

    _negatives_from: str = "pool"
    _reads_neighbourhoods: bool = False
    _network_features_by_default: bool = False
    _needs_y_true: bool = False
    _row_attributes: tuple[str, ...] = ()

    @property
    def _calibrates_in_fit(self) -> bool:
        """Whether ``fit`` calibrates the threshold on held-out labelled rows."""
        return False

    @property
    def _calibrates_on_held_out_rows(self) -> bool:
        """Whether the classifier must calibrate it on rows held out of training."""
        return False

    def _drop_training_rows(self) -> None:
        """Forget the fitted attributes that hold the training rows (in place).

        A fitted NS3LClassifier predicts from its network alone: its copy of
        the selector keeps the small fitted state (``classes_``,
        ``threshold_``, the estimates) but not the rows, so that a saved
        model neither grows with the pool nor carries the data.
        """
        for name in self._row_attributes:
            self.__dict__.pop(name, None)

    def _check_rows_kept(self) -> None:
        dropped = [name for name in self._row_attributes if not hasattr(self, name)]
        if dropped and hasattr(self, "classes_"):
            raise NotFittedError(
                f"This {type(self).__name__} is the one an NS3LClassifier "
                f"trained with, and keeps no training rows ({', '.join(dropped)} "
                "were dropped so that a saved model does not carry them). Fit a "
                "selector of your own on the rows to transform with it; the "
                "mask the network trained with is the classifier's "
                "pool_negatives_."
            )

    @abstractmethod
    def pool_negatives(self, X, labelled, y_labelled, pool, *, y_true=None):
        """Fit on the labelled rows of ``X``; return the pool's fixed mask, or None.

        The rows are given by index, so a selector reads only what it needs:
        a probability selector reads nothing (the pool of a memory-mapped
        ``X`` stays on disk).

        Parameters
        ----------
        X : ndarray of shape (n_samples, ...)
            Every row, labelled or not; images are flattened to feature
            vectors where read.
        labelled : ndarray of int, shape (n_labelled,)
            Rows of ``X`` with a label.
        y_labelled : ndarray of shape (n_labelled,)
            Their labels.
        pool : ndarray of int, shape (n_pool,)
            The unlabelled rows of ``X``.
        y_true : ndarray of shape (n_pool,) or None, default=None
            The pool's ground truth, for ablations; read only by selectors
            that need it (the oracle).

        Returns
        -------
        mask : ndarray of bool, shape (n_pool, n_classes), or None
            None when the negatives are chosen batch by batch instead.
        """

    @abstractmethod
    def batch_negatives(self, proba, pool_mask):
        """The negative mask of one unlabelled batch during training.

        Parameters
        ----------
        proba : torch.Tensor of shape (n_batch, n_classes)
            The network's current probabilities of the batch, detached.
        pool_mask : torch.Tensor of bool, shape (n_batch, n_classes), or None
            The batch's rows of :meth:`pool_negatives`' mask.

        Returns
        -------
        mask : torch.Tensor of bool, shape (n_batch, n_classes)
        """


class BaseStaticSelector(BaseNegativeSelector):
    """Selectors fitted on labelled features that transform the unlabelled pool.

    :meth:`fit` validates and sets ``classes_``, then calls ``_fit``;
    :meth:`transform` validates and calls ``_transform``. Inside
    :class:`~sklearn_ns3l.NS3LClassifier` the pool is transformed once per
    fit, on its rows flattened to feature vectors.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the selector on labelled samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Labelled samples; sparse input is converted to CSR.
        y : array-like of shape (n_samples,)
            Their class labels.

        Returns
        -------
        self : object
            The fitted selector.

        Raises
        ------
        ValueError
            If ``y`` holds fewer than two classes.
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=_FLOATS)
        self.classes_, y_encoded = labelled_classes(y, type(self).__name__)
        self._fit(X, y_encoded)
        return self

    def transform(self, X):
        """Negative mask of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to choose negative labels for; a sparse ``X`` is read a
            block of rows at a time, never densified whole.

        Returns
        -------
        mask : ndarray of bool, shape (n_samples, n_classes)
            Column ``k`` refers to ``classes_[k]``.
        """
        self._check_rows_kept()
        return self._transform(self._validate_transform_input(X))

    def get_feature_names_out(self, input_features=None):
        """Column names of the mask: ``not_<class>`` for each of ``classes_``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the features seen in :meth:`fit` (as
            scikit-learn does): the columns are classes, not input features.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_classes,)
        """
        check_is_fitted(self, "classes_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"not_{c}" for c in self.classes_], dtype=object)

    def pool_negatives(self, X, labelled, y_labelled, pool, *, y_true=None):
        # _transform, not transform: the training needs an array whatever
        # set_output asks of transform.
        self.fit(flat_rows(X, labelled), y_labelled)
        return self._transform(self._validate_transform_input(flat_rows(X, pool)))

    def batch_negatives(self, proba, pool_mask):
        return pool_mask

    def _validate_transform_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=_FLOATS)

    @abstractmethod
    def _fit(self, X, y):
        """Learn from labelled ``X`` and encoded labels ``y`` (0..n_classes-1)."""

    @abstractmethod
    def _transform(self, X):
        """Return the boolean mask of validated ``X``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # CSR, read a block of rows at a time (sklearn_ns3l._sparse).
        tags.input_tags.sparse = True
        # The output is a boolean mask, whatever the dtype of X.
        tags.transformer_tags.preserves_dtype = []
        return tags


class BaseProbabilitySelector(BaseNegativeSelector):
    """Rules that read the network's class probabilities, batch by batch.

    Subclasses implement :meth:`mask_from_proba`. :meth:`fit` and
    :meth:`transform` take probabilities, so the rule can be tried outside
    training, e.g. on ``NS3LClassifier.predict_proba`` of the pool.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _negatives_from = "batch"

    def fit(self, X, y=None):
        """Check ``X`` and record its number of classes; nothing else is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Class probabilities.
        y : ignored

        Returns
        -------
        self : object
        """
        self._validate_params()
        validate_data(self, X, dtype=_FLOATS)
        return self

    def transform(self, X):
        """Negative mask of class probabilities ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Class probabilities, compared as they are: scores that are not
            probabilities give a mask all the same.

        Returns
        -------
        mask : ndarray of bool, shape (n_samples, n_classes)
        """
        self._validate_params()
        return self.mask_from_proba(validate_data(self, X, reset=False, dtype=_FLOATS))

    def get_feature_names_out(self, input_features=None):
        """Column names of the mask: ``not_<name>`` for each input column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the probability columns (the classes). None: the names
            seen in :meth:`fit` (``feature_names_in_``), else ``x0``,
            ``x1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_classes,)
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        return np.asarray([f"not_{name}" for name in names], dtype=object)

    def pool_negatives(self, X, labelled, y_labelled, pool, *, y_true=None):
        return None

    def batch_negatives(self, proba, pool_mask):
        return self.mask_from_proba(proba)

    @abstractmethod
    def mask_from_proba(self, proba):
        """The mask of probabilities ``proba`` (numpy array or torch tensor).

        Called on every unlabelled batch, so it does no validation.
        """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = []
        return tags
