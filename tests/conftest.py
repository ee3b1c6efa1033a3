import os
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ns3l.datasets import hide_labels

# Two cores are shared with everything else on these machines.
torch.set_num_threads(min(2, torch.get_num_threads()))

REPO = Path(__file__).resolve().parents[1]
SHARED_FASHION_MNIST = REPO.parent / "shared" / "data" / "fashion_mnist.npz"


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
    """The checksum-verified Fashion-MNIST npz; skips where it is absent."""
    path = Path(os.environ.get("NS3L_FASHION_MNIST", SHARED_FASHION_MNIST))
    if not path.exists():
        pytest.skip(
            f"Fashion-MNIST not found at {path}: set NS3L_FASHION_MNIST or "
            "apt-get install dataset-fashion-mnist (CI has it in ../shared/data)"
        )
    return path
