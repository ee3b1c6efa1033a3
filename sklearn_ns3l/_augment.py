"""Image augmentation for unlabelled batches: small random shifts and flips."""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["ImageAugmenter", "make_augmenter"]


class ImageAugmenter:
    """Random shifts of up to ``max_shift`` pixels, and optional horizontal flips.

    Shifts pad with zeros (the background of digits and Fashion-MNIST).
    Horizontal flips suit clothing, not digits; hence their own switch.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)``; batches of any shape with that many
        values per row are reshaped to it and back.
    max_shift : int, default=2
    flip : bool, default=False
    generator : torch.Generator or None, default=None
        Where the shifts and flips are drawn from (a CPU generator: batches
        are augmented before they reach the device); None uses torch's
        global generator.
    """

    def __init__(
        self,
        image_shape,
        max_shift: int = 2,
        flip: bool = False,
        generator: torch.Generator | None = None,
    ):
        self.image_shape = tuple(image_shape)
        self.max_shift = max_shift
        self.flip = flip
        self.generator = generator

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        n, s = X.shape[0], self.max_shift
        images = X.reshape(n, *self.image_shape)
        _, h, w = self.image_shape
        padded = F.pad(images, (s, s, s, s))
        g = self.generator
        dy = torch.randint(0, 2 * s + 1, (n,), generator=g).tolist()
        dx = torch.randint(0, 2 * s + 1, (n,), generator=g).tolist()
        out = torch.stack(
            [
                padded[i, :, y : y + h, x : x + w]
                for i, (y, x) in enumerate(zip(dy, dx, strict=True))
            ]
        )
        if self.flip:
            flip = torch.rand(n, generator=g) < 0.5
            out[flip] = out[flip].flip(-1)
        return out.reshape(X.shape)


def make_augmenter(spec, image_shape, seed: int):
    """``NS3LClassifier``'s ``augment`` as a callable, or None.

    ``"shift"`` and ``"shift_flip"`` give an :class:`ImageAugmenter` drawing
    from a CPU generator seeded with ``seed``; a callable is used as given.

    Raises
    ------
    ValueError
        If a shift is asked for on data that are not images.
    """
    if spec is None or callable(spec):
        return spec
    if image_shape is None:
        raise ValueError(
            f"augment={spec!r} shifts images: pass X of shape "
            "(n, H, W) or (n, C, H, W), or give image_shape."
        )
    return ImageAugmenter(
        image_shape,
        flip=spec == "shift_flip",
        generator=torch.Generator().manual_seed(seed),
    )
