"""Behaviour of the negative-label selectors and of the per-class search."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import (
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
)

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l.datasets import hide_labels
from sklearn_ns3l.selectors import (
    SELECTORS,
    LabelSpreadingSelector,
    NearestNeighbourSelector,
    OracleSelector,
    ThresholdSelector,
    UniformSelector,
)
from sklearn_ns3l.selectors._per_class_search import (
    PerClassNearestIndex,
    per_class_nearest_distances,
)

FEW_EXAMPLES = settings(max_examples=15, deadline=None)
RANDOM_SELECTORS = [UniformSelector, OracleSelector, NearestNeighbourSelector]


def _labelled(seed, n_classes, n_per_class=6, n_features=5, n_queries=40):
    """Continuous random data (no ties); every class has labelled samples."""
    rng = np.random.RandomState(seed)
    X_l = rng.normal(size=(n_classes * n_per_class, n_features))
    y_l = np.repeat(np.arange(n_classes), n_per_class)
    X_q = rng.normal(size=(n_queries, n_features))
    return X_l, y_l, X_q


def _brute_force_distances(X_q, X_l, y_l, metric="euclidean"):
    """float64 pairwise distances, minimum over each class's columns."""
    pairwise = cdist(X_q, X_l, metric=metric)
    return np.column_stack([pairwise[:, y_l == c].min(axis=1) for c in np.unique(y_l)])


def _within_five_sigma(count, n, p):
    return abs(count - n * p) <= 5 * np.sqrt(n * p * (1 - p))


def _clustered(seed, n_classes, n_per_class, n_features=32, n_queries=300):
    """Gaussian clusters on a low-dimensional subspace, like image features."""
    rng = np.random.RandomState(seed)
    basis = rng.normal(size=(8, n_features))
    centres = rng.normal(scale=3.0, size=(n_classes, 8))
    y_l = np.repeat(np.arange(n_classes), n_per_class)
    X_l = (centres[y_l] + rng.normal(size=(len(y_l), 8))) @ basis
    y_q = rng.randint(n_classes, size=n_queries)
    X_q = (centres[y_q] + rng.normal(size=(n_queries, 8))) @ basis
    X_l += 0.1 * rng.normal(size=X_l.shape)
    X_q += 0.1 * rng.normal(size=X_q.shape)
    return X_l.astype(np.float32), y_l, X_q.astype(np.float32)


# --- the per-class distance matrix ----------------------------------------


@FEW_EXAMPLES
@given(
    seed=st.integers(0, 2**16),
    n_classes=st.integers(2, 7),
    metric=st.sampled_from(["l2", "cosine"]),
    chunk_size=st.sampled_from([None, 1, 7]),
)
def test_exact_distances_equal_brute_force_per_class_minimum(
    seed, n_classes, metric, chunk_size
):
    X_l, y_l, X_q = _labelled(seed, n_classes)
    D = per_class_nearest_distances(X_q, X_l, y_l, metric=metric, chunk_size=chunk_size)
    expected = _brute_force_distances(
        X_q, X_l, y_l, "euclidean" if metric == "l2" else "cosine"
    )
    assert D.dtype == np.float32 and D.shape == (len(X_q), n_classes)
    np.testing.assert_allclose(D, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "metric, sklearn_metric", [("l2", "euclidean"), ("cosine", "cosine")]
)
def test_exact_distances_agree_with_sklearn_nearest_neighbors(metric, sklearn_metric):
    X_l, y_l, X_q = _clustered(0, n_classes=4, n_per_class=50, n_features=64)
    D = per_class_nearest_distances(X_q, X_l, y_l, metric=metric)
    for c in range(4):
        nn = NearestNeighbors(n_neighbors=1, algorithm="brute", metric=sklearn_metric)
        expected = nn.fit(X_l[y_l == c]).kneighbors(X_q)[0][:, 0]
        np.testing.assert_allclose(D[:, c], expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "index, metric",
    [("HNSW32", "l2"), ("HNSW32", "cosine"), ("IVF8,Flat", "l2")],
)
def test_approximate_index_has_high_recall_on_small_data(index, metric):
    X_l, y_l, X_q = _clustered(1, n_classes=5, n_per_class=200)
    exact = per_class_nearest_distances(X_q, X_l, y_l, metric=metric)
    approx = per_class_nearest_distances(X_q, X_l, y_l, metric=metric, index=index)
    # An approximate search can only miss the nearest sample, never beat it.
    assert np.all(approx >= exact - 1e-3)
    recall = np.mean(np.isclose(approx, exact, rtol=1e-4, atol=1e-4))
    assert recall >= 0.95


