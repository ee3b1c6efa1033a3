"""Every accepted input works and every refused input gets a clear error."""

import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l.selectors._neighbors import RULES

TINY = dict(max_epochs=1, batch_size=16, random_state=0)
_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def semi_supervised_problems(draw):
    """Small (X, y) pairs: varied shapes, dtypes, label sets and label counts."""
    n_classes = draw(st.integers(2, 4))
    labels = draw(
        st.one_of(
            st.lists(
                st.integers(0, 50), min_size=n_classes, max_size=n_classes, unique=True
            ),
            st.lists(
                st.text("abcxyz", min_size=1, max_size=3),
                min_size=n_classes,
                max_size=n_classes,
                unique=True,
            ),
        )
    )
    per_class = draw(
        st.lists(st.integers(1, 6), min_size=n_classes, max_size=n_classes)
    )
    n_unlabelled = draw(st.integers(0, 20))
    n_features = draw(st.integers(1, 6))
    y_labelled = np.repeat(np.array(labels, dtype=object), per_class)
    y = np.concatenate([y_labelled, np.full(n_unlabelled, -1, dtype=object)])
    if all(isinstance(v, int) for v in labels) and draw(st.booleans()):
        y = y.astype(np.int64)
    n = len(y)
    kind = draw(st.sampled_from(["float64", "float32", "int", "bool"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = {
        "float64": lambda: (
            rng.normal(size=(n, n_features)) * draw(st.sampled_from([1e-3, 1, 1e4]))
        ),
        "float32": lambda: rng.normal(size=(n, n_features)).astype(np.float32),
        "int": lambda: rng.integers(-5, 5, size=(n, n_features)),
        "bool": lambda: rng.random((n, n_features)) < 0.5,
    }[kind]()
    order = rng.permutation(n)
    return X[order], y[order], labels


@_settings
@given(problem=semi_supervised_problems())
def test_any_valid_problem_fits_and_predicts_probabilities(problem):
    X, y, labels = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # all-labelled draws warn
        clf = NS3LClassifier(**TINY).fit(X, y)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.classes_) == set(labels)
    assert set(clf.predict(X)) <= set(labels)


@_settings
@given(
    X=st.one_of(
        st.just(np.array([[1.0, np.nan]] * 4)),
        st.just(np.array([[1.0, np.inf]] * 4)),
        st.just(np.array([["a", "b"]] * 4, dtype=object)),
        st.just(np.array([[1 + 1j, 0]] * 4)),
        st.just(np.ones((4, 0))),
        st.just(np.ones(4)),
    )
)
def test_unusable_X_is_refused_with_a_value_or_type_error(X):
    with pytest.raises((ValueError, TypeError)) as info:
        NS3LClassifier(**TINY).fit(X, np.array([0, 1, 0, 1]))
    assert not type(info.value).__module__.startswith("torch")


def test_sparse_X_is_taken_as_its_dense_twin():
    # Once refused; tests/test_sparse.py holds the rest.
    X = np.eye(4)
    sparse_fit = NS3LClassifier(**TINY).fit(sp.csr_matrix(X), [0, 1, 0, 1])
    dense_fit = NS3LClassifier(**TINY).fit(X, [0, 1, 0, 1])
    np.testing.assert_array_equal(
        sparse_fit.predict_proba(sp.csr_array(X)), dense_fit.predict_proba(X)
    )


def test_one_labelled_row_per_class_and_heavy_imbalance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.full(60, -1)
    y[:2] = [0, 1]
    assert NS3LClassifier(**TINY).fit(X, y).predict(X).shape == (60,)
    y_imbalanced = np.r_[np.zeros(57, int), [1, 2, 2]]
    clf = NS3LClassifier(**TINY).fit(
        X, np.where(np.arange(60) % 3 == 0, -1, y_imbalanced)
    )
    assert np.all(np.isfinite(clf.predict_proba(X)))


@pytest.mark.parametrize("T", [1e-9, 0.999999])
def test_extreme_thresholds_train_finitely(digits_semi, T):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(
        "threshold", T=T, max_epochs=2, batch_size=32, random_state=0
    ).fit(X, y_semi)
    assert np.all(np.isfinite(np.array(clf.history_[:, "train_loss"], dtype=float)))
    assert np.all(np.isfinite(clf.predict_proba(X)))
    negatives = np.mean(clf.history_[:, "negatives_per_sample"])
    assert negatives < 0.5 if T < 0.5 else negatives > 8


def test_a_diverging_run_stops_with_an_error_naming_the_epoch(digits):
    X, y = digits
    clf = NS3LClassifier(optimizer="sgd", lr=1e8, max_epochs=5, random_state=0)
    with pytest.raises(
        FloatingPointError,
        match=r"diverged: the loss became nan at epoch \d+, batch \d+",
    ):
        clf.fit(X[:300], np.r_[y[:100], np.full(200, -1)])
    assert not hasattr(clf, "net_")  # no broken model left behind


class _InterruptAfter(torch.nn.Module):
    """A network whose forward pass raises KeyboardInterrupt on its n-th call."""

    def __init__(self, calls):
        super().__init__()
        self.fc = torch.nn.Linear(64, 10)
        self.calls = calls

    def forward(self, x):
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt
        return self.fc(x.reshape(len(x), -1))


def test_keyboard_interrupt_keeps_the_weights_and_reaches_the_caller(digits_semi):
    X, y_semi, _ = digits_semi
    # One check call, then 4 batches an epoch: interrupt in epoch 3. The
    # interrupt reaches the caller (a loop of fits stops too), after the
    # weights learned so far are kept.
    clf = NS3LClassifier(
        module=_InterruptAfter(11), max_epochs=10, steps_per_epoch=4, batch_size=50
    )
    with pytest.raises(KeyboardInterrupt, match="interrupted after 2 of 10 epochs"):
        clf.fit(X, y_semi)
    assert clf.n_epochs_ == 2
    assert np.all(np.isfinite(clf.predict_proba(X)))


_FIT_AND_PRINT = textwrap.dedent(
    """
    import sys, pickle, numpy as np
    from sklearn.datasets import load_digits
    from sklearn_ns3l import NS3LClassifier
    from sklearn_ns3l.datasets import hide_labels
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, hide_labels(y[:300], 5, random_state=0)
    clf = NS3LClassifier(max_epochs=2, random_state=7).fit(X, y)
    sys.stdout.buffer.write(pickle.dumps((clf, clf.predict_proba(X))))
    """
)


def _run(code, stdin=None):
    out = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, check=True
    )
    return out.stdout


def test_same_random_state_same_predictions_in_two_processes():
    (_, a), (_, b) = (pickle.loads(_run(_FIT_AND_PRINT)) for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_a_pickled_model_predicts_identically_in_another_process(digits):
    clf, expected = pickle.loads(_run(_FIT_AND_PRINT))
    X, _ = digits
    np.testing.assert_array_equal(clf.predict_proba(X[:300]), expected)
    # ... and the other way round, through joblib.
    code = (
        "import sys, joblib, numpy as np; from sklearn.datasets import load_digits\n"
        "clf = joblib.load(sys.stdin.buffer)\n"
        "X = load_digits().data[:300] / 16.0\n"
        "sys.stdout.buffer.write(clf.predict_proba(X).tobytes())"
    )
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    theirs = np.frombuffer(_run(code, stdin=buffer.getvalue())).reshape(expected.shape)
    np.testing.assert_array_equal(theirs, expected)


def test_a_model_saved_on_cuda_loads_and_predicts_on_cpu(digits_semi, monkeypatch):
    """skorch maps CUDA-saved weights to the CPU when CUDA is absent.

    Without a GPU the net's device is set to "cuda" by hand: unpickling then
    takes the same path as for a model really trained on a GPU.
    """
    X, y_semi, _ = digits_semi
    device = "cuda" if torch.cuda.is_available() else "cpu"
    clf = NS3LClassifier(max_epochs=1, random_state=0, device=device).fit(X, y_semi)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"
    state = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="no CUDA devices are available"):
        loaded = pickle.loads(state)
    assert str(loaded.net_.device) == "cpu"
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-5)


