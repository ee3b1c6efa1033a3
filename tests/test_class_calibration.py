"""Per-class (Mondrian) calibration: the wrong-negative target holds for every class.

Issue #22: a pool-wide bound lets a class holding under the target's share of
the rows be marked negative on most of its own rows; per class, each
column's threshold is chosen on the held-out rows of that class.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from sklearn_ns3l import NS3LClassifier, negative_label_quality
from sklearn_ns3l.selectors import LabelSpreadingSelector, ThresholdSelector
from sklearn_ns3l.selectors._calibration import class_conformal_thresholds
from sklearn_ns3l.selectors._spreading import negative_mask, neighbour_mean


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sizes=st.lists(st.integers(0, 60), min_size=2, max_size=4),
    rate=st.floats(0.02, 0.5),
    min_rows=st.integers(1, 8),
    cap=st.sampled_from([0.2, 1.0]),
)
def test_class_conformal_thresholds_are_each_classes_own_jth_score(
    seed, sizes, rate, min_rows, cap
):
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(len(sizes)), sizes)
    scores = rng.uniform(size=len(codes)).round(2)  # ties, and zeros, on purpose
    thresholds, bounds = class_conformal_thresholds(
        scores, codes, len(sizes), rate, cap, min_rows
    )
    for c, m in enumerate(sizes):
        own = np.sort(scores[codes == c])
        if m < max(min_rows, 1):
            assert thresholds[c] == 0 and np.isnan(bounds[c])
            continue
        j = max(1, math.floor(rate * (m + 1)))
        assert thresholds[c] == min(cap, own[j - 1])
        if thresholds[c] == 0:  # marks nothing
            assert np.isnan(bounds[c])
            continue
        assert bounds[c] == j / (m + 1)
        # At most j - 1 of its own rows are below: the share it bounds.
        assert np.sum(own < thresholds[c]) <= j - 1
        if m >= math.ceil(1 / rate) - 1:
            assert bounds[c] <= rate


def _rare_class_data(seed=0, n=3000, share=0.05):
    """Two blobs, the second holding ``share`` of the rows; 10 % labelled."""
    rng = np.random.RandomState(seed)
    y_true = (rng.rand(n) < share).astype(int)
    X = (rng.randn(n, 8) + 1.2 * y_true[:, None]).astype(np.float32)
    y = np.where(rng.rand(n) < 0.1, y_true, -1)
    return X, y, y_true


def test_a_rare_class_is_never_marked_on_its_own_rows_per_class():
    X, y, y_true = _rare_class_data()
    names = np.array(["common", "rare"])
    y_named = np.where(y >= 0, names[np.maximum(y, 0)], "-1")
    pool = y == -1
    pool_wide = LabelSpreadingSelector(per_class=False, random_state=0)
    pool_wide.fit(X, y_named)
    rare_rows = pool & (y_true == 1)
    # The fault: the rare class marked on many of its own rows, the
    # pool-wide share within the target.
    assert pool_wide.negatives_[rare_rows, 1].mean() > 0.2
    per_class = LabelSpreadingSelector(random_state=0).fit(X, y_named)
    counts = np.bincount(y[y >= 0])
    assert per_class.class_calibration_rows_.tolist() == counts.tolist()
    # 12 held-out rare rows: the smallest of their scores, bound 1 / 13.
    assert counts[1] == 12
    assert per_class.class_rate_bounds_[1] == pytest.approx(1 / 13)
    assert per_class.negatives_[rare_rows, 1].mean() <= 1 / 13
    # With more rows required than it has, the rare class is never marked,
    # and the warning names it.
    strict = LabelSpreadingSelector(min_class_rows=13, random_state=0)
    with pytest.warns(UserWarning, match=r"class 'rare' \(12 labelled rows\) is never"):
        strict.fit(X, y_named)
    assert strict.thresholds_[1] == 0 and not strict.negatives_[:, 1].any()
    assert np.isnan(strict.class_rate_bounds_[1])


def test_auto_leaves_classes_labelled_in_equal_numbers_to_the_pool_wide_rule():
    X, y = load_digits(return_X_y=True)
    y_semi = np.full(len(y), -1)
    for k in range(10):  # 2 labels of each class: too few to certify one
        y_semi[np.flatnonzero(y == k)[:2]] = k
    auto = LabelSpreadingSelector(random_state=0).fit(X / 16, y_semi)
    pool_wide = LabelSpreadingSelector(per_class=False, random_state=0)
    pool_wide.fit(X / 16, y_semi)
    np.testing.assert_array_equal(auto.negatives_, pool_wide.negatives_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        every = LabelSpreadingSelector(per_class=True, random_state=0)
        every.fit(X / 16, y_semi)
    # Every class on its own: 2 labelled rows are too few for any of them.
    assert auto.negatives_.any() and (every.thresholds_ == 0).all()
    assert np.isnan(auto.class_rate_bounds_).all()


def _long_tailed_digits(seed=0, rho=10):
    """Digits, class k keeping about ``n_max * rho**(-k / 9)`` rows, 10 % labelled."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    keep = []
    for k in range(10):
        rows = rng.permutation(np.flatnonzero(y == k))
        keep.append(rows[: max(3, round(170 * rho ** (-k / 9)))])
    rows = np.concatenate(keep)
    y_semi = np.full(len(rows), -1)
    for k in range(10):
        of_k = np.flatnonzero(y[rows] == k)
        y_semi[of_k[: max(2, round(0.1 * len(of_k)))]] = k
    return X[rows] / 16, y_semi, y[rows]


