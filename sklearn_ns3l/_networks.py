"""Default networks: a small CNN for images and an MLP for feature vectors."""

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP", "SmallCNN"]


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
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SmallCNN(nn.Module):
    """Two conv blocks (conv, batch norm, ReLU, max-pool) and a small dense head.

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
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        channels: tuple[int, int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.25,
    ):
        super().__init__()
        self.input_shape = tuple(int(d) for d in input_shape)
        c, h, w = self.input_shape
        blocks: list[nn.Module] = []
        for out in channels:
            blocks += [
                nn.Conv2d(c, out, kernel_size=3, padding=1),
                nn.BatchNorm2d(out),
                nn.ReLU(),
            ]
            # Tiny images (digits are 8x8) would shrink to nothing under too
            # many poolings.
            if min(h, w) >= 4:
                blocks.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c = out
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * h * w, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.input_shape)
        return self.head(self.features(x))


def image_shape_3d(shape: Sequence[int]) -> tuple[int, int, int]:
    """``(H, W)`` or ``(C, H, W)`` as ``(C, H, W)``."""
    shape = tuple(int(d) for d in shape)
    return (1, *shape) if len(shape) == 2 else shape  # type: ignore[return-value]


def n_inputs(shape: Sequence[int]) -> int:
    return int(math.prod(shape))