def test_a_class_without_labelled_samples_is_refused():
    with pytest.raises(ValueError, match=r"Classes \[1\] have no labelled sample"):
        PerClassNearestIndex(np.zeros((2, 3)), np.array([0, 2]), n_classes=3)


# --- the nearest-neighbour rules --------------------------------------------


@FEW_EXAMPLES
@given(
    seed=st.integers(0, 2**16),
    n_classes=st.integers(2, 7),
    k=st.integers(1, 6),
    metric=st.sampled_from(["l2", "cosine"]),
)
def test_nn_exclude_class_never_picks_the_class_of_the_nearest_sample(
    seed, n_classes, k, metric
):
    k = min(k, n_classes - 1)
    X_l, y_l, X_q = _labelled(seed, n_classes)
    selector = NearestNeighbourSelector(
        "nn_exclude_class", k=k, metric=metric, random_state=seed
    )
    mask = selector.fit(X_l, y_l).transform(X_q)
    D = _brute_force_distances(
        X_q, X_l, y_l, "euclidean" if metric == "l2" else "cosine"
    )
    assert mask.dtype == bool and mask.shape == D.shape
    assert np.all(mask.sum(axis=1) == k)
    assert not mask[np.arange(len(X_q)), D.argmin(axis=1)].any()


@FEW_EXAMPLES
@given(
    seed=st.integers(0, 2**16),
    n_classes=st.integers(2, 8),
    m=st.integers(1, 7),
    k=st.integers(1, 7),
)
def test_nn_exclude_nearest_never_picks_the_m_nearest_classes(seed, n_classes, m, k):
    m = min(m, n_classes - 1)
    k = min(k, n_classes - m)
    X_l, y_l, X_q = _labelled(seed, n_classes)
    selector = NearestNeighbourSelector(
        "nn_exclude_nearest", k=k, m=m, random_state=seed
    )
    mask = selector.fit(X_l, y_l).transform(X_q)
    nearest = np.argsort(_brute_force_distances(X_q, X_l, y_l), axis=1)[:, :m]
    assert np.all(mask.sum(axis=1) == k)
    assert not np.take_along_axis(mask, nearest, axis=1).any()


@FEW_EXAMPLES
@given(seed=st.integers(0, 2**16), n_classes=st.integers(2, 7), k=st.integers(1, 6))
def test_nn_furthest_picks_the_classes_with_the_largest_distances(seed, n_classes, k):
    k = min(k, n_classes - 1)
    X_l, y_l, X_q = _labelled(seed, n_classes)
    mask = NearestNeighbourSelector("nn_furthest", k=k).fit(X_l, y_l).transform(X_q)
    furthest = np.argsort(_brute_force_distances(X_q, X_l, y_l), axis=1)[:, -k:]
    expected = np.zeros_like(mask)
    np.put_along_axis(expected, furthest, True, axis=1)
    np.testing.assert_array_equal(mask, expected)


def test_exclusion_draws_are_uniform_over_the_remaining_classes():
    n_classes, n = 4, 6000
    X_l, y_l, X_q = _labelled(0, n_classes, n_queries=n)
    mask = NearestNeighbourSelector(random_state=0).fit(X_l, y_l).transform(X_q)
    allowed = _brute_force_distances(X_q, X_l, y_l).argmin(axis=1)[:, None] != (
        np.arange(n_classes)
    )
    for c in range(n_classes):
        rows = allowed[:, c]
        assert _within_five_sigma(mask[rows, c].sum(), rows.sum(), 1 / 3)


