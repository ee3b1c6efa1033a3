"""The paper's baseline selector: k classes drawn uniformly at random."""

from ._docstring import shared_docstring
from ._sampling import BaseRandomSelector

__all__ = ["UniformSelector"]


@shared_docstring
class UniformSelector(BaseRandomSelector):
    """Negative labels are ``k`` classes drawn uniformly from all classes.

    The draw ignores the sample, so it hits the sample's true class with
    probability ``k / n_classes``. In the paper (appendix, Table 6) this makes
    results worse than supervised training; it is the baseline the other
    selectors are measured against.

    Parameters
    ----------
    {k}
    {random_state}

    Attributes
    ----------
    {fitted_attributes}

    See Also
    --------
    OracleSelector : Draws from the wrong classes only (needs the truth).
    NearestNeighbourSelector : Draws away from the nearest labelled classes.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, appendix, Table 6 ("Uniform - k").

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ns3l.selectors import UniformSelector
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array(["cat", "dog", "eel", "cat"])
    >>> mask = UniformSelector(k=2, random_state=0).fit(X, y).transform(X)
    >>> mask.shape, mask.sum(axis=1).tolist()
    ((4, 3), [2, 2, 2, 2])
    """

    def __init__(self, k: int = 1, random_state=None):
        self.k = k
        self.random_state = random_state

    def _transform(self, X):
        return self._draw(self._all_classes(X), X)
