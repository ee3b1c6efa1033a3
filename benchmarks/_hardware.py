"""What the CPU can do: FLOPs of a training step against the CPU's nominal peak.

``cpu_peak`` assumes 2 FMA units per core (see ``throughput.py``'s
docstring, measurement 6); its CPU facts come from ``_common.cpu_info``.
"""

from __future__ import annotations

import numpy as np
import torch
from _common import cpu_flags, cpu_info
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from sklearn_ns3l._networks import SmallCNN

__all__ = ["cpu_peak", "step_flops"]


def step_flops(X, y, batch_size) -> int:
    """FLOPs of one training step of the package's SmallCNN (forward + backward)."""
    torch.manual_seed(0)
    model = SmallCNN((1, *X.shape[1:]), int(np.max(y)) + 1)
    xb = torch.from_numpy(X[:batch_size])
    yb = torch.from_numpy(np.asarray(y[:batch_size], dtype=np.int64))
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(xb), yb).backward()
    return counter.get_total_flops()


def cpu_peak(precision: str, threads: int) -> dict:
    """Nominal peak GFLOP/s: threads x GHz x FLOPs/cycle/core (module docstring)."""
    flags = cpu_flags()
    mhz = float(cpu_info()["cpu MHz"]) if "cpu MHz" in cpu_info() else None
    if precision == "bfloat16" and "amx_bf16" in flags:
        isa, per_cycle = "AMX-BF16", 1024
    elif precision == "bfloat16" and "avx512_bf16" in flags:
        isa, per_cycle = "AVX512-BF16", 128
    elif "avx512f" in flags:
        isa, per_cycle = "AVX-512 FMA, float32", 64
    elif "avx2" in flags and "fma" in flags:
        isa, per_cycle = "AVX2 FMA, float32", 32
    else:
        isa, per_cycle = "SSE, float32", 8
    ghz = None if mhz is None else mhz / 1e3
    peak = None if ghz is None else threads * ghz * per_cycle
    return {
        "isa": isa,
        "flops_per_cycle": per_cycle,
        "ghz": ghz,
        "cores": threads,
        "peak_gflops": peak,
    }