@pytest.mark.parametrize("chunk_size", [1, 5, 64])
def test_mask_does_not_depend_on_the_chunk_size(chunk_size):
    X_l, y_l, X_q = _labelled(3, n_classes=6)
    params = dict(rule="nn_exclude_nearest", m=2, k=2, random_state=7)
    reference = NearestNeighbourSelector(**params).fit(X_l, y_l).transform(X_q)
    mask = (
        NearestNeighbourSelector(**params, chunk_size=chunk_size)
        .fit(X_l, y_l)
        .transform(X_q)
    )
    np.testing.assert_array_equal(mask, reference)


def test_fitted_approximate_selector_survives_pickling():
    X_l, y_l, X_q = _clustered(2, n_classes=3, n_per_class=100)
    selector = NearestNeighbourSelector(
        "nn_furthest", index="HNSW32", random_state=0
    ).fit(X_l, y_l)
    restored = pickle.loads(pickle.dumps(selector))
    np.testing.assert_array_equal(restored.transform(X_q), selector.transform(X_q))


# --- uniform and oracle ------------------------------------------------------


def test_uniform_hits_every_class_at_rate_k_over_n_classes():
    n, n_classes, k = 20000, 5, 2
    X_l, y_l, _ = _labelled(0, n_classes)
    mask = (
        UniformSelector(k=k, random_state=0)
        .fit(X_l, y_l)
        .transform(np.random.default_rng(1).normal(size=(n, 5)))
    )
    assert np.all(mask.sum(axis=1) == k)
    for c in range(n_classes):
        assert _within_five_sigma(mask[:, c].sum(), n, k / n_classes)


@FEW_EXAMPLES
@given(seed=st.integers(0, 2**16), n_classes=st.integers(2, 7), k=st.integers(1, 6))
def test_oracle_never_picks_the_true_class(seed, n_classes, k):
    k = min(k, n_classes - 1)
    X_l, y_l, X_q = _labelled(seed, n_classes)
    y_true = np.random.RandomState(seed).randint(n_classes, size=len(X_q))
    mask = (
        OracleSelector(k=k, random_state=seed)
        .fit(X_l, y_l)
        .transform(X_q, y_true=y_true)
    )
    assert np.all(mask.sum(axis=1) == k)
    assert not mask[np.arange(len(X_q)), y_true].any()


def test_oracle_draws_uniformly_from_the_wrong_classes():
    n, n_classes = 6000, 4
    X_l, y_l, _ = _labelled(0, n_classes)
    y_true = np.arange(n) % n_classes
    mask = (
        OracleSelector(random_state=0)
        .fit(X_l, y_l)
        .transform(np.random.default_rng(1).normal(size=(n, 5)), y_true=y_true)
    )
    for c in range(n_classes):
        wrong = y_true != c
        assert _within_five_sigma(mask[wrong, c].sum(), wrong.sum(), 1 / 3)


# --- shared behaviour --------------------------------------------------------


def test_masks_align_with_classes_for_string_labels():
    # Unsorted string labels on three well-separated points on a line.
    X_l = np.array([[0.0], [10.0], [20.0]])
    y_l = np.array(["zebra", "ant", "moth"])
    X_q = np.array([[1.0], [19.0]])
    furthest = NearestNeighbourSelector("nn_furthest").fit(X_l, y_l)
    np.testing.assert_array_equal(furthest.classes_, ["ant", "moth", "zebra"])
    chosen = furthest.classes_[furthest.transform(X_q).argmax(axis=1)]
    np.testing.assert_array_equal(chosen, ["moth", "zebra"])

    nearest = NearestNeighbourSelector(k=2, random_state=0).fit(X_l, y_l)
    avoided = nearest.classes_[(~nearest.transform(X_q)).argmax(axis=1)]
    np.testing.assert_array_equal(avoided, ["zebra", "moth"])

    oracle = OracleSelector(k=2, random_state=0).fit(X_l, y_l)
    mask = oracle.transform(X_q, y_true=np.array(["ant", "zebra"]))
    np.testing.assert_array_equal(mask, [[False, True, True], [True, True, False]])


