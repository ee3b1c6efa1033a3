"""Negative-label selectors: which classes an unlabelled sample almost surely is not."""

from functools import partial

from ._base import BaseNegativeSelector
from ._neighbors import NearestNeighbourSelector
from ._oracle import OracleSelector
from ._threshold import ThresholdSelector
from ._uniform import UniformSelector

__all__ = [
    "BaseNegativeSelector",
    "NearestNeighbourSelector",
    "OracleSelector",
    "ThresholdSelector",
    "UniformSelector",
]

#: Short names accepted by ``NS3LClassifier(selector=...)``, each a callable
#: returning a selector with the paper's settings (appendix, Table 6).
SELECTORS = {
    "threshold": ThresholdSelector,
    "uniform": UniformSelector,
    "nn_exclude_class": partial(NearestNeighbourSelector, rule="exclude_nearest_class"),
    "nn_exclude_nearest": partial(
        NearestNeighbourSelector, rule="exclude_nearest_classes", m=4
    ),
    "nn_furthest": partial(NearestNeighbourSelector, rule="furthest_class"),
    "oracle": OracleSelector,
}
