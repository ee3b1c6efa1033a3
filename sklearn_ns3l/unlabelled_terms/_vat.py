"""Virtual adversarial training (Miyato et al., 2018) as an unlabelled term."""

from __future__ import annotations

from contextlib import contextmanager
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, validate_params
from torch import nn
from torch.nn import functional as F

from ._base import BaseUnlabelledTerm

__all__ = ["VATLoss", "vat_perturbation"]


@contextmanager
def _frozen_batch_norm(module: nn.Module):
    """Keep batch-norm running statistics out of VAT's extra forward passes."""
    saved = []
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            saved.append((m, m.momentum))
            m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum in saved:
            m.momentum = momentum


@contextmanager
def _without_dropout(module: nn.Module):
    """Dropout off, so that the power iteration sees the perturbation, not noise.

    Yields whether ``module`` has any dropout at all.
    """
    dropouts = [
        m for m in module.modules() if isinstance(m, nn.modules.dropout._DropoutNd)
    ]
    modes = [m.training for m in dropouts]
    for m in dropouts:
        m.eval()
    try:
        yield bool(dropouts)
    finally:
        for m, mode in zip(dropouts, modes, strict=True):
            m.train(mode)


def _unit(d: torch.Tensor) -> torch.Tensor:
    flat = d.reshape(d.shape[0], -1)
    return (flat / flat.norm(dim=1, keepdim=True).clamp_min(1e-30)).reshape(d.shape)


def _kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """Mean KL(p || q) over rows, from logits."""
    log_p = F.log_softmax(p_logits, dim=1)
    log_q = F.log_softmax(q_logits, dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=1).mean()


@validate_params(
    {
        "module": [nn.Module],
        "X": [torch.Tensor],
        "logits": [torch.Tensor],
        "xi": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="neither")],
        "n_power": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def vat_perturbation(module, X, logits, *, xi=1e-6, eps=2.0, n_power=1):
    """The virtual adversarial perturbation of each row, of L2 norm ``eps``.

    Starting from a random direction, ``n_power`` power iterations (each a
    step of size ``xi`` and a gradient of the KL divergence between the clean
    and the perturbed prediction) find the direction the prediction is most
    sensitive to.

    Parameters
    ----------
    module : torch.nn.Module
    X : torch.Tensor of shape (n_samples, ...)
    logits : torch.Tensor of shape (n_samples, n_classes)
        The clean predictions. Where ``module`` has dropout they are computed
        again with dropout off, like the perturbed ones.
    xi : float, default=1e-6
    eps : float, default=2.0
    n_power : int, default=1

    Returns
    -------
    r_adv : torch.Tensor, shaped like ``X``, without gradient
    """
    return _vat_perturbation(module, X, logits, xi=xi, eps=eps, n_power=n_power)


def _vat_perturbation(module, X, logits, *, xi, eps, n_power, generator=None):
    # Unvalidated: VATLoss checked its parameters once, not once per batch.
    start = torch.randn(X.shape, generator=generator, dtype=X.dtype, device=X.device)
    d = _unit(start)
    with _frozen_batch_norm(module), _without_dropout(module) as had_dropout:
        clean = logits.detach()
        if had_dropout:
            with torch.no_grad():
                clean = module(X)
        for _ in range(n_power):
            d = (xi * d).requires_grad_(True)
            divergence = _kl(clean, module(X + d))
            (grad,) = torch.autograd.grad(divergence, d)
            d = _unit(grad.detach())
    return eps * d


class VATLoss(BaseUnlabelledTerm):
    """Virtual adversarial training (Miyato et al., 2018).

    The loss is ``KL(p(x) || p(x + r_adv))`` with ``r_adv`` from
    :func:`vat_perturbation`: predictions must not change under the small
    perturbation they are most sensitive to.

    Parameters
    ----------
    eps : float, default=2.0
        L2 norm of the perturbation of each row (inputs scaled to [0, 1]).
    xi : float, default=1e-6
        Step of the power iteration.
    n_power : int, default=1
        Power iterations.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ns3l import VATLoss
    >>> module = torch.nn.Linear(4, 3)
    >>> X = torch.randn(8, 4)
    >>> loss, _ = VATLoss(eps=1.0)(module(X), X_u=X, module=module, target={})
    >>> loss.item() >= 0
    True
    """

    _parameter_constraints: dict = {
        "eps": [Interval(Real, 0, None, closed="neither")],
        "xi": [Interval(Real, 0, None, closed="neither")],
        "n_power": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, eps: float = 2.0, xi: float = 1e-6, n_power: int = 1):
        self.eps = eps
        self.xi = xi
        self.n_power = n_power

    reads_inputs = True

    def __call__(self, logits_u, *, X_u, module, target, generator=None):
        if logits_u.shape[0] == 0:
            return logits_u.sum() * 0.0, {}
        r_adv = _vat_perturbation(
            module,
            X_u,
            logits_u,
            xi=self.xi,
            eps=self.eps,
            n_power=self.n_power,
            generator=generator,
        )
        with _frozen_batch_norm(module):
            return _kl(logits_u.detach(), module(X_u + r_adv)), {}
