"""LabelSpreadingSelector: scikit-learn's spreading over a FAISS graph."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelSpreading
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l.datasets import hide_labels
from sklearn_ns3l.selectors import SELECTORS, LabelSpreadingSelector, _faiss, _knn_graph
from sklearn_ns3l.selectors._knn_graph import NearestRowsIndex


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y, hide_labels(y, 10, random_state=0)


def _jittered(X, seed=0):
    """Digits are integers, full of tied distances; jitter breaks the ties."""
    return X + np.random.RandomState(seed).uniform(0, 1e-3, X.shape)


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at large alpha
        return fn()


@pytest.mark.parametrize("k, alpha", [(7, 0.2), (10, 0.5), (5, 0.9)])
def test_distributions_equal_sklearn_label_spreading_without_ties(digits, k, alpha):
    X, _, y = digits
    X = _jittered(X)
    ours = _quiet(lambda: LabelSpreadingSelector(k, alpha=alpha).fit(X, y))
    ref = _quiet(
        lambda: LabelSpreading(kernel="knn", n_neighbors=k, alpha=alpha).fit(X, y)
    )
    np.testing.assert_allclose(ours.label_distributions_, ref.label_distributions_)
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


def test_propagated_labels_match_sklearn_on_tied_digits(digits):
    # With ties the k-th neighbour may differ; the labels agree all the same.
    X, _, y = digits
    ours = LabelSpreadingSelector(7).fit(X, y)
    ref = LabelSpreading(kernel="knn", n_neighbors=7).fit(X, y)
    same = ours.classes_[ours.label_distributions_.argmax(axis=1)] == ref.transduction_
    assert same.mean() >= 0.99


def test_graph_is_sparse_with_k_entries_per_row_self_included(digits):
    X, _, y = digits
    X = _jittered(X)
    selector = LabelSpreadingSelector(7).fit(X, y)
    graph = selector.graph_
    assert sp.issparse(graph) and graph.shape == (len(X), len(X))
    assert graph.nnz == 7 * len(X)
    assert (graph.diagonal() == 1).all()
    reference = NearestNeighbors(n_neighbors=7).fit(X).kneighbors_graph(X)
    assert (graph != reference).nnz == 0


def test_memory_grows_with_n_times_k_not_n_squared():
    rng = np.random.RandomState(0)
    n = 6000
    X = rng.normal(size=(n, 8)).astype(np.float32)
    y = np.full(n, -1)
    y[:20] = np.arange(20) % 2
    tracemalloc.start()
    LabelSpreadingSelector(5).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # A dense n x n float64 matrix would be 288 MB.
    assert peak < n * n * 8 / 20


def test_negatives_are_classes_below_threshold_never_the_top_one(digits):
    X, _, y = digits
    fixed = dict(T=0.05, wrong_negative_rate=None, neighbour_mean=False)
    selector = LabelSpreadingSelector(**fixed).fit(X, y)
    F = selector.label_distributions_
    reached = F.sum(axis=1) > 0
    top = F.argmax(axis=1)
    expected = (F < 0.05) & reached[:, None]
    expected[np.arange(len(F)), top] = False
    np.testing.assert_array_equal(selector.negatives_, expected)
    assert selector.threshold_ == 0.05


def test_fitted_rows_are_marked_as_label_spreading_predicts_them(digits):
    # neighbour_mean (the default): a fitted row's negatives come from the
    # mean spread distribution of its neighbour list, itself included, which
    # is LabelSpreading.predict_proba of that row, and transform's rule.
    X, _, y = digits
    X = _jittered(X)
    fixed = dict(T=0.1, wrong_negative_rate=None)
    selector = LabelSpreadingSelector(7, **fixed).fit(X, y)
    proba = LabelSpreading(kernel="knn", n_neighbors=7).fit(X, y).predict_proba(X)
    expected = proba < 0.1
    expected[np.arange(len(proba)), proba.argmax(axis=1)] = False
    np.testing.assert_array_equal(selector.negatives_, expected)
    np.testing.assert_array_equal(selector.negatives_, selector.transform(X))
    # The rows' own distributions (transduction_) mark differently.
    own = LabelSpreadingSelector(7, neighbour_mean=False, **fixed).fit(X, y)
    assert (own.negatives_ != selector.negatives_).any()
    np.testing.assert_array_equal(
        own.label_distributions_, selector.label_distributions_
    )


def test_neighbour_mean_marks_the_pool_more_accurately_on_digits(digits):
    # Why it is the default: with 10 labels per class the spreading's own
    # distribution is dominated by the nearest labelled rows; the mean over
    # the neighbours is right more often (#23).
    # Jittered (no tied distances, so no dependence on the search's order)
    # and over three label draws: the gain is 0.9 to 1.6 points on each.
    X, y_true, _ = digits
    X = _jittered(X)
    gains = []
    for seed in range(3):
        y = hide_labels(y_true, 10, random_state=seed)
        pool = y == -1
        right = {}
        for mean in (True, False):
            selector = LabelSpreadingSelector(neighbour_mean=mean, random_state=0)
            negatives = selector.fit(X, y).negatives_[pool]
            assert negatives.sum(axis=1).mean() > 8  # nearly all but one class
            wrong = negatives[np.arange(pool.sum()), y_true[pool]].mean()
            right[mean] = 1 - wrong
        gains.append(right[True] - right[False])
    assert min(gains) > 0 and np.mean(gains) > 0.008


@pytest.mark.parametrize("mean", [True, False])
def test_calibration_scores_held_out_rows_as_the_pool_is_marked(digits, mean):
    # The held-out rows are scored as the pool is marked: through the
    # neighbour mean (the default), or from their own distributions with
    # neighbour_mean=False; the estimate is the share of wrong negatives
    # that rule gives them.
    from sklearn_ns3l.selectors._calibration import held_out_scores
    from sklearn_ns3l.selectors._knn_graph import normalised_graph
    from sklearn_ns3l.selectors._spreading import (
        negative_mask,
        neighbour_mean,
        spread_labels,
    )

    X, _, y = digits
    selector = LabelSpreadingSelector(
        T=0.05,
        wrong_negative_rate=None,
        calibration="rows",
        neighbour_mean=mean,
        random_state=0,
    ).fit(X, y)
    S = normalised_graph(selector.graph_)

    def marked(S, codes, n_classes):
        F, n_iter = spread_labels(S, codes, n_classes, 0.2, 30, 1e-3)
        return (neighbour_mean(selector.graph_, F) if mean else F), n_iter

    codes = np.searchsorted(selector.classes_, np.where(y == -1, 0, y))
    codes[y == -1] = -1
    _, held_out, _ = held_out_scores(S, codes, 10, 5, marked, 0)
    labelled_codes = codes[codes >= 0]
    mask = negative_mask(held_out, selector.thresholds_)
    wrong_rows = mask[np.arange(len(mask)), labelled_codes].mean()
    assert selector.estimated_wrong_negative_rate_ == pytest.approx(wrong_rows)


def test_neighbour_mean_reads_partial_lists_and_unreached_neighbours():
    # An approximate index may find fewer neighbours than asked (-1, skipped
    # by connectivity), and a neighbour may be unreached (all zeros): the
    # mean is over the distributions found, rescaled to sum to 1, as
    # LabelSpreading.predict_proba normalises, not a sum divided by k.
    from sklearn_ns3l.selectors._knn_graph import connectivity
    from sklearn_ns3l.selectors._spreading import neighbour_mean

    neighbours = np.array([[0, 1, 2], [1, 0, -1], [2, 3, -1], [3, 2, -1]])
    F = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 0.0], [0.0, 0.0]])
    graph = connectivity(neighbours, 4)
    expected = [[0.75, 0.25], [0.75, 0.25], [0.0, 0.0], [0.0, 0.0]]
    np.testing.assert_allclose(neighbour_mean(graph, F), expected)


def test_unreached_rows_get_no_negatives():
    # Two far-apart groups; only the first has labels.
    X = np.r_[np.arange(6.0), 100 + np.arange(4.0)][:, None]
    y = np.array([0, 0, 0, 1, 1, 1, -1, -1, -1, -1])
    selector = LabelSpreadingSelector(3).fit(X, y)
    assert not selector.negatives_[6:].any()
    assert (selector.label_distributions_[6:] == 0).all()


def test_rows_calibration_keeps_wrong_rows_near_target(digits):
    X, y_true, _ = digits
    target = 0.03
    true_rates, held_out = [], []
    for seed in range(4):
        y = hide_labels(y_true, 10, random_state=seed)
        selector = LabelSpreadingSelector(
            wrong_negative_rate=target,
            calibration="rows",
            per_class=False,  # the pool-wide bound; per class: test_class_calibration
            random_state=seed,
        ).fit(X, y)
        held_out.append(selector.estimated_wrong_negative_rate_)
        pool = y == -1
        wrong = selector.negatives_[np.arange(len(y)), y_true][pool]
        true_rates.append(wrong.mean())
        assert selector.n_folds_ == 5
        assert selector.negatives_[pool].sum(axis=1).mean() > 5
    assert max(held_out) <= target
    # The guarantee is on average over the labelled sample.
    assert np.mean(true_rates) <= target + 0.01


def test_calibration_ignores_T_and_a_larger_target_marks_more(digits):
    X, _, y = digits
    # On digits the negatives' bound certifies every threshold: the rows'.
    low, high = (
        LabelSpreadingSelector(
            wrong_negative_rate=rate, T=0.5, calibration="rows", random_state=0
        )
        for rate in (0.02, 0.2)
    )
    low.fit(X, y)
    high.fit(X, y)
    assert low.threshold_ < high.threshold_
    assert 0.5 not in (low.threshold_, high.threshold_)
    assert low.negatives_.sum() <= high.negatives_.sum()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    m=st.integers(1, 60),
    n_classes=st.integers(2, 5),
    rate=st.floats(0.01, 0.5),
)
def test_false_discovery_threshold_is_the_largest_that_qualifies(
    seed, m, n_classes, rate
):
    from sklearn_ns3l.selectors._calibration import false_discovery_threshold
    from sklearn_ns3l.selectors._spreading import negative_mask

    rng = np.random.default_rng(seed)
    F = rng.dirichlet(np.ones(n_classes), size=m).round(2)  # ties on purpose
    codes = rng.integers(0, n_classes, size=m)

    def qualifies(t):
        marked = negative_mask(F, t)
        wrong = marked[np.arange(m), codes].sum()
        return marked.sum() > 0 and wrong + 1 <= rate * marked.sum()

    found = false_discovery_threshold(F, codes, rate)
    # Brute force over every threshold that changes the mask, and 1.
    candidates = [t for t in [*np.unique(F), 1.0] if qualifies(t)]
    assert found == (max(candidates) if candidates else 0.0)


def test_calibrating_wrong_negatives_bounds_their_share_on_held_out_rows(digits):
    X, y_true, y = digits
    selector = LabelSpreadingSelector(
        wrong_negative_rate=0.05, calibration="negatives", random_state=0
    ).fit(X, y)
    assert 0 < selector.threshold_ <= 1
    assert selector.estimated_wrong_negative_rate_ <= 0.05
    pool = y == -1
    marked = selector.negatives_[pool]
    wrong = marked[np.arange(pool.sum()), y_true[pool]].sum()
    assert marked.sum() > 0 and wrong / marked.sum() <= 0.05
    # One label per class: no row to hold out, so no negatives.
    y_one = hide_labels(y_true, 1, random_state=0)
    one = LabelSpreadingSelector(
        wrong_negative_rate=0.02, calibration="negatives", random_state=0
    )
    with pytest.warns(UserWarning, match="no class is marked negative"):
        one.fit(X, y_one)
    assert one.threshold_ == 0 and not one.negatives_.any()


@pytest.mark.parametrize("calibration", ["rows", "negatives"])
def test_calibration_warnings_point_at_the_users_line(digits, calibration):
    # The same warning is raised from fit and from inside NS3LClassifier.fit,
    # at different depths; both name this file.
    X, y_true, _ = digits
    y_one = hide_labels(y_true, 1, random_state=0)  # nothing to hold out
    selector = LabelSpreadingSelector(calibration=calibration)
    with pytest.warns(UserWarning, match="no class is marked negative") as fit:
        selector.fit(X, y_one)
    clf = NS3LClassifier(selector, max_epochs=1)
    with pytest.warns(UserWarning, match="no class is marked negative") as inside:
        clf.fit((X / 16).astype(np.float32), y_one)
    for record in (fit, inside):
        assert {w.filename for w in record} == {__file__}


def test_search_parameters_reach_indexes_inside_wrappers():
    import faiss

    for factory in ("HNSW32,RFlat", "PCA16,HNSW8"):
        index = faiss.index_factory(32, factory)
        _faiss.tune_search(index)
        inner = faiss.downcast_index(index)
        while not hasattr(inner, "hnsw"):
            wrapped = getattr(inner, "base_index", None) or inner.index
            inner = faiss.downcast_index(wrapped)
        assert inner.hnsw.efSearch == _faiss._HNSW_EF_SEARCH


def test_conformal_threshold_is_the_jth_smallest_score():
    from sklearn_ns3l.selectors._calibration import conformal_threshold

    scores = np.arange(1, 100) / 100  # m = 99
    # j = floor(0.1 * 100) = 10: the 10th smallest.
    assert conformal_threshold(scores, 0.1) == pytest.approx(0.10)
    with pytest.warns(UserWarning, match="needs at least"):
        assert conformal_threshold(scores[:5], 0.1) == 0.0


def test_fixed_threshold_also_gets_a_held_out_estimate(digits):
    X, y_true, y = digits
    selector = LabelSpreadingSelector(T=0.01, random_state=0).fit(X, y)
    assert 0 <= selector.estimated_wrong_negative_rate_ <= 1
    X_few = X[:40]
    y_few = np.where(np.arange(40) % 10 < 2, y_true[:40], -1)  # 1 label per class
    few = LabelSpreadingSelector(3, random_state=0).fit(X_few, y_few)
    assert few.n_folds_ == 0 and np.isnan(few.estimated_wrong_negative_rate_)


def test_calibration_uses_fewer_folds_for_poorly_labelled_classes(digits):
    X, y_true, _ = digits
    y = hide_labels(y_true, 3, random_state=0)
    # Pool-wide: per class, 3 rows each are below min_class_rows (nothing marked).
    three = LabelSpreadingSelector(wrong_negative_rate=0.05, per_class=False)
    three.fit(X, y)
    assert three.n_folds_ == 3 and np.isfinite(three.estimated_wrong_negative_rate_)
    # One labelled row in a class: nothing to hold out, so no negatives.
    y_one = hide_labels(y_true, 1, random_state=0)
    rows = LabelSpreadingSelector(wrong_negative_rate=0.05, calibration="rows")
    with pytest.warns(UserWarning, match="no class is marked negative"):
        one = rows.fit(X, y_one)
    assert one.threshold_ == 0 and not one.negatives_.any()


def test_same_seed_same_result(digits):
    X, _, y = digits
    a = LabelSpreadingSelector(wrong_negative_rate=0.05, random_state=3).fit(X, y)
    b = LabelSpreadingSelector(wrong_negative_rate=0.05, random_state=3).fit(X, y)
    assert a.threshold_ == b.threshold_
    np.testing.assert_array_equal(a.negatives_, b.negatives_)


def test_pool_negatives_are_the_pool_rows_of_the_joint_graph(digits):
    X, _, y = digits
    labelled, pool = np.flatnonzero(y != -1), np.flatnonzero(y == -1)
    selector = LabelSpreadingSelector(random_state=0)
    mask = selector.pool_negatives(X.reshape(-1, 8, 8), labelled, y[labelled], pool)
    fitted = LabelSpreadingSelector(random_state=0).fit(X, y)
    np.testing.assert_array_equal(mask, fitted.negatives_[pool])
    assert selector.n_features_in_ == 64


def test_transform_of_new_rows_is_the_mean_of_their_neighbours(digits):
    X, _, y = digits
    X = _jittered(X)
    ours = LabelSpreadingSelector(7, T=0.1, wrong_negative_rate=None).fit(
        X[:1500], y[:1500]
    )
    ref = LabelSpreading(kernel="knn", n_neighbors=7).fit(X[:1500], y[:1500])
    proba = ref.predict_proba(X[1500:])
    expected = proba < 0.1
    expected[np.arange(len(proba)), proba.argmax(axis=1)] = False
    np.testing.assert_array_equal(ours.transform(X[1500:]), expected)


def test_pickled_selector_transforms_the_same(digits):
    X, _, y = digits
    selector = LabelSpreadingSelector(index="IVF8,Flat", random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(selector))
    np.testing.assert_array_equal(clone.transform(X[:50]), selector.transform(X[:50]))


def test_approximate_index_finds_most_exact_neighbours(digits):
    X, _, y = digits
    X = _jittered(X)
    exact = LabelSpreadingSelector(index="Flat").fit(X, y)
    approx = LabelSpreadingSelector(index="IVF16,Flat", nprobe=4, random_state=0)
    approx.fit(X, y)
    overlap = exact.graph_.multiply(approx.graph_).nnz / exact.graph_.nnz
    assert overlap > 0.9
    assert approx.index_.probes == 4


def test_refined_index_reranks_more_candidates_than_asked(digits, monkeypatch):
    # "PCA8,Flat,RFlat" finds candidates on 8 of 64 components; FAISS's own
    # k_factor=1 only re-orders those k, so the package widens the list and
    # the exact re-ranking recovers nearly all exact neighbours.
    X, _, _ = digits
    X = _jittered(X).astype(np.float32)
    exact = NearestRowsIndex(X).search(X, 8, exclude_self=True)

    def overlap(found):
        return np.mean(
            [len(np.intersect1d(a, b)) / 8 for a, b in zip(found, exact, strict=True)]
        )

    refined = NearestRowsIndex(X, index="PCA8,Flat,RFlat", random_state=0)
    assert refined._faiss.k_factor == _faiss._REFINE_K_FACTOR
    wide = overlap(refined.search(X, 8, exclude_self=True))
    clone = pickle.loads(pickle.dumps(refined))
    assert clone._faiss.k_factor == _faiss._REFINE_K_FACTOR

    monkeypatch.setattr(_faiss, "_REFINE_K_FACTOR", 1)
    narrow = NearestRowsIndex(X, index="PCA8,Flat,RFlat", random_state=0)
    assert wide > 0.99
    assert overlap(narrow.search(X, 8, exclude_self=True)) < wide - 0.05


def test_memmap_pool_is_searched_in_blocks(tmp_path, digits):
    X, _, y = digits
    path = tmp_path / "X.f32"
    X.astype(np.float32).tofile(path)
    X_map = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    mapped = LabelSpreadingSelector(chunk_size=100, random_state=0).fit(X_map, y)
    plain = LabelSpreadingSelector(random_state=0).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(mapped.negatives_, plain.negatives_)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(12, 60),
    k=st.integers(1, 6),
    alpha=st.floats(0.05, 0.95),
)
def test_rows_are_distributions_and_labelled_rows_hold_their_label(seed, n, k, alpha):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = np.full(n, -1)
    y[:6] = [0, 1, 2, 0, 1, 2]
    F = _quiet(lambda: LabelSpreadingSelector(k, alpha=alpha).fit(X, y))
    F = F.label_distributions_
    sums = F.sum(axis=1)
    assert np.all(np.isclose(sums, 1) | (sums == 0))
    assert (F >= 0).all()
    # Labelled rows always hold some of their own label.
    assert (F[np.arange(6), y[:6]] > 0).all()


def test_inside_ns3l_classifier_by_name_and_by_object(digits):
    X, _, y = digits
    X = (X / 16).astype(np.float32)
    for selector in (
        "label_spreading",
        LabelSpreadingSelector(wrong_negative_rate=0.05),
    ):
        clf = NS3LClassifier(selector, max_epochs=2, random_state=0).fit(X, y)
        assert isinstance(clf.selector_, LabelSpreadingSelector)
        # The mask the network trained with: one row per unlabelled row.
        assert clf.pool_negatives_.shape == (clf.n_unlabelled_, 10)
    assert SELECTORS["label_spreading"] is LabelSpreadingSelector


# Bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 0.0},
        {"alpha": 1.0},
        {"calibration": "labels"},
        {"wrong_negative_rate": 0.0},
        {"wrong_negative_rate": 1.0},
        {"T": 0.0},
        {"n_neighbors": 0},
        {"metric": "manhattan"},
        {"n_folds": 1},
    ],
)
def test_bad_parameters_are_refused(digits, params):
    X, _, y = digits
    with pytest.raises(InvalidParameterError):
        LabelSpreadingSelector(**params).fit(X, y)
    labelled, pool = np.flatnonzero(y != -1), np.flatnonzero(y == -1)
    with pytest.raises(InvalidParameterError):
        LabelSpreadingSelector(**params).pool_negatives(X, labelled, y[labelled], pool)


def test_more_neighbours_than_rows_is_refused():
    X = np.arange(10.0)[:, None]
    y = np.array([0, 1] + [-1] * 8)
    with pytest.raises(ValueError, match="n_neighbors=11 exceeds.*10 samples"):
        LabelSpreadingSelector(11).fit(X, y)
    LabelSpreadingSelector(10).fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused_by_every_public_method(digits, bad):
    X, _, y = digits
    X_bad = X.copy()
    X_bad[700, 3] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        LabelSpreadingSelector().fit(X_bad, y)
    labelled, pool = np.flatnonzero(y != -1), np.flatnonzero(y == -1)
    with pytest.raises(ValueError, match="NaN or infinity"):
        LabelSpreadingSelector().pool_negatives(X_bad, labelled, y[labelled], pool)
    fitted = LabelSpreadingSelector().fit(X, y)
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted.transform(X_bad[695:705])


def test_values_beyond_float32_are_refused_by_name(digits):
    X, _, y = digits
    X_bad = X.copy()
    X_bad[700, 3] = 1e39  # finite in float64, infinite once searched in float32
    with pytest.raises(ValueError, match="beyond float32's range"):
        LabelSpreadingSelector().fit(X_bad, y)
    fitted = LabelSpreadingSelector().fit(X, y)
    with pytest.raises(ValueError, match="beyond float32's range"):
        fitted.transform(X_bad[695:705])


@pytest.mark.parametrize("index", ["Flat", "IVF8,Flat"])
@pytest.mark.parametrize("exponent", [64, 100, -100])
def test_features_whose_squares_overflow_float32_give_the_same_graph(
    digits, index, exponent
):
    # Digits times 2**64 (up to 3e20) square beyond float32, times 2**-100
    # below it; a power of two changes no distance's rank.
    X, _, y = digits
    scale = 2.0**exponent
    fit = LabelSpreadingSelector(index=index, random_state=0).fit(X, y)
    scaled = LabelSpreadingSelector(index=index, random_state=0).fit(X * scale, y)
    np.testing.assert_array_equal(scaled.graph_.toarray(), fit.graph_.toarray())
    np.testing.assert_array_equal(scaled.negatives_, fit.negatives_)
    np.testing.assert_array_equal(
        scaled.transform(X[:100] * scale), fit.transform(X[:100])
    )


def test_nan_in_a_memmap_is_found_in_blocks(tmp_path):
    X = np.random.RandomState(0).normal(size=(500, 4)).astype(np.float32)
    X[450, 1] = np.nan
    path = tmp_path / "X.f32"
    X.tofile(path)
    X_map = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    with pytest.raises(
        ValueError, match=r"NaN or infinity \(in one of rows 400\.\.499\)"
    ):
        NearestRowsIndex(X_map, chunk_size=100)


def test_too_large_for_exact_search_names_the_compressed_index(digits, monkeypatch):
    X, _, y = digits
    monkeypatch.setattr(_knn_graph, "available_memory", lambda: 2**20)
    with pytest.raises(MemoryError, match=r"index='IVF1024,PQ16'"):
        LabelSpreadingSelector().fit(X, y)
    # The compressed index reads blocks and does not need the rows in memory.
    LabelSpreadingSelector(index="IVF8,PQ8x4", random_state=0).fit(X, y)


def test_labels_of_fewer_than_two_classes_are_refused(digits):
    X, _, _ = digits
    with pytest.raises(ValueError, match="no labelled samples"):
        LabelSpreadingSelector().fit(X, np.full(len(X), -1))
    y = np.full(len(X), -1)
    y[:5] = 3
    with pytest.raises(ValueError, match="at least two classes"):
        LabelSpreadingSelector().fit(X, y)


def test_bad_index_string_is_refused(digits):
    X, _, y = digits
    with pytest.raises(ValueError, match="not a FAISS index factory string"):
        LabelSpreadingSelector(index="NoSuchIndex").fit(X, y)


def test_inside_the_classifier_a_tiny_problem_caps_the_neighbours():
    """The default selector must fit any valid problem; fit() itself refuses."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    selector = LabelSpreadingSelector(wrong_negative_rate=None)
    with pytest.warns(UserWarning, match="Using n_neighbors=4"):
        mask = selector.pool_negatives(
            X, np.array([0, 3]), np.array(["a", "b"]), np.array([1, 2])
        )
    assert mask.shape == (2, 2) and selector.n_neighbors_ == 4
    with pytest.raises(ValueError, match="exceeds the number of rows"):
        LabelSpreadingSelector().fit(X, np.array(["a", -1, -1, "b"], dtype=object))
