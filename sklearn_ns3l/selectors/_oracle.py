"""The ablation upper bound: k classes drawn from the wrong ones, using the truth."""

import numpy as np
from sklearn.utils.validation import column_or_1d

from ._base import flat_rows
from ._docstring import shared_docstring
from ._sampling import BaseRandomSelector

__all__ = ["OracleSelector"]


@shared_docstring
class OracleSelector(BaseRandomSelector):
    """Negative labels are ``k`` classes drawn uniformly from the wrong classes.

    For ablations and benchmarks only, never for real use: it reads the true
    label of every sample it selects for (``transform(X, y_true=...)``), which
    a semi-supervised learner does not have. It measures how good NS3L could
    be with negative labels that are never wrong; in the paper (appendix,
    Table 6) oracle-3 is the best method of all. Inside
    :class:`~sklearn_ns3l.NS3LClassifier` pass the truth of every row as
    ``fit(X, y, y_true=...)``.

    Parameters
    ----------
    {k}
    {random_state}

    Attributes
    ----------
    {fitted_attributes}

    See Also
    --------
    UniformSelector : The same draw without the truth (may hit the true class).

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, appendix, Table 6 ("Oracle - k").

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l.selectors import OracleSelector
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array(["cat", "dog", "eel"])
    >>> oracle = OracleSelector(k=2, random_state=0).fit(X, y)
    >>> oracle.transform(X, y_true=y)
    array([[False,  True,  True],
           [ True, False,  True],
           [ True,  True, False]])
    """

    _needs_y_true = True

    def __init__(self, k: int = 1, random_state=None):
        self.k = k
        self.random_state = random_state

    def transform(self, X, y_true=None):
        """Negative mask of ``X``, drawn from the classes each sample is not.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to choose negative labels for.
        y_true : array-like of shape (n_samples,)
            Their true labels, each one of ``classes_``. Required.

        Returns
        -------
        mask : ndarray of bool, shape (n_samples, n_classes)
            Column ``j`` refers to ``classes_[j]``; never True at the true
            class.
        """
        return self._mask(self._validate_transform_input(X), y_true)

    def pool_negatives(self, X, labelled, y_labelled, pool, *, y_true=None):
        if y_true is None:
            raise ValueError(
                "OracleSelector needs the true labels of the unlabelled rows: pass "
                "fit(X, y, y_true=...). The oracle is for ablations only."
            )
        self.fit(flat_rows(X, labelled), y_labelled)
        # An array whatever set_output asks of transform.
        X_pool = self._validate_transform_input(flat_rows(X, pool))
        return self._mask(X_pool, y_true)

    def _mask(self, X, y_true):
        if y_true is None:
            return self._transform(X)
        allowed = self._all_classes(X)
        allowed[np.arange(X.shape[0]), self._encode(y_true, X.shape[0])] = False
        return self._draw(allowed, X)

    def _transform(self, X):
        raise ValueError(
            "OracleSelector.transform needs the true labels of the samples: "
            "call transform(X, y_true=...). The oracle is for ablations only."
        )

    def _encode(self, y_true, n_samples: int) -> np.ndarray:
        """Column index of each true label; refuses labels outside ``classes_``."""
        y_true = column_or_1d(y_true, dtype=None)
        if len(y_true) != n_samples:
            raise ValueError(
                f"y_true has {len(y_true)} labels, but X has {n_samples} samples."
            )
        # A dict rather than np.searchsorted: the labels may be a mix of types
        # numpy cannot order (e.g. strings against an integer typo).
        column = {c: j for j, c in enumerate(self.classes_.tolist())}
        codes = np.fromiter(
            (column.get(v, -1) for v in y_true.tolist()), dtype=np.intp, count=n_samples
        )
        unknown = codes < 0
        if unknown.any():
            examples = list(dict.fromkeys(y_true[unknown].tolist()))[:10]
            raise ValueError(
                f"y_true holds labels that are not among classes_ "
                f"{self.classes_.tolist()}: {examples}."
            )
        return codes
