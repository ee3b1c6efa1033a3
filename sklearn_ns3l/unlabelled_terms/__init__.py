"""Loss terms on the unlabelled rows: NS3L, and the losses it is added to.

Each term follows :class:`BaseUnlabelledTerm`; the training objective
(:class:`~sklearn_ns3l.SemiSupervisedObjective`) adds them to the labelled
rows' cross-entropy. :class:`NegativeSamplingTerm` is NS3L itself;
:class:`PseudoLabelLoss` and :class:`VATLoss` are the companions that
``NS3LClassifier(companion=...)`` trains beside it.
"""

from sklearn.base import clone

from ._base import BaseUnlabelledTerm
from ._negative_sampling import NegativeSamplingTerm
from ._pseudo_label import PseudoLabelLoss, pseudo_label_loss
from ._vat import VATLoss, vat_perturbation

__all__ = [
    "BaseUnlabelledTerm",
    "NegativeSamplingTerm",
    "PseudoLabelLoss",
    "VATLoss",
    "pseudo_label_loss",
    "vat_perturbation",
]

#: Names accepted by ``NS3LClassifier(companion=...)``.
COMPANIONS = {"pseudo_label": PseudoLabelLoss, "vat": VATLoss}


def make_companion(spec):
    """``NS3LClassifier``'s ``companion`` as a validated term, or None."""
    if spec is None:
        return None
    companion = (
        clone(spec) if isinstance(spec, BaseUnlabelledTerm) else COMPANIONS[spec]()
    )
    companion._validate_params()
    return companion