def test_grid_search_workers_do_not_oversubscribe_cores(digits):
    """joblib's loky workers cap OpenMP threads, torch's included (docs: threads)."""
    X, y = digits
    search = GridSearchCV(
        NS3LClassifier("threshold", max_epochs=1),
        {"T": [0.03, 0.05]},
        cv=2,
        n_jobs=2,
        scoring=lambda est, X, y: torch.get_num_threads(),
    ).fit(X[:200], y[:200])
    # loky gives each of its n_jobs workers cpu_count() // n_jobs threads
    # (joblib's count, which respects CPU affinity and cgroup quotas).
    expected = max(1, joblib.cpu_count() // 2)
    assert np.all(search.cv_results_["mean_test_score"] == expected)


@pytest.mark.parametrize(
    "params",
    [{"selector": name} for name in ("threshold", "uniform", *RULES)]
    + [
        {"selector": None, "companion": "pseudo_label"},
        {"selector": "threshold", "companion": "vat"},
    ],
)
def test_without_unlabelled_rows_every_setting_trains_the_supervised_model(
    digits, params
):
    """A fold without -1 switches the unlabelled terms off, selectors included."""
    X, y = digits[0][:120], digits[1][:120]
    fast = dict(max_epochs=2, batch_size=32, random_state=0)
    supervised = NS3LClassifier(selector=None, **fast).fit(X, y)
    with pytest.warns(UserWarning, match="no unlabelled samples"):
        clf = NS3LClassifier(**params, **fast).fit(X, y)
    assert not clf.objective_.terms and not clf.objective_.reads_pool
    np.testing.assert_array_equal(clf.predict_proba(X), supervised.predict_proba(X))


def test_cross_validation_folds_without_unlabelled_rows_all_score(digits):
    """A training fold that drew no -1 fits (and scores) like the others."""
    X, y = digits[0][:200], digits[1][:200]
    y_semi = y.copy()
    y_semi[:20] = -1
    # The first fold trains on labelled rows only, the second with the pool.
    folds = [
        (np.arange(20, 150), np.arange(150, 200)),
        (np.arange(150), np.arange(150, 200)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = cross_val_score(
            NS3LClassifier("nn_furthest", max_epochs=2, random_state=0),
            X,
            y_semi,
            cv=folds,
            error_score="raise",
        )
    assert np.all((scores > 0.1) & (scores <= 1))


class _BatchNormMLP(torch.nn.Module):
    """Batch norm on feature vectors: a one-row training batch would crash it."""

    def __init__(self, n_features=6, n_classes=2):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 8),
            torch.nn.BatchNorm1d(8),
            torch.nn.ReLU(),
            torch.nn.Linear(8, n_classes),
        )

    def forward(self, x):
        return self.net(x)


@settings(max_examples=15, deadline=None)
@given(
    n_labelled=st.integers(2, 45),
    batch_size=st.integers(2, 25),
    n_pool=st.sampled_from([0, 7]),
    selector=st.sampled_from([None, "threshold"]),
    steps=st.sampled_from(["auto", None]),
)
# The cases that leave a last labelled row alone, every time: a random draw
# rarely reaches them (the guard is needed for small batches of many labels).
@example(n_labelled=45, batch_size=2, n_pool=0, selector=None, steps="auto")
@example(n_labelled=7, batch_size=2, n_pool=0, selector=None, steps=None)
@example(n_labelled=9, batch_size=4, n_pool=7, selector=None, steps=None)
def test_no_training_batch_leaves_batch_norm_a_single_row(
    n_labelled, batch_size, n_pool, selector, steps
):
    rng = np.random.RandomState(n_labelled)
    X = rng.randn(n_labelled + n_pool, 6).astype(np.float32)
    y = np.r_[np.arange(n_labelled) % 2, -np.ones(n_pool, dtype=int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = NS3LClassifier(
            selector,
            module=_BatchNormMLP(),
            max_epochs=1,
            batch_size=batch_size,
            steps_per_epoch=steps,
        ).fit(X, y)
    batches = clf.history_[-1, "batches"]
    assert len(batches) == clf.steps_per_epoch_
    assert min(batch["train_batch_size"] for batch in batches) >= 2
    assert clf.predict_proba(X).shape == (len(X), 2)


def test_one_by_one_images_get_the_mlp():
    """Pooled embeddings (n, C, 1, 1) are feature vectors, not images."""
    X = np.random.RandomState(0).randn(41, 16, 1, 1).astype(np.float32)
    y = (X[:, 0, 0, 0] > 0).astype(int)
    with pytest.warns(UserWarning, match="no unlabelled samples"):
        clf = NS3LClassifier(max_epochs=1, batch_size=20).fit(X, y)
    assert type(clf.module_).__name__ == "MLP"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_a_module_of_another_float_dtype_is_trained_in_float32(dtype):
    X = np.random.RandomState(0).randn(60, 6).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    module = torch.nn.Sequential(torch.nn.Linear(6, 2)).to(dtype)
    with pytest.warns(UserWarning, match="no unlabelled samples"):
        clf = NS3LClassifier(module=module, max_epochs=2).fit(X, y)
    assert next(clf.module_.parameters()).dtype == torch.float32
    assert next(module.parameters()).dtype == dtype  # the user's module as given
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize(
    "module, X_shape, match",
    [
        (
            torch.nn.Linear(5, 2),
            (30, 6),
            "shape \\(1, 6\\).*Linear.*expects 5 features",
        ),
        (
            torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten()),
            (30, 1, 8, 8),
            "shape \\(1, 1, 8, 8\\).*expects 3 input channels",
        ),
    ],
)
def test_a_module_that_fails_on_the_data_names_both_shapes(module, X_shape, match):
    X = np.random.RandomState(0).rand(*X_shape).astype(np.float32)
    y = np.arange(len(X)) % 2
    with pytest.raises(ValueError, match=match):
        NS3LClassifier(module=module, max_epochs=1).fit(X, y)


def test_sample_weight_zero_is_the_same_as_leaving_the_row_out(digits_semi):
    X, y_semi, _ = digits_semi
    weights = np.ones(len(X))
    weights[::7] = 0.0
    fast = dict(max_epochs=2, batch_size=32, random_state=0)
    weighted = NS3LClassifier(**fast).fit(X, y_semi, sample_weight=weights)
    kept = weights > 0
    removed = NS3LClassifier(**fast).fit(X[kept], y_semi[kept])
    np.testing.assert_array_equal(weighted.predict_proba(X), removed.predict_proba(X))
    assert (weighted.n_labelled_, weighted.n_unlabelled_) == (
        removed.n_labelled_,
        removed.n_unlabelled_,
    )


def test_sample_weight_of_ones_is_no_weight_and_others_change_the_model(digits_semi):
    X, y_semi, _ = digits_semi
    fast = dict(max_epochs=2, batch_size=32, random_state=0)
    plain = NS3LClassifier(**fast).fit(X, y_semi).predict_proba(X)
    ones = NS3LClassifier(**fast).fit(X, y_semi, sample_weight=np.full(len(X), 3.0))
    np.testing.assert_array_equal(ones.predict_proba(X), plain)
    weights = np.where(y_semi == 3, 20.0, 1.0)
    heavy = NS3LClassifier(**fast).fit(X, y_semi, sample_weight=weights)
    # Class 3 weighs 20 times the others: more rows go to it.
    assert (heavy.predict(X) == 3).sum() > (plain.argmax(1) == 3).sum()


def test_sample_weights_are_scaled_to_mean_one_so_lr_keeps_its_meaning(digits_semi):
    """Only the weights' ratios count: w and 8 w train the same model.

    Scaling by a power of two is exact in floating point, so the models are
    equal to the last bit; unscaled, 8 w would weigh the labelled rows' loss
    8 times against the unlabelled term and take other steps.
    """
    X, y_semi, _ = digits_semi
    fast = dict(max_epochs=2, batch_size=32, random_state=0)
    w = 1.0 + np.arange(len(X)) % 3  # 1, 2, 3, ...: not constant
    one = NS3LClassifier(**fast).fit(X, y_semi, sample_weight=w)
    eight = NS3LClassifier(**fast).fit(X, y_semi, sample_weight=8 * w)
    np.testing.assert_array_equal(one.predict_proba(X), eight.predict_proba(X))
    # And they are weights: the model differs from the unweighted one.
    plain = NS3LClassifier(**fast).fit(X, y_semi)
    assert not np.array_equal(one.predict_proba(X), plain.predict_proba(X))


def test_class_weight_balanced_lifts_the_rare_class():
    rng = np.random.RandomState(0)
    X = np.r_[rng.randn(190, 2), rng.randn(10, 2) + 1.5].astype(np.float32)
    y = np.r_[np.zeros(190, int), np.ones(10, int)]
    fast = dict(module="mlp", max_epochs=20, batch_size=40, random_state=0)
    with pytest.warns(UserWarning, match="no unlabelled samples"):
        plain = NS3LClassifier(**fast).fit(X, y)
    with pytest.warns(UserWarning, match="no unlabelled samples"):
        balanced = NS3LClassifier(class_weight="balanced", **fast).fit(X, y)
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


@pytest.mark.parametrize("n", [119, 121])
def test_sample_weights_of_the_wrong_length_are_refused(digits, n):
    X, y = digits[0][:120], digits[1][:120]
    with pytest.raises(ValueError, match="sample_weight"):
        NS3LClassifier(max_epochs=1).fit(X, y, sample_weight=np.ones(n))
    clf = NS3LClassifier(selector=None, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.score(X, y, sample_weight=np.ones(n))


def test_negative_sample_weights_are_refused(digits):
    X, y = digits[0][:60], digits[1][:60]
    with pytest.raises(ValueError, match="[Nn]egative"):
        NS3LClassifier(max_epochs=1).fit(X, y, sample_weight=-np.ones(60))
