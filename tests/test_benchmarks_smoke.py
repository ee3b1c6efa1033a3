"""The throughput, nearest-neighbour and label-spreading benchmarks run end to
end in their quick modes (no timing checks), on data made up or shipped with
scikit-learn, never on a file outside the repository; ``choose_default``'s
command line answers ``--help`` without running an experiment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sklearn_ns3l

REPO = Path(__file__).resolve().parents[1]


def run_script(name, *args, timeout=300):
    # A script's own folder comes first on its sys.path, not the working
    # directory: point it at the package these tests import, not at whichever
    # copy is installed.
    package_root = str(Path(sklearn_ns3l.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_throughput_quick_mode_runs(tmp_path):
    out = tmp_path / "results.json"
    run_script(
        "throughput.py",
        "--quick",
        "--synthetic",
        "--threads",
        "1",
        "--tmp-dir",
        str(tmp_path),
        "--json",
        str(out),
    )
    results = json.loads(out.read_text())
    assert set(results["ratios"]["wall"]) >= {
        "supervised / torch loop",
        "threshold / supervised",
        "predict_proba / forward",
    }
    assert results["memory"]["n_unlabelled"] == 5_000
    assert results["memory"]["peak_rss_gib"] > 0
    assert "CPUs" in results["machine"]


def test_nn_selection_approximate_part_runs():
    out = run_script(
        "nn_selection.py",
        "--part",
        "approx",
        "--synthetic",
        "--pool-size",
        "2000",
        "--block",
        "1000",
        "--labelled",
        "200",
        "--recall-queries",
        "100",
        "--no-exact",
    )
    assert "approximate: recall of per-class nearest distance on 100 pool rows" in out


def test_label_spreading_quick_mode_runs():
    out = run_script("label_spreading.py", "--quick")
    assert "same propagated label on" in out
    assert "recall of the k-1 neighbour lists" in out


CHOOSE_DEFAULT_EXPERIMENTS = (
    "steps",
    "negatives",
    "features",
    "network",
    "pool-negatives",
    "calibration",
    "criterion",
    "pseudo-labels",
    "mlp",
    "neighbour-mean",
    "digits-default",
    "propagation",
)


def test_choose_default_help_lists_the_experiments_and_runs_none():
    # Before it was a package with argparse, --help started an experiment.
    out = run_script("choose_default", "--help", timeout=60)
    for name in CHOOSE_DEFAULT_EXPERIMENTS:
        assert name in out
    assert "n_seeds" in run_script("choose_default", "criterion", "--help")


def test_choose_default_refuses_an_unknown_experiment():
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "choose_default"), "digits"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "invalid choice: 'digits'" in proc.stderr


def test_choose_default_experiments_import():
    # Each experiment is a module of the package, imported only when run.
    code = (
        "import importlib, sys; sys.path.insert(0, sys.argv[1]); "
        "[importlib.import_module('choose_default.' + name) for name in sys.argv[2:]]"
    )
    modules = [name.replace("-", "_") for name in CHOOSE_DEFAULT_EXPERIMENTS]
    package_root = str(Path(sklearn_ns3l.__file__).resolve().parents[1])
    proc = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "benchmarks"), *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": package_root},
    )
    assert proc.returncode == 0, proc.stderr
