"""Default networks: a small CNN for images and an MLP for feature vectors."""

import copy
import math
import threading
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from numbers import Integral

import numpy as np
import torch
from torch import nn

__all__ = [
    "MLP",
    "Dropout",
    "SmallCNN",
    "build_module",
    "evaluating",
    "penultimate_features",
    "resolve_image_shape",
    "seeded_global_rng",
    "use_generator",
]


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` that draws its masks from a generator of its own.

    torch's global generator is shared by every thread of the process, so
    two fits running at once in threads would take each other's random
    numbers. With ``generator`` set (see :func:`use_generator`) the masks
    come from it; with None this is plain ``nn.Dropout``.
    """

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.generator is None or self.p in (0.0, 1.0):
            return super().forward(x)
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=self.generator)
        return x * keep / (1.0 - self.p)


def use_generator(module: nn.Module, generator: torch.Generator | None) -> None:
    """Point every :class:`Dropout` of ``module`` at ``generator`` (None: global)."""
    for layer in module.modules():
        if isinstance(layer, Dropout):
            layer.generator = generator


class MLP(nn.Module):
    """Fully connected network with ReLU hidden layers.

    Parameters
    ----------
    n_features : int
        Input width; inputs of any shape ``(n, *dims)`` with ``prod(dims) ==
        n_features`` are flattened.
    n_classes : int
        Number of output logits.
    hidden : sequence of int, default=(256, 128)
        Widths of the hidden layers.
    dropout : float, default=0.1
        Dropout before each hidden layer's output is passed on.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden: Sequence[int] = (256, 128),
        dropout: float = 0.1,
    ):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SmallCNN(nn.Module):
    """Two conv blocks (conv, batch norm, max-pool, ReLU) and a small dense head.

    The max-pool comes before the ReLU: both are monotone, so the order
    computes the same function with the same gradients, and the ReLU runs
    on a quarter of the activations. Weights and activations are kept in
    ``torch.channels_last`` order (NHWC), which the CPU's convolution and
    pooling kernels run faster than NCHW on these images (see
    ``docs/performance.md``); the values are the same.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one image. Flat inputs of
        ``prod(input_shape)`` features are reshaped to it.
    n_classes : int
        Number of output logits.
    channels : tuple of int, default=(32, 64)
        Filters of the two conv blocks.
    hidden : int, default=128
        Width of the dense layer.
    dropout : float, default=0.25
        Dropout before the output layer.
    channels_last : bool, default=True
        Keep weights and activations in ``torch.channels_last`` order; False
        keeps torch's default NCHW order.
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        channels: tuple[int, int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.25,
        channels_last: bool = True,
    ):
        super().__init__()
        self.input_shape = tuple(int(d) for d in input_shape)
        c, h, w = self.input_shape
        blocks: list[nn.Module] = []
        for out in channels:
            blocks += [nn.Conv2d(c, out, kernel_size=3, padding=1), nn.BatchNorm2d(out)]
            # Tiny images (digits are 8x8) would shrink to nothing under too
            # many poolings.
            if min(h, w) >= 4:
                blocks.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            blocks.append(nn.ReLU())
            c = out
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * h * w, hidden),
            nn.ReLU(),
            Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )
        self.memory_format = (
            torch.channels_last if channels_last else torch.contiguous_format
        )
        self.to(memory_format=self.memory_format)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.input_shape)
        x = x.contiguous(memory_format=self.memory_format)
        return self.head(self.features(x))


def last_linear(module: nn.Module) -> nn.Linear | None:
    """The last ``torch.nn.Linear`` of ``module`` (``modules()`` order), or None."""
    linear = [m for m in module.modules() if isinstance(m, nn.Linear)]
    return linear[-1] if linear else None


@contextmanager
def evaluating(module: nn.Module):
    """``module`` in eval mode without gradients, put back in its mode after."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield module
    finally:
        module.train(was_training)


def penultimate_features(module: nn.Module, batches, device="cpu") -> np.ndarray:
    """The network's penultimate-layer features: the input of its last linear layer.

    ``module`` runs in eval mode (no dropout, batch norm's running
    statistics) without gradients, and is put back in the mode it was in.

    Parameters
    ----------
    module : torch.nn.Module
        A network whose output layer is its last ``torch.nn.Linear`` (in
        ``module.modules()`` order), as :class:`MLP` and :class:`SmallCNN`.
    batches : iterable of torch.Tensor
        Input rows, a batch at a time.
    device : str or torch.device, default="cpu"

    Returns
    -------
    features : ndarray of shape (n_rows, n_penultimate), float32

    Raises
    ------
    ValueError
        If ``module`` has no ``torch.nn.Linear`` layer.
    """
    output_layer = last_linear(module)
    if output_layer is None:
        raise ValueError(
            f"{type(module).__name__} has no torch.nn.Linear layer, so no "
            "penultimate-layer features to build the selector's graph on."
        )
    seen: list[torch.Tensor] = []
    hook = output_layer.register_forward_hook(
        lambda _m, inputs, _out: seen.append(inputs[0].detach().float().cpu())
    )
    try:
        with evaluating(module):
            for batch in batches:
                module(batch.to(device))
    finally:
        hook.remove()
    return torch.cat(seen).flatten(1).numpy()


def image_shape_3d(shape: Sequence[int]) -> tuple[int, int, int]:
    """``(H, W)`` or ``(C, H, W)`` as ``(C, H, W)``."""
    shape = tuple(int(d) for d in shape)
    return (1, *shape) if len(shape) == 2 else shape  # type: ignore[return-value]


def n_inputs(shape: Sequence[int]) -> int:
    return int(math.prod(shape))


def resolve_image_shape(image_shape, input_shape: tuple) -> tuple | None:
    """The ``(C, H, W)`` of each sample, or None for feature vectors.

    Parameters
    ----------
    image_shape : tuple of int or None
        The user's ``image_shape`` (``(H, W)`` or ``(C, H, W)``), for
        flattened images; None reads it from ``input_shape``.
    input_shape : tuple of int
        Shape of one sample of ``X``.

    Raises
    ------
    ValueError
        If ``image_shape`` is malformed or does not hold the sample's values.
    """
    if image_shape is None:
        if len(input_shape) < 2 or n_inputs(input_shape[-2:]) == 1:
            # Feature vectors, or 1x1 "images" such as pooled CNN embeddings
            # of shape (C, 1, 1), whose convolutions would see no neighbours.
            return None
        return image_shape_3d(input_shape)
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or not all(
        isinstance(d, Integral) and d > 0 for d in shape
    ):
        raise ValueError(
            "image_shape must be (height, width) or (channels, height, width) "
            f"of positive integers; got {image_shape!r}."
        )
    if n_inputs(shape) != n_inputs(input_shape):
        raise ValueError(
            f"image_shape {shape} holds {n_inputs(shape)} values, but each "
            f"sample of X has {n_inputs(input_shape)} (shape {input_shape})."
        )
    return image_shape_3d(shape)


def build_module(spec, image_shape, input_shape, n_classes: int, X_first) -> nn.Module:
    """The network to train: a copy of the user's module, a CNN or an MLP.

    Parameters
    ----------
    spec : {"cnn", "mlp"}, torch.nn.Module or None
        ``NS3LClassifier``'s ``module``; None picks the CNN for images.
    image_shape : tuple of int or None
        From :func:`resolve_image_shape`.
    input_shape : tuple of int
        Shape of one sample of ``X``.
    n_classes : int
    X_first : ndarray of shape (1, *input_shape)
        One sample, for a trial forward pass.

    Raises
    ------
    ValueError
        If the CNN is asked for without images, if the module fails on one
        sample of ``X`` (the message names the sample's shape and what the
        module's first layer expects), or if it does not output one logit per
        class.
    """
    if isinstance(spec, nn.Module):
        # Trained in float32 like the data: a float64 (or half) module is
        # cast, on the copy only.
        module = copy.deepcopy(spec).float()
    elif spec == "cnn" or (spec is None and image_shape is not None):
        if image_shape is None:
            raise ValueError(
                "module='cnn' needs images: pass X of shape (n, H, W) or "
                "(n, C, H, W), or give image_shape."
            )
        module = SmallCNN(image_shape, n_classes)
    else:
        module = MLP(n_inputs(input_shape), n_classes)
    # A module with the wrong output width would otherwise fail deep in the
    # loss with a torch shape error.
    module.eval()
    sample = torch.from_numpy(np.ascontiguousarray(X_first))
    try:
        with torch.no_grad():
            out = module(sample)
    except Exception as exc:  # noqa: BLE001 - any failure gets the shapes named
        raise ValueError(
            f"module failed on one sample of X, a tensor of shape "
            f"{tuple(sample.shape)} ({type(exc).__name__}: {exc}). "
            f"{_first_layer_expects(module)}"
        ) from exc
    module.train()
    if tuple(out.shape) != (1, n_classes):
        raise ValueError(
            f"module outputs shape {tuple(out.shape[1:])} per sample, but y has "
            f"{n_classes} classes: the module must output one logit per class."
        )
    return module


def _first_layer_expects(module: nn.Module) -> str:
    """What the first linear or convolutional layer of ``module`` takes in."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            return (
                f"Its first layer, {layer}, expects {layer.in_features} features "
                "per sample (X is flattened only if the module does so itself)."
            )
        if isinstance(layer, nn.modules.conv._ConvNd):
            return (
                f"Its first layer, {layer}, expects {layer.in_channels} input "
                "channels, as (n, C, H, W)."
            )
    return "Check the shape the module's forward expects."


#: Held while a network is initialised from torch's global generator, which
#: every thread of the process shares.
_GLOBAL_RNG_LOCK = threading.Lock()


@contextmanager
def seeded_global_rng(device: torch.device, seed: int, *, exclusive: bool):
    """torch's global generators seeded with ``seed``, restored afterwards.

    ``exclusive`` holds a lock meanwhile, so that a concurrent fit cannot
    draw from, or reseed, the generator in between (for the weight
    initialisation, the only draw of the package's networks from it).
    """
    devices = [device] if device.type == "cuda" else []
    with _GLOBAL_RNG_LOCK if exclusive else nullcontext():
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield
