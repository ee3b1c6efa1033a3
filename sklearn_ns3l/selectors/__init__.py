"""Negative-label selectors: which classes an unlabelled sample almost surely is not.

Two kinds (see :mod:`._base`): static selectors, fitted on the labelled rows,
mark the unlabelled pool once before training; probability selectors mark
each unlabelled batch from the network's current probabilities.
"""

from functools import partial

from ._base import BaseNegativeSelector, BaseProbabilitySelector, BaseStaticSelector
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
    "NearestNeighbourSelector",
    "OracleSelector",
    "ThresholdSelector",
    "UniformSelector",
]

#: Names accepted by ``NS3LClassifier(selector=...)``, each a callable that
#: returns a selector with the paper's settings (appendix, Table 6). A
#: nearest-neighbour rule has one name, its ``rule``, everywhere.
SELECTORS = {
    "threshold": ThresholdSelector,
    "uniform": UniformSelector,
    **{rule: partial(NearestNeighbourSelector, rule=rule) for rule in RULES},
    "oracle": OracleSelector,
}
