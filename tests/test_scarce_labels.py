"""The flagship example's figure is the committed full run of the default.

``examples/semi_supervised/plot_scarce_labels.py`` plots
``docs/results/scarce_labels.json`` rather than training in the docs build;
these tests hold that file to what the example says it is (the default
``NS3LClassifier()`` against its supervised twin, at the default 50 epochs,
several seeds), and run the benchmark that writes it in its quick mode.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import sklearn_ns3l

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "results" / "scarce_labels.json"


def run_benchmark(*args):
    # The script's own folder comes first on its sys.path: point it at the
    # package these tests import, not at whichever copy is installed.
    package_root = str(Path(sklearn_ns3l.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "scarce_labels.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_committed_results_are_the_full_run_of_the_default():
    results = json.loads(RESULTS.read_text())
    # Made by the benchmark's default command, not a quick or partial run.
    assert results["command"] == "python benchmarks/scarce_labels.py"
    assert results["max_epochs"] == 50
    assert len(results["seeds"]) >= 3
    assert results["labels_per_class"] == [2, 4, 8, 16, 32]
    assert set(results["mean"]) == {"supervised", "NS3L (default)"}
    for name, accuracy in results["accuracy"].items():
        accuracy = np.array(accuracy)
        assert accuracy.shape == (5, len(results["seeds"]))
        np.testing.assert_allclose(results["mean"][name], accuracy.mean(axis=1))
        np.testing.assert_allclose(results["sd"][name], accuracy.std(axis=1))
    assert set(results["precision"].values()) <= {"float32", "bfloat16"}


def test_benchmark_rows_are_the_default_and_its_supervised_twin():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import scarce_labels
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    assert scarce_labels.MODELS == {
        "supervised": {"selector": None},
        "NS3L (default)": {},
    }


def test_benchmark_quick_mode_runs(tmp_path):
    out = tmp_path / "scarce.json"
    stdout = run_benchmark("--quick", "--out", str(out))
    assert "10 labels/class  NS3L (default)" in stdout
    results = json.loads(out.read_text())
    assert results["labels_per_class"] == [3, 10]
    assert results["max_epochs"] == 2
    assert np.array(results["accuracy"]["NS3L (default)"]).shape == (2, 1)