@pytest.mark.parametrize("cls", RANDOM_SELECTORS)
def test_same_integer_seed_gives_the_same_mask_and_another_seed_differs(cls):
    X_l, y_l, X_q = _labelled(4, n_classes=5, n_queries=200)
    y_true = np.zeros(len(X_q), dtype=int)

    def mask(seed):
        selector = cls(k=2, random_state=seed).fit(X_l, y_l)
        if cls is OracleSelector:
            return selector.transform(X_q, y_true=y_true)
        return selector.transform(X_q)

    np.testing.assert_array_equal(mask(0), mask(0))
    assert not np.array_equal(mask(0), mask(1))


def test_registry_names_give_the_paper_settings():
    assert SELECTORS["uniform"]().get_params()["k"] == 1
    assert isinstance(SELECTORS["oracle"](), OracleSelector)
    for name, rule in [
        ("nn_exclude_class", "nn_exclude_class"),
        ("nn_exclude_nearest", "nn_exclude_nearest"),
        ("nn_furthest", "nn_furthest"),
    ]:
        params = SELECTORS[name]().get_params()
        assert (params["rule"], params["k"], params["metric"]) == (rule, 1, "l2")
    assert SELECTORS["nn_exclude_nearest"]().m == 4
    assert SELECTORS["threshold"](T=0.1).T == 0.1


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize("cls", RANDOM_SELECTORS)
def test_k_of_at_least_n_classes_is_refused_at_fit(cls):
    X_l, y_l, _ = _labelled(0, n_classes=3)
    with pytest.raises(ValueError, match=r"k=3\) needs more than k classes"):
        cls(k=3).fit(X_l, y_l)


def test_m_plus_k_above_n_classes_is_refused_at_fit():
    X_l, y_l, _ = _labelled(0, n_classes=5)
    selector = NearestNeighbourSelector("nn_exclude_nearest", m=4, k=2)
    with pytest.raises(ValueError, match=r"needs m \+ k <= n_classes"):
        selector.fit(X_l, y_l)


@pytest.mark.parametrize("cls", RANDOM_SELECTORS)
def test_a_single_class_is_refused_at_fit(cls):
    with pytest.raises(ValueError, match="at least two classes; got 1 class"):
        cls().fit(np.zeros((3, 2)), ["a", "a", "a"])


@pytest.mark.parametrize(
    "params, name",
    [({"rule": "closest"}, "rule"), ({"metric": "manhattan"}, "metric")],
)
def test_unknown_rule_or_metric_is_refused_at_fit(params, name):
    X_l, y_l, _ = _labelled(0, n_classes=3)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        NearestNeighbourSelector(**params).fit(X_l, y_l)


def test_faiss_rejected_factory_string_is_refused_at_fit():
    X_l, y_l, _ = _labelled(0, n_classes=3)
    with pytest.raises(ValueError, match="index='HNSW32,Nonsense' is not a FAISS"):
        NearestNeighbourSelector(index="HNSW32,Nonsense").fit(X_l, y_l)


def test_index_that_cannot_train_on_a_small_class_is_refused_at_fit():
    X_l, y_l, _ = _labelled(0, n_classes=3)
    with pytest.raises(ValueError, match="cannot be trained on the 6 labelled"):
        NearestNeighbourSelector(index="IVF64,Flat").fit(X_l, y_l)


@pytest.mark.parametrize("cls", [UniformSelector, NearestNeighbourSelector])
def test_samples_of_another_width_are_refused_at_transform(cls):
    X_l, y_l, X_q = _labelled(0, n_classes=3)
    selector = cls().fit(X_l, y_l)
    with pytest.raises(ValueError, match="X has 4 features"):
        selector.transform(X_q[:, :4])


