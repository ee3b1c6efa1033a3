"""What a fit leaves on the estimator: all of it or none of it, nothing it need not.

A fit plans every decision first (cheap refusals before any graph or
network), trains on locals, and commits the fitted attributes together. A
fit that raises leaves the previous model in full (or an unfitted
estimator); Ctrl-C keeps the weights learned so far and reaches the caller;
the saved model holds the network and the training negatives' mask, never
the rows.
"""

from __future__ import annotations

import copy
import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from skorch.callbacks import BatchScoring, Callback, EarlyStopping, EpochScoring

from sklearn_ns3l import NS3LClassifier, negative_label_quality
from sklearn_ns3l import _classifier as classifier_module
from sklearn_ns3l.callbacks import EpochProgress
from sklearn_ns3l.selectors import LabelSpreadingSelector, ThresholdSelector

FAST = dict(max_epochs=2, batch_size=32, random_state=0, precision="float32")


class _RaiseAt(Callback):
    """Raises ``error`` at the end of epoch ``epoch``."""

    def __init__(self, error, epoch=1):
        self.error = error
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise self.error


def _fitted(est) -> dict:
    return {k: v for k, v in vars(est).items() if k.endswith("_")}


@pytest.fixture
def three_classes(digits_semi):
    """The first 300 digits of classes 0, 1, 2, 10 labelled per class."""
    X, y_semi, y = digits_semi
    keep = np.isin(y, [0, 1, 2])
    return X[keep], y_semi[keep], y[keep]


# -- saving ---------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [dict(verbose=1), dict(callbacks=[EpochProgress(desc="bar")])],
    ids=["verbose", "EpochProgress"],
)
def test_a_model_with_a_progress_bar_pickles_and_copies(digits_semi, params):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector="threshold", **FAST, **params).fit(X, y_semi)
    expected = clf.predict_proba(X[:5])
    for restored in (
        pickle.loads(pickle.dumps(clf)),
        copy.deepcopy(clf),
        joblib.load(_dumped(clf)),
    ):
        np.testing.assert_array_equal(restored.predict_proba(X[:5]), expected)


def _dumped(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return buffer


def _problem(n_pool: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.randn(60 + n_pool, 16).astype(np.float32)
    y = np.full(len(X), -1)
    y[:60] = np.arange(60) % 3
    X[:60] += 3 * np.eye(16, dtype=np.float32)[y[:60]]
    return X, y


@pytest.mark.parametrize(
    "params",
    [
        dict(selector="label_spreading"),
        dict(selector="nn_exclude_class"),
        dict(selector="threshold"),
        dict(selector="label_spreading", image_shape=(4, 4), warmup_epochs=1),
    ],
    ids=["label_spreading", "nearest_neighbour", "threshold", "network_features"],
)
def test_the_saved_model_neither_grows_with_the_pool_nor_holds_its_rows(params):
    sizes = []
    for n_pool in (200, 2200):
        X, y = _problem(n_pool)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = NS3LClassifier(**FAST, **params).fit(X, y)
        blob = pickle.dumps(clf)
        sizes.append(len(blob))
        for row in (X[0], X[60], X[-1]):
            assert row.tobytes() not in blob
    # 2,000 more rows of 64 bytes: at most the mask's 3 bytes a row may stay.
    assert sizes[1] - sizes[0] < 2000 * 8


def test_the_fitted_selector_refuses_to_transform_without_its_rows(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector="nn_exclude_class", **FAST).fit(X, y_semi)
    assert not hasattr(clf.selector_, "index_")
    with pytest.raises(NotFittedError, match="keeps no training rows"):
        clf.selector_.transform(X[:3])


# -- the training negatives ---------------------------------------------


def test_pool_negatives_are_the_mask_the_network_trained_with(digits_semi):
    X, y_semi, y = digits_semi
    clf = NS3LClassifier(validation_fraction=0.3, **FAST).fit(X, y_semi)
    pool = np.flatnonzero(y_semi == -1)
    assert clf.pool_negatives_.shape == (len(pool), len(clf.classes_))
    # The same selector fitted on the rows the network trained on (the
    # held-out labelled rows are not among them) gives the same mask.
    twin = LabelSpreadingSelector(**clf.selector_.get_params())
    rows = _plan(clf, X, y_semi).rows
    held_in = np.setdiff1d(np.flatnonzero(y_semi != -1), rows.valid)
    # In the plan's order: the calibration's folds follow the rows' order.
    assert sorted(rows.labelled) == held_in.tolist()
    expected = twin.pool_negatives(X, rows.labelled, rows.y_labelled, pool)
    np.testing.assert_array_equal(clf.pool_negatives_, expected)
    quality = negative_label_quality(clf.pool_negatives_, y[pool], clf.classes_)
    assert quality.n_negatives == clf.pool_negatives_.sum()


def _plan(clf, X, y_semi):
    """The fit's plan: its rows (labelled, held out, pool), in its order."""
    from sklearn_ns3l._fit_plan import plan_fit
    from sklearn_ns3l._unlabelled import split_labelled

    unlabelled, y_known = split_labelled(y_semi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_fit(clf, X, unlabelled, y_known, None)


@pytest.mark.parametrize("selector", ["threshold", None])
def test_no_pool_mask_without_a_static_selector(digits_semi, selector):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector=selector, **FAST).fit(X, y_semi)
    assert clf.pool_negatives_ is None


# -- failed fits ----------------------------------------------------------


@pytest.mark.parametrize(
    "failure, error",
    [
        (dict(lr=1e12, selector="threshold"), FloatingPointError),
        (dict(callbacks=[_RaiseAt(RuntimeError("user callback"))]), RuntimeError),
        (dict(callbacks=[_RaiseAt(MemoryError())]), MemoryError),
        (dict(callbacks=[EarlyStopping(monitor="no_such_key")]), ValueError),
    ],
    ids=["divergence", "callback", "out_of_memory", "refused"],
)
def test_a_failed_refit_leaves_the_previous_model_in_full(
    digits_semi, three_classes, failure, error
):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector="threshold", **FAST).fit(X, y_semi)
    before, proba = dict(_fitted(clf)), clf.predict_proba(X[:5])
    X3, y3, _ = three_classes
    clf.set_params(**{**dict(selector="label_spreading"), **failure})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error):
            clf.fit(X3[:, :32], y3)  # other classes, other features
    after = _fitted(clf)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    np.testing.assert_array_equal(clf.predict_proba(X[:5]), proba)


