"""Test error after every epoch of a few Table 6 runs: how noisy is the last epoch?

Table 6 reports the test error of the network after its last epoch. This script
retraces chosen runs of ``table6.py`` / ``table6_ablations.py`` (same split,
seed and settings, hence the very same weights) and measures the test error
after every epoch. Evaluating in eval mode draws no random numbers and leaves
batch-norm statistics alone, so the last point of each curve is the table's
number for that run.

The measurement is a skorch callback given to ``NS3LClassifier(callbacks=...)``,
beside the row's own (the cosine schedule of a ``cosine lr`` row).

Usage::

    python benchmarks/table6_trajectories.py
    python benchmarks/table6_trajectories.py --run "Threshold T = 0.05|2|20"
    python benchmarks/table6_trajectories.py \
        --from-json docs/results/table6_trajectories.json   # re-plot only

Writes ``docs/results/table6_trajectories.json`` and ``.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from _catalogue import SUPERVISED, RunContext
from _common import versions, write_json
from _run import run_one
from _runner import DEFAULT_OUT
from table6_ablations import CATALOGUE, cosine_name

DEFAULT_RUNS = [
    (SUPERVISED, 1, 50),
    ("Threshold T = 0.03", 1, 50),
    (cosine_name(SUPERVISED), 1, 20),
    (cosine_name("Threshold T = 0.03"), 1, 20),
]


def trajectory(task) -> dict:
    row_name, seed, epochs, data_path = task
    import torch
    from skorch.callbacks import Callback

    torch.set_num_threads(1)
    profile = CATALOGUE.profiles["cpu"]
    settings = dataclasses.replace(profile.settings, max_epochs=epochs)
    split = profile.dataset.split(profile.dataset.load(data_path), settings, seed)
    curve = []

    class Probe(Callback):
        # NS3LClassifier clones its callbacks; the clone appends to this
        # function's `curve` all the same.
        def on_epoch_end(self, net, **kwargs):
            # The epoch's losses are in the history already (the net's own
            # callbacks run first); only the test error is measured here.
            pred = net.predict_proba(split.X_test).argmax(1)
            last = net.history[-1]
            losses = [k for k in net.history_keys if k.endswith("_loss")]
            curve.append(
                {
                    "epoch": len(net.history),
                    "error": float(np.mean(pred != split.y_test)),
                    **{key: float(last[key]) for key in losses},
                }
            )

    def probed(ctx):
        est = CATALOGUE.row(row_name).make(ctx)
        return est.set_params(callbacks=[*(est.callbacks or []), ("probe", Probe())])

    row = dataclasses.replace(CATALOGUE.row(row_name), make=probed)
    run = run_one(row, split, RunContext(settings, seed, "cpu", verbose=0))
    return {
        "row": row_name,
        "seed": seed,
        "epochs": epochs,
        "final_error": run["error"],
        "curve": curve,
    }


def plot(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for res in results:
        epochs = [c["epoch"] for c in res["curve"]]
        errors = [100 * c["error"] for c in res["curve"]]
        style = "--" if "cosine" in res["row"] else "-"
        ax.plot(
            epochs, errors, style, marker=".", label=f"{res['row']}, seed {res['seed']}"
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(12.5, 19)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Test error after every epoch (cpu profile data)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--run",
        action="append",
        default=None,
        help='"row|seed|epochs", repeatable (default: four runs)',
    )
    p.add_argument("--data-path", default=None)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    p.add_argument(
        "--from-json",
        type=Path,
        default=None,
        metavar="FILE",
        help="train nothing: rewrite the JSON and the plot from this one",
    )
    args = p.parse_args(argv)
    if args.from_json:
        written = json.loads(args.from_json.read_text())
        results, env = written["runs"], written["versions"]
    else:
        runs = DEFAULT_RUNS
        if args.run:
            runs = [(r, int(s), int(e)) for r, s, e in (x.split("|") for x in args.run)]
        tasks = [(row, seed, epochs, args.data_path) for row, seed, epochs in runs]
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(trajectory, tasks))
        env = versions()
    for res in results:
        last = ", ".join(f"{100 * c['error']:.2f}" for c in res["curve"][-10:])
        print(f"{res['row']} | seed {res['seed']}: last 10 epochs {last}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_json(
        args.out_dir / "table6_trajectories.json",
        {"profile_settings": "cpu", "versions": env, "runs": results},
    )
    plot(results, args.out_dir / "table6_trajectories.png")
    print(f"Wrote {args.out_dir / 'table6_trajectories.json'} and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
