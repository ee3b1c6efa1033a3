"""The methods ``ns3l compare`` runs: NS3L, its supervised twin and the peers.

Every name of a method, and every rule about a peer (which builds a dense
kernel, which warning it gives on purpose), is defined here once;
``benchmarks/vs_sklearn.py`` reads them from here as well.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
)
from sklearn.svm import SVC
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_method_params, check_is_fitted

from .._classifier import NS3LClassifier
from .._unlabelled import unlabelled_mask

__all__ = [
    "DENSE_KERNEL_LIMIT",
    "NS3L_DEFAULT",
    "PEERS",
    "SUPERVISED_TWIN",
    "LabelledOnly",
    "Peer",
    "compare_methods",
    "ignore_deliberate_warnings",
]

#: Training rows above which the rbf graph methods are not run: they build a
#: dense (n, n) kernel, 512 MB of float64 at 8,000 rows, and several copies.
DENSE_KERNEL_LIMIT = 8_000

#: The names of the two NS3L rows of every comparison.
NS3L_DEFAULT = "NS3L default"
SUPERVISED_TWIN = "NS3L supervised twin"

# SelfTraining (SVC) takes SVC(probability=True), deprecated in scikit-learn
# 1.9, on purpose: CalibratedClassifierCV, its replacement, needs 5 labels of
# each class, which a few-label table does not have.
_DELIBERATE_WARNINGS = ((FutureWarning, "The `probability` parameter was deprecated"),)


def ignore_deliberate_warnings() -> None:
    """Ignore the warnings a peer gives because of how it is set up on purpose.

    Adds filters to :mod:`warnings`' current filters; call it inside
    ``warnings.catch_warnings()`` to limit it to a block. Today one warning:
    ``SVC(probability=True)``'s deprecation, which ``SelfTraining (SVC)``
    takes on purpose.
    """
    for category, message in _DELIBERATE_WARNINGS:
        warnings.filterwarnings("ignore", message, category)


class LabelledOnly(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A supervised classifier fitted on the labelled rows alone (``y != -1``).

    The unlabelled rows of ``X`` are dropped before ``estimator`` is fitted, so
    that a supervised model takes the same ``(X, y)`` as a semi-supervised one.

    Parameters
    ----------
    estimator : estimator object
        A classifier; cloned in ``fit``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone.
    classes_ : ndarray of shape (n_classes,)
        Its classes.
    n_labelled_ : int
        Labelled rows it was fitted on.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ns3l.compare import LabelledOnly
    >>> clf = LabelledOnly(LogisticRegression())
    >>> clf.fit([[0.0], [1.0], [0.2], [0.9]], [0, 1, -1, -1]).n_labelled_
    2
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit", "predict"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        """Fit ``estimator`` on the rows of ``X`` whose label is not -1.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, -1 for unlabelled rows.
        **fit_params : dict
            Passed on to ``estimator.fit``.

        Returns
        -------
        self : LabelledOnly

        Raises
        ------
        ValueError
            If every entry of ``y`` is -1, or ``X`` and ``y`` differ in length.
        """
        self._validate_params()
        # Checks the lengths, and makes any array-like X take row indices.
        X, y = indexable(X, y)
        labelled = np.flatnonzero(~unlabelled_mask(y))
        if len(labelled) == 0:
            raise ValueError("y contains no labelled samples: every entry is -1.")
        # Per-row fit parameters (sample_weight) follow the labelled rows.
        params = _check_method_params(X, fit_params, indices=labelled)
        self.estimator_ = clone(self.estimator).fit(
            _safe_indexing(X, labelled), np.asarray(y)[labelled], **params
        )
        self.classes_ = self.estimator_.classes_
        self.n_labelled_ = len(labelled)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def __sklearn_tags__(self):
        # Takes what its estimator takes (sparse X, NaN).
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.sparse = inner.sparse
        tags.input_tags.allow_nan = inner.allow_nan
        return tags

    def predict(self, X):
        """Predicted classes of ``X``."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of ``X``, if ``estimator`` has them."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)