def test_a_failed_first_fit_leaves_an_unfitted_estimator(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(callbacks=[_RaiseAt(RuntimeError("boom"))], **FAST)
    with pytest.raises(RuntimeError, match="boom"):
        clf.fit(X, y_semi)
    assert _fitted(clf) == {}
    with pytest.raises(NotFittedError):
        clf.predict(X[:3])


# -- Ctrl-C -----------------------------------------------------------------


def test_ctrl_c_keeps_the_weights_and_reaches_the_caller(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(
        selector="threshold",
        callbacks=[_RaiseAt(KeyboardInterrupt(), epoch=2)],
        **{**FAST, "max_epochs": 5},
    )
    with pytest.raises(KeyboardInterrupt, match="after 2 of 5 epochs"):
        clf.fit(X, y_semi)
    assert clf.n_epochs_ == 2 and clf.termination_condition_ == "interrupted"
    assert clf.predict(X[:3]).shape == (3,)


def test_ctrl_c_stops_a_loop_of_fits(digits_semi):
    X, y_semi, _ = digits_semi
    started = []

    class _Count(Callback):
        def on_train_begin(self, net, **kwargs):
            started.append(1)

    clf = NS3LClassifier(
        selector="threshold",
        callbacks=[_Count(), _RaiseAt(KeyboardInterrupt())],
        **FAST,
    )
    with pytest.raises(KeyboardInterrupt):
        cross_val_score(clf, X, y_semi, cv=3)
    assert len(started) == 1


def test_early_stopping_is_not_an_interrupt(digits_semi):
    X, y_semi, _ = digits_semi
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    clf = NS3LClassifier(
        selector="threshold", callbacks=[stop], **{**FAST, "max_epochs": 6}
    )
    clf.fit(X, y_semi)  # no KeyboardInterrupt
    assert clf.termination_condition_ == "early_stopping" and clf.n_epochs_ < 6


# -- refusals before any work ---------------------------------------------


@pytest.fixture
def spies(monkeypatch):
    """Records any graph built (label spreading) or network made."""
    calls = []
    original = LabelSpreadingSelector.pool_negatives
    build = classifier_module.build_module

    def spread(self, *args, **kwargs):
        calls.append("graph")
        return original(self, *args, **kwargs)

    def network(*args, **kwargs):
        calls.append("network")
        return build(*args, **kwargs)

    monkeypatch.setattr(LabelSpreadingSelector, "pool_negatives", spread)
    monkeypatch.setattr(classifier_module, "build_module", network)
    return calls


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(callbacks=[EarlyStopping(monitor="no_such_key")]), "no_such_key"),
        (dict(callbacks=[EpochScoring("accuracy")]), "valid_acc"),
        (dict(callbacks=[BatchScoring("accuracy")]), "valid_acc"),
        (dict(augment="shift"), "shifts images"),
        (dict(T=0.01), "read only by selector='threshold'"),
        (dict(selector="threshold", selector_features="network"), "neighbourhoods"),
        (dict(selector_features="network", warmup_epochs=2), "warmup_epochs=2"),
        (
            dict(selector=ThresholdSelector(wrong_negative_rate=0.05)),
            "held out of training",
        ),
        (dict(selector="oracle"), "y_true"),
    ],
    ids=[
        "monitor",
        "EpochScoring",
        "BatchScoring",
        "augment",
        "T",
        "features",
        "warmup",
        "calibration",
        "oracle",
    ],
)
def test_cheap_errors_come_before_any_graph_or_network(
    digits_semi, spies, params, match
):
    X, y_semi, _ = digits_semi
    with pytest.raises(ValueError, match=match):
        NS3LClassifier(**{**FAST, **params}).fit(X, y_semi)
    assert spies == []


