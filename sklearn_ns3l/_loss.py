"""The NS3L loss: the log-probability that a sample is none of its negative labels."""

import math

import torch

__all__ = ["ns3l_loss", "rampup_weight"]

_LOG_EPS = math.log(1e-8)


def ns3l_loss(
    logits: torch.Tensor,
    negative_mask: torch.Tensor,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """NS3L loss of a batch of unlabelled samples.

    ``L(u) = -log(1 - sum_{k in N(u)} p_k(u))`` with ``p = softmax(logits)``,
    the argument of the log clamped to ``[1e-8, 1]``, averaged over the batch.
    A sample with no negative label contributes 0.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Raw network outputs for the unlabelled samples.
    negative_mask : torch.Tensor of bool, shape (n_samples, n_classes)
        ``negative_mask[i, k]`` is True when class ``k`` is a negative label of
        sample ``i``.
    weight : torch.Tensor of shape (n_samples,) or None, default=None
        Per-sample weights: the mean of ``weight * L(u)`` (None: all 1).

    Returns
    -------
    loss : torch.Tensor
        A scalar; 0 (still attached to the graph) for an empty batch.
    """
    if logits.shape != negative_mask.shape:
        raise ValueError(
            f"logits of shape {tuple(logits.shape)} and negative_mask of shape "
            f"{tuple(negative_mask.shape)} must have the same shape."
        )
    if logits.shape[0] == 0:
        return logits.sum() * 0.0
    negative_mask = negative_mask.bool()
    # 1 - sum_{k in N} p_k is computed as sum_{k not in N} p_k in log space:
    # exact when the negatives hold almost all the mass, where the plain
    # difference would round to 0.
    all_negative = negative_mask.all(dim=1)
    # A row whose every class is negative would put -inf into logsumexp and a
    # NaN into its gradient; its loss is the clamp constant anyway.
    kept = logits.masked_fill(negative_mask & ~all_negative[:, None], float("-inf"))
    log_rest = torch.logsumexp(kept, dim=1) - torch.logsumexp(logits, dim=1)
    log_rest = torch.clamp(log_rest, min=_LOG_EPS, max=0.0)
    log_rest = torch.where(all_negative, torch.full_like(log_rest, _LOG_EPS), log_rest)
    if weight is not None:
        return -(log_rest * weight.to(log_rest.dtype)).mean()
    return -log_rest.mean()


def rampup_weight(progress: float, rampup: float) -> float:
    """Sigmoid-shaped ramp-up ``exp(-5 (1 - min(progress / rampup, 1))^2)``.

    ``progress`` and ``rampup`` are in epochs; ``rampup == 0`` means no ramp-up.
    This is the schedule the NS3L authors multiply the unlabelled weight by.
    """
    if rampup <= 0:
        return 1.0
    t = min(max(progress, 0.0) / rampup, 1.0)
    return math.exp(-5.0 * (1.0 - t) ** 2)
