"""ThresholdSelector(wrong_negative_rate=a): the paper's rule at a calibrated T."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from sklearn_ns3l import NS3LClassifier, ThresholdSelector
from sklearn_ns3l.datasets import hide_labels


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    m=st.integers(20, 400),
    rate=st.floats(0.05, 0.5),
)
def test_calibrated_threshold_is_the_split_conformal_score(seed, m, rate):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(4), size=m)
    y = rng.integers(0, 4, size=m)
    selector = ThresholdSelector(wrong_negative_rate=rate, per_class=False)
    selector.fit(proba, y)
    scores = np.sort(proba[np.arange(m), y])
    j = math.floor(rate * (m + 1))
    assert selector.threshold_ == scores[j - 1]
    # Strictly below the j-th smallest: at most j - 1 of the m held-out rows.
    below = np.mean(proba[np.arange(m), y] < selector.threshold_)
    assert below == selector.estimated_wrong_negative_rate_
    assert below <= rate


def test_new_exchangeable_rows_have_their_true_class_below_at_most_the_rate():
    # The guarantee is about rows not used to calibrate: draw many of them.
    rng = np.random.default_rng(0)
    rate, rates = 0.05, []
    for _ in range(200):
        proba = rng.dirichlet(np.ones(5), size=200)
        y = rng.integers(0, 5, size=200)
        selector = ThresholdSelector(wrong_negative_rate=rate, per_class=False)
        selector.fit(proba[:100], y[:100])
        new = selector.transform(proba[100:])
        rates.append(new[np.arange(100), y[100:]].mean())
    assert np.mean(rates) <= rate + 0.005


def test_fixed_T_is_the_papers_rule_fitted_or_not():
    proba = np.array([[0.9, 0.07, 0.03], [0.5, 0.3, 0.2]])
    selector = ThresholdSelector(T=0.05)
    expected = proba < 0.05
    np.testing.assert_array_equal(selector.transform(proba), expected)
    selector.fit(proba, np.array([0, 2]))  # y is ignored without a rate
    assert selector.threshold_ == 0.05
    assert np.isnan(selector.estimated_wrong_negative_rate_)
    np.testing.assert_array_equal(selector.transform(proba), expected)


def test_set_params_after_fit_takes_effect():
    proba = np.array([[0.9, 0.07, 0.03]])
    selector = ThresholdSelector(T=0.05).fit(proba)
    selector.set_params(T=0.5)
    np.testing.assert_array_equal(selector.transform(proba), [[False, True, True]])
    calibrated = ThresholdSelector(wrong_negative_rate=0.05)
    calibrated.fit(np.tile([[0.9, 0.05, 0.05]], (19, 1)), np.zeros(19, dtype=int))
    calibrated.set_params(wrong_negative_rate=None, T=0.01)
    assert not calibrated.transform(proba).any()


def test_only_a_calibrated_threshold_requires_fit():
    assert not ThresholdSelector().__sklearn_tags__().requires_fit
    assert ThresholdSelector(wrong_negative_rate=0.1).__sklearn_tags__().requires_fit


def test_calibrated_threshold_replaces_T():
    held_out = np.tile([0.6, 0.3, 0.1], (19, 1))
    held_out[0] = [0.3, 0.6, 0.1]
    selector = ThresholdSelector(T=0.01, wrong_negative_rate=0.05, per_class=False)
    selector.fit(held_out, np.zeros(19, dtype=int))
    assert selector.threshold_ == pytest.approx(0.3)
    np.testing.assert_array_equal(
        selector.transform([[0.75, 0.2, 0.05]]), [[False, True, True]]
    )


def test_too_few_rows_calibrate_to_no_negatives_with_a_warning():
    selector = ThresholdSelector(wrong_negative_rate=0.02)
    with pytest.warns(UserWarning, match="at least 49 labelled rows"):
        selector.fit(np.full((10, 2), 0.5), np.zeros(10, dtype=int))
    assert selector.threshold_ == 0.0
    assert not selector.transform([[0.99, 0.01]]).any()


@pytest.mark.parametrize("rate", [0, 1, -0.1, 1.5, "0.1"])
def test_rate_outside_zero_one_is_refused(rate):
    with pytest.raises(InvalidParameterError, match="wrong_negative_rate"):
        ThresholdSelector(wrong_negative_rate=rate).fit(np.eye(2), [0, 1])


@pytest.mark.parametrize(
    "y, match",
    [
        (None, "pass their true classes as y"),
        ([0, 1], "one class per row"),
        ([0, 1, 3], "column indices of X"),
        ([0, -1, 1], "column indices of X"),
        ([0.0, 1.0, 1.0], "column indices of X"),
    ],
)
def test_calibration_needs_the_true_columns_of_every_row(y, match):
    with pytest.raises(ValueError, match=match):
        ThresholdSelector(wrong_negative_rate=0.5).fit(np.full((3, 3), 1 / 3), y)


def test_an_uncalibrated_rate_refuses_to_transform():
    with pytest.raises(NotFittedError, match="no threshold calibrated"):
        ThresholdSelector(wrong_negative_rate=0.1).transform([[0.5, 0.5]])
    # A fit for the fixed T, or for another rate, is not a calibration for it.
    fixed = ThresholdSelector(T=0.3).fit([[0.5, 0.5]])
    with pytest.raises(NotFittedError, match="no threshold calibrated"):
        fixed.set_params(wrong_negative_rate=0.1).transform([[0.5, 0.5]])
    held_out = np.tile([[0.9, 0.1]], (19, 1))
    other = ThresholdSelector(wrong_negative_rate=0.1).fit(held_out, np.zeros(19, int))
    with pytest.raises(NotFittedError, match="no threshold calibrated"):
        other.set_params(wrong_negative_rate=0.2).transform([[0.5, 0.5]])


# --- inside NS3LClassifier -------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X[:600] / 16).astype(np.float32)
    return X, hide_labels(y[:600], 20, random_state=0)


class _HeldOutProba(Callback):
    """The held-out rows' probabilities at each epoch's end (a test probe)."""

    def initialize(self):
        self.proba, self.y = [], None
        return self

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        net.module_.eval()
        with torch.no_grad():
            X = torch.as_tensor(np.asarray(dataset_valid.X))
            self.proba.append(torch.softmax(net.module_(X), 1).double().numpy())
        net.module_.train()
        self.y = dataset_valid.y.numpy()


def test_classifier_calibrates_at_each_epoch_on_the_held_out_rows(digits):
    X, y = digits
    probe = _HeldOutProba()
    rate = 0.1
    clf = NS3LClassifier(
        # Pool-wide: the history's threshold is the one applied to every class.
        ThresholdSelector(wrong_negative_rate=rate, per_class=False),
        validation_fraction=0.25,
        max_epochs=4,
        steps_per_epoch=5,
        callbacks=[("probe", probe)],
        # The probe's float32 forward is the calibration's only in float32:
        # "auto" would calibrate under bfloat16 on a CPU with AVX512-BF16.
        precision="float32",
        random_state=0,
    ).fit(X, y)
    thresholds = clf.history_[:, "threshold"]
    assert len(thresholds) == 4
    probe = dict(clf.net_.callbacks_)["probe"]  # the fit's copy
    # The network at the end of epoch e is the one epoch e + 1 calibrates on.
    m = len(probe.y)
    j = math.floor(rate * (m + 1))
    estimates = clf.history_[:, "estimated_wrong_negative_rate"]
    for e in range(3):
        scores = probe.proba[e][np.arange(m), probe.y]
        assert thresholds[e + 1] == pytest.approx(np.sort(scores)[j - 1], rel=1e-5)
        assert estimates[e + 1] == np.mean(scores < thresholds[e + 1])
    assert clf.selector_.threshold_ == thresholds[-1]


def test_a_larger_rate_marks_more_negatives_in_training(digits):
    X, y = digits

    def negatives(rate):
        clf = NS3LClassifier(
            ThresholdSelector(wrong_negative_rate=rate),
            validation_fraction=0.25,
            max_epochs=3,
            steps_per_epoch=5,
            random_state=0,
        ).fit(X, y)
        return np.mean(clf.history_[:, "negatives_per_sample"])

    assert negatives(0.5) > negatives(0.05)


class _NaNNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.linear(x.flatten(1)) * float("nan")


def test_non_finite_held_out_probabilities_are_a_clear_error(digits):
    X, y = digits
    clf = NS3LClassifier(
        ThresholdSelector(wrong_negative_rate=0.1),
        module=_NaNNet(),
        validation_fraction=0.25,
        max_epochs=2,
    )
    with pytest.raises(ValueError, match="not finite .* training diverged"):
        clf.fit(X, y)


@pytest.mark.parametrize("fraction", [None, 0.1])
def test_too_few_held_out_rows_are_refused_before_training(digits, fraction):
    # 200 labels: 0.1 holds out 20, and a 2 % target needs 49.
    X, y = digits
    clf = NS3LClassifier(
        ThresholdSelector(wrong_negative_rate=0.02), validation_fraction=fraction
    )
    with pytest.raises(ValueError, match="at least 49 of them"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")


def test_the_fixed_T_takes_no_held_out_rows(digits):
    X, y = digits
    clf = NS3LClassifier("threshold", T=0.05, max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert clf.selector_.T == 0.05
    assert "threshold" not in clf.history_[-1]
