"""The throughput and nearest-neighbour benchmarks run end to end in their quick
modes (no timing checks); both use ``benchmarks/_common.py``."""

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
