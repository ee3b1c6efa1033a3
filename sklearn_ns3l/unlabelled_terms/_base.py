"""The contract of a loss term on the unlabelled rows of a batch."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import torch
from sklearn.base import BaseEstimator
from torch import nn

__all__ = ["BaseUnlabelledTerm"]


class BaseUnlabelledTerm(BaseEstimator, metaclass=ABCMeta):
    """A loss on the unlabelled rows of a training batch.

    The training objective (:class:`~sklearn_ns3l.SemiSupervisedObjective`)
    adds each of its terms, weighted and ramped up, to the labelled rows'
    cross-entropy. A term is called once per batch as
    ``term(logits_u, X_u=..., module=..., target=..., generator=...)`` and
    returns
    ``(loss, parts)``: a scalar tensor with gradient, and a dict of detached
    numbers to log per epoch, whose keys are :attr:`history_keys`.

    Subclasses implement :meth:`__call__`, declare :attr:`history_keys`, and
    set :attr:`reads_inputs` when they need the unlabelled inputs themselves
    (VAT perturbs them), not only their logits.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    #: Keys of the ``parts`` dict, besides the term's own loss, which the
    #: objective logs under its name.
    history_keys: tuple[str, ...] = ()
    #: ``X_u`` is read (and so moved to the device) only where this is True.
    reads_inputs: bool = False

    _parameter_constraints: dict = {}

    @abstractmethod
    def __call__(
        self,
        logits_u: torch.Tensor,
        *,
        X_u: torch.Tensor | None,
        module: nn.Module,
        target: dict,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, dict]:
        """Loss of one batch's unlabelled rows.

        Parameters
        ----------
        logits_u : torch.Tensor of shape (n_unlabelled, n_classes)
            The rows' logits from the training forward pass, with gradient.
        X_u : torch.Tensor of shape (n_unlabelled, ...) or None
            The rows themselves, on the logits' device; None unless
            :attr:`reads_inputs`.
        module : torch.nn.Module
            The network being trained.
        target : dict
            What the batch carries for its unlabelled rows, e.g.
            ``"negatives"``, the static negative mask.
        generator : torch.Generator or None, default=None
            The fit's own generator, on the logits' device: draw random
            numbers from it rather than torch's global one, so that fits
            running at once in threads stay reproducible.

        Returns
        -------
        loss : torch.Tensor
            A scalar.
        parts : dict of str to float or torch.Tensor
            Detached values to log, keyed by :attr:`history_keys`.
        """
