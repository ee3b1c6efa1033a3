"""The arithmetic precision of training and prediction: what this machine runs fast.

``precision="auto"`` trains under bfloat16 autocast where the hardware has
bfloat16 arithmetic of its own (a CPU with AVX512-BF16 or AMX, a CUDA GPU
that supports it), under float16 autocast with gradient scaling on an older
CUDA GPU, and in float32 elsewhere. The weights stay float32 (autocast casts
copies for the matrix products), and the network's logits are cast back to
float32 before any loss or probability is computed from them.

On a CPU without those instructions bfloat16 is emulated, several times
slower than float32 (``docs/performance.md``), so asking for it there is
answered with a warning and float32, never with a slow run.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import torch

from ._warnings import warn_user

__all__ = ["PRECISIONS", "fast_dtypes", "precision_context", "resolve_precision"]

#: The names ``NS3LClassifier(precision=...)`` accepts.
PRECISIONS = ("auto", "float32", "bfloat16", "float16")

_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def _cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (Linux), else empty."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _torch_cpu_says(name: str) -> bool:
    # torch.cpu's private probes ask cpuinfo, on every platform; absent in
    # some builds, where /proc/cpuinfo is the word.
    probe = getattr(torch.cpu, name, None)
    try:
        return bool(probe()) if callable(probe) else False
    except Exception:  # noqa: BLE001 - a probe that fails says "no"
        return False


def fast_dtypes(device: torch.device) -> frozenset[str]:
    """The reduced precisions ``device`` has arithmetic for, not emulation.

    Parameters
    ----------
    device : torch.device

    Returns
    -------
    names : frozenset of {"bfloat16", "float16"}
        On a CPU: ``"bfloat16"`` with the ``avx512_bf16`` or ``amx_bf16``
        instructions, ``"float16"`` with ``amx_fp16``. On CUDA:
        ``"float16"`` always, ``"bfloat16"`` where
        ``torch.cuda.is_bf16_supported(including_emulation=False)``. Other
        devices: none.
    """
    if device.type == "cpu":
        flags = _cpu_flags()
        fast = set()
        if (
            {"avx512_bf16", "amx_bf16"} & flags
            or _torch_cpu_says("_is_avx512_bf16_supported")
            or _torch_cpu_says("_is_amx_tile_supported")
        ):
            fast.add("bfloat16")
        if "amx_fp16" in flags or _torch_cpu_says("_is_amx_fp16_supported"):
            fast.add("float16")
        return frozenset(fast)
    if device.type == "cuda":
        with torch.cuda.device(device):
            try:
                bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
            except TypeError:  # torch without the keyword
                bf16 = torch.cuda.is_bf16_supported()
        return frozenset({"float16"} | ({"bfloat16"} if bf16 else set()))
    return frozenset()


def resolve_precision(name: str, device: torch.device) -> str:
    """The precision a ``precision`` parameter means on ``device``.

    Parameters
    ----------
    name : {"auto", "float32", "bfloat16", "float16"}
        ``"auto"``: bfloat16 where :func:`fast_dtypes` has it, else float16
        on CUDA, else float32. ``"float32"``: full precision. A reduced
        precision by name: used where the device runs it fast.
    device : torch.device

    Returns
    -------
    precision : {"float32", "bfloat16", "float16"}

    Warns
    -----
    UserWarning
        If ``"bfloat16"`` or ``"float16"`` is asked for on a device without
        fast support for it: training runs in float32 instead, as emulated
        reduced precision would be slower than float32 and no more accurate.

    Raises
    ------
    ValueError
        For a name outside ``PRECISIONS`` (the classifier's parameter
        validation refuses it first, with ``InvalidParameterError``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ns3l._precision import resolve_precision
    >>> resolve_precision("float32", torch.device("cpu"))
    'float32'
    """
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {name!r}.")
    if name == "float32":
        return name
    fast = fast_dtypes(device)
    if name == "auto":
        for candidate in ("bfloat16", "float16"):
            # float16 needs gradient scaling; bfloat16 has float32's range.
            if candidate in fast:
                return candidate
        return "float32"
    if name not in fast:
        what = (
            "AVX512-BF16 or AMX instructions"
            if device.type == "cpu" and name == "bfloat16"
            else "AMX-FP16 instructions"
            if device.type == "cpu"
            else "hardware support for it"
        )
        warn_user(
            f"precision={name!r} but device {str(device)!r} lacks {what}, so "
            f"{name} would be emulated, slower than float32; training in "
            "float32 instead (precision='auto' picks what is fast)."
        )
        return "float32"
    return name


def precision_context(precision: str, device: torch.device) -> AbstractContextManager:
    """The autocast context of a resolved precision (a no-op for float32)."""
    if precision == "float32":
        return nullcontext()
    return torch.autocast(device.type, dtype=_DTYPES[precision])
