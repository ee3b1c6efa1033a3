"""The Table 6 benchmark runs end to end in quick mode and resumes from its cache.

The runner, cache and report are ``benchmarks/_runner.py`` (with ``_pool.py``
and ``_run.py``), ``_cache.py`` and ``_report.py``; ``table6.py`` and
``table6_ablations.py`` are catalogues they run.
"""

import dataclasses
import importlib
import json
import math
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
ROWS = [  # in the table's order
    "Supervised",
    "Furthest class with NN - 1",
    "Threshold T = 0.03",
    "Oracle - 3",
    "LabelSpreading (knn, pixels)",
]


@pytest.fixture(scope="module")
def bench():
    """The benchmark modules, imported as the scripts import each other."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: a second thread only waits
    names = ["table6", "table6_ablations", "_report", "_catalogue"]
    yield {name: importlib.import_module(name) for name in names}
    torch.set_num_threads(threads)
    sys.path.remove(str(REPO / "benchmarks"))


@pytest.fixture(scope="module")
def table6(bench):
    return bench["table6"]


def run_quick(main, fashion_mnist_path, tmp_path, *rows, options=("--no-progress",)):
    argv = ["--quick", *options, "--data-path", str(fashion_mnist_path)]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--out-dir", str(tmp_path / "out")]
    assert main([*argv, "--rows", *rows]) == 0
    return json.loads((tmp_path / "out" / "table6_quick.json").read_text())["runs"]


def test_quick_mode_writes_table_plot_and_runs(table6, fashion_mnist_path, tmp_path):
    runs = run_quick(table6.main, fashion_mnist_path, tmp_path, *ROWS)

    assert [r["row"] for r in runs] == ROWS  # one seed each, in table order
    for run in runs:
        assert 0.0 <= run["error"] <= 1.0
        assert run["seconds"] > 0
        assert run["profile"] == "quick"
        assert run["versions"]["torch"]
        assert run["machine"]["cpu_count"] >= 1
        assert run["n_labelled"] == 200 and run["n_test"] == 500
    table = (tmp_path / "out" / "table6_quick.md").read_text()
    for name in ROWS:
        assert f"| {name} |" in table
    assert "17.25 ± 0.22" in table  # the paper's Supervised number beside ours
    assert (tmp_path / "out" / "table6_quick.png").stat().st_size > 0


def test_rerun_reuses_cached_runs_and_adds_new_rows(
    table6, fashion_mnist_path, tmp_path, capsys
):
    (first,) = run_quick(table6.main, fashion_mnist_path, tmp_path, "Supervised")
    capsys.readouterr()

    runs = run_quick(
        table6.main, fashion_mnist_path, tmp_path, "Supervised", "Oracle - 1"
    )
    assert "1 cached" in capsys.readouterr().out
    assert [r["row"] for r in runs] == ["Supervised", "Oracle - 1"]
    assert runs[0] == first  # read back from the cache, not trained again


def test_outputs_are_rewritten_from_their_json_alone(
    table6, fashion_mnist_path, tmp_path
):
    run_quick(table6.main, fashion_mnist_path, tmp_path, "Supervised", "Uniform - 1")
    written = tmp_path / "out" / "table6_quick.json"
    again = tmp_path / "again"

    argv = ["--from-json", str(written), "--report-only", "--data-path", "/nowhere"]
    argv += ["--cache-dir", str(again / "cache"), "--out-dir", str(again)]
    assert table6.main(argv) == 0
    for ext in ("md", "json"):
        name = f"table6_quick.{ext}"
        assert (again / name).read_text() == (tmp_path / "out" / name).read_text()


def test_worker_processes_run_rows_with_labelled_epoch_bars(
    table6, fashion_mnist_path, tmp_path, capfd
):
    # Rows travel to the workers pickled; each worker's epoch bar is labelled.
    options = ("--jobs", "2", "--threads", "1")
    runs = run_quick(
        table6.main, fashion_mnist_path, tmp_path, "Supervised", "VAT", options=options
    )

    assert [r["row"] for r in runs] == ["Supervised", "VAT"]
    assert {r["machine"]["jobs"] for r in runs} == {2}
    assert "VAT | seed 0" in capfd.readouterr().err
    # The recorded estimator is the row's, without the bar the runner adds.
    assert all("EpochProgress" not in r["estimator"] for r in runs)
    assert "verbose=1" in runs[0]["estimator"]


def test_a_cosine_row_decays_the_learning_rate_every_step(
    bench, fashion_mnist_path, tmp_path
):
    ablations = bench["table6_ablations"]
    (run,) = run_quick(
        ablations.main, fashion_mnist_path, tmp_path, "Supervised, cosine lr"
    )
    assert "CosineDecay(total_steps=4)" in run["estimator"]  # 200 labels / 50

    profile = ablations.CATALOGUE.profiles["quick"]
    settings = dataclasses.replace(profile.settings, max_epochs=2)
    split = profile.dataset.split(
        profile.dataset.load(str(fashion_mnist_path)), settings, 0
    )
    ctx = bench["_catalogue"].RunContext(settings, 0, verbose=0)
    clf = ablations.CATALOGUE.row("Threshold T = 0.03, cosine lr").make(ctx)
    clf.fit(split.X, split.y)
    lrs = [b["event_lr"] for epoch in clf.history_ for b in epoch["batches"]]
    n = 8  # 2 epochs of 4 steps
    expected = [6e-4 * 0.5 * (1 + math.cos(math.pi * k / n)) for k in range(n)]
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_rows_are_chosen_by_name_slug_or_part(table6):
    select = table6.CATALOGUE.select_rows
    assert [r.name for r in select(["supervised"])] == ["Supervised"]
    assert [r.name for r in select(["threshold-t-0.05"])] == ["Threshold T = 0.05"]
    assert [r.name for r in select(["oracle"])] == ["Oracle - 1", "Oracle - 3"]
    with pytest.raises(SystemExit):
        select(["no such row"])


def test_paired_differences_match_rows_by_seed(bench):
    def run(row, seed, error):
        return {"row": row, "seed": seed, "error": error}

    runs = [
        run("VAT", 0, 0.15),
        run("VAT", 1, 0.16),
        run("VAT", 2, 0.17),
        run("VAT + NS3L", 0, 0.14),
        run("VAT + NS3L", 2, 0.18),  # seed 1 missing: compared on 0 and 2 only
    ]
    (pair,) = bench["_report"].paired_differences(
        runs, [("VAT + NS3L", "VAT"), ("Pseudo-label + NS3L", "Pseudo-label")]
    )
    assert pair["seeds"] == [0, 2]
    assert pair["differences"] == pytest.approx([-1.0, 1.0])
    assert pair["mean"] == pytest.approx(0.0)
    assert pair["sd"] == pytest.approx(2**0.5)


def test_a_variant_row_is_compared_with_the_supervised_row_of_its_variant(bench):
    baseline_of = bench["_report"].baseline_of
    names = ["Supervised", "Supervised, cosine lr"]
    assert baseline_of("Threshold T = 0.03, cosine lr", names) == names[1]
    assert baseline_of("Threshold T = 0.03, ramp-up 25, cosine lr", names) == names[1]
    assert baseline_of("Threshold T = 0.03, λ = 3", names) == "Supervised"
    assert baseline_of("Supervised, cosine lr", names) == "Supervised"