@pytest.mark.parametrize("index", ["Flat", "HNSW32"])
def test_furthest_class_is_right_for_features_whose_squares_overflow(index):
    # Case 19 of issue #24: features around 1e19, whose float32 squared
    # distances overflow, as raw counters or nanosecond sums may be.
    rng = np.random.RandomState(0)
    y_l = np.repeat(np.arange(3), 10)
    X_l = (rng.randn(30, 4) + 5 * y_l[:, None]) * 1e19
    X_q = X_l[[0, 10, 20]] * 1.01
    d = cdist(X_q, X_l)
    truth = np.stack([d[:, y_l == c].min(axis=1) for c in range(3)], axis=1)
    selector = NearestNeighbourSelector(rule="nn_furthest", index=index)
    D = selector.fit(X_l, y_l).index_.distances(X_q)
    np.testing.assert_allclose(D, truth, rtol=1e-4)
    np.testing.assert_array_equal(
        selector.transform(X_q).argmax(axis=1), truth.argmax(axis=1)
    )


@pytest.mark.parametrize("index", ["Flat", "HNSW32"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e39])
def test_nearest_neighbour_selector_refuses_what_float32_cannot_hold(index, bad):
    X_l, y_l, X_q = _labelled(0, n_classes=3)
    selector = NearestNeighbourSelector(index=index, random_state=0)
    X_bad = X_q.copy()
    X_bad[7, 2] = bad
    message = "beyond float32's range" if np.isfinite(bad) else "NaN|infinity"
    with pytest.raises(ValueError, match=message):
        selector.fit(X_l, y_l).transform(X_bad)
    with pytest.raises(ValueError, match=message):
        selector.fit(X_l, y_l).index_.distances(X_bad)
    with pytest.raises(ValueError, match=message):
        selector.fit(np.vstack([X_l, X_bad[7:8]]), np.append(y_l, 0))


def test_oracle_refuses_to_transform_without_the_truth():
    X_l, y_l, X_q = _labelled(0, n_classes=3)
    oracle = OracleSelector().fit(X_l, y_l)
    with pytest.raises(ValueError, match="needs the true labels"):
        oracle.transform(X_q)
    with pytest.raises(ValueError, match="X has 4 features"):
        oracle.transform(X_q[:, :4], y_true=np.zeros(len(X_q), dtype=int))


@pytest.mark.parametrize("y_true", [[0, 1, 7], ["0", "1", "2"]])
def test_oracle_refuses_labels_outside_classes(y_true):
    X_l, y_l, _ = _labelled(0, n_classes=3)
    oracle = OracleSelector().fit(X_l, y_l)
    with pytest.raises(ValueError, match="not among classes_"):
        oracle.transform(np.zeros((3, 5)), y_true=y_true)


def test_oracle_refuses_truth_of_another_length():
    X_l, y_l, _ = _labelled(0, n_classes=3)
    oracle = OracleSelector().fit(X_l, y_l)
    with pytest.raises(ValueError, match="y_true has 2 labels, but X has 3"):
        oracle.transform(np.zeros((3, 5)), y_true=[0, 1])


# --- inside NS3LClassifier ---------------------------------------------------


@pytest.fixture(scope="module")
def small_digits():
    """150 digits, 6 labels per class kept."""
    X, y = load_digits(return_X_y=True)
    X, y = (X[:150] / 16.0).astype(np.float32), y[:150]
    return X, hide_labels(y, 6, random_state=0), y


@pytest.mark.parametrize(
    "selector",
    [
        "uniform",
        "nn_exclude_class",
        "nn_exclude_nearest",
        "nn_furthest",
        "oracle",
    ],
)
def test_each_selector_trains_the_classifier_through_grid_search(
    small_digits, selector
):
    X, y_semi, y = small_digits
    clf = NS3LClassifier(selector, module="mlp", max_epochs=2, random_state=0)
    search = GridSearchCV(clf, {"ns_weight": [0.5, 1.0]}, cv=2)
    # The oracle reads the truth; GridSearchCV slices y_true with each fold.
    fit_params = {"y_true": y} if selector == "oracle" else {}
    search.fit(X, y_semi, **fit_params)
    best = search.best_estimator_
    assert isinstance(best.selector_, type(SELECTORS[selector]()))
    assert best.history_[-1, "negatives_per_sample"] == 1.0


