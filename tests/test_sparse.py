"""A sparse (CSR) X gives what its dense twin gives, read a batch at a time."""

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse._compressed import _cs_matrix

from sklearn_ns3l import NS3LClassifier, _sparse
from sklearn_ns3l.selectors import (
    NearestNeighbourSelector,
    OracleSelector,
    ThresholdSelector,
    UniformSelector,
)

SELECTORS = [
    "threshold",
    "uniform",
    "nn_exclude_class",
    "label_spreading",
    "oracle",
    None,
]


def _fit(X, y, selector="threshold", y_true=None, sample_weight=None, **params):
    params = {"max_epochs": 2, "batch_size": 32, "rampup_epochs": 0, **params}
    clf = NS3LClassifier(selector, random_state=0, **params)
    return clf.fit(X, y, y_true=y_true, sample_weight=sample_weight)


@pytest.fixture
def count_densified(monkeypatch):
    """Rows of every CSR/CSC ``toarray`` call, in order."""
    rows = []
    toarray = _cs_matrix.toarray

    def recording(self, *args, **kwargs):
        rows.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(_cs_matrix, "toarray", recording)
    return rows


@pytest.mark.parametrize("selector", SELECTORS)
def test_csr_fit_and_predict_equal_dense(digits_semi, selector):
    X, y, y_true = digits_semi
    dense = _fit(X, y, selector, y_true=y_true)
    csr = _fit(sparse.csr_matrix(X), y, selector, y_true=y_true)
    np.testing.assert_array_equal(
        csr.history_[:, "train_loss"], dense.history_[:, "train_loss"]
    )
    proba = csr.predict_proba(sparse.csr_matrix(X))
    np.testing.assert_array_equal(proba, dense.predict_proba(X))
    np.testing.assert_array_equal(csr.predict(sparse.csr_array(X)), dense.predict(X))
    assert csr.score(sparse.csr_array(X), y_true) == dense.score(X, y_true)
    assert csr.n_features_in_ == X.shape[1] and csr.input_shape_ == (X.shape[1],)


def test_other_formats_weights_and_validation_equal_dense(digits_semi):
    X, y, _ = digits_semi
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    params = {"class_weight": "balanced", "validation_fraction": 0.3}
    dense = _fit(X, y, **params)
    X_64 = sparse.csr_array(X)  # 64-bit indices, as large matrices have
    X_64.indices, X_64.indptr = (
        a.astype(np.int64) for a in (X_64.indices, X_64.indptr)
    )
    for X_sparse in (sparse.csc_matrix(X), sparse.coo_array(X), X_64):
        fitted = _fit(X_sparse, y, **params)
        np.testing.assert_array_equal(
            fitted.history_[:, "valid_loss"], dense.history_[:, "valid_loss"]
        )
        np.testing.assert_array_equal(
            fitted.predict_proba(X_sparse), dense.predict_proba(X)
        )
    weighted = _fit(sparse.csr_matrix(X), y, sample_weight=weights, **params)
    np.testing.assert_array_equal(
        weighted.predict_proba(X_64),
        _fit(X, y, sample_weight=weights, **params).predict_proba(X),
    )


