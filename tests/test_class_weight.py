"""class_weight: the labelled cross-entropy and, by likeliest class, the NS3L term.

Issue #22, build 3: ``class_weight`` reaches the unlabelled rows, each row's
NS3L term weighted by the weight of the class it most likely is; and the bad
inputs around it (a class that is not in ``y``, a class weighted 0 on every
labelled row) are named, never silently dropped.
"""

import warnings

import numpy as np
import pytest
import torch

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l import _fit_plan as fit_plan_module
from sklearn_ns3l._batching import unlabelled_class_weights
from sklearn_ns3l._fit_plan import plan_fit
from sklearn_ns3l._loss import ns3l_loss
from sklearn_ns3l._unlabelled import split_labelled
from sklearn_ns3l.selectors import ThresholdSelector
from sklearn_ns3l.unlabelled_terms import NegativeSamplingTerm


def _data(n_per_class=(30, 6, 3), n_pool=60, seed=0):
    rng = np.random.RandomState(seed)
    y = np.concatenate([np.full(n, c) for c, n in enumerate(n_per_class)])
    y = np.r_[y, np.full(n_pool, -1)]
    return rng.randn(len(y), 4).astype(np.float32), y


def _plan(clf, X, y, sample_weight=None):
    unlabelled, y_known = split_labelled(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_fit(clf, X, unlabelled, y_known, sample_weight)


def test_unlabelled_class_weights_are_the_classes_weights_at_mean_one():
    y = np.array([0] * 6 + [1] * 3 + [2] * 1)
    weights = unlabelled_class_weights("balanced", y, y, 3)
    # balanced: n / (K * n_c) = 10 / 18, 10 / 9, 10 / 3; already mean 1.
    np.testing.assert_allclose(weights, [10 / 18, 10 / 9, 10 / 3])
    assert np.mean(weights[y]) == pytest.approx(1.0)
    scaled = unlabelled_class_weights({0: 2.0, 1: 2.0, 2: 4.0}, y, y, 3)
    assert np.mean(scaled[y]) == pytest.approx(1.0)
    assert scaled[2] == pytest.approx(2 * scaled[0])
    assert unlabelled_class_weights(None, y, y, 3) is None
    # Equal weights are no weights: the unweighted loss, to the last bit.
    assert unlabelled_class_weights({0: 3, 1: 3, 2: 3}, y, y, 3) is None


def test_each_rows_term_is_weighted_by_its_likeliest_class_not_marked():
    weights = np.array([1.0, 4.0, 0.5])
    term = NegativeSamplingTerm(ThresholdSelector(T=0.2), class_weight=weights)
    logits = torch.tensor([[3.0, 2.0, -3.0], [-3.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    loss, _ = term(logits, X_u=None, module=None, target={})
    mask = torch.softmax(logits, 1) < 0.2
    # Row 0: class 0 is likeliest; row 1: class 2; row 2: no negatives (0).
    expected = ns3l_loss(logits, mask, torch.tensor([1.0, 0.5, 1.0]))
    assert loss.item() == pytest.approx(expected.item())
    unweighted, _ = NegativeSamplingTerm(ThresholdSelector(T=0.2))(
        logits, X_u=None, module=None, target={}
    )
    assert loss.item() != pytest.approx(unweighted.item())


def test_the_likeliest_class_skips_classes_marked_negative():
    # The network's top class (0) is marked negative by a static mask: the
    # row weighs as the likeliest class left (1), not as class 0.
    term = NegativeSamplingTerm(None, class_weight=np.array([1.0, 3.0, 0.0]))
    proba = torch.tensor([[0.6, 0.3, 0.1]])
    mask = torch.tensor([[True, False, True]])
    assert term._row_weights(proba, mask).tolist() == [3.0]


def test_the_fit_hands_the_ns3l_term_the_class_weights():
    X, y = _data()
    plan = _plan(NS3LClassifier(class_weight="balanced", random_state=0), X, y)
    (ns3l,) = [t.term for t in plan.objective.terms if t.name == "ns3l"]
    counts = np.array([30, 6, 3])
    expected = 39 / (3 * counts)
    np.testing.assert_allclose(ns3l.class_weight, expected / expected[y[y >= 0]].mean())
    plain = _plan(NS3LClassifier(random_state=0), X, y)
    assert plain.objective.terms[0].term.class_weight is None


def test_class_weight_changes_the_unlabelled_term_not_only_the_labelled_one(
    monkeypatch,
):
    X, y = _data()

    def fit(class_weight):
        return NS3LClassifier(
            selector="threshold",
            class_weight=class_weight,
            max_epochs=3,
            random_state=0,
            precision="float32",
        ).fit(X, y)

    # Equal weights are no weights, to the last bit.
    plain = fit(None).predict_proba(X)
    np.testing.assert_array_equal(plain, fit({0: 1, 1: 1, 2: 1}).predict_proba(X))
    weighted = fit({0: 1, 1: 1, 2: 5}).predict_proba(X)
    assert not np.array_equal(plain, weighted)
    # The same weights on the labelled cross-entropy alone train another
    # model: the difference is the NS3L term's weighting.
    monkeypatch.setattr(fit_plan_module, "unlabelled_class_weights", lambda *a: None)
    labelled_only = fit({0: 1, 1: 1, 2: 5}).predict_proba(X)
    assert not np.array_equal(weighted, labelled_only)


@pytest.mark.parametrize(
    "class_weight, named", [({0: 1, 5: 2}, "5"), ({"a": 2.0}, "'a'")]
)
def test_a_class_weight_for_a_class_not_in_y_is_refused_by_name(class_weight, named):
    X, y = _data()
    with pytest.raises(ValueError, match=rf"class_weight names {named}, not among"):
        NS3LClassifier(class_weight=class_weight).fit(X, y)


def test_a_class_weighted_zero_on_every_labelled_row_is_named():
    X, y = _data()
    sample_weight = np.where(y == 2, 0.0, 1.0)
    with pytest.warns(
        UserWarning, match=r"sample_weight is 0 on every labelled row of class 2"
    ):
        clf = NS3LClassifier(max_epochs=1, random_state=0).fit(
            X, y, sample_weight=sample_weight
        )
    assert clf.classes_.tolist() == [0, 1]


def test_the_weighted_ns3l_loss_is_the_mean_of_each_rows_weighted_term():
    # Closed form: L(u) = -log(1 - sum of its negatives' probabilities), and
    # the weighted loss is mean(w * L), not a mean normalised by sum(w).
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 3.0], [1.0, 1.0, 1.0]])
    mask = torch.tensor([[False, True, True], [True, False, False], [False] * 3])
    weight = torch.tensor([3.0, 0.5, 2.0])
    p = torch.softmax(logits.double(), dim=1)
    per_row = -torch.log(1 - (p * mask).sum(dim=1))
    expected = (weight.double() * per_row).sum() / 3
    assert ns3l_loss(logits, mask, weight).item() == pytest.approx(expected.item())
    assert ns3l_loss(logits, mask, torch.ones(3)).item() == pytest.approx(
        ns3l_loss(logits, mask).item()
    )


def test_a_class_given_class_weight_zero_is_named():
    X, y = _data()
    with pytest.warns(UserWarning, match=r"class_weight is 0 for class 2: every"):
        NS3LClassifier(class_weight={0: 1, 1: 1, 2: 0}, max_epochs=1).fit(X, y)
