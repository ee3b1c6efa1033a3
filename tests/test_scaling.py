"""scale="auto": raw tables in mixed units are standardised, pixels are not."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse
from sklearn.preprocessing import StandardScaler

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l._scaling import RANGE_SPREAD_LIMIT, column_range_spread

FAST = dict(max_epochs=2, batch_size=32, random_state=0, precision="float32")


@pytest.fixture
def mixed_units(digits_semi):
    """Digits with each column in its own unit: ranges from 1 to 10^4."""
    X, y_semi, y = digits_semi
    units = np.logspace(0, 4, X.shape[1]).astype(np.float32)
    return X * units + 3.0, y_semi, y


def test_mixed_units_train_as_if_the_user_had_standardised(mixed_units):
    X, y_semi, _ = mixed_units
    clf = NS3LClassifier(**FAST).fit(X, y_semi)
    assert isinstance(clf.scaler_, StandardScaler)
    # Fitted on every row, the unlabelled ones too.
    np.testing.assert_allclose(clf.scaler_.mean_, X.mean(axis=0), rtol=1e-5)
    by_hand = StandardScaler().fit(X)
    twin = NS3LClassifier(scale=None, **FAST).fit(by_hand.transform(X), y_semi)
    np.testing.assert_array_equal(
        clf.predict_proba(X), twin.predict_proba(by_hand.transform(X))
    )


def test_columns_on_one_scale_are_left_as_they_are(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(**FAST).fit(X, y_semi)
    assert clf.scaler_ is None
    plain = NS3LClassifier(scale=None, **FAST).fit(X, y_semi)
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))


def test_standard_always_scales_feature_vectors_never_images(digits_semi):
    X, y_semi, _ = digits_semi
    assert NS3LClassifier(scale="standard", **FAST).fit(X, y_semi).scaler_ is not None
    images = NS3LClassifier(scale="standard", **FAST).fit(X.reshape(-1, 8, 8), y_semi)
    assert images.scaler_ is None


def test_sparse_input_is_scaled_without_centring(mixed_units):
    X, y_semi, _ = mixed_units
    clf = NS3LClassifier(**FAST).fit(sparse.csr_matrix(X), y_semi)
    assert clf.scaler_ is not None and clf.scaler_.with_mean is False
    assert np.isfinite(clf.predict_proba(sparse.csr_matrix(X[:5]))).all()


def test_a_memory_map_is_never_copied_to_scale_it(mixed_units, tmp_path):
    X, y_semi, _ = mixed_units
    path = tmp_path / "x.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    with pytest.warns(UserWarning, match="scale='auto' leaves X as it is"):
        clf = NS3LClassifier(**FAST).fit(mapped, y_semi)
    assert clf.scaler_ is None
    with pytest.raises(ValueError, match="scale='standard': the columns"):
        NS3LClassifier(scale="standard", **FAST).fit(mapped, y_semi)


def test_constant_integer_and_boolean_columns_train_without_nan(mixed_units):
    X, y_semi, _ = mixed_units
    X = np.column_stack(
        [X, np.full(len(X), 7.0), np.arange(len(X)) % 3, np.arange(len(X)) % 2 == 0]
    ).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        clf = NS3LClassifier(**FAST).fit(X, y_semi)
    assert clf.scaler_ is not None and np.isfinite(clf.predict_proba(X)).all()


def test_an_unknown_scale_is_refused():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'scale' parameter"):
        NS3LClassifier(scale="minmax").fit(np.eye(4), [0, 1, -1, -1])


@settings(max_examples=50, deadline=None)
@given(
    # Whole numbers: a column's range is 0 or at least 1, so that a shift
    # cannot round a tiny range away.
    X=arrays(
        np.float64,
        st.tuples(st.integers(2, 20), st.integers(1, 6)),
        elements=st.integers(-1000, 1000),
    ),
    shift=st.floats(-1e3, 1e3),
    factor=st.floats(1e-3, 1e3),
)
def test_the_range_spread_ignores_shifts_and_common_units(X, shift, factor):
    spread = column_range_spread(X)
    assert spread >= 1.0
    assert column_range_spread(X * factor + shift) == pytest.approx(spread, rel=1e-6)
    assert column_range_spread(sparse.csr_matrix(X)) == pytest.approx(spread)


def test_the_limit_separates_raw_tables_from_pixels():
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    for load in (load_wine, load_breast_cancer):
        assert column_range_spread(load(return_X_y=True)[0]) > RANGE_SPREAD_LIMIT
    assert column_range_spread(load_digits(return_X_y=True)[0]) < RANGE_SPREAD_LIMIT


def test_a_dense_fitted_model_takes_sparse_rows_too(mixed_units):
    X, y_semi, _ = mixed_units
    clf = NS3LClassifier(**FAST).fit(X, y_semi)
    np.testing.assert_allclose(
        clf.predict_proba(sparse.csr_matrix(X[:20])), clf.predict_proba(X[:20])
    )


def test_rows_of_weight_zero_do_not_shape_the_scaler(mixed_units):
    X, y_semi, _ = mixed_units
    # One far outlier, weighted 0: as if it were not in X.
    X_out = np.vstack([X, np.full((1, X.shape[1]), 1e6, np.float32)])
    y_out = np.r_[y_semi, -1]
    weights = np.r_[np.ones(len(X)), 0.0]
    clf = NS3LClassifier(**FAST).fit(X_out, y_out, sample_weight=weights)
    plain = NS3LClassifier(**FAST).fit(X, y_semi)
    np.testing.assert_allclose(clf.scaler_.mean_, plain.scaler_.mean_, rtol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X), plain.predict_proba(X), atol=1e-6)


def test_overflow_is_reported_in_the_users_units(mixed_units):
    X, y_semi, _ = mixed_units
    clf = NS3LClassifier(selector="threshold", **FAST).fit(X, y_semi)
    far = X[:2].copy()
    far[:, 2] = 3e38  # finite, but not once standardised (its sd is below 1)
    with pytest.raises(ValueError, match=r"\|x\| = 3e\+38"):
        clf.predict_proba(far)
