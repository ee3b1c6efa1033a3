"""The paper's nearest-neighbour selectors: rank rules over per-class distances."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._docstring import shared_docstring
from ._faiss import EXACT_INDEX
from ._per_class_search import PerClassNearestIndex
from ._sampling import BaseRandomSelector, mask_of

__all__ = ["RULES", "NearestNeighbourSelector"]

#: The paper's three rules (appendix, Table 6, "NN" rows); each is also a
#: ``NS3LClassifier(selector=...)`` name.
RULES = ("nn_exclude_class", "nn_exclude_nearest", "nn_furthest")
#: The rules' former spellings, accepted with a FutureWarning.
_RENAMED = {
    "exclude_nearest_class": "nn_exclude_class",
    "exclude_nearest_classes": "nn_exclude_nearest",
    "furthest_class": "nn_furthest",
}


@shared_docstring
class NearestNeighbourSelector(BaseRandomSelector):
    """Negative labels chosen away from the nearest labelled samples.

    Let ``d_c(u)`` be the distance from sample ``u`` to the nearest labelled
    sample of class ``c``. Every rule ranks the classes of ``u`` by ``d_c(u)``:

    - ``"nn_exclude_class"``: drop the class of the nearest labelled
      sample (the smallest ``d_c``) and draw ``k`` of the other classes
      uniformly.
    - ``"nn_exclude_nearest"``: drop the ``m`` classes with the smallest
      ``d_c`` and draw ``k`` of the others uniformly (the paper uses
      ``m=4``).
    - ``"nn_furthest"``: the ``k`` classes with the largest ``d_c``; no
      randomness. ``k=1`` is the paper's rule, the best of the three in its
      Fashion-MNIST runs.

    The distances are computed once per :meth:`transform`, exactly by default
    or with a FAISS approximate index, in blocks so that memory stays bounded
    for large unlabelled pools.

    Parameters
    ----------
    rule : {"nn_exclude_class", "nn_exclude_nearest", \
            "nn_furthest"}, default="nn_exclude_class"
        How classes are chosen from the distances, see above.
    {k}
    m : int, default=4
        Nearest classes dropped by ``"nn_exclude_nearest"``; ``m + k``
        may not exceed the number of classes. Ignored by the other rules.
    metric : {"l2", "cosine"}, default="l2"
        ``"l2"``: Euclidean distance. ``"cosine"``: one minus the cosine
        similarity.
    index : str, default="Flat"
        ``"Flat"`` searches exactly. Any other value is a FAISS index factory
        string, e.g. ``"HNSW32"`` or ``"IVF256,Flat"``, for approximate search
        with one index per class; worth it when there are many labelled
        samples. IVF indexes need at least ``nlist`` labelled samples per
        class to train.
    chunk_size : int or None, default=None
        Samples searched per block in :meth:`transform`. None sizes blocks to
        about 8 MiB of temporaries (per thread). The result does not depend on it.
    {random_state}

    Attributes
    ----------
    {fitted_attributes}
    rule_ : str
        The rule applied, by its current name.
    class_counts_ : ndarray of int, shape (n_classes,)
        Labelled samples per class that the search runs over.
    index_ : PerClassNearestIndex
        The fitted search; ``index_.distances(X)`` returns the
        ``(n_samples, n_classes)`` matrix of ``d_c``.

    See Also
    --------
    UniformSelector : The same draw without the distances.
    ThresholdSelector : The paper's best selector, from the network's own
        probabilities.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, appendix, Table 6 ("NN" rows).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l.selectors import NearestNeighbourSelector
    >>> X = np.array([[0.0], [1.0], [5.0], [6.0], [20.0]])
    >>> y = np.array(["a", "a", "b", "b", "c"])
    >>> selector = NearestNeighbourSelector(rule="nn_furthest").fit(X, y)
    >>> selector.transform([[0.5], [19.0]])
    array([[False, False,  True],
           [ True, False, False]])
    >>> selector.index_.distances([[0.5], [19.0]]).round(3)
    array([[ 0.5,  4.5, 19.5],
           [18. , 13. ,  1. ]], dtype=float32)
    """

    _parameter_constraints: dict = {
        **BaseRandomSelector._parameter_constraints,
        "rule": [StrOptions(set(RULES) | set(_RENAMED), deprecated=set(_RENAMED))],
        "m": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions({"l2", "cosine"})],
        "index": [str],
        "chunk_size": [None, Interval(Integral, 1, None, closed="left")],
    }

    _reads_neighbourhoods = True
    _row_attributes = ("index_",)

    def __init__(
        self,
        rule: str = "nn_exclude_class",
        *,
        k: int = 1,
        m: int = 4,
        metric: str = "l2",
        index: str = EXACT_INDEX,
        chunk_size: int | None = None,
        random_state=None,
    ):
        self.rule = rule
        self.k = k
        self.m = m
        self.metric = metric
        self.index = index
        self.chunk_size = chunk_size
        self.random_state = random_state

    def _fit(self, X, y):
        super()._fit(X, y)
        n_classes = len(self.classes_)
        self.rule_ = _RENAMED.get(self.rule, self.rule)
        if self.rule_ != self.rule:
            warnings.warn(
                f"rule={self.rule!r} was renamed {self.rule_!r} (the name "
                "NS3LClassifier(selector=...) takes too); the old name will go.",
                FutureWarning,
                stacklevel=4,
            )
        if self.rule_ == "nn_exclude_nearest" and self.m + self.k > n_classes:
            raise ValueError(
                f"rule='nn_exclude_nearest' drops m={self.m} classes and draws "
                f"k={self.k} of the rest, so it needs m + k <= n_classes, but y has "
                f"{n_classes} classes."
            )
        self.class_counts_ = np.bincount(y, minlength=n_classes)
        self.index_ = PerClassNearestIndex(
            X,
            y,
            n_classes,
            metric=self.metric,
            index=self.index,
            chunk_size=self.chunk_size,
        )

    def _transform(self, X):
        D = self.index_.distances(X)
        if self.rule_ == "nn_furthest":
            return mask_of(
                np.argpartition(-D, self.k - 1, axis=1)[:, : self.k], D.shape
            )
        n_dropped = self.m if self.rule_ == "nn_exclude_nearest" else 1
        nearest = np.argpartition(D, n_dropped - 1, axis=1)[:, :n_dropped]
        return self._draw(~mask_of(nearest, D.shape), X)
