"""What every benchmark shares: the data, the machine, timing, JSON.

The one home of each: Fashion-MNIST's location and loader
(``fashion_mnist``) and the pixel scaling (``unit_images``); the CPU's facts
(``cpu_info``, read from ``/proc/cpuinfo`` once) and the peak RSS
(``peak_rss_mib``).

torch, scikit-learn and the package are imported where used, so that a
benchmark measuring its own memory pays for nothing it does not use.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_FASHION_MNIST = REPO.parent / "shared" / "data" / "fashion_mnist.npz"


# --------------------------------------------------------------------------
# Data: where it is and how it is read.
# --------------------------------------------------------------------------


# LabelSpreadingSelector's calibration until docs/results.md's "What the
# calibration bounds" changed it: at most 2 % of the rows with their true
# class marked. The experiments and results made with it keep it explicit.
ROWS_2 = dict(wrong_negative_rate=0.02, calibration="rows")


def fashion_mnist_path(path: str | None = None) -> str | None:
    """Where Fashion-MNIST is read from: the first that is given or present.

    ``path`` (a command's ``--data-path``), ``$NS3L_FASHION_MNIST``,
    ``<repo>/../shared/data/fashion_mnist.npz``, else None:
    ``sklearn_ns3l.datasets.load_fashion_mnist(None)`` then reads the Debian
    package's directory. Nothing is downloaded.
    """
    if path:
        return path
    if os.environ.get("NS3L_FASHION_MNIST"):
        return os.environ["NS3L_FASHION_MNIST"]
    if SHARED_FASHION_MNIST.exists():
        return str(SHARED_FASHION_MNIST)
    return None


def fashion_mnist(path: str | None = None):
    """Fashion-MNIST as stored (uint8 images), read where ``fashion_mnist_path`` says.

    The one loader of the benchmarks: ``sklearn_ns3l.datasets.FashionMNIST``
    (``X_train``, ``y_train``, ``X_test``, ``y_test``, ``source``). Raises
    ``FileNotFoundError`` where no copy is found.
    """
    from sklearn_ns3l.datasets import load_fashion_mnist

    return load_fashion_mnist(fashion_mnist_path(path))


def unit_images(X):
    """uint8 pixels scaled to [0, 1] as float32, the shape kept.

    Divided in float32: for the 256 pixel values this equals dividing in
    float64 and rounding, so every benchmark's images are the same numbers.
    """
    import numpy as np

    return (X / np.float32(255)).astype(np.float32)


# --------------------------------------------------------------------------
# The machine and the versions.
# --------------------------------------------------------------------------


@functools.cache
def cpu_info() -> dict[str, str]:
    """The first CPU's fields of ``/proc/cpuinfo`` (Linux), else an empty dict.

    The one reader of CPU facts here: the model name, the ``flags`` (the
    instruction sets) and the clock (``cpu MHz``).
    """
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() not in info:
                info[key.strip()] = value.strip()
    except OSError:
        pass
    return info


def cpu_model() -> str:
    return cpu_info().get("model name") or platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The instruction-set flags of ``/proc/cpuinfo`` (empty where unreadable)."""
    return set(cpu_info().get("flags", "").split())


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (``ru_maxrss``).

    On Linux ``ru_maxrss`` is in KiB and survives ``exec``: a child starts at
    its parent's peak (see ``run_part_in_child``).
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine(device: str = "cpu") -> dict:
    """The CPU, its cores, torch's threads and, on CUDA, the GPU."""
    import torch

    info = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": device,
    }
    try:
        info["memory_gib"] = round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
        )
    except (ValueError, OSError, AttributeError):
        pass
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def git_commit() -> str | None:
    """The repository's short commit, ``+dirty`` if the package has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sklearn_ns3l"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def source_digest() -> str:
    """Hash of the package's source files, to tell uncommitted versions apart."""
    import sklearn_ns3l

    h = hashlib.sha256()
    root = Path(sklearn_ns3l.__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def versions() -> dict:
    import numpy as np
    import sklearn
    import torch

    import sklearn_ns3l

    return {
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "sklearn_ns3l": sklearn_ns3l.__version__,
        "git": git_commit(),
        "source_sha256": source_digest(),
    }


def summary() -> str:
    """One line: cores, CPU, torch and its threads, numpy, Python, the package."""
    import numpy as np
    import torch

    import sklearn_ns3l

    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, numpy {np.__version__}, "
        f"Python {platform.python_version()}, sklearn-ns3l {sklearn_ns3l.__version__}"
    )


# --------------------------------------------------------------------------
# Timing.
# --------------------------------------------------------------------------


def run_part_in_child(script: str, argv, part: str) -> subprocess.CompletedProcess:
    """Run ``script --part part`` (with this run's arguments) in a child, first.

    Started while the parent holds only its imports: Linux carries a parent's
    peak RSS into its child's ``ru_maxrss``, so a child started after the
    parent's own part would inherit that part's arrays. Its output is captured.
    """
    return subprocess.run(
        [sys.executable, script, *(argv or sys.argv[1:]), "--part", part],
        check=True,
        capture_output=True,
        text=True,
    )


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of ``fn()``."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved(runs: dict, repeats: int, warmup: int = 0) -> dict:
    """``{"wall": {name: [s, ...]}, "cpu": {...}}``, alternating the runs.

    After ``warmup`` untimed rounds, each of ``repeats`` rounds runs every run
    once, the order rotated from round to round, so that a burst of load from
    other processes on a shared machine slows one round of every run rather
    than all of one run.
    """
    names = list(runs)
    for _ in range(warmup):
        for name in names:
            runs[name]()
    times = {"wall": {name: [] for name in names}, "cpu": {name: [] for name in names}}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            wall, cpu = timed(runs[name])
            times["wall"][name].append(wall)
            times["cpu"][name].append(cpu)
    return times


# --------------------------------------------------------------------------
# Files.
# --------------------------------------------------------------------------


def write_json(path: Path, obj) -> None:
    """Write atomically, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=str) + "\n")
    os.replace(tmp, path)
