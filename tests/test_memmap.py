"""A memory-mapped X is read where it lies, gives what an in-memory X gives,
and is still checked for NaN and infinity."""

import warnings

import numpy as np
import pytest

from sklearn_ns3l import NS3LClassifier, _memmap
from sklearn_ns3l._batching import SemiSupervisedData
from sklearn_ns3l._memmap import FileMapping, validate_data_chunked


def _memmap_of(tmp_path, X, mode="r", name="X.f32"):
    path = tmp_path / name
    np.ascontiguousarray(X).tofile(path)
    return np.memmap(path, dtype=X.dtype, mode=mode, shape=X.shape)


def _fit(X, y, selector="threshold"):
    return NS3LClassifier(
        selector=selector, max_epochs=2, batch_size=32, random_state=0
    ).fit(X, y)


@pytest.mark.parametrize("selector", ["threshold", None])
def test_memmap_fit_and_predict_equal_in_memory(tmp_path, digits_semi, selector):
    X, y, _ = digits_semi
    X_map = _memmap_of(tmp_path, X)
    in_memory = _fit(X, y, selector)
    on_disk = _fit(X_map, y, selector)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch on a read-only array
        proba_disk = on_disk.predict_proba(X_map)
    np.testing.assert_array_equal(proba_disk, in_memory.predict_proba(X))
    np.testing.assert_array_equal(
        on_disk.history_[:, "train_loss"], in_memory.history_[:, "train_loss"]
    )


def test_validation_keeps_a_memmap_on_disk(tmp_path, digits_semi):
    X, y, _ = digits_semi
    X_map = _memmap_of(tmp_path, X)
    X_checked, _ = validate_data_chunked(
        NS3LClassifier(), X_map, y, allow_nd=True, dtype=np.float32
    )
    assert np.shares_memory(X_checked, X_map)
    data = SemiSupervisedData(
        X_checked, np.flatnonzero(y != -1), y[y != -1], np.flatnonzero(y == -1)
    )
    assert data.X_u.mapping is not None and data.X_l.mapping is not None


def test_in_memory_pool_is_not_copied(digits_semi):
    X, y, _ = digits_semi
    data = SemiSupervisedData(
        X, np.flatnonzero(y != -1), y[y != -1], np.flatnonzero(y == -1)
    )
    assert data.X_u.X is X


@pytest.mark.parametrize(
    "value, message", [(np.nan, "Input X contains NaN"), (np.inf, "infinity")]
)
@pytest.mark.parametrize("method", ["fit", "predict_proba"])
def test_non_finite_memmap_raises_like_sklearn(
    tmp_path, monkeypatch, digits_semi, value, message, method
):
    X, y, _ = digits_semi
    fitted = _fit(X, y) if method == "predict_proba" else None
    X = X.copy()
    X[-3, 5] = value  # in the last chunk, not the first
    monkeypatch.setattr(_memmap, "CHUNK_BYTES", 64 * X.shape[1] * 4)
    X_map = _memmap_of(tmp_path, X)
    with pytest.raises(ValueError, match=message):
        if fitted is None:
            _fit(X_map, y)
        else:
            fitted.predict_proba(X_map)


@pytest.mark.parametrize("mode, shared", [("r", True), ("r+", True), ("c", False)])
def test_releasing_pages_keeps_the_data(tmp_path, mode, shared):
    X = np.arange(4096 * 8, dtype=np.float32).reshape(-1, 64)
    X_map = _memmap_of(tmp_path, X, mode=mode)
    if mode != "r":
        X_map[0, 0] = -1.0  # a change only the mapping holds so far
        X[0, 0] = -1.0
    mapping = FileMapping.of(np.asarray(X_map)[10:])
    assert mapping is not None and mapping.shared is shared
    mapping.release()
    np.testing.assert_array_equal(X_map, X)


def test_in_memory_arrays_have_no_mapping():
    assert FileMapping.of(np.zeros((3, 2))) is None
    assert FileMapping.of([[0.0, 1.0]]) is None
