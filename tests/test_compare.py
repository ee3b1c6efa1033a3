"""``ns3l compare FILE --target COLUMN``: NS3L, its twin and the peers on a table."""

import csv
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_info, threadpool_limits

import sklearn_ns3l.compare
from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l._cli import main
from sklearn_ns3l._fit_plan import AUTO_STEPS_PER_EPOCH
from sklearn_ns3l.compare import (
    CSV_COLUMNS,
    DENSE_KERNEL_LIMIT,
    IMBALANCE_RATIO,
    PEERS,
    SUPERVISED_TWIN,
    CompareError,
    LabelledOnly,
    MethodResult,
    Ranking,
    Table,
    compare,
    compare_methods,
    paired_difference,
    ranking_for,
    read_table,
    semi_supervised_folds,
)
from sklearn_ns3l.datasets import hide_labels

pd = pytest.importorskip("pandas")


@pytest.fixture(autouse=True)
def one_thread():
    # HistGradientBoosting's OpenMP threads wait on each other on a shared
    # 2-core machine; one thread is faster for tables this small.
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory):
    """300 digits, 8 labels per class, the rest of the target empty."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    target = hide_labels(y, 8, random_state=0).astype(object)
    target[target == -1] = None
    frame["digit"] = target
    path = tmp_path_factory.mktemp("compare") / "digits.csv"
    frame.to_csv(path, index=False)
    return path


def test_compare_runs_every_method_end_to_end_on_a_csv(digits_csv, tmp_path, capsys):
    out = tmp_path / "table.csv"
    argv = ["compare", str(digits_csv), "--target", "digit", "--max-epochs", "2"]
    assert main([*argv, "--folds", "2", "--output", str(out), "--no-progress"]) == 0

    printed = capsys.readouterr().out
    assert "80 labelled rows of 10 classes, 220 unlabelled" in printed
    assert "64 numeric column(s)" in printed
    # Pixels on one scale: left as they are, for every method, and said so.
    assert "numeric columns not scaled for every method" in printed
    methods = list(compare_methods())
    assert methods[:2] == ["NS3L default", "NS3L supervised twin"]
    for name in methods:
        assert name in printed
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["method"] for r in rows] == methods
    for row in rows:
        assert row["note"] == ""  # every method ran
        assert 0 <= float(row["accuracy_mean"]) <= 100
        assert len(row["fold_accuracies"].split(";")) == 2
    twin = next(r for r in rows if r["method"] == "NS3L supervised twin")
    assert twin["delta_vs_supervised_twin"] == ""
    assert float(rows[0]["delta_vs_supervised_twin"]) == pytest.approx(
        float(rows[0]["accuracy_mean"]) - float(twin["accuracy_mean"]), abs=1e-3
    )


def test_categorical_columns_are_one_hot_encoded_and_parquet_is_read(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], 120)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=120) + (colour == "red"),
            "colour": pd.Series(colour).where(rng.random(120) > 0.1),  # some missing
            "label": np.where(colour == "red", "yes", "no"),
        }
    )
    frame.loc[rng.random(120) < 0.6, "label"] = "-1"
    path = tmp_path / "table.parquet"
    frame.to_parquet(path)

    argv = ["compare", str(path), "--target", "label", "--folds", "3"]
    assert main([*argv, "--methods", "logistic", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "1 numeric column(s) (missing values: the median), 1 categorical" in printed
    assert "LogisticRegression (labelled only)" in printed
    assert "NS3L supervised twin" in printed  # always, as the reference
    assert "SVC (labelled only)" not in printed


def test_an_npz_of_images_is_compared_on_flattened_pixels(tmp_path, capsys):
    X, y = load_digits(return_X_y=True)
    path = tmp_path / "digits.npz"
    np.savez(path, X=(X[:200] / 16).reshape(-1, 8, 8), y=hide_labels(y[:200], 5, 0))
    argv = ["compare", str(path), "--max-epochs", "1", "--folds", "2"]
    assert main([*argv, "--methods", "SVC (labelled", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "X holds images of shape (8, 8)" in printed
    assert "SVC (labelled only)" in printed


@pytest.mark.parametrize(
    ("content", "argv", "message"),
    [
        ("a,b\n1,2\n3,4\n", ["--target", "c"], "has no column 'c'; its columns: a, b"),
        ("a,y\n1,\n3,-1\n", ["--target", "y"], "no labelled row"),
        ("a,y\n1,0\n3,0\n5,\n", ["--target", "y"], "one class only"),
        ("a,y\n1,0\n3,1\n5,1\n", ["--target", "y"], "class 0 has a single labelled"),
    ],
    ids=["no-such-column", "no-labelled-rows", "one-class", "class-of-one"],
)
def test_a_bad_table_is_a_clear_error_with_exit_status_2(
    tmp_path, capsys, content, argv, message
):
    path = tmp_path / "table.csv"
    path.write_text(content)
    assert main(["compare", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ns3l compare: ") and message in err


def test_an_unreadable_or_missing_file_is_a_clear_error(tmp_path, capsys):
    garbage = tmp_path / "table.parquet"
    garbage.write_bytes(b"\x00\x01 this is not parquet")
    assert main(["compare", str(garbage), "--target", "y"]) == 2
    assert f"cannot read {garbage} as parquet" in capsys.readouterr().err

    assert main(["compare", str(tmp_path / "nope.csv"), "--target", "y"]) == 2
    assert "no such file" in capsys.readouterr().err

    npz = tmp_path / "arrays.npz"
    np.savez(npz, features=np.zeros((3, 2)))
    assert main(["compare", str(npz)]) == 2
    assert "an .npz needs X and y" in capsys.readouterr().err


def test_main_command_without_subcommand_is_unchanged(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--labels-per-class" in out and "ns3l compare FILE --target COLUMN" in out


def test_compare_help_names_the_pipeline(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "standardised (see --scale)" in out
    assert "one-hot encoded" in out and "ColumnTransformer" in out
    # The rule that picks the ranking metric, in words.
    assert "when the labelled classes are imbalanced (the largest has at least " in out
    assert "1.5 times the labelled rows of the smallest), it adds balanced" in out


def test_empty_minus_one_and_nan_targets_are_unlabelled(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x,y\n1,2.0\n2,\n3,-1\n4,5.0\n5, \n6,2\n")
    table = read_table(path, "y")
    assert table.y.tolist() == [0, -1, -1, 1, -1, 0]
    assert table.classes.tolist() == [2, 5]  # 2.0 and 2 are one class


def test_folds_test_labelled_rows_only_and_train_on_every_unlabelled_row():
    y = np.array([0, 1, 0, 1, -1, -1, 0, 1, -1, 0, 1, -1])
    folds = semi_supervised_folds(y, 2, random_state=0)
    pool = set(np.flatnonzero(y == -1))
    tested = []
    for train, test in folds:
        assert pool <= set(train)
        assert np.all(y[test] != -1)
        assert not set(train) & set(test)
        assert np.bincount(y[test]).tolist() == [2, 2]  # stratified: 4 + 4 in two
        tested += test.tolist()
    assert sorted(tested) == sorted(np.flatnonzero(y != -1))


def test_labelled_only_equals_the_estimator_fitted_on_the_labelled_rows(digits_semi):
    X, y_semi, _ = digits_semi
    ours = LabelledOnly(LogisticRegression(max_iter=200)).fit(X, y_semi)
    labelled = y_semi != -1
    plain = LogisticRegression(max_iter=200).fit(X[labelled], y_semi[labelled])
    np.testing.assert_array_equal(ours.predict(X), plain.predict(X))
    assert ours.n_labelled_ == labelled.sum()
    with pytest.raises(ValueError, match="no labelled samples"):
        LabelledOnly(LogisticRegression()).fit(X, np.full(len(X), -1))


def test_compare_error_is_a_value_error():
    assert issubclass(CompareError, ValueError)
    assert "SelfTraining (SVC)" in PEERS


def test_every_peer_is_a_record_and_only_the_rbf_graphs_have_a_dense_kernel():
    assert list(PEERS) == [peer.name for peer in PEERS.values()]
    assert [p.short for p in PEERS.values()] == [
        "LS knn", "LS rbf", "LP knn", "LP rbf", "ST SVC", "SVC", "LR", "HGB"
    ]  # fmt: skip
    dense = [p.name for p in PEERS.values() if p.dense_kernel]
    assert dense == ["LabelSpreading (rbf)", "LabelPropagation (rbf)"]
    rbf, knn = PEERS["LabelSpreading (rbf)"], PEERS["LabelSpreading (knn)"]
    assert rbf.skip_reason(DENSE_KERNEL_LIMIT) is None
    assert rbf.skip_reason(DENSE_KERNEL_LIMIT + 1) == (
        f"a dense kernel over {DENSE_KERNEL_LIMIT + 1:,} training rows "
        f"(more than {DENSE_KERNEL_LIMIT:,})"
    )
    assert rbf.skip_reason(11, limit=10) is not None
    assert knn.skip_reason(10 * DENSE_KERNEL_LIMIT) is None


def test_a_dense_kernel_peer_is_not_run_above_the_limit():
    # 8,010 rows of which 12 labelled: the rbf peer would build an 8,004^2 kernel.
    y = np.full(DENSE_KERNEL_LIMIT + 10, -1)
    y[:12] = np.arange(12) % 2
    table = Table(np.zeros((len(y), 1)), y, np.array([0, 1]), [0], [])
    methods = {name: PEERS[name].make() for name in ("LabelSpreading (rbf)",)}
    [result] = compare(table, methods, n_splits=2, progress=False)
    assert result.note.startswith("not run: a dense kernel over 8,004 training rows")
    assert result.scores == () and np.isnan(result.mean)


def test_the_deliberate_svc_probability_warning_is_not_reported(digits_csv):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PEERS["SelfTraining (SVC)"].make().fit([[0.0], [1.0]] * 5, [0, 1] * 5)
    if not any("probability" in str(w.message) for w in caught):
        pytest.skip("this scikit-learn does not deprecate SVC(probability=True)")
    table = read_table(digits_csv, "digit")
    methods = {"SelfTraining (SVC)": PEERS["SelfTraining (SVC)"].make()}
    [result] = compare(table, methods, n_splits=2, progress=False)
    assert result.note == "" and len(result.scores) == 2
    assert not any("probability" in w for w in result.warnings)


def test_the_paired_difference_is_the_mean_and_sd_of_the_differences():
    mean, sd = paired_difference([80.0, 90.0, 70.0], [75.0, 80.0, 70.0])
    assert mean == pytest.approx(5.0) and sd == pytest.approx(5.0)
    mean, sd = paired_difference([1.0], [3.0])
    assert mean == -2.0 and np.isnan(sd)


def test_a_method_result_gives_its_accuracy_in_percent():
    result = MethodResult("m", scores=(0.5, 0.75, 1.0), seconds=(1.0, 3.0, 2.0))
    assert result.mean == pytest.approx(75.0) and result.sd == pytest.approx(25.0)
    assert result.seconds_per_fold == 2.0
    assert np.isnan(result.delta) and np.isnan(MethodResult("m").mean)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--folds", "1", "must be an int in the range [2, inf)"),
        ("--folds", "two", "'two' is not an integer"),
        ("--max-epochs", "0", "must be an int in the range [1, inf)"),
        ("--batch-size", "1", "must be an int in the range [2, inf)"),
        ("--seed", "-1", "must be an int in the range [0, 4294967295]"),
        ("--threads", "0", "must be an int in the range [1, inf)"),
    ],
)
def test_an_option_out_of_range_is_a_usage_error_naming_it(
    digits_csv, capsys, option, value, message
):
    argv = ["compare", str(digits_csv), "--target", "digit", "--max-epochs", "1"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--methods", "logistic", "--no-progress", option, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and message in err


def test_max_epochs_help_says_how_long_an_epoch_is(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    # Not "passes over the labelled rows": with few labels that read as a
    # step or two, and steps_per_epoch="auto" makes every epoch 20 or more.
    assert "passes over the labelled rows" not in out
    assert f"each of at least {AUTO_STEPS_PER_EPOCH} optimiser steps" in out


def test_threads_sets_torch_and_openmp_for_the_comparison_only(tmp_path, monkeypatch):
    X, y = load_digits(return_X_y=True)
    path = tmp_path / "digits.npz"
    np.savez(path, X=X[:200] / 16, y=hide_labels(y[:200], 5, 0))
    seen = []
    fit = NS3LClassifier.fit

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        seen.extend(p["num_threads"] for p in threadpool_info())
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(NS3LClassifier, "fit", spy)
    before = torch.get_num_threads()
    argv = ["compare", str(path), "--max-epochs", "1", "--folds", "2"]
    with threadpool_limits(2):
        torch.set_num_threads(2)
        try:
            # No method matches "none": the supervised twin alone.
            assert main([*argv, "--methods", "none", "--threads", "1"]) == 0
            assert torch.get_num_threads() == 2  # given back
        finally:
            torch.set_num_threads(before)
    assert len(seen) > 2 and set(seen) == {1}


class _Flagged(ClassifierMixin, BaseEstimator):
    """Right on the rows whose ``column`` is 1, wrong elsewhere (truth: last column)."""

    def __init__(self, column=0):
        self.column = column

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        X = np.asarray(X)
        truth = X[:, -1].astype(int)
        return np.where(X[:, self.column] == 1, truth, 1 - truth)


def test_a_difference_that_rounds_to_zero_prints_without_a_minus(
    tmp_path, monkeypatch, capsys
):
    # Two folds of 6 test rows: the twin is right on 1 and 3 of them, the other
    # method on 2 and 2. The same mean, but in floating point a hair below it.
    y = np.array([0, 1] * 6 + [-1] * 4)
    X = np.zeros((len(y), 3))
    X[:, 2] = y.clip(0)
    for (_, test), twin, other in zip(
        semi_supervised_folds(y, 2, random_state=0), (1, 3), (2, 2), strict=True
    ):
        X[test[:twin], 0] = 1
        X[test[:other], 1] = 1
    delta = np.mean(np.array([2 / 6, 2 / 6]) * 100 - np.array([1 / 6, 3 / 6]) * 100)
    assert -0.005 < delta < 0  # the case this test is about
    path = tmp_path / "flags.npz"
    np.savez(path, X=X, y=y)

    def methods(**params):
        return {SUPERVISED_TWIN: _Flagged(0), "flagged": _Flagged(1)}

    monkeypatch.setattr(sklearn_ns3l.compare, "compare_methods", methods)
    out = tmp_path / "table.csv"
    argv = ["compare", str(path), "--folds", "2", "--no-progress"]
    assert main([*argv, "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    flagged = next(line for line in printed.splitlines() if line.startswith("flagged"))
    assert "33.33 ± 0.00" in flagged and "+0.00 ± 23.57" in flagged
    assert "-0.00" not in printed
    with open(out, newline="") as f:
        rows = {r["method"]: r for r in csv.DictReader(f)}
    assert rows["flagged"]["delta_vs_supervised_twin"] == "0.0000"


@parametrize_with_checks(
    [
        LabelledOnly(LogisticRegression()),
        LabelledOnly(HistGradientBoostingClassifier(random_state=0)),
    ],
    expected_failed_checks=lambda estimator: {
        "check_classifiers_classes": "scikit-learn poses the labels [-1, 1]; "
        "LabelledOnly reads -1 as an unlabelled row, as every peer does"
    },
)
def test_labelled_only_is_a_scikit_learn_classifier(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def raw_wine_csv(tmp_path_factory):
    """scikit-learn's wine as it ships (columns in their own units), 8 labels
    per class, the rest of the target empty."""
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    rng = np.random.RandomState(0)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), 8, replace=False) for c in range(3)]
    )
    target = np.full(len(y), np.nan)
    target[keep] = y.to_numpy()[keep]
    path = tmp_path_factory.mktemp("raw") / "wine.csv"
    X.assign(target=target).to_csv(path, index=False)
    return path


def test_raw_columns_in_mixed_units_are_standardised_for_every_method(
    raw_wine_csv, capsys
):
    methods = "--methods NS3L LogisticRegression".split()
    args = [
        "compare",
        str(raw_wine_csv),
        "--target",
        "target",
        "--no-progress",
        "--max-epochs",
        "20",
        *methods,
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "numeric columns standardised for every method" in out
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    ns3l, logistic = (
        float(rows[name].split()[len(name.split())])
        for name in ("NS3L default", "LogisticRegression (labelled only)")
    )
    # Unscaled, NS3L scored 63 % here and LogisticRegression 87 % (issue #23).
    assert ns3l >= 95.0 and ns3l >= logistic - 5.0


def test_scale_none_leaves_the_columns_as_they_are(raw_wine_csv):
    from sklearn_ns3l.compare import make_preprocessor, read_table

    table = read_table(raw_wine_csv, "target")

    def numeric(scale):
        parts = make_preprocessor(table, scale).transformers
        return {name: step for name, step, _ in parts}["numeric"]

    assert "standardise" in dict(numeric("auto").steps)
    plain = numeric("none")
    assert not hasattr(plain, "steps")  # the imputer alone
    ns3l = compare_methods()["NS3L default"]
    assert ns3l.scale is None  # the table's preprocessing is the one for all


def test_labelled_only_passes_per_row_fit_parameters_for_its_rows():
    from sklearn_ns3l.compare import LabelledOnly

    X = np.random.RandomState(0).randn(8, 2)
    y = np.array([0, 1, 0, 1, -1, -1, -1, -1])
    weights = np.array([1.0, 1.0, 1.0, 0.0, 5.0, 5.0, 5.0, 5.0])
    model = LabelledOnly(LogisticRegression()).fit(X, y, sample_weight=weights)
    direct = LogisticRegression().fit(X[:4], y[:4], sample_weight=weights[:4])
    np.testing.assert_allclose(model.estimator_.coef_, direct.coef_)


def test_an_all_missing_numeric_column_is_no_warning(tmp_path):
    from sklearn_ns3l.compare import read_table, scales_numeric_columns

    path = tmp_path / "table.csv"
    path.write_text("a,b,label\n1,,0\n2,,1\n3,,\n4,,\n")
    table = read_table(path, "label")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scales_numeric_columns(table) == (False, 1.0)


# --------------------------------------------------------------------------
# Balanced accuracy, and which score ranks (issue #22).
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "metric"),
    [
        ((3, 2), "balanced_accuracy"),  # 1.5: the boundary counts as imbalanced
        ((300, 200), "balanced_accuracy"),
        ((299, 200), "accuracy"),  # 1.495
        ((301, 200, 250), "balanced_accuracy"),  # largest over smallest
        ((14, 10), "accuracy"),
        ((5, 5, 5), "accuracy"),
    ],
)
def test_classes_are_imbalanced_from_1_5_times_the_smallest(counts, metric):
    y = np.repeat(np.arange(len(counts)), counts)
    # Unlabelled rows, however many, count for nothing.
    ranking = ranking_for(np.concatenate([y, np.full(1000, -1)]))
    assert ranking.metric == metric
    assert ranking.imbalance == pytest.approx(max(counts) / min(counts))
    assert ranking.threshold == IMBALANCE_RATIO == 1.5


def test_the_threshold_can_be_moved_and_string_labels_count_alike():
    y = np.array(["cat"] * 6 + ["dog"] * 4 + ["-1"] * 3, dtype=object)
    assert ranking_for(y).metric == "balanced_accuracy"  # 6 / 4 = 1.5
    assert ranking_for(y, threshold=1.6).metric == "accuracy"
    for bad in (0.5, "2", np.nan):
        with pytest.raises(ValueError, match="'threshold' parameter of ranking_for"):
            ranking_for(y, threshold=bad)
    with pytest.raises(ValueError, match="no labelled samples"):
        ranking_for([-1, -1])


def test_ranks_follow_the_metric_and_ties_share_a_rank():
    def result(name, accuracy, balanced):
        return MethodResult(name, scores=accuracy, balanced_scores=balanced)

    results = [
        result("a", (0.8, 0.8), (0.5, 0.5)),
        result("b", (0.6, 0.6), (0.7, 0.7)),
        result("c", (0.6, 0.6), (0.7, 0.7)),
        MethodResult("d", note="not run: too big"),
    ]
    assert Ranking(1.4).ranks(results) == [1, 2, 2, None]
    assert Ranking(1.5).ranks(results) == [3, 1, 1, None]


def _count_fits(estimator_class):
    class Counted(estimator_class):
        fits = 0

        def fit(self, X, y):
            type(self).fits += 1
            return super().fit(X, y)

    return Counted


def test_balanced_accuracy_comes_from_the_same_fits_and_folds_as_accuracy():
    y = np.array([0] * 12 + [1] * 6 + [-1] * 5)
    X = np.zeros((len(y), 3))
    X[:, 2] = y.clip(0)
    X[::3, 0] = 1  # _Flagged(0) is right on every third row only
    table = Table(X, y, np.array([0, 1]), [0, 1, 2], [])
    Counted = _count_fits(_Flagged)
    [result] = compare(table, {"flagged": Counted(0)}, n_splits=3, progress=False)
    assert Counted.fits == 3  # one fit per fold gives both scores
    for (_, test), accuracy, balanced in zip(
        semi_supervised_folds(y, 3), result.scores, result.balanced_scores, strict=True
    ):
        pred = _Flagged(0).predict(X[test])
        assert accuracy == pytest.approx(np.mean(pred == y[test]))
        assert balanced == pytest.approx(balanced_accuracy_score(y[test], pred))
        assert balanced != pytest.approx(accuracy)  # the case this test is about


def _majority_and_fair(**params):
    """The twin always answers the largest class; 'fair' is right on every
    'b' row and on the flagged 'a' rows."""
    from sklearn.dummy import DummyClassifier

    return {
        SUPERVISED_TWIN: LabelledOnly(DummyClassifier(strategy="most_frequent")),
        "fair": _Flagged(0),
    }


def _flagged_csv(path, n_a, n_b, flagged_a):
    """``n_a`` rows of class 'a', ``flagged_a`` of them flagged, ``n_b`` of 'b'
    (all flagged), 10 unlabelled; features: the flag, then the truth."""
    label = ["a"] * n_a + ["b"] * n_b + [""] * 10
    flag = [1] * flagged_a + [0] * (n_a - flagged_a) + [1] * n_b + [0] * 10
    truth = [0] * n_a + [1] * n_b + [0] * 10
    pd.DataFrame({"flag": flag, "truth": truth, "label": label}).to_csv(
        path, index=False
    )
    return path


def _table_rows(printed):
    """The printed cells of 'fair' and the twin, after their names."""
    lines = printed.splitlines()
    return {
        name: next(line for line in lines if line.startswith(name))[len(name) :].split()
        for name in ("fair", SUPERVISED_TWIN)
    }


def test_an_imbalanced_table_adds_balanced_accuracy_and_ranks_by_it(
    tmp_path, monkeypatch, capsys
):
    # 20 'a' and 10 'b': twice as many. The twin scores 66.67 % accuracy and
    # 50 % balanced accuracy, 'fair' 60 % and 70 %: the ranks differ.
    path = _flagged_csv(tmp_path / "imbalanced.csv", 20, 10, flagged_a=8)
    monkeypatch.setattr(sklearn_ns3l.compare, "compare_methods", _majority_and_fair)
    out = tmp_path / "table.csv"
    argv = ["compare", str(path), "--target", "label", "--folds", "2"]
    assert main([*argv, "--no-progress", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "balanced acc. %" in printed and "Δ bal. vs twin" in printed
    assert "Ranked by balanced accuracy (the mean of the per-class recalls)" in printed
    assert "has 2.00 times the rows of the smallest" in printed
    assert "at least 1.5 times the labelled rows" in printed
    rows = _table_rows(printed)
    fair, twin = rows["fair"], rows[SUPERVISED_TWIN]
    assert fair[0] == "60.00" and fair[3] == "70.00" and fair[6] == "+20.00"
    assert twin[0] == "66.67" and twin[3] == "50.00"
    assert fair[-1] == "1" and twin[-1] == "2"  # by balanced accuracy
    with open(out, newline="") as f:
        csv_rows = {r["method"]: r for r in csv.DictReader(f)}
    assert tuple(next(iter(csv_rows.values()))) == CSV_COLUMNS
    assert csv_rows["fair"]["ranked_by"] == "balanced_accuracy"
    assert csv_rows["fair"]["rank"] == "1" and csv_rows[SUPERVISED_TWIN]["rank"] == "2"
    assert csv_rows["fair"]["balanced_accuracy_mean"] == "70.0000"
    assert csv_rows["fair"]["balanced_delta_vs_supervised_twin"] == "20.0000"
    assert csv_rows["fair"]["delta_vs_supervised_twin"] == "-6.6667"
    assert len(csv_rows["fair"]["fold_balanced_accuracies"].split(";")) == 2


def test_a_balanced_table_keeps_ranking_by_accuracy(tmp_path, monkeypatch, capsys):
    # 14 'a' and 10 'b', 1.4 times: balanced by the rule. Accuracy puts the
    # twin first (58.33 % against 50 %), balanced accuracy would not (50 %
    # against 57.14 %).
    path = _flagged_csv(tmp_path / "balanced.csv", 14, 10, flagged_a=2)
    monkeypatch.setattr(sklearn_ns3l.compare, "compare_methods", _majority_and_fair)
    out = tmp_path / "table.csv"
    argv = ["compare", str(path), "--target", "label", "--folds", "2"]
    assert main([*argv, "--no-progress", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "balanced acc. %" not in printed and "Δ bal." not in printed
    assert "Ranked by accuracy: the largest labelled class has 1.40 times" in printed
    rows = _table_rows(printed)
    twin = rows[SUPERVISED_TWIN]
    assert rows["fair"][0] == "50.00" and twin[0] == "58.33"
    assert twin[-1] == "1" and rows["fair"][-1] == "2"
    with open(out, newline="") as f:
        csv_rows = {r["method"]: r for r in csv.DictReader(f)}
    # The CSV's columns are those of every table, balanced accuracy included.
    assert csv_rows["fair"]["ranked_by"] == "accuracy"
    assert csv_rows["fair"]["rank"] == "2"
    assert float(csv_rows["fair"]["balanced_accuracy_mean"]) == pytest.approx(
        100 * (1 / 7 + 1) / 2, abs=1e-4
    )


def test_compare_ranks_real_methods_by_balanced_accuracy_on_an_imbalanced_csv(
    tmp_path, capsys
):
    # Two classes, the second a fifth of the rows; NS3L's twin (1 epoch) and
    # three labelled-only classifiers, as a user would run them.
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.2).astype(int)
    frame = pd.DataFrame(rng.normal(size=(300, 4)) + y[:, None], columns=list("pqrs"))
    target = y.astype(object)
    target[rng.random(300) < 0.7] = None
    frame["label"] = target
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    argv = ["compare", str(path), "--target", "label", "--max-epochs", "1"]
    methods = ["--methods", "labelled only"]
    assert main([*argv, *methods, "--folds", "3", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "balanced acc. %" in printed
    assert "Ranked by balanced accuracy" in printed
    names = [SUPERVISED_TWIN, *(n for n in PEERS if "labelled only" in n)]
    lines = [
        next(line for line in printed.splitlines() if line.startswith(f"{n}  "))
        for n in names
    ]
    # accuracy ± sd, balanced accuracy ± sd, ... then the rank.
    balanced = [
        float(re.findall(r"\d+\.\d+", line[len(n) :])[2])
        for n, line in zip(names, lines, strict=True)
    ]
    ranks = [int(line.split()[-1]) for line in lines]
    assert len(ranks) == 4
    for b, rank in zip(balanced, ranks, strict=True):
        assert rank == 1 + sum(other > b for other in balanced)