def test_every_class_that_gets_negatives_meets_its_bound_on_the_pool():
    X, y, y_true = _long_tailed_digits()
    pool = y == -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the rare classes named
        per_class = LabelSpreadingSelector(random_state=0).fit(X, y)
        pool_wide = LabelSpreadingSelector(per_class=False, random_state=0).fit(X, y)
    assert (per_class.thresholds_ <= per_class.threshold_).all()
    assert per_class.threshold_ == pool_wide.threshold_
    marked = per_class.thresholds_ > 0
    assert 0 < marked.sum() < 10  # the rarest classes are protected
    assert (per_class.class_calibration_rows_[~marked] < 5).all()
    # The held-out share of every class that gets negatives meets its bound.
    bounds = per_class.class_rate_bounds_[marked]
    assert (per_class.class_wrong_rates_[marked] <= bounds).all()
    # On the pool, measured on this split: the pool-wide rule marks some
    # class on most of its own rows; per class, each stays near its bound.
    before = negative_label_quality(pool_wide.negatives_[pool], y_true[pool], range(10))
    after = negative_label_quality(per_class.negatives_[pool], y_true[pool], range(10))
    assert np.nanmax(before.class_wrong_rate) > 0.5
    assert (after.class_wrong_rate[marked] <= bounds + 0.1).all()
    assert (after.class_wrong_rate[~marked] == 0).all()


def test_pool_wide_and_fixed_T_apply_one_threshold_to_every_class():
    X, y, _ = _long_tailed_digits()
    pool_wide = LabelSpreadingSelector(per_class=False, random_state=0).fit(X, y)
    assert (pool_wide.thresholds_ == pool_wide.threshold_).all()
    # The rows are marked from their neighbours' mean spread (neighbour_mean).
    marked = neighbour_mean(pool_wide.graph_, pool_wide.label_distributions_)
    expected = negative_mask(marked, pool_wide.threshold_)
    np.testing.assert_array_equal(pool_wide.negatives_, expected)
    fixed = LabelSpreadingSelector(T=0.02, wrong_negative_rate=None, per_class=False)
    assert (fixed.fit(X, y).thresholds_ == 0.02).all()


def test_at_a_fixed_T_the_small_imbalanced_classes_are_only_left_unmarked():
    # The network's features: no held-out rows to bound a class on.
    X, y, _ = _long_tailed_digits()
    counts = np.bincount(y[y >= 0])
    with pytest.warns(UserWarning, match=r"never marked negative: at the fixed T"):
        fixed = LabelSpreadingSelector(T=0.02, wrong_negative_rate=None).fit(X, y)
    small = counts < max(5, counts.mean())  # under min_class_rows, or the mean
    assert small.sum() > (counts < 5).sum()  # the mean counts on this split
    np.testing.assert_array_equal(fixed.thresholds_, np.where(small, 0, 0.02))
    assert np.isnan(fixed.class_rate_bounds_).all()


def test_transform_applies_each_classes_threshold():
    X, y, _ = _long_tailed_digits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        selector = LabelSpreadingSelector(random_state=0).fit(X, y)
    never = selector.thresholds_ == 0
    mask = selector.transform(X[:300])
    assert not mask[:, never].any()
    assert mask[:, ~never].any()