@dataclass(frozen=True)
class Peer:
    """One of scikit-learn's methods that NS3L is compared with.

    Parameters
    ----------
    name : str
        Its row name, e.g. ``"LabelSpreading (knn)"``.
    short : str
        A short name for narrow table columns and plots, e.g. ``"LS knn"``.
    make : callable
        ``make(random_state=None)`` returns the unfitted estimator, at its
        defaults.
    dense_kernel : bool, default=False
        Whether it builds a dense ``(n, n)`` kernel over the training rows.
    """

    name: str
    short: str
    make: Callable
    dense_kernel: bool = False

    def skip_reason(self, n_train: int, limit: int = DENSE_KERNEL_LIMIT) -> str | None:
        """Why the peer is not run on ``n_train`` training rows, or None.

        The one rule: a peer with a dense kernel is not run above ``limit``
        training rows, whose kernel would not fit in memory.

        Parameters
        ----------
        n_train : int
            Training rows, labelled and unlabelled.
        limit : int, default=DENSE_KERNEL_LIMIT
            The most training rows a dense kernel is built over.

        Returns
        -------
        reason : str or None
        """
        if self.dense_kernel and n_train > limit:
            return (
                f"a dense kernel over {n_train:,} training rows (more than {limit:,})"
            )
        return None


def _self_training_svc(random_state=None, **params):
    return SelfTrainingClassifier(
        SVC(probability=True, random_state=random_state), **params
    )


def _fixed(make):
    # Peers without randomness: random_state is accepted and not used.
    return lambda random_state=None: make()


#: scikit-learn's peers, each at its defaults, by name, in table order. The
#: graph methods and self-training read the unlabelled rows; the last three
#: are fitted on the labelled rows alone.
PEERS: Mapping[str, Peer] = MappingProxyType(
    {
        peer.name: peer
        for peer in (
            Peer(
                "LabelSpreading (knn)",
                "LS knn",
                _fixed(lambda: LabelSpreading(kernel="knn")),
            ),
            Peer(
                "LabelSpreading (rbf)",
                "LS rbf",
                _fixed(lambda: LabelSpreading(kernel="rbf")),
                dense_kernel=True,
            ),
            Peer(
                "LabelPropagation (knn)",
                "LP knn",
                _fixed(lambda: LabelPropagation(kernel="knn")),
            ),
            Peer(
                "LabelPropagation (rbf)",
                "LP rbf",
                _fixed(lambda: LabelPropagation(kernel="rbf")),
                dense_kernel=True,
            ),
            Peer("SelfTraining (SVC)", "ST SVC", _self_training_svc),
            Peer("SVC (labelled only)", "SVC", _fixed(lambda: LabelledOnly(SVC()))),
            Peer(
                "LogisticRegression (labelled only)",
                "LR",
                _fixed(lambda: LabelledOnly(LogisticRegression())),
            ),
            Peer(
                "HistGradientBoosting (labelled only)",
                "HGB",
                lambda random_state=None: LabelledOnly(
                    HistGradientBoostingClassifier(random_state=random_state)
                ),
            ),
        )
    }
)


def compare_methods(
    random_state=0, max_epochs=None, batch_size=None, image_shape=None, device="cpu"
) -> dict:
    """The methods ``ns3l compare`` runs, by name, unfitted.

    ``NS3LClassifier()`` at its defaults (but for the given training length,
    batch size and device, and ``scale=None``: :func:`compare` prepares the
    features of every method alike), its supervised twin (``selector=None``,
    the same batches without the NS3L term), then :data:`PEERS`.

    Parameters
    ----------
    random_state : int, default=0
        Every method's ``random_state``.
    max_epochs, batch_size : int or None, default=None
        NS3L's; None: ``NS3LClassifier``'s own.
    image_shape : tuple of int or None, default=None
        The shape of one sample, when the rows are flattened images.
    device : str, default="cpu"
        NS3L's torch device.

    Returns
    -------
    methods : dict of str to estimator
        :data:`NS3L_DEFAULT`, :data:`SUPERVISED_TWIN`, then every peer.
    """
    ns3l = {"random_state": random_state, "device": device, "scale": None}
    if max_epochs is not None:
        ns3l["max_epochs"] = max_epochs
    if batch_size is not None:
        ns3l["batch_size"] = batch_size
    if image_shape is not None:
        ns3l["image_shape"] = tuple(image_shape)
    return {
        NS3L_DEFAULT: NS3LClassifier(**ns3l),
        SUPERVISED_TWIN: NS3LClassifier(selector=None, **ns3l),
        **{name: peer.make(random_state=random_state) for name, peer in PEERS.items()},
    }
