"""The Table 6 benchmark runs end to end in quick mode and resumes from its cache."""

import importlib.util
import json
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
def table6():
    spec = importlib.util.spec_from_file_location(
        "table6", REPO / "benchmarks" / "table6.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["table6"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: a second thread only waits
    yield module
    torch.set_num_threads(threads)
    sys.modules.pop("table6", None)


def run_table6(table6, fashion_mnist_path, tmp_path, *rows):
    argv = ["--quick", "--no-progress", "--data-path", str(fashion_mnist_path)]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--out-dir", str(tmp_path / "out")]
    assert table6.main([*argv, "--rows", *rows]) == 0
    return json.loads((tmp_path / "out" / "table6_quick.json").read_text())["runs"]


def test_quick_mode_writes_table_plot_and_runs(table6, fashion_mnist_path, tmp_path):
    runs = run_table6(table6, fashion_mnist_path, tmp_path, *ROWS)

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
    (first,) = run_table6(table6, fashion_mnist_path, tmp_path, "Supervised")
    capsys.readouterr()

    runs = run_table6(table6, fashion_mnist_path, tmp_path, "Supervised", "Oracle - 1")
    assert "1 cached" in capsys.readouterr().out
    assert [r["row"] for r in runs] == ["Supervised", "Oracle - 1"]
    assert runs[0] == first  # read back from the cache, not trained again


def test_rows_are_chosen_by_name_slug_or_part(table6):
    assert [r.name for r in table6.select_rows(["supervised"])] == ["Supervised"]
    assert [r.name for r in table6.select_rows(["threshold-t-0.05"])] == [
        "Threshold T = 0.05"
    ]
    assert [r.name for r in table6.select_rows(["oracle"])] == [
        "Oracle - 1",
        "Oracle - 3",
    ]
    with pytest.raises(SystemExit):
        table6.select_rows(["no such row"])


def test_paired_differences_match_rows_by_seed(table6):
    def run(row, seed, error):
        return {"row": row, "seed": seed, "error": error}

    runs = [
        run("VAT", 0, 0.15),
        run("VAT", 1, 0.16),
        run("VAT", 2, 0.17),
        run("VAT + NS3L", 0, 0.14),
        run("VAT + NS3L", 2, 0.18),  # seed 1 missing: compared on 0 and 2 only
    ]
    (pair,) = table6.paired_differences(
        runs, [("VAT + NS3L", "VAT"), ("Pseudo-label + NS3L", "Pseudo-label")]
    )
    assert pair["seeds"] == [0, 2]
    assert pair["differences"] == pytest.approx([-1.0, 1.0])
    assert pair["mean"] == pytest.approx(0.0)
    assert pair["sd"] == pytest.approx(2**0.5)


def test_a_variant_row_is_compared_with_the_supervised_row_of_its_variant(table6):
    names = ["Supervised", "Supervised, cosine lr"]
    assert table6.baseline_of("Threshold T = 0.03, cosine lr", names) == names[1]
    assert (
        table6.baseline_of("Threshold T = 0.03, ramp-up 25, cosine lr", names)
        == (names[1])
    )
    assert table6.baseline_of("Threshold T = 0.03, λ = 3", names) == "Supervised"
    assert table6.baseline_of("Supervised, cosine lr", names) == "Supervised"
