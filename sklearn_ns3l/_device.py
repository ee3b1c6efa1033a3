"""The torch device a ``device`` parameter names, checked before any training.

``torch.device`` parses every device type torch knows ("mps", "xpu", "hip",
...), whether or not this build of torch or this machine has it; the first
tensor sent there then fails deep inside torch with a RuntimeError, an
AssertionError or a NotImplementedError. :func:`resolve_device` asks the
backend first, so that ``fit`` can refuse with a ValueError naming the device.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["resolve_device"]

_USE_INSTEAD = "use device='cpu' or device='auto'"


def resolve_device(name: str) -> torch.device:
    """The torch device for a ``device`` parameter, if this machine has it.

    Parameters
    ----------
    name : str
        ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``, or any
        device string torch parses: ``"cuda"``, ``"cuda:1"``, ``"mps"``,
        ``"xpu"``, ...

    Returns
    -------
    device : torch.device
        ``torch.device(name)``, or the CPU or ``cuda`` for ``"auto"``.

    Raises
    ------
    ValueError
        If torch does not parse ``name``; if the device's backend is missing
        from this build of torch or from this machine (CUDA, MPS and XPU ask
        their own ``is_available``, other types try to allocate a one-element
        tensor there); if its index is beyond the devices present; or for
        ``"meta"``, which holds no data to train on. The message names the
        device and suggests ``'cpu'`` or ``'auto'``.

    Examples
    --------
    >>> from sklearn_ns3l._device import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("gpu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: device='gpu' is not a torch device: ...
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"device={name!r} is not a torch device: {_first_line(exc)} "
            f"({_USE_INSTEAD})."
        ) from None
    if device.type == "cpu":
        return device
    if device.type == "meta":
        raise ValueError(
            f"device={name!r} holds tensor shapes but no data, so a network "
            f"cannot be trained or evaluated there; {_USE_INSTEAD}."
        )
    _BACKEND_CHECKS.get(device.type, _check_generic)(name, device)
    _check_allocation(name, device)
    return device


def _check_cuda(name: str, device: torch.device) -> None:
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={name!r} but CUDA is not available on this machine; "
            f"{_USE_INSTEAD}."
        )
    _check_index(name, device, torch.cuda.device_count(), "CUDA")


def _check_mps(name: str, device: torch.device) -> None:
    mps = torch.backends.mps
    if not mps.is_available():
        why = (
            "this machine has no MPS device (an Apple-silicon GPU on macOS 12.3 "
            "or later)"
            if mps.is_built()
            else "this build of torch has no MPS support"
        )
        raise ValueError(
            f"device={name!r} but MPS is not available: {why}; {_USE_INSTEAD}."
        )
    _check_index(name, device, _device_count(torch.mps, default=1), "MPS")


def _check_xpu(name: str, device: torch.device) -> None:
    if not torch.xpu.is_available():
        raise ValueError(
            f"device={name!r} but XPU (Intel GPU) is not available: this machine "
            f"or this build of torch lacks it; {_USE_INSTEAD}."
        )
    _check_index(name, device, torch.xpu.device_count(), "XPU")


def _check_generic(name: str, device: torch.device) -> None:
    # Backends with a module of their own (torch.mtia, or one a plug-in adds)
    # answer is_available; the rest are left to the allocation below.
    backend = getattr(torch, device.type, None)
    is_available = getattr(backend, "is_available", None)
    if not callable(is_available):
        return
    try:
        available = bool(is_available())
    except Exception:  # noqa: BLE001 - a backend that cannot even say
        available = False
    if not available:
        raise ValueError(
            f"device={name!r} but torch.{device.type}.is_available() is False on "
            f"this machine; {_USE_INSTEAD}."
        )
    count = _device_count(backend, default=None)
    if count is not None:
        _check_index(name, device, count, device.type.upper())


_BACKEND_CHECKS: dict[str, Callable[[str, torch.device], None]] = {
    "cuda": _check_cuda,
    "mps": _check_mps,
    "xpu": _check_xpu,
}


def _check_allocation(name: str, device: torch.device) -> None:
    # The last word for every type: whatever torch raises for a device it
    # cannot use (AssertionError, NotImplementedError, RuntimeError, ...).
    try:
        torch.empty(1, device=device)
    except Exception as exc:  # noqa: BLE001 - rephrased below
        raise ValueError(
            f"device={name!r} is not usable here: torch cannot allocate a "
            f"tensor on it ({type(exc).__name__}: {_first_line(exc)}); "
            f"{_USE_INSTEAD}."
        ) from None


def _check_index(name: str, device: torch.device, count: int, label: str) -> None:
    if device.index is not None and device.index >= count:
        present = ", ".join(f"{device.type}:{i}" for i in range(count)) or "none"
        raise ValueError(
            f"device={name!r} but this machine has {count} {label} device(s) "
            f"({present}); pick one of them, or {_USE_INSTEAD}."
        )


def _device_count(backend, default):
    count = getattr(backend, "device_count", None)
    if not callable(count):
        return default
    try:
        return int(count())
    except Exception:  # noqa: BLE001 - no count: leave it to the allocation
        return default


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."
