"""NS3L: negative sampling in semi-supervised learning, for scikit-learn."""

from ._classifier import NS3LClassifier
from ._fork import register_fork_hooks
from ._loss import ns3l_loss
from ._negative_label_quality import NegativeLabelQuality, negative_label_quality
from ._objective import SemiSupervisedObjective, WeightedTerm
from ._scoring import labelled_accuracy_score, labelled_accuracy_scorer
from .plotting import plot_history
from .selectors import (
    LabelSpreadingSelector,
    NearestNeighbourSelector,
    OracleSelector,
    ThresholdSelector,
    UniformSelector,
)
from .unlabelled_terms import (
    BaseUnlabelledTerm,
    NegativeSamplingTerm,
    PseudoLabelLoss,
    VATLoss,
)

# torch and FAISS run OpenMP thread pools that a forked child cannot use;
# the hook puts them on one thread there (see _fork.py).
register_fork_hooks()

__version__ = "0.1.0"

__all__ = [
    "BaseUnlabelledTerm",
    "LabelSpreadingSelector",
    "NS3LClassifier",
    "NegativeLabelQuality",
    "NearestNeighbourSelector",
    "NegativeSamplingTerm",
    "OracleSelector",
    "PseudoLabelLoss",
    "SemiSupervisedObjective",
    "ThresholdSelector",
    "UniformSelector",
    "VATLoss",
    "WeightedTerm",
    "labelled_accuracy_score",
    "labelled_accuracy_scorer",
    "negative_label_quality",
    "ns3l_loss",
    "plot_history",
]
