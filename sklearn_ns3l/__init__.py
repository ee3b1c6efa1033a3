"""NS3L: negative sampling in semi-supervised learning, for scikit-learn."""

from ._classifier import NS3LClassifier
from ._companions import PseudoLabelLoss, VATLoss
from ._fork import register_fork_hooks
from ._loss import ns3l_loss
from ._scoring import labelled_accuracy_score, labelled_accuracy_scorer
from .plotting import plot_history
from .selectors import (
    NearestNeighbourSelector,
    OracleSelector,
    ThresholdSelector,
    UniformSelector,
)

# torch and FAISS run OpenMP thread pools that a forked child cannot use;
# the hook puts them on one thread there (see _fork.py).
register_fork_hooks()

__version__ = "0.1.0"

__all__ = [
    "NS3LClassifier",
    "NearestNeighbourSelector",
    "OracleSelector",
    "PseudoLabelLoss",
    "ThresholdSelector",
    "UniformSelector",
    "VATLoss",
    "labelled_accuracy_score",
    "labelled_accuracy_scorer",
    "ns3l_loss",
    "plot_history",
]
