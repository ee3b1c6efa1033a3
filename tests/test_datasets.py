"""Loading Fashion-MNIST (idx files and npz) and hiding labels."""

import gzip
import struct

import numpy as np
import pytest

from sklearn_ns3l import datasets
from sklearn_ns3l.datasets import hide_labels, load_fashion_mnist, read_idx


def _write_idx(path, array, compress):
    codes = {np.dtype(np.uint8): 0x08}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.fixture
def tiny_fashion(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": np.array([9, 0, 0, 3, 0, 2], dtype=np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": np.array([9, 2], dtype=np.uint8),
    }
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_idx_directory_round_trip(tmp_path, tiny_fashion, compress):
    suffix = ".gz" if compress else ""
    for key, stem in datasets._IDX_FILES.items():
        _write_idx(tmp_path / (stem + suffix), tiny_fashion[key], compress)
    data = load_fashion_mnist(tmp_path)
    np.testing.assert_array_equal(data.X_train, tiny_fashion["x_train"])
    np.testing.assert_array_equal(data.y_test, tiny_fashion["y_test"])
    assert data.X_train.dtype == np.uint8 and data.target_names[9] == "Ankle boot"


def test_npz_and_environment_variable(tmp_path, tiny_fashion, monkeypatch):
    np.savez(tmp_path / "f.npz", **tiny_fashion)
    monkeypatch.setenv(datasets.FASHION_MNIST_ENV, str(tmp_path / "f.npz"))
    data = load_fashion_mnist()
    np.testing.assert_array_equal(data.X_test, tiny_fashion["x_test"])
    assert data.source.endswith("f.npz")


def test_default_location_is_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.FASHION_MNIST_ENV, raising=False)
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "absent")
    with pytest.raises(
        FileNotFoundError, match="apt-get install dataset-fashion-mnist"
    ):
        load_fashion_mnist()


def test_corrupt_and_incomplete_files_are_clear_errors(tmp_path, tiny_fashion):
    bad = tmp_path / "bad-idx1-ubyte"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an idx file"):
        read_idx(bad)
    _write_idx(tmp_path / "short", tiny_fashion["x_test"], False)
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short")
    with pytest.raises(FileNotFoundError, match="lacks the idx files"):
        load_fashion_mnist(tmp_path)
    np.savez(tmp_path / "partial.npz", x_train=tiny_fashion["x_train"])
    with pytest.raises(ValueError, match="lacks the arrays"):
        load_fashion_mnist(tmp_path / "partial.npz")


def test_real_fashion_mnist_is_the_canonical_version(fashion_mnist_path):
    data = load_fashion_mnist(fashion_mnist_path)
    assert data.X_train.shape == (60000, 28, 28) and data.X_test.shape == (
        10000,
        28,
        28,
    )
    np.testing.assert_array_equal(data.y_train[:10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    np.testing.assert_array_equal(data.y_test[:10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    assert data.X_train.mean() == pytest.approx(72.94035, abs=1e-4)


def test_hide_labels_keeps_exactly_n_per_class():
    y = np.repeat(np.arange(5), 20)
    y_semi = hide_labels(y, 3, random_state=0)
    kept = y_semi != -1
    np.testing.assert_array_equal(np.bincount(y[kept]), [3] * 5)
    np.testing.assert_array_equal(y_semi[kept], y[kept])
    np.testing.assert_array_equal(hide_labels(y, 3, random_state=0), y_semi)


def test_hide_labels_with_strings_and_bad_counts():
    y_semi = hide_labels(np.array(["a", "a", "b", "b"]), 1, random_state=0)
    assert y_semi.dtype == object and list(y_semi).count(-1) == 2
    with pytest.raises(ValueError, match="fewer than labels_per_class"):
        hide_labels([0, 0, 1], 2)
    with pytest.raises(ValueError, match="must be >= 1"):
        hide_labels([0, 1], 0)
