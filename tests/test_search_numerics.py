"""Exact search agrees with float64 brute force at any scale and offset."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sklearn_ns3l.selectors import NearestNeighbourSelector
from sklearn_ns3l.selectors._per_class_search import PerClassNearestIndex

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
    # 3. Each distance is close; beyond float32's range both are inf.
    finite = np.isfinite(rounded)
    np.testing.assert_array_equal(np.isfinite(D), finite)
    error = np.abs(D[finite].astype(np.float64) - rounded[finite])
    assert (error <= RELATIVE_ERROR * rounded[finite] + slack[finite]).all()


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
    D = _search(X_l, y_l, n_classes, X_q, metric)
    expected = _float64_distances(X_q, X_l, y_l, n_classes, metric)
    _assert_same_as_float64(D, expected, metric)


@_settings
@given(problem=clustered_far_from_origin())
def test_a_labelled_point_is_at_distance_zero_from_its_class(problem):
    X_l, y_l, n_classes, _ = problem
    D = _search(X_l, y_l, n_classes, X_l)
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
    X_q = np.array([[big, 1e30], [-big, 0.0], [0.0, 0.0]], np.float32)
    D = _search(X_l, y_l, 3, X_q)
    expected = _float64_distances(X_q, X_l, y_l, 3, "l2")
    _assert_same_as_float64(D, expected)
    assert np.isinf(D[1, 0])  # 2 * big is beyond float32

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