def test_selector_objects_are_grid_searched_like_any_parameter(small_digits):
    X, y_semi, _ = small_digits
    grid = {
        "selector": [
            UniformSelector(k=2),
            NearestNeighbourSelector("nn_furthest", metric="cosine"),
        ]
    }
    clf = NS3LClassifier(module="mlp", max_epochs=2, random_state=0)
    search = GridSearchCV(clf, grid, cv=2).fit(X, y_semi)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # Each candidate trained with its own selector object, cloned.
    tried = [p["selector"] for p in search.cv_results_["params"]]
    assert [type(s) for s in tried] == [UniformSelector, NearestNeighbourSelector]
    best = tried[int(np.argmax(search.cv_results_["mean_test_score"]))]
    # Cloned with the given parameters; an unset random_state is drawn in fit.
    params = search.best_estimator_.selector_.get_params()
    assert params == {**best.get_params(), "random_state": params["random_state"]}
    assert search.best_estimator_.selector_ is not best


# -- Full scikit-learn transformers: set_output and get_feature_names_out.

TRANSFORMERS = [
    UniformSelector(random_state=0),
    NearestNeighbourSelector(random_state=0),
    LabelSpreadingSelector(wrong_negative_rate=None),
    ThresholdSelector(),
]


@pytest.mark.parametrize("selector", TRANSFORMERS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize(
    "check",
    [
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_get_feature_names_out_error,
    ],
    ids=lambda check: check.__name__,
)
def test_selectors_pass_scikit_learns_set_output_checks(selector, check):
    check(type(selector).__name__, selector)


def test_a_pandas_pipeline_holding_a_selector_gives_a_frame_of_not_class_columns():
    pd = pytest.importorskip("pandas")
    X_l, y_l, X_q = _labelled(0, n_classes=3)
    X_l = pd.DataFrame(X_l, columns=[f"f{i}" for i in range(X_l.shape[1])])
    X_q = pd.DataFrame(X_q, columns=X_l.columns, index=np.arange(100, 140))
    y_l = np.array(["cat", "dog", "eel"])[y_l]
    selector = NearestNeighbourSelector(rule="nn_furthest")
    pipeline = make_pipeline(StandardScaler(), selector).set_output(transform="pandas")
    mask = pipeline.fit(X_l, y_l).transform(X_q)
    assert isinstance(mask, pd.DataFrame)
    assert mask.columns.tolist() == ["not_cat", "not_dog", "not_eel"]
    assert set(mask.dtypes) == {np.dtype(bool)}
    assert mask.index.tolist() == X_q.index.tolist()
    expected = selector.set_output(transform="default").transform(
        StandardScaler().fit(X_l).transform(X_q)
    )
    np.testing.assert_array_equal(mask.to_numpy(), expected)
    np.testing.assert_array_equal(
        pipeline.get_feature_names_out(), ["not_cat", "not_dog", "not_eel"]
    )
    # The probability rule names its columns after the probabilities'.
    proba = pd.DataFrame([[0.9, 0.08, 0.02]], columns=["cat", "dog", "eel"])
    threshold = ThresholdSelector(T=0.05).set_output(transform="pandas")
    assert threshold.fit_transform(proba).columns.tolist() == [
        "not_cat",
        "not_dog",
        "not_eel",
    ]


def test_the_training_gets_arrays_whatever_set_output_asks():
    pd = pytest.importorskip("pandas")
    from sklearn import config_context

    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    labelled, pool = np.arange(100), np.arange(100, 300)
    for selector in (
        NearestNeighbourSelector(random_state=0),
        # Seeded: the calibration's folds must be the same in both calls.
        LabelSpreadingSelector(random_state=0),
    ):
        expected = selector.pool_negatives(X, labelled, y[labelled], pool)
        with config_context(transform_output="pandas"):
            mask = selector.pool_negatives(X, labelled, y[labelled], pool)
            assert isinstance(selector.transform(X[:5]), pd.DataFrame)
        assert type(mask) is np.ndarray
        np.testing.assert_array_equal(mask, expected)
    oracle = OracleSelector(random_state=0).set_output(transform="pandas")
    mask = oracle.pool_negatives(X, labelled, y[labelled], pool, y_true=y[pool])
    assert type(mask) is np.ndarray
