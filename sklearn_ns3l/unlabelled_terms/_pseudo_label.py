"""Pseudo-labelling: confident predictions become positive labels."""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval
from torch.nn import functional as F

from ._base import BaseUnlabelledTerm

__all__ = ["PseudoLabelLoss", "pseudo_label_loss"]


def pseudo_label_loss(logits: torch.Tensor, threshold: float) -> torch.Tensor:
    """Confidence-thresholded pseudo-labelling, as in FixMatch.

    The argmax class of each row is its target when its probability is at
    least ``threshold``; the cross-entropy is averaged over *all* rows, so a
    batch with few confident rows pulls weakly.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
    threshold : float
        Minimum max-probability for a row to get a pseudo-label.

    Returns
    -------
    loss : torch.Tensor
        A scalar, 0 when no row is confident.
    """
    if logits.shape[0] == 0:
        return logits.sum() * 0.0
    with torch.no_grad():
        confidence, target = torch.softmax(logits, dim=1).max(dim=1)
        confident = (confidence >= threshold).to(logits.dtype)
    per_row = F.cross_entropy(logits, target, reduction="none")
    return (per_row * confident).mean()


class PseudoLabelLoss(BaseUnlabelledTerm):
    """Pseudo-labelling: confident predictions become positive labels.

    Parameters
    ----------
    threshold : float, default=0.95
        ``tau``: a row's argmax class is its label when its probability is at
        least ``tau`` (FixMatch's value).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ns3l import PseudoLabelLoss
    >>> logits = torch.tensor([[5.0, 0.0], [0.1, 0.0]])
    >>> loss, _ = PseudoLabelLoss(threshold=0.9)(
    ...     logits, X_u=None, module=None, target={}
    ... )
    >>> round(loss.item(), 4)
    0.0034
    """

    _parameter_constraints: dict = {"threshold": [Interval(Real, 0, 1, closed="right")]}

    def __init__(self, threshold: float = 0.95):
        self.threshold = threshold

    def __call__(self, logits_u, *, X_u, module, target, generator=None):
        return pseudo_label_loss(logits_u, self.threshold), {}
