"""Exact search agrees with float64 brute force at any scale and offset."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sklearn_ns3l.selectors import NearestNeighbourSelector
from sklearn_ns3l.selectors._knn_graph import NearestRowsIndex
from sklearn_ns3l.selectors._per_class_search import (
    PerClassNearestIndex,
    per_class_nearest_distances,
)

# The documented worst case of a distance kept from the float32 product.
RELATIVE_ERROR = 2.0**-9


def _float64_distances(X_q, X_l, y_l, n_classes, metric):
    """Per-class nearest distances in float64 on the very same float32 values."""
    q, x = X_q.astype(np.float64), X_l.astype(np.float64)
    if metric == "l2":
        d = np.sqrt(((q[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1))
    else:
        norms = np.linalg.norm(q, axis=1)[:, None] * np.linalg.norm(x, axis=1)[None]
        dot = q @ x.T
        similarity = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
        d = np.clip(1.0 - similarity, 0.0, 2.0)
    return np.stack([d[:, y_l == c].min(axis=1) for c in range(n_classes)], axis=1)


def _search(X_l, y_l, n_classes, X_q, metric="l2", chunk_size=None):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings
        index = PerClassNearestIndex(
            X_l, y_l, n_classes, metric=metric, chunk_size=chunk_size
        )
        return index.distances(X_q)


def _assert_same_as_float64(D, expected, metric="l2"):
    # Two float64 computations of one distance (other summation orders) may
    # differ by a few float64 epsilons, absolute for cosine distances in [0, 2].
    eps = 8 * np.finfo(np.float64).eps
    slack = eps * (np.ones_like(expected) if metric == "cosine" else expected)
    with np.errstate(over="ignore"):
        rounded = expected.astype(np.float32)  # what a float32 result can say
    # 1. The order of the classes in every row is float64's (ties aside).
    before = expected[:, :, None] + slack[..., None] < expected[:, None, :]
    assert not (before & (D[:, :, None] > D[:, None, :])).any()
    # 2. Hence the nearest class is float64's, up to a float32 tie.
    rows = np.arange(len(D))
    nearest, best = expected[rows, D.argmin(axis=1)], expected.min(axis=1)
    tie = nearest.astype(np.float32) == best.astype(np.float32)
    assert (tie | (nearest <= best + slack[rows, expected.argmin(axis=1)])).all()
    # 3. Each distance is close.
    assert np.isfinite(D).all()
    error = np.abs(D.astype(np.float64) - rounded)
    assert (error <= RELATIVE_ERROR * rounded + slack).all()


def _search_or_refusal(X_l, y_l, n_classes, X_q, metric="l2"):
    """The distances, or None where one is beyond float32 and the search refuses."""
    expected = _float64_distances(X_q, X_l, y_l, n_classes, metric)
    with np.errstate(over="ignore"):
        in_range = np.isfinite(expected.astype(np.float32)).all()
    if in_range:
        return _search(X_l, y_l, n_classes, X_q, metric), expected
    with pytest.raises(ValueError, match="exceeds float32's range"):
        _search(X_l, y_l, n_classes, X_q, metric)
    return None, expected


@st.composite
def clustered_far_from_origin(draw):
    """Labelled clusters at any offset and scale, and queries among them.

    Coordinates are ``offset + spread * centre + jitter * noise`` with the
    three magnitudes drawn over float32's whole range, so that neighbours may
    be many orders of magnitude closer to each other than to the origin.
    """
    n_features = draw(st.integers(1, 6))
    n_classes = draw(st.integers(2, 4))
    n_labelled = draw(st.integers(n_classes, 24))
    offset_exp = draw(st.integers(-44, 38))
    spread_exp = offset_exp - draw(st.integers(-2, 12))
    jitter_exp = spread_exp - draw(st.integers(0, 8))
    sign = draw(st.sampled_from([-1.0, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def points(n, centres):
        offset = sign * 10.0**offset_exp * np.linspace(1, 3, n_features)
        noise = rng.normal(size=(n, n_features))
        return offset + 10.0**spread_exp * centres + 10.0**jitter_exp * noise

    centres = rng.normal(size=(max(2, n_labelled // 2), n_features))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        X_l = points(n_labelled, centres[rng.integers(len(centres), size=n_labelled)])
        X_l = X_l.astype(np.float32)
        near = points(8, centres[rng.integers(len(centres), size=8)])
        X_q = np.concatenate([X_l[rng.integers(n_labelled, size=4)], near])
        X_q = X_q.astype(np.float32)
    assume(np.isfinite(X_l).all() and np.isfinite(X_q).all())
    y_l = np.concatenate(
        [np.arange(n_classes), rng.integers(n_classes, size=n_labelled - n_classes)]
    )
    return X_l, y_l, n_classes, X_q


_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_settings
@given(problem=clustered_far_from_origin(), metric=st.sampled_from(["l2", "cosine"]))
def test_exact_search_ranks_classes_as_float64_does(problem, metric):
    X_l, y_l, n_classes, X_q = problem
    D, expected = _search_or_refusal(X_l, y_l, n_classes, X_q, metric)
    if D is not None:
        _assert_same_as_float64(D, expected, metric)


@_settings
@given(problem=clustered_far_from_origin())
def test_a_labelled_point_is_at_distance_zero_from_its_class(problem):
    X_l, y_l, n_classes, _ = problem
    D, _ = _search_or_refusal(X_l, y_l, n_classes, X_l)
    if D is not None:
        np.testing.assert_array_equal(D[np.arange(len(X_l)), y_l], 0.0)


@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_case_18_ecef_like_coordinates(chunk_size):
    """Points in metres around 4e6, neighbours a few metres apart."""
    rng = np.random.RandomState(0)
    base = np.array([4.2e6, 2.3e6, 4.17e6])
    centres = base + rng.uniform(-1e4, 1e4, (30, 3))
    X_l = (np.repeat(centres, 2, axis=0) + rng.randn(60, 3)).astype(np.float32)
    y_l = rng.randint(0, 3, 60)
    X_q = (X_l[rng.randint(0, 60, 200)] + 2 * rng.randn(200, 3)).astype(np.float32)
    D = _search(X_l, y_l, 3, X_q, chunk_size=chunk_size)
    expected = _float64_distances(X_q, X_l, y_l, 3, "l2")
    _assert_same_as_float64(D, expected)
    np.testing.assert_array_equal(D.argmin(axis=1), expected.argmin(axis=1))
    # And the selector built on it never drops anything but the nearest class.
    selector = NearestNeighbourSelector("exclude_nearest_class", random_state=0)
    mask = selector.fit(X_l, y_l).transform(X_q)
    assert not mask[np.arange(len(X_q)), expected.argmin(axis=1)].any()


@pytest.mark.parametrize("offset", [0.0, 1e6, -3e30])
def test_equidistant_classes_tie_and_argmin_takes_the_first(offset):
    step = np.float32(2.0 ** np.floor(np.log2(max(abs(offset), 1.0)) - 10))
    centre = np.float32(offset)
    X_l = np.array([[centre - step], [centre + step], [centre + 3 * step]], np.float32)
    y_l = np.array([1, 0, 2])
    D = _search(X_l, y_l, 3, np.array([[centre]], np.float32))
    assert D[0, 0] == D[0, 1] and D[0, 2] > D[0, 0]
    assert D.argmin(axis=1)[0] == 0


def test_a_point_labelled_in_two_classes_is_nearest_to_both():
    rng = np.random.default_rng(0)
    X = (5e5 + rng.normal(size=(6, 4))).astype(np.float32)
    X_l = np.concatenate([X, X[:1]])
    y_l = np.array([0, 1, 1, 2, 2, 2, 1])  # X[0] is in class 0 and class 1
    D = _search(X_l, y_l, 3, X[:1] + np.float32(0.25))
    assert D[0, 0] == D[0, 1]


def test_coordinates_at_the_edges_of_float32():
    big = np.finfo(np.float32).max
    X_l = np.array([[big, 0.0], [-big, 0.0], [big, 1e30]], np.float32)
    y_l = np.array([0, 1, 2])
    X_q = np.array([[0.0, 0.0], [big, 1e30]], np.float32)
    D = _search(X_l, y_l, 3, X_q[:1])
    _assert_same_as_float64(D, _float64_distances(X_q[:1], X_l, y_l, 3, "l2"))
    # 2 * big is beyond float32: as inf it would tie with any other distance.
    with pytest.raises(ValueError, match=r"row 1 of X .* exceeds float32's range"):
        _search(X_l, y_l, 3, X_q)

    tiny = np.float32(2.0**-149)  # the smallest subnormal float32
    X_l = np.array([[0.0], [2 * tiny], [5 * tiny]], np.float32)
    X_q = np.array([[tiny], [4 * tiny]], np.float32)
    D = _search(X_l, np.array([0, 1, 2]), 3, X_q)
    _assert_same_as_float64(D, _float64_distances(X_q, X_l, np.arange(3), 3, "l2"))


def test_cosine_of_large_vectors_is_not_that_of_zero_rows():
    # float32 squares of 1e30 overflow; a unit row computed from them was 0.
    X_l = np.array([[1e30, 0.0], [0.0, 1e30]], np.float32)
    D = _search(
        X_l, np.array([0, 1]), 2, np.array([[2e30, 1e29]], np.float32), "cosine"
    )
    assert D[0, 0] < 0.01 and D[0, 1] > 0.9


# -- Numeric range (issue #24): every search refuses what float32 cannot hold
# (NaN, infinity, finite float64 beyond 3.4e38) and scales what its squares
# cannot (norms beyond about 1.8e19, or below 1e-23), or refuses with a reason.

INDEXES = ["Flat", "HNSW32", "IVF2,Flat"]
BAD_VALUES = st.sampled_from([np.nan, np.inf, -np.inf, 1e39, -3e300])
_range_settings = settings(max_examples=30, deadline=None)


def _blobs(seed, n_features=4):
    """Three classes of ten labelled rows, and twelve queries among them."""
    rng = np.random.RandomState(seed)
    y = np.repeat(np.arange(3), 10)
    X = rng.randn(30, n_features) + 3 * y[:, None]
    return X, y, rng.randn(12, n_features) + 3


def _refusal(bad):
    return "float32's range" if np.isfinite(bad) else "NaN or infinity"


@_range_settings
@given(
    bad=BAD_VALUES,
    index=st.sampled_from(INDEXES),
    labelled=st.booleans(),
    row=st.integers(0, 11),
    col=st.integers(0, 3),
)
def test_per_class_search_refuses_values_float32_cannot_hold(
    bad, index, labelled, row, col
):
    X_l, y_l, X_q = _blobs(0)
    (X_l if labelled else X_q)[row, col] = bad
    with pytest.raises(ValueError, match=_refusal(bad)):
        PerClassNearestIndex(X_l, y_l, 3, index=index).distances(X_q)
    with pytest.raises(ValueError, match=_refusal(bad)):
        per_class_nearest_distances(X_q, X_l, y_l, index=index)


@_range_settings
@given(
    bad=BAD_VALUES,
    index=st.sampled_from(["Flat", "IVF2,Flat"]),
    indexed=st.booleans(),
    row=st.integers(0, 11),
    col=st.integers(0, 3),
)
def test_nearest_rows_refuse_values_float32_cannot_hold(bad, index, indexed, row, col):
    X, _, X_q = _blobs(0)
    (X if indexed else X_q)[row, col] = bad
    with pytest.raises(ValueError, match=_refusal(bad)):
        NearestRowsIndex(X, index=index, random_state=0).search(X_q, 3)


@_range_settings
@given(
    exponent=st.integers(-90, 90),
    index=st.sampled_from(INDEXES),
    metric=st.sampled_from(["l2", "cosine"]),
    seed=st.integers(0, 2**16),
)
def test_per_class_distances_scale_with_the_data_at_any_magnitude(
    exponent, index, metric, seed
):
    X_l, y_l, X_q = _blobs(seed)
    X_l, X_q = X_l.astype(np.float32), X_q.astype(np.float32)
    scale = np.float32(2.0**exponent)  # exact: only the exponents change
    D = PerClassNearestIndex(X_l, y_l, 3, metric=metric, index=index).distances(X_q)
    search = PerClassNearestIndex(X_l * scale, y_l, 3, metric=metric, index=index)
    D_scaled = search.distances(X_q * scale)
    if metric == "l2":
        D_scaled = D_scaled / scale
    np.testing.assert_allclose(D_scaled, D, rtol=1e-3, atol=1e-6)


@_range_settings
@given(
    exponent=st.integers(-90, 90),
    index=st.sampled_from(["Flat", "IVF2,Flat"]),
    seed=st.integers(0, 2**16),
)
def test_nearest_rows_are_the_same_at_any_magnitude(exponent, index, seed):
    X = np.random.RandomState(seed).randn(40, 5).astype(np.float32)
    scale = np.float32(2.0**exponent)

    def neighbours(rows):
        search = NearestRowsIndex(rows, index=index, random_state=0)
        return search.search(rows, 5, exclude_self=True)

    np.testing.assert_array_equal(neighbours(X * scale), neighbours(X))


@pytest.mark.parametrize("index", ["HNSW32", "IVF2,Flat"])
def test_a_query_too_far_for_float32_squares_is_refused(index):
    X_l, y_l, X_q = _blobs(0)
    X_q[5] *= 1e30  # FAISS's squared distances to it overflow float32
    with pytest.raises(ValueError, match="Row 5 of X has norm .* overflow"):
        PerClassNearestIndex(X_l, y_l, 3, index=index).distances(X_q)
    with pytest.raises(ValueError, match="Row 5 of X has norm .* overflow"):
        NearestRowsIndex(X_l, index=index, random_state=0).search(X_q, 3)
    # Exact per-class search recomputes such a row in float64 instead.
    D = PerClassNearestIndex(X_l, y_l, 3).distances(X_q)
    expected = _float64_distances(X_q, X_l, y_l, 3, "l2")
    np.testing.assert_allclose(D, expected, rtol=2.0**-9)


@pytest.mark.parametrize("index", ["Flat", "HNSW32"])
def test_queries_of_another_width_or_k_out_of_range_are_refused(index):
    X_l, y_l, X_q = _blobs(0)
    with pytest.raises(ValueError, match="labelled rows have 4 features"):
        PerClassNearestIndex(X_l, y_l, 3, index=index).distances(X_q[:, :3])
    rows = NearestRowsIndex(X_l, index=index, random_state=0)
    with pytest.raises(ValueError, match="indexed rows have 4 features"):
        rows.search(X_q[:, :3], 2)
    for k in (0, 31):
        with pytest.raises(ValueError, match=f"k={k} must be in 1 .. 30"):
            rows.search(X_q, k)