def test_threshold_rule_per_class_bounds_each_classes_new_rows():
    # A class that is 4 % of the rows and scores low: pool-wide, its rows are
    # marked far above the target; per class, at most the target on average.
    rng = np.random.default_rng(0)
    rate, pool_wide, per_class = 0.1, [], []

    def draw(n):
        y = (rng.uniform(size=n) < 0.04).astype(int)
        own = np.where(y == 1, rng.beta(2, 5, n), rng.beta(8, 1, n))
        proba = np.column_stack([own, 1 - own])
        proba[y == 1] = proba[y == 1][:, ::-1]
        return proba, y

    for _ in range(100):
        cal, y_cal = draw(1000)
        new, y_new = draw(1000)
        for per, out in ((False, pool_wide), (True, per_class)):
            selector = ThresholdSelector(wrong_negative_rate=rate, per_class=per)
            mask = selector.fit(cal, y_cal).transform(new)
            out.append(mask[y_new == 1, 1].mean())
    assert np.mean(pool_wide) > 3 * rate
    assert np.mean(per_class) <= rate + 0.02


def test_threshold_rule_per_class_masks_tensors_like_arrays():
    rng = np.random.default_rng(0)
    held_out = rng.dirichlet(np.ones(3), size=200)
    selector = ThresholdSelector(wrong_negative_rate=0.2, per_class=True)
    selector.fit(held_out, held_out.argmax(axis=1))
    assert len(np.unique(selector.thresholds_)) > 1  # really per class
    proba = rng.dirichlet(np.ones(3), size=50)
    expected = selector.transform(proba)
    for dtype in (torch.float32, torch.float64):
        tensor = torch.as_tensor(proba, dtype=dtype)
        close = np.abs(proba - selector.thresholds_) > 1e-6  # float32 rounding
        np.testing.assert_array_equal(
            selector.mask_from_proba(tensor).numpy()[close], expected[close]
        )
    # A threshold fitted per class is stale once per_class changes.
    selector.set_params(per_class=False)
    with pytest.raises(Exception, match="call fit"):
        selector.mask_from_proba(proba)


def test_the_default_keeps_a_rare_classes_rows_and_its_recall():
    # The kind of ../shared/cases/case_41: class_weight="balanced", 5 % class.
    X, y, y_true = _rare_class_data(seed=1, n=2000)
    pool = y == -1
    fits = {}
    for name, selector in (("twin", None), ("default", "label_spreading")):
        fits[name] = NS3LClassifier(
            selector=selector, class_weight="balanced", max_epochs=5, random_state=0
        ).fit(X, y)
    default = fits["default"]
    bound = default.selector_.class_rate_bounds_[1]
    assert default.pool_negatives_[y_true[pool] == 1, 1].mean() <= bound + 0.05

    def recall(clf):
        return (clf.predict(X[pool & (y_true == 1)]) == 1).mean()

    assert recall(default) >= recall(fits["twin"]) - 0.05


def test_the_threshold_rules_warning_counts_held_out_rows_not_labelled_ones():
    # Inside NS3LClassifier the rows calibrated on are the validation share
    # of the labelled rows: the warning must not call them the labelled rows.
    held_out = np.tile([[0.7, 0.3]], (23, 1))
    y = np.r_[np.zeros(20, dtype=int), np.ones(3, dtype=int)]
    with pytest.warns(UserWarning, match=r"class 1 \(3 held-out rows\) is never"):
        selector = ThresholdSelector(wrong_negative_rate=0.1).fit(held_out, y)
    assert selector.thresholds_[1] == 0


def test_at_a_fixed_T_two_classes_keep_the_smaller_one_marked():
    # With two classes, leaving the smaller unmarked would push every marked
    # row into it: only a class under min_class_rows is left out.
    X, y, _ = _rare_class_data()  # 287 against 12 labelled rows
    fixed = LabelSpreadingSelector(T=0.3, wrong_negative_rate=None).fit(X, y)
    assert (fixed.thresholds_ == 0.3).all()
    strict = LabelSpreadingSelector(T=0.3, wrong_negative_rate=None, min_class_rows=13)
    with pytest.warns(UserWarning, match=r"class 1 \(12 labelled rows\) is never"):
        strict.fit(X, y)
    assert strict.thresholds_.tolist() == [0.3, 0.0]
