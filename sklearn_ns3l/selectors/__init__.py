"""Negative-label selectors: which classes an unlabelled sample almost surely is not.

Two kinds (see :mod:`._base`): static selectors, fitted on the labelled rows
(label spreading: on the labelled and unlabelled rows together), mark the
unlabelled pool once before training; probability selectors mark
each unlabelled batch from the network's current probabilities.
"""

from functools import partial

from sklearn.base import clone

from ._base import BaseNegativeSelector, BaseProbabilitySelector, BaseStaticSelector
from ._calibration import min_calibration_rows
from ._label_spreading import LabelSpreadingSelector
from ._neighbors import RULES, NearestNeighbourSelector
from ._oracle import OracleSelector
from ._sampling import BaseRandomSelector
from ._threshold import ThresholdSelector
from ._uniform import UniformSelector

__all__ = [
    "BaseNegativeSelector",
    "BaseProbabilitySelector",
    "BaseRandomSelector",
    "BaseStaticSelector",
    "LabelSpreadingSelector",
    "NearestNeighbourSelector",
    "OracleSelector",
    "ThresholdSelector",
    "UniformSelector",
    "min_calibration_rows",
]

#: Names accepted by ``NS3LClassifier(selector=...)``, each a callable that
#: returns a selector with the paper's settings (appendix, Table 6). A
#: nearest-neighbour rule has one name, its ``rule``, everywhere.
SELECTORS = {
    "threshold": ThresholdSelector,
    "uniform": UniformSelector,
    **{rule: partial(NearestNeighbourSelector, rule=rule) for rule in RULES},
    "label_spreading": LabelSpreadingSelector,
    "oracle": OracleSelector,
}


def make_selector(spec, T: float, seed: int):
    """``NS3LClassifier``'s ``selector`` as a validated selector, or None.

    A name builds the registry's selector (``"threshold"`` with ``T``); an
    object is cloned. An unset ``random_state`` becomes ``seed`` (drawn by the
    classifier whatever the selector, so that its other draws, such as the
    validation split, do not depend on the selector).
    """
    if spec in (None, "supervised"):
        return None
    if isinstance(spec, BaseNegativeSelector):
        selector = clone(spec)
    elif spec == "threshold":
        selector = SELECTORS["threshold"](T=T)
    else:
        selector = SELECTORS[spec]()
    if "random_state" in selector.get_params() and selector.random_state is None:
        selector.set_params(random_state=seed)
    selector._validate_params()
    return selector
