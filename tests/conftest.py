import os
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ns3l.datasets import (
    DEBIAN_FASHION_MNIST_DIR,
    FASHION_MNIST_ENV,
    hide_labels,
)

# Two cores are shared with everything else on these machines.
torch.set_num_threads(min(2, torch.get_num_threads()))

REPO = Path(__file__).resolve().parents[1]
# Where CI keeps its data: beside the repository, never inside it. A user's
# clone has no such folder; the tests that read it skip there (see below).
SHARED_FASHION_MNIST = REPO.parent / "shared" / "data" / "fashion_mnist.npz"

# Tests that read a data file from outside the repository, whichever way they
# find it, carry the marker ``needs_data`` (pyproject.toml registers it); .ci/run
# runs them once more with the data out of reach, as on a user's fresh clone.
# Tests that take the ``fashion_mnist_path`` fixture get it here; others say so
# with ``@pytest.mark.needs_data``, or are named below.
_NEEDS_DATA = {
    # Its quick mode's memory-map part reads Fashion-MNIST through
    # benchmarks/_common.fashion_mnist_path.
    "test_benchmarks_smoke.py::test_label_spreading_quick_mode_runs",
}

# NS3L_TEST_CPU=avx2 (or avx512_bf16) runs the suite as on such a CPU:
# precision="auto" resolves to float32 (or bfloat16) whatever this machine
# has, so that a test depending on the CPU's precision shows up on any one.
_TEST_CPU = os.environ.get("NS3L_TEST_CPU")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "fashion_mnist_path" in getattr(item, "fixturenames", ()) or (
            f"{item.path.name}::{item.name}" in _NEEDS_DATA
        ):
            item.add_marker(pytest.mark.needs_data)


@pytest.fixture(scope="session", autouse=True)
def _emulated_cpu():
    if not _TEST_CPU:
        yield
        return
    from sklearn_ns3l import _precision

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_precision, "_cpu_flags", lambda: set(_TEST_CPU.split(",")))
        patch.setattr(_precision, "_torch_cpu_says", lambda name: False)
        yield


@pytest.fixture(scope="session")
def digits():
    """Digits scaled to [0, 1]: X (1797, 64) float32, y."""
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.fixture(scope="session")
def digits_semi(digits):
    """First 600 digits with 10 labels per class kept, the rest -1."""
    X, y = digits
    return X[:600], hide_labels(y[:600], 10, random_state=0), y[:600]


@pytest.fixture(scope="session")
def fashion_mnist_path():
    """Fashion-MNIST (an npz or a directory of idx files); skips where absent.

    Looked up as ``sklearn_ns3l.datasets.load_fashion_mnist`` and the
    benchmarks look: ``$NS3L_FASHION_MNIST`` alone when it is set, else
    CI's ``../shared/data/fashion_mnist.npz``, else the Debian package's
    directory. Nothing is downloaded.
    """
    if os.environ.get(FASHION_MNIST_ENV):
        candidates = [Path(os.environ[FASHION_MNIST_ENV])]
    else:
        candidates = [SHARED_FASHION_MNIST, DEBIAN_FASHION_MNIST_DIR]
    for path in candidates:
        if path.exists():
            return path
    pytest.skip(
        f"Fashion-MNIST not found (looked at {', '.join(map(str, candidates))}): "
        f"set {FASHION_MNIST_ENV} to an .npz or idx directory, or "
        "apt-get install dataset-fashion-mnist"
    )
