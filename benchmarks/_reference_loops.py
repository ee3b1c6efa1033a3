"""The hand-written PyTorch loops that ``throughput.py`` measures NS3L against.

``torch_loop`` is the minimal supervised loop (shuffled batches from
in-memory tensors, Adam); ``forward_only`` the raw network's prediction.
``LOOPS`` names the variants on the network as it was before issue 16
(``pre_issue16_cnn``: ReLU before max-pool, NCHW), whose reference is
"today's loop" in the ratios (the name the committed measurements carry).
"""

from __future__ import annotations

import copy
from contextlib import nullcontext

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sklearn_ns3l._networks import SmallCNN
from sklearn_ns3l._precision import precision_context

__all__ = ["LOOPS", "forward_only", "pre_issue16_cnn", "torch_loop"]


def pre_issue16_cnn(module: SmallCNN, channels_last: bool = False) -> SmallCNN:
    """A copy of ``module`` laid out as SmallCNN was before issue 16.

    ReLU before max-pool and NCHW order (or ``channels_last``); the same
    weights, so the same function.
    """
    module = copy.deepcopy(module)
    layers = list(module.features)
    for i in range(len(layers) - 1):
        if isinstance(layers[i], nn.MaxPool2d) and isinstance(layers[i + 1], nn.ReLU):
            layers[i], layers[i + 1] = layers[i + 1], layers[i]
    module.features = nn.Sequential(*layers)
    module.memory_format = (
        torch.channels_last if channels_last else torch.contiguous_format
    )
    return module.to(memory_format=module.memory_format)


#: Hand-written loops on today's network: (channels_last, autocast dtype, compile).
LOOPS = {
    "today's loop": (False, None, False),
    "today's, channels_last": (True, None, False),
    "today's, bf16 autocast": (False, torch.bfloat16, False),
    "today's, compiled": (False, None, True),
}


def torch_loop(X, y, *, epochs, batch_size, lr, seed, variant=None, dtype=None):
    """The minimal supervised loop: shuffled batches from in-memory tensors.

    ``variant`` names an entry of ``LOOPS``; None is the package's SmallCNN
    under autocast to ``dtype`` (None: float32).
    """
    X, y = torch.from_numpy(X), torch.from_numpy(np.asarray(y, dtype=np.int64))
    torch.manual_seed(seed)
    model = SmallCNN((1, *X.shape[1:]), int(y.max()) + 1)
    compiled = False
    if variant is not None:
        channels_last, dtype, compiled = LOOPS[variant]
        model = pre_issue16_cnn(model, channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    forward = torch.compile(model) if compiled else model
    model.train()
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(y)))
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype) if dtype else nullcontext():
                logits = forward(X[idx])
            loss = F.cross_entropy(logits.float(), y[idx])
            loss.backward()
            optimizer.step()
    return model


def forward_only(module, X, batch_size, precision="float32"):
    """The raw network on every batch: eval mode, inference mode, logits out."""
    module.eval()
    out = []
    with torch.inference_mode(), precision_context(precision, torch.device("cpu")):
        for start in range(0, len(X), batch_size):
            out.append(module(torch.from_numpy(X[start : start + batch_size])))
    return torch.cat(out).float().numpy()
