"""Measurement 3 of ``throughput.py``: a fit on a memory-mapped pool, its peak RSS.

``memory_run`` writes the labelled rows and a synthetic pool to a file,
then starts a fresh interpreter that runs ``memory_child``: it opens the
file as a ``numpy.memmap``, fits ``selector="threshold"`` on it and reports
its own peak resident set size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import peak_rss_mib

from sklearn_ns3l import NS3LClassifier

__all__ = ["memory_child", "memory_run", "write_memmap"]


def write_memmap(path: Path, X_labelled, n_pool: int, chunk_rows: int = 50_000):
    """Labelled rows first, then ``n_pool`` synthetic rows, written in chunks."""
    rng = np.random.default_rng(0)
    n_features = X_labelled[0].size
    with open(path, "wb") as f:
        np.ascontiguousarray(X_labelled.reshape(len(X_labelled), -1)).tofile(f)
        for start in range(0, n_pool, chunk_rows):
            n = min(chunk_rows, n_pool - start)
            rng.random((n, n_features), dtype=np.float32).tofile(f)
    return (len(X_labelled) + n_pool, n_features)


def _proc_status_gib(field: str) -> float | None:
    """A ``Vm*`` line of /proc/self/status in GiB (Linux), else None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20  # kB
    except OSError:
        pass
    return None


def memory_child(spec: dict) -> dict:
    """Runs in a fresh interpreter: fit on the memory map, report peak RSS.

    ``ru_maxrss`` survives ``exec``: it starts at the RSS of the parent that
    spawned this process, so the child's own peak is read from ``VmHWM``
    (the high-water mark of this process's memory, Linux) where available.
    """
    shape = tuple(spec["shape"])
    X = np.memmap(spec["x_path"], dtype=np.float32, mode="r", shape=shape)
    y = np.load(spec["y_path"])
    before = _proc_status_gib("VmRSS")
    clf = NS3LClassifier(
        selector="threshold",
        image_shape=(28, 28),
        max_epochs=spec["epochs"],
        batch_size=spec["batch_size"],
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    ru_maxrss = peak_rss_mib() / 1024
    hwm = _proc_status_gib("VmHWM")
    return {
        "peak_rss_gib": ru_maxrss if hwm is None else hwm,
        "peak_from": "ru_maxrss" if hwm is None else "VmHWM",
        "ru_maxrss_gib": ru_maxrss,
        "rss_before_fit_gib": before,
        "fit_seconds": seconds,
        "n_unlabelled": int(clf.n_unlabelled_),
        "steps": int(sum(len(h["batches"]) for h in clf.history_)),
    }


def memory_run(args, X_labelled, y_labelled, script: str) -> dict:
    """Write the memory map, fit on it in ``script --memory-child SPEC``, report.

    ``script`` (``throughput.py``) hands ``SPEC`` to ``memory_child``.
    """
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        shape = write_memmap(tmp / "X.f32", X_labelled, args.pool_rows)
        write_seconds = time.perf_counter() - start
        y = np.concatenate([y_labelled, np.full(args.pool_rows, -1)])
        np.save(tmp / "y.npy", y)
        spec = {
            "x_path": str(tmp / "X.f32"),
            "y_path": str(tmp / "y.npy"),
            "shape": list(shape),
            "epochs": args.memmap_epochs,
            "batch_size": args.batch_size,
        }
        proc = subprocess.run(
            [sys.executable, script, "--memory-child", json.dumps(spec)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"memory subprocess failed:\n{proc.stderr}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(shape=list(shape), file_gib=shape[0] * shape[1] * 4 / 2**30)
    result["write_seconds"] = write_seconds
    return result
