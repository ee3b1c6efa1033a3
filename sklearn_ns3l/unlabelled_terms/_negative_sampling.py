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
    class_weight : array-like of shape (n_classes,) or None, default=None
        Weighs each row's term by the weight of the class it most likely is:
        the most probable class (detached probabilities of the same forward
        pass) among those not marked negative for it. What
        ``NS3LClassifier(class_weight=...)`` hands it, scaled to mean 1 over
        the labelled rows (issue #22). None: every row weighs 1.

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
        "class_weight": [None, "array-like"],
    }

    def __init__(self, selector, class_weight=None):
        self.selector = selector
        self.class_weight = class_weight

    def __call__(self, logits_u, *, X_u, module, target, generator=None):
        pool_mask = target.get("negatives")
        if pool_mask is not None:
            pool_mask = pool_mask.to(logits_u.device)
        with torch.no_grad():
            proba = torch.softmax(logits_u.detach().float(), dim=1)
            mask = self.selector.batch_negatives(proba, pool_mask)
            weight = self._row_weights(proba, mask)
        negatives = mask.sum(dim=1, dtype=torch.float32).mean()
        loss = ns3l_loss(logits_u, mask, weight)
        return loss, {"negatives_per_sample": negatives}

    def _row_weights(self, proba, mask):
        """``class_weight`` of each row's most probable class not marked negative."""
        if self.class_weight is None:
            return None
        weights = torch.as_tensor(self.class_weight, dtype=proba.dtype)
        likeliest = proba.masked_fill(mask, -1.0).argmax(dim=1)
        return weights.to(proba.device)[likeliest]