def test_a_network_that_does_not_fit_is_refused_before_the_graph(digits_semi, spies):
    import torch

    X, y_semi, _ = digits_semi
    module = torch.nn.Linear(10, 10)  # X has 64 features
    with pytest.raises(ValueError, match="module failed on one sample"):
        NS3LClassifier(module=module, **FAST).fit(X, y_semi)
    assert "graph" not in spies


# -- T, weights, wrappers -------------------------------------------------


def test_a_search_over_T_without_the_threshold_rule_is_not_a_silent_no_op(
    digits_semi,
):
    from sklearn.model_selection import GridSearchCV

    X, y_semi, _ = digits_semi
    search = GridSearchCV(NS3LClassifier(**FAST), {"T": [0.01, 0.1]}, cv=2)
    with pytest.raises(ValueError, match="read only by selector='threshold'"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y_semi)


@pytest.mark.parametrize(
    "params",
    [dict(selector="threshold", T=0.1), dict(selector=ThresholdSelector(T=0.1))],
    ids=["name", "object"],
)
def test_T_at_or_above_one_over_the_classes_warns(digits_semi, params):
    X, y_semi, _ = digits_semi
    with pytest.warns(UserWarning, match=r"T=0.1 is at least 1/n_classes = 0.1"):
        NS3LClassifier(**params, **FAST).fit(X, y_semi)


def test_an_unlabelled_pool_of_weight_zero_is_named_as_such(digits_semi):
    X, y_semi, _ = digits_semi
    weights = np.where(y_semi == -1, 0.0, 1.0)
    with pytest.warns(UserWarning, match="every unlabelled row .* sample_weight 0"):
        NS3LClassifier(selector="threshold", **FAST).fit(
            X, y_semi, sample_weight=weights
        )


def test_zero_weight_on_every_labelled_row_says_so(digits_semi):
    X, y_semi, _ = digits_semi
    weights = np.where(y_semi == -1, 1.0, 0.0)
    with pytest.raises(ValueError, match="sample_weight is 0 on every labelled row"):
        NS3LClassifier(**FAST).fit(X, y_semi, sample_weight=weights)


def test_no_unlabelled_rows_warning_names_re_encoding_wrappers(digits_semi):
    X, _, y = digits_semi
    with pytest.warns(UserWarning, match="a wrapper may have re-encoded y"):
        NS3LClassifier(**FAST).fit(X, y)


# -- prediction -------------------------------------------------------------


@pytest.mark.parametrize("module", ["mlp", "cnn"])
def test_inputs_that_overflow_the_network_are_refused(digits_semi, module):
    X, y_semi, _ = digits_semi
    X = X.reshape(-1, 8, 8) if module == "cnn" else X
    clf = NS3LClassifier(module=module, selector="threshold", **FAST).fit(X, y_semi)
    far = np.full((2, *X.shape[1:]), 3e38, np.float32)
    far[1] *= -1
    with pytest.raises(ValueError, match=r"overflows .* \|x\| = 3e\+38"):
        clf.predict_proba(far)
    with pytest.raises(ValueError, match="overflows"):
        clf.predict(far)
    proba = clf.predict_proba(X[:3] * 1e3)  # far but representable: answered
    assert np.isfinite(proba).all()


def test_image_shape_mistakes_get_a_reshape_hint(digits_semi):
    X, y_semi, _ = digits_semi
    images = X.reshape(-1, 8, 8)
    clf = NS3LClassifier(selector="threshold", **FAST).fit(images, y_semi)
    with pytest.raises(ValueError, match="ONE sample .* add the batch axis"):
        clf.predict(images[0])
    with pytest.raises(
        ValueError, match=r"flat rows of 64 .* X.reshape\(-1, \*\(8, 8\)\)"
    ):
        clf.predict(X[:3])
    with pytest.raises(ValueError, match=r"samples of shape \(7, 7\)"):
        clf.predict(np.zeros((2, 7, 7), np.float32))


def test_read_only_input_trains_and_predicts_without_torch_warnings(digits_semi):
    X, y_semi, _ = digits_semi
    X = X.copy()
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data in (X, X.reshape(-1, 8, 8)):
            NS3LClassifier(selector="threshold", **FAST).fit(data, y_semi).predict(data)


def test_warnings_name_the_users_selector_not_a_derived_seed(digits_semi):
    X, y_semi, _ = digits_semi
    y_one = y_semi.copy()
    y_one[np.flatnonzero(y_semi == 0)[1:]] = -1  # one label of class 0
    with pytest.warns(UserWarning, match="marked no negative label") as record:
        NS3LClassifier(**FAST).fit(X[:400], y_one[:400])
    message = next(str(w.message) for w in record if "marked no" in str(w.message))
    assert "selector='label_spreading'" in message and "random_state" not in message
