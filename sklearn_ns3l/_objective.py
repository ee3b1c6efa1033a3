"""The semi-supervised training objective: one object that the net calls.

``L = CE(labelled) + r(t) * sum_j w_j * L_j(unlabelled)``: the labelled rows'
cross-entropy plus weighted, ramped-up unlabelled terms (NS3L, pseudo-labels,
VAT; see :mod:`sklearn_ns3l.unlabelled_terms`). It says whether training
reads the unlabelled pool and which history keys it logs, so every reader of
the history (progress bar, :func:`~sklearn_ns3l.plot_history`, benchmarks)
takes the keys from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from ._loss import rampup_weight
from .unlabelled_terms import BaseUnlabelledTerm

__all__ = ["SemiSupervisedObjective", "WeightedTerm"]


class WeightedTerm(NamedTuple):
    """An unlabelled term, the name its history keys start with, and its weight."""

    name: str
    term: BaseUnlabelledTerm
    weight: float


class SemiSupervisedObjective:
    """``CE(labelled) + r(t) * sum_j w_j * L_j(unlabelled)``, with its logged parts.

    A batch holds its labelled rows first: ``target["n_labelled"]`` of them,
    with classes ``target["y"]``; the rest are unlabelled. ``r(t)`` is
    :func:`~sklearn_ns3l._loss.rampup_weight` over ``rampup_epochs``. With no
    terms the objective is the plain cross-entropy of the labelled rows, and
    the pool is not read.

    It is a plain callable, not a :class:`torch.nn.Module`: it holds no
    parameters, and skorch calls it as its ``criterion_``.

    Parameters
    ----------
    terms : sequence of WeightedTerm, default=()
        ``(name, term, weight)`` triples, weights >= 0.
    rampup_epochs : float, default=0.0
        Epochs over which ``r(t)`` rises to 1; 0 starts at full weight.

    Attributes
    ----------
    history_keys : tuple of str
        What one call logs: ``supervised_loss``, then per term
        ``<name>_loss`` (unweighted), ``<name>_weight`` (``w_j r(t)``) and the
        term's own keys (e.g. ``negatives_per_sample``).
    weight_keys : tuple of str
        The ``<name>_weight`` keys: the value at the end of an epoch is what
        counts, not the epoch's mean.
    reads_pool : bool
        Whether training batches need unlabelled rows at all.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020, section 4 (objective and ramp-up).
    """

    def __init__(self, terms: Sequence[WeightedTerm] = (), rampup_epochs: float = 0.0):
        self.terms = [WeightedTerm(*t) for t in terms]
        self.rampup_epochs = rampup_epochs
        self.weight_keys = tuple(f"{t.name}_weight" for t in self.terms)
        self.history_keys = ("supervised_loss",) + tuple(
            key for t in self.terms for key in self._keys_of(t.name, t.term)
        )
        self.reads_pool = bool(self.terms)

    def __call__(
        self,
        logits: torch.Tensor,
        target: dict,
        *,
        X: torch.Tensor,
        module: nn.Module,
        progress: float,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, dict]:
        """The batch's loss and its logged parts.

        Parameters
        ----------
        logits : torch.Tensor of shape (n_batch, n_classes)
            The training forward pass of the whole batch.
        target : dict
            ``"n_labelled"``, ``"y"`` (the labelled rows' classes), optionally
            ``"sample_weight"`` (theirs, weighing the cross-entropy), and what
            the unlabelled terms read (``"negatives"``).
        X : torch.Tensor of shape (n_batch, ...)
            The batch's inputs, for terms that read them.
        module : torch.nn.Module
            The network being trained.
        progress : float
            Epochs done so far, fractional within the epoch (for ``r(t)``).
        generator : torch.Generator or None, default=None
            The fit's own generator, handed to the terms.

        Returns
        -------
        loss : torch.Tensor
            A scalar with gradient.
        parts : dict of str to float or torch.Tensor
            One value per key of :attr:`history_keys`.
        """
        n_l = target["n_labelled"]
        supervised = _cross_entropy(logits[:n_l], target, logits.device)
        loss, parts = supervised, {"supervised_loss": supervised.detach()}
        logits_u = logits[n_l:]
        ramp = rampup_weight(progress, self.rampup_epochs)
        for name, term, weight in self.terms:
            if not logits_u.shape[0]:
                # A batch without a pool (none to read) logs the term as off.
                parts.update(dict.fromkeys(self._keys_of(name, term), 0.0))
                continue
            X_u = X[n_l:].to(logits.device) if term.reads_inputs else None
            value, extra = term(
                logits_u, X_u=X_u, module=module, target=target, generator=generator
            )
            loss = loss + weight * ramp * value
            parts.update(extra)
            parts[f"{name}_loss"] = value.detach()
            parts[f"{name}_weight"] = weight * ramp
        return loss, parts

    @staticmethod
    def _keys_of(name: str, term: BaseUnlabelledTerm) -> tuple[str, ...]:
        return (f"{name}_loss", f"{name}_weight", *term.history_keys)


def _cross_entropy(logits_l: torch.Tensor, target: dict, device) -> torch.Tensor:
    """Mean cross-entropy of the labelled rows, weighted where weights are given."""
    y = target["y"].to(device)
    weight = target.get("sample_weight")
    if weight is None:
        return F.cross_entropy(logits_l, y)
    per_row = F.cross_entropy(logits_l, y, reduction="none")
    return (per_row * weight.to(device)).mean()
