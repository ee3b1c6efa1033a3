"""selector_features="network": the negatives from the network's features."""

import copy

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier
from sklearn_ns3l._networks import MLP, SmallCNN, penultimate_features

PARAMS = dict(max_epochs=5, warmup_epochs=2, batch_size=32, random_state=0)


def test_first_epochs_are_a_warm_up_then_negatives_are_rebuilt(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector_features="network", **PARAMS).fit(X, y_semi)
    assert clf.selector_features_ == "network"
    negatives = clf.history_[:, "negatives_per_sample"]
    # No negatives before the end of epoch 2; built at its end and at epoch 4's.
    assert negatives[0] == negatives[1] == 0
    assert min(negatives[2:]) > 0
    rebuilt = [bool(row.get("negatives_rebuilt")) for row in clf.history_]
    assert rebuilt == [False, True, False, True, False]
    # The graph was built on the MLP's 128-d penultimate layer, not the 64 inputs.
    assert clf.selector_.n_features_in_ == 128
    # The mask the network trained with: one row per pool row, from the last build.
    assert clf.pool_negatives_.shape == (clf.n_unlabelled_, 10)
    mask = clf.pool_negatives_.sum(axis=1).mean()
    assert mask == pytest.approx(negatives[4], rel=0.2)


class _Snapshot(Callback):
    """Keeps the module's weights at the end of ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            self.state_ = copy.deepcopy(net.module_.state_dict())


def test_the_mask_is_label_spreading_on_the_features_of_that_epoch(digits_semi):
    """Rebuilt at epoch 2 (of 3): the spreading of the epoch-2 network's features."""
    X, y_semi, y = digits_semi
    snapshot = _Snapshot(epoch=2)
    clf = NS3LClassifier(
        selector_features="network",
        callbacks=[snapshot],
        **{**PARAMS, "max_epochs": 3},
    ).fit(X, y_semi)
    module = copy.deepcopy(clf.module_)
    module.load_state_dict(dict(clf.net_.callbacks_)["_Snapshot"].state_)
    labelled, pool = np.flatnonzero(y_semi != -1), np.flatnonzero(y_semi == -1)
    rows = torch.as_tensor(X[np.concatenate([labelled, pool])], dtype=torch.float32)
    features = penultimate_features(module, [rows])
    n = len(labelled)
    expected = clone(clf.selector_).pool_negatives(
        features, np.arange(n), y_semi[labelled], np.arange(n, n + len(pool))
    )
    built = dict(clf.net_.callbacks_)["network_negatives"].negatives_
    np.testing.assert_array_equal(built, expected)
    # And the spreading on the features is not the one on the inputs.
    on_input = clone(clf.selector_).pool_negatives(X, labelled, y_semi[labelled], pool)
    assert not np.array_equal(built, on_input)


def test_a_calibrated_selector_uses_its_fixed_T_on_network_features(digits_semi):
    X, y_semi, _ = digits_semi
    selector = LabelSpreadingSelector(T=0.05, wrong_negative_rate=0.02)
    clf = NS3LClassifier(selector, selector_features="network", **PARAMS)
    with pytest.warns(UserWarning, match="wrong_negative_rate=0.02 is not used") as w:
        clf.fit(X, y_semi)
    assert w[0].filename == __file__  # pointed at the user's call
    assert clf.selector_.threshold_ == 0.05
    assert selector.wrong_negative_rate == 0.02  # the user's object is untouched


@pytest.mark.parametrize(
    "images, selector, expected",
    [
        (True, "label_spreading", "network"),
        (False, "label_spreading", "input"),
        # Only label spreading was measured on the network's features.
        (True, "nn_exclude_class", "input"),
        (True, "uniform", "input"),
        (True, "threshold", "input"),
        (True, None, None),  # no selector, nothing measured
    ],
)
def test_auto_reads_the_network_of_images_only(digits, images, selector, expected):
    X, y = digits
    X = X[:300].reshape(-1, 8, 8) if images else X[:300]
    y_semi = np.where(np.arange(300) < 100, y[:300], -1)
    clf = NS3LClassifier(selector, **PARAMS).fit(X, y_semi)
    assert clf.selector_features_ == expected
    if expected == "network":
        assert clf.selector_.n_features_in_ == 128  # SmallCNN's dense layer


class _NoLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 10, 64)

    def forward(self, x):
        return self.conv(x.reshape(len(x), 1, -1)).flatten(1)


def test_a_network_without_a_linear_layer_is_refused_before_training(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(module=_NoLinear(), selector_features="network", **PARAMS)
    with pytest.raises(ValueError, match="_NoLinear has none"):
        clf.fit(X, y_semi)
    # Under "auto" a module of the user's keeps the input.
    auto = NS3LClassifier(module=_NoLinear(), **PARAMS).fit(X, y_semi)
    assert auto.selector_features_ == "input"


def test_auto_keeps_the_input_when_training_ends_before_the_warm_up(digits):
    X, y = digits
    images = X[:300].reshape(-1, 8, 8)
    y_semi = np.where(np.arange(300) < 100, y[:300], -1)
    clf = NS3LClassifier(max_epochs=2, random_state=0).fit(images, y_semi)
    assert clf.selector_features_ == "input"


def test_a_nearest_neighbour_rule_runs_on_network_features(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier("nn_exclude_class", selector_features="network", **PARAMS).fit(
        X, y_semi
    )
    built = dict(clf.net_.callbacks_)["network_negatives"].negatives_
    assert built.shape == (clf.n_unlabelled_, 10) and built.sum(axis=1).min() == 1
    assert clf.selector_.n_features_in_ == 128


def test_the_same_seed_gives_the_same_fit(digits_semi):
    X, y_semi, _ = digits_semi
    a = NS3LClassifier(selector_features="network", **PARAMS).fit(X, y_semi)
    b = NS3LClassifier(selector_features="network", **PARAMS).fit(X, y_semi)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(selector="threshold"), "needs a selector that measures"),
        (dict(selector="oracle"), "needs a selector that measures"),
        (dict(warmup_epochs=5), "warmup_epochs=5 must be below max_epochs=5"),
    ],
)
def test_settings_that_cannot_work_raise_before_training(digits_semi, params, message):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector_features="network", **{**PARAMS, **params})
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y_semi)
    assert not hasattr(clf, "net_")


@pytest.mark.parametrize(
    "params", [dict(selector_features="pixels"), dict(warmup_epochs=0)]
)
def test_bad_values_raise_invalid_parameter(digits_semi, params):
    X, y_semi, _ = digits_semi
    with pytest.raises(InvalidParameterError):
        NS3LClassifier(**params).fit(X, y_semi)


def test_penultimate_features_are_the_input_of_the_last_linear_layer():
    torch.manual_seed(0)
    mlp = MLP(6, 3, hidden=(5, 4)).train()
    X = torch.randn(7, 6)
    features = penultimate_features(mlp, [X[:3], X[3:]])
    assert mlp.training  # put back in the mode it was in
    mlp.eval()
    with torch.no_grad():
        expected = mlp.layers[:-1](X).numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-6)
    cnn = SmallCNN((1, 8, 8), 3, hidden=9).train()
    assert penultimate_features(cnn, [torch.randn(4, 1, 8, 8)]).shape == (4, 9)
    assert cnn.training


def test_a_network_without_a_linear_layer_is_refused():
    with pytest.raises(ValueError, match="no torch.nn.Linear layer"):
        penultimate_features(torch.nn.Conv2d(1, 2, 3), [torch.randn(1, 1, 4, 4)])