def test_sparse_x_is_densified_a_batch_at_a_time(
    digits_semi, count_densified, monkeypatch
):
    X, y, _ = digits_semi
    n_labelled = int((y != -1).sum())
    clf = _fit(sparse.csr_matrix(X), y, validation_fraction=0.2)
    assert count_densified, "nothing was densified: the check would see nothing"
    # Training batches in their labelled and unlabelled halves, the held-out
    # rows in a batch, and one row for the network's trial pass.
    assert max(count_densified) <= clf.batch_size
    assert count_densified.count(clf.batch_size // 2) >= 2 * clf.n_epochs_
    count_densified.clear()
    clf.predict_proba(sparse.csr_matrix(X))
    assert sum(count_densified) == len(X) and max(count_densified) < len(X)

    # After the network's one-row trial pass (made before any index, so that
    # a network that does not fit is refused first), a nearest-neighbour
    # selector densifies the labelled rows once for its index, then the pool
    # in search chunks of 50 and, for its draws, in blocks of 64 rows (made
    # small here).
    count_densified.clear()
    monkeypatch.setattr(_sparse, "BLOCK_BYTES", 64 * X.shape[1] * 4)
    selector = NearestNeighbourSelector(chunk_size=50, random_state=0)
    _fit(sparse.csr_matrix(X), y, selector)
    assert count_densified[:2] == [1, n_labelled]
    pool_reads = count_densified[2:]
    assert max(pool_reads) <= 64
    assert pool_reads.count(50) == (len(X) - n_labelled) // 50


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_sparse_data_refused_as_dense(digits_semi, value):
    X, y, _ = digits_semi
    X_sparse = sparse.csr_matrix(X)
    X_sparse.data[5] = value
    with pytest.raises(ValueError) as dense_error:
        NS3LClassifier(max_epochs=1).fit(X_sparse.toarray(), y)
    with pytest.raises(ValueError) as sparse_error:
        NS3LClassifier(max_epochs=1).fit(X_sparse, y)
    assert str(sparse_error.value) == str(dense_error.value)
    assert "NaN" in str(sparse_error.value) or "infinity" in str(sparse_error.value)
    fitted = _fit(X, y)
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted.predict(X_sparse)


def test_sparse_input_is_not_mutated(digits_semi):
    X, y, y_true = digits_semi
    csr = sparse.csr_matrix(X)
    # Each row's entries in reverse column order, and row 0's first entry
    # split in two duplicates (summed when densified): sorting or summing in
    # place would change the arrays.
    data, indices = csr.data.copy(), csr.indices.copy()
    for start, stop in zip(csr.indptr[:-1], csr.indptr[1:], strict=True):
        data[start:stop] = csr.data[start:stop][::-1]
        indices[start:stop] = csr.indices[start:stop][::-1]
    data[0] /= 2
    data, indices = np.insert(data, 0, data[0]), np.insert(indices, 0, indices[0])
    indptr = csr.indptr + np.r_[0, np.ones(len(csr.indptr) - 1, int)]
    X_odd = sparse.csr_matrix((data, indices, indptr), shape=csr.shape)
    assert not X_odd.has_sorted_indices and not X_odd.has_canonical_format
    np.testing.assert_array_equal(X_odd.toarray(), X)
    before = [a.copy() for a in (X_odd.data, X_odd.indices, X_odd.indptr)]
    fitted = _fit(X_odd, y, "nn_exclude_class")
    fitted.predict_proba(X_odd)
    fitted.score(X_odd, y_true)
    for was, now in zip(before, (X_odd.data, X_odd.indices, X_odd.indptr), strict=True):
        np.testing.assert_array_equal(was, now)
    np.testing.assert_array_equal(
        fitted.predict_proba(X_odd), _fit(X, y, "nn_exclude_class").predict_proba(X)
    )


def test_sparse_with_image_shape_trains_the_cnn_on_dense_batches(digits_semi):
    X, y, _ = digits_semi
    params = {"image_shape": (8, 8), "augment": "shift"}
    csr = _fit(sparse.csr_matrix(X), y, **params)
    assert type(csr.module_).__name__ == "SmallCNN"
    np.testing.assert_array_equal(
        csr.predict_proba(sparse.csr_matrix(X)), _fit(X, y, **params).predict_proba(X)
    )


def test_sparse_cnn_without_image_shape_is_refused(digits_semi):
    X, y, _ = digits_semi
    with pytest.raises(ValueError, match="module='cnn' needs images.*image_shape"):
        NS3LClassifier(module="cnn", max_epochs=1).fit(sparse.csr_matrix(X), y)


@pytest.mark.parametrize(
    "selector",
    [
        NearestNeighbourSelector(random_state=0),
        NearestNeighbourSelector("nn_furthest", metric="cosine", chunk_size=7),
        NearestNeighbourSelector(
            "nn_exclude_nearest", m=2, index="HNSW32", random_state=0
        ),
        UniformSelector(k=2, random_state=0),
    ],
    ids=lambda s: repr(s),
)
def test_static_selectors_give_dense_masks_for_sparse_x(digits_semi, selector):
    X, y, _ = digits_semi
    labelled = y != -1
    X_l, X_u = X[labelled].astype(np.float64), X[~labelled].astype(np.float64)
    dense = selector.fit(X_l, y[labelled]).transform(X_u)
    mask = selector.fit(sparse.csr_array(X_l), y[labelled]).transform(
        sparse.csr_matrix(X_u)
    )
    np.testing.assert_array_equal(mask, dense)
    if hasattr(selector, "index_"):
        np.testing.assert_array_equal(
            selector.index_.distances(sparse.csr_matrix(X_u)),
            selector.index_.distances(X_u),
        )


def test_oracle_on_sparse_x(digits_semi):
    X, y, y_true = digits_semi
    labelled = y != -1
    oracle = OracleSelector(k=3, random_state=0).fit(
        sparse.csr_matrix(X[labelled]), y[labelled]
    )
    mask = oracle.transform(sparse.csr_matrix(X[~labelled]), y_true=y_true[~labelled])
    np.testing.assert_array_equal(
        mask, oracle.transform(X[~labelled], y_true=y_true[~labelled])
    )
    assert not mask[np.arange(len(mask)), y_true[~labelled]].any()


def test_sparse_tags():
    assert NS3LClassifier().__sklearn_tags__().input_tags.sparse
    for selector in (NearestNeighbourSelector(), UniformSelector(), OracleSelector()):
        assert selector.__sklearn_tags__().input_tags.sparse
    # Probabilities are dense: the probability selectors refuse sparse input.
    assert not ThresholdSelector().__sklearn_tags__().input_tags.sparse
    with pytest.raises(TypeError, match="[Ss]parse"):
        ThresholdSelector().fit(sparse.csr_matrix(np.eye(3)))
