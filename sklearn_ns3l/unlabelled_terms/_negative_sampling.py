"""NS3L as an unlabelled term: the loss of each row's negative labels."""

from __future__ import annotations

import torch
from sklearn.utils._param_validation import HasMethods

from .._loss import ns3l_loss
from ._base import BaseUnlabelledTerm

__all__ = ["NegativeSamplingTerm"]


class NegativeSamplingTerm(BaseUnlabelledTerm):
    """The NS3L term: ``-log(1 - sum_{k in N(u)} p_k(u))`` over unlabelled rows.

    ``N(u)`` comes from the selector: the batch's rows of the pool's static
    mask, or, for a probability selector such as the threshold, a mask from
    the detached probabilities of the same forward pass.

    Parameters
    ----------
    selector : BaseNegativeSelector
        A selector whose :meth:`pool_negatives` already ran (the classifier
        does this before training), used as given.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, section 4, equation (4).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ns3l.selectors import ThresholdSelector
    >>> from sklearn_ns3l.unlabelled_terms import NegativeSamplingTerm
    >>> term = NegativeSamplingTerm(ThresholdSelector(T=0.1))
    >>> logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> loss, parts = term(logits, X_u=None, module=None, target={})
    >>> round(loss.item(), 4), parts["negatives_per_sample"].item()
    (0.018, 1.0)
    """

    history_keys = ("negatives_per_sample",)

    _parameter_constraints: dict = {
        "selector": [HasMethods(["pool_negatives", "batch_negatives"])],
    }

    def __init__(self, selector):
        self.selector = selector

    def __call__(self, logits_u, *, X_u, module, target, generator=None):
        pool_mask = target.get("negatives")
        if pool_mask is not None:
            pool_mask = pool_mask.to(logits_u.device)
        with torch.no_grad():
            proba = torch.softmax(logits_u.detach().float(), dim=1)
            mask = self.selector.batch_negatives(proba, pool_mask)
        negatives = mask.sum(dim=1, dtype=torch.float32).mean()
        return ns3l_loss(logits_u, mask), {"negatives_per_sample": negatives}
