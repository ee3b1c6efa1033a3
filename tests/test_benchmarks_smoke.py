"""The throughput benchmark runs end to end in its quick mode (no timing checks)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_throughput_quick_mode_runs(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "throughput.py"),
            "--quick",
            "--synthetic",
            "--threads",
            "1",
            "--tmp-dir",
            str(tmp_path),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    assert set(results["ratios"]["wall"]) >= {
        "supervised / torch loop",
        "threshold / supervised",
        "predict_proba / forward",
    }
    assert results["memory"]["n_unlabelled"] == 5_000
    assert results["memory"]["peak_rss_gib"] > 0
