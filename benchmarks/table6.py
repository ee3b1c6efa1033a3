"""Reproduce appendix Table 6 of the NS3L paper on Fashion-MNIST, beside the peers.

The paper (Chen, Shah and Kyrillidis, ICML 2020, appendix B, Table 6) trains a
small CNN on Fashion-MNIST with 2,000 labels (200 per class) and 58,000
unlabelled images for 50 epochs and compares ways of choosing negative labels.
This script runs its ten rows, named as in the paper, with
:class:`sklearn_ns3l.NS3LClassifier`, a control row (the NS3L rows' batches
with the NS3L weight at 0), and adds on the same split what a user would pick
instead: scikit-learn's ``SelfTrainingClassifier`` around the same
supervised network and ``LabelSpreading(kernel="knn")`` on the pixels. Four
rows built on ``NS3LClassifier(companion=...)`` (pseudo-label and VAT, alone
and with NS3L) run when the installed package has that parameter and are
skipped with a message otherwise.

Every run is one (row, seed). Seed ``s`` fixes the labelled split
(``hide_labels(y_train, 200, random_state=s)``), the unlabelled subset of a
profile that uses fewer than 58,000, and the estimator's ``random_state``; all
rows of one seed share the split, so rows can be compared seed by seed. The
test error is measured on the 10,000 test images.

Profiles (``--profile``):

- ``paper``: the paper's setting, 58,000 unlabelled images, 50 epochs, seeds
  0-4. Meant for a GPU (``--device cuda``).
- ``cpu``: 20,000 unlabelled images (drawn per seed), 20 epochs, 3 seeds,
  2,000 labels still. Its 51 runs take about 59 CPU-minutes, so about 30
  minutes on an idle 2-core machine with the profile's default of two
  single-threaded runs at a time (``--jobs 2``; on a machine shared with
  other jobs, one run on two threads took 4 times as long as on one).
- ``quick`` (also ``--quick``): a smoke test of a few hundred images and one
  epoch, written under the cache directory unless ``--out-dir`` is given.

Each finished run is cached as one JSON file under ``--cache-dir`` (default
``benchmarks/.cache``), in a folder named after the profile and a hash of its
settings, so an interrupted run resumes where it stopped and new rows (or
seeds) can be added by running again. The outputs cover every cached run of
the profile: ``table6_<profile>.md`` (mean +- sd test error per row, the
paper's number beside it, the difference to Supervised on the same seeds,
time, and the paired differences listed in ``COMPARISONS``),
``table6_<profile>.png`` (error bars) and ``table6_<profile>.json`` (every
single run) in ``--out-dir`` (default ``docs/results``).

Fashion-MNIST is read with ``sklearn_ns3l.datasets.load_fashion_mnist`` from
``--data-path``, else ``$NS3L_FASHION_MNIST``, else
``<repo>/../shared/data/fashion_mnist.npz`` when present, else the Debian
package's directory. Nothing is downloaded.

Usage::

    python benchmarks/table6.py --profile cpu
    python benchmarks/table6.py --profile paper --device cuda
    python benchmarks/table6.py --quick --rows Supervised "Threshold T = 0.03"
    python benchmarks/table6.py --list-rows
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from tqdm.auto import tqdm

import sklearn_ns3l
from sklearn_ns3l import (
    NearestNeighbourSelector,
    NS3LClassifier,
    OracleSelector,
    UniformSelector,
)
from sklearn_ns3l.datasets import hide_labels, load_fashion_mnist

REPO = Path(__file__).resolve().parents[1]
SHARED_NPZ = REPO.parent / "shared" / "data" / "fashion_mnist.npz"
DEFAULT_CACHE = REPO / "benchmarks" / ".cache"
DEFAULT_OUT = REPO / "docs" / "results"
SCRIPT = "benchmarks/table6.py"  # named in the outputs' commands
N_CLASSES = 10


# --------------------------------------------------------------------------
# Profiles: what is trained, on how much data, for how long.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything that decides a run's result, except the row and the seed.

    A hash of these fields names the cache folder, so changing one starts a
    fresh set of runs instead of mixing results.
    """

    labels_per_class: int = 200
    n_unlabelled: int = 58_000
    n_test: int | None = None  # None: all 10,000 test images
    max_epochs: int = 50
    batch_size: int = 100  # half labelled, half unlabelled
    lr: float = 6e-4
    rampup_epochs: float = 5.0
    # SelfTrainingClassifier around the supervised network: one round of
    # pseudo-labels, those above 0.99 ("threshold") or the k_best most
    # confident ("k_best"), then a refit on labels and pseudo-labels.
    self_training_criterion: str = "threshold"
    self_training_threshold: float = 0.99
    self_training_k_best: int = 2000
    self_training_max_iter: int = 1
    # LabelSpreading on flattened pixels.
    label_spreading_neighbors: int = 7
    label_spreading_alpha: float = 0.2
    label_spreading_max_iter: int = 30


@dataclass(frozen=True)
class Profile:
    settings: Settings
    seeds: tuple[int, ...]
    description: str
    jobs: int = 1  # default --jobs: runs at a time (capped by the cores)


PROFILES = {
    "paper": Profile(
        Settings(),
        seeds=(0, 1, 2, 3, 4),
        description="the paper's setting: 2,000 labelled / 58,000 unlabelled "
        "images, 50 epochs, 5 seeds",
    ),
    "cpu": Profile(
        Settings(
            n_unlabelled=20_000,
            max_epochs=20,
            # The refit costs epochs x (2,000 + pseudo-labels) / 50 steps: the
            # 2,000 most confident keep it at twice the Supervised row.
            self_training_criterion="k_best",
        ),
        seeds=(0, 1, 2),
        description="2,000 labelled / 20,000 unlabelled images (a random "
        "subset of the 58,000, drawn per seed), 20 epochs, 3 seeds",
        # Two single-threaded runs side by side use two cores better than one
        # run on two threads (small convolutions, many small optimiser steps).
        jobs=2,
    ),
    "quick": Profile(
        Settings(
            labels_per_class=20,
            n_unlabelled=300,
            n_test=500,
            max_epochs=1,
            self_training_criterion="k_best",
            self_training_k_best=100,
        ),
        seeds=(0,),
        description="smoke test: 200 labelled / 300 unlabelled / 500 test "
        "images, 1 epoch, 1 seed",
    ),
}


@dataclass(frozen=True)
class RunContext:
    """What a row's factory sees: the settings, the seed and run options."""

    settings: Settings
    seed: int
    device: str = "cpu"
    verbose: int = 1


# --------------------------------------------------------------------------
# Rows: (name, paper's number, factory). Add a row by appending to ROWS.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One method of the table.

    Parameters
    ----------
    name : str
        Shown in the table; the paper's name for the paper's rows.
    make : callable
        ``make(ctx: RunContext) -> estimator``, a fresh unfitted estimator.
    paper : tuple of (float, float) or None
        The paper's test error % (mean, sd) in Table 6.
    flat : bool
        Fit and predict on flattened pixels (n, 784) instead of (n, 28, 28).
    y_true : bool
        Pass the ground truth as ``fit(X, y, y_true=...)`` (the oracle).
    needs : tuple of str
        ``NS3LClassifier`` parameters the row needs; the row is skipped with
        a message when the installed package lacks one.
    note : str
        Shown under the table.
    """

    name: str
    make: Callable[[RunContext], object]
    paper: tuple[float, float] | None = None
    flat: bool = False
    y_true: bool = False
    needs: tuple[str, ...] = ()
    note: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.name)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


def ns3l(ctx: RunContext, **params) -> NS3LClassifier:
    """NS3LClassifier with the profile's training settings."""
    s = ctx.settings
    defaults = {
        "max_epochs": s.max_epochs,
        "batch_size": s.batch_size,
        "lr": s.lr,
        "rampup_epochs": s.rampup_epochs,
        "device": ctx.device,
        "random_state": ctx.seed,
        "verbose": ctx.verbose,
    }
    return NS3LClassifier(**{**defaults, **params})


def self_training(ctx: RunContext) -> SelfTrainingClassifier:
    s = ctx.settings
    # The base network takes the labelled batches of the Supervised row: 50
    # labelled images per step (half of a batch of 100), so that its first fit
    # is exactly the Supervised row's network. It gets flattened images
    # (SelfTrainingClassifier accepts 2-D X only).
    base = ns3l(ctx, selector=None, batch_size=s.batch_size // 2, image_shape=(28, 28))
    return SelfTrainingClassifier(
        base,
        criterion=s.self_training_criterion,
        threshold=s.self_training_threshold,
        k_best=s.self_training_k_best,
        max_iter=s.self_training_max_iter,
    )


def label_spreading(ctx: RunContext) -> LabelSpreading:
    s = ctx.settings
    return LabelSpreading(
        kernel="knn",
        n_neighbors=s.label_spreading_neighbors,
        alpha=s.label_spreading_alpha,
        max_iter=s.label_spreading_max_iter,
        n_jobs=None,
    )


ROWS: list[Row] = [
    Row("Supervised", lambda c: ns3l(c, selector=None), paper=(17.25, 0.22)),
    Row(
        "Supervised, pool in the batch (λ = 0)",
        lambda c: ns3l(c, selector="threshold", ns_weight=0.0),
        note="a control, not in the paper: the batches of the NS3L rows (50 "
        "labelled + 50 unlabelled images through the network, so batch norm "
        "sees the pool) with the NS3L weight at 0. It separates the NS3L "
        "term's effect from that of the batch composition.",
    ),
    Row(
        "Uniform - 1",
        lambda c: ns3l(c, selector=UniformSelector(k=1)),
        paper=(18.64, 0.38),
    ),
    Row(
        "Uniform - 3",
        lambda c: ns3l(c, selector=UniformSelector(k=3)),
        paper=(19.35, 0.33),
    ),
    Row(
        "Exclude class of NN - 1",
        lambda c: ns3l(
            c,
            selector=NearestNeighbourSelector(rule="exclude_nearest_class", k=1),
        ),
        paper=(17.12, 0.15),
    ),
    Row(
        "Exclude 4 nearest classes with NN - 1",
        lambda c: ns3l(
            c,
            selector=NearestNeighbourSelector(rule="exclude_nearest_classes", m=4, k=1),
        ),
        paper=(17.13, 0.21),
    ),
    Row(
        "Furthest class with NN - 1",
        lambda c: ns3l(
            c, selector=NearestNeighbourSelector(rule="furthest_class", k=1)
        ),
        paper=(16.76, 0.15),
    ),
    Row(
        "Threshold T = 0.03",
        lambda c: ns3l(c, selector="threshold", T=0.03),
        paper=(16.47, 0.18),
    ),
    Row(
        "Threshold T = 0.05",
        lambda c: ns3l(c, selector="threshold", T=0.05),
        paper=(16.59, 0.19),
    ),
    Row(
        "Oracle - 1",
        lambda c: ns3l(c, selector=OracleSelector(k=1)),
        paper=(16.37, 0.12),
        y_true=True,
    ),
    Row(
        "Oracle - 3",
        lambda c: ns3l(c, selector=OracleSelector(k=3)),
        paper=(15.20, 0.66),
        y_true=True,
    ),
    Row(
        "SelfTrainingClassifier (supervised CNN)",
        self_training,
        flat=True,
        note="scikit-learn's `SelfTrainingClassifier` around "
        "`NS3LClassifier(selector=None)` with 50 labelled images per step, so "
        "that its first fit is the Supervised row's network; one round "
        "(`max_iter=1`) of pseudo-labels chosen by `self_training_criterion` "
        "(see the settings), then a refit for the same number of epochs on "
        "labels and pseudo-labels.",
    ),
    Row(
        "LabelSpreading (knn, pixels)",
        label_spreading,
        flat=True,
        note="scikit-learn's `LabelSpreading(kernel='knn')` on the 784 pixels "
        "of the labelled and unlabelled images.",
    ),
    # Companion losses (NS3LClassifier(companion=...)): run only when the
    # installed package has the parameter. T = 0.03 is the better threshold
    # row above; lambda = 0.3 beside VAT as in the paper.
    Row(
        "Pseudo-label",
        lambda c: ns3l(c, selector=None, companion="pseudo_label"),
        needs=("companion",),
        note="`NS3LClassifier(selector=None, companion='pseudo_label')`; the "
        "`+ NS3L` rows add the threshold selector with T = 0.03, and λ = 0.3 "
        "beside VAT as in the paper; companions at their default settings.",
    ),
    Row(
        "Pseudo-label + NS3L",
        lambda c: ns3l(c, selector="threshold", T=0.03, companion="pseudo_label"),
        needs=("companion",),
    ),
    Row(
        "VAT",
        lambda c: ns3l(c, selector=None, companion="vat"),
        needs=("companion",),
    ),
    Row(
        "VAT + NS3L",
        lambda c: ns3l(c, selector="threshold", T=0.03, ns_weight=0.3, companion="vat"),
        needs=("companion",),
    ),
]


def missing_parameters(row: Row) -> list[str]:
    params = NS3LClassifier().get_params()
    return [p for p in row.needs if p not in params]


def select_rows(tokens: list[str] | None) -> list[Row]:
    """Rows by exact name or slug (case-insensitive), else by substring."""
    if not tokens:
        return list(ROWS)
    chosen: list[Row] = []
    for token in tokens:
        t = token.strip().lower()
        exact = [r for r in ROWS if t in (r.name.lower(), r.slug)]
        hits = exact or [r for r in ROWS if t in r.name.lower() or t in r.slug]
        if not hits:
            names = "\n  ".join(r.name for r in ROWS)
            raise SystemExit(f"--rows: no row matches {token!r}. Rows:\n  {names}")
        chosen += [r for r in hits if r not in chosen]
    return [r for r in ROWS if r in chosen]  # table order


# --------------------------------------------------------------------------
# Data: one split per seed, shared by every row.
# --------------------------------------------------------------------------


@dataclass
class Split:
    X: np.ndarray  # (n, 28, 28) float32 in [0, 1]: labelled rows, then the pool
    y: np.ndarray  # labels, -1 for the pool
    y_true: np.ndarray  # ground truth of every row (for the oracle only)
    X_test: np.ndarray
    y_test: np.ndarray
    n_labelled: int
    n_unlabelled: int
    flat_cache: dict = field(default_factory=dict)

    def flat(self, name: str) -> np.ndarray:
        if name not in self.flat_cache:
            A = getattr(self, name)
            self.flat_cache[name] = A.reshape(len(A), -1)
        return self.flat_cache[name]


def default_data_path(arg: str | None) -> str | None:
    if arg:
        return arg
    if os.environ.get("NS3L_FASHION_MNIST"):
        return os.environ["NS3L_FASHION_MNIST"]
    if SHARED_NPZ.exists():
        return str(SHARED_NPZ)
    return None  # load_fashion_mnist then tries the Debian package


def make_split(data, settings: Settings, seed: int) -> Split:
    y_semi = hide_labels(data.y_train, settings.labels_per_class, random_state=seed)
    labelled = np.flatnonzero(y_semi != -1)
    pool = np.flatnonzero(y_semi == -1)
    if settings.n_unlabelled > len(pool):
        raise ValueError(
            f"n_unlabelled={settings.n_unlabelled} but only {len(pool)} "
            "unlabelled images are left."
        )
    if settings.n_unlabelled < len(pool):
        rng = np.random.default_rng(seed)
        pool = np.sort(rng.choice(pool, settings.n_unlabelled, replace=False))
    rows = np.concatenate([labelled, pool])
    X = (data.X_train[rows] / np.float32(255)).astype(np.float32)
    y = np.concatenate([y_semi[labelled], np.full(len(pool), -1)])
    X_test, y_test = data.X_test, data.y_test
    if settings.n_test is not None:
        test_rows = np.random.default_rng(10_000 + seed).choice(
            len(y_test), settings.n_test, replace=False
        )
        X_test, y_test = X_test[np.sort(test_rows)], y_test[np.sort(test_rows)]
    return Split(
        X=X,
        y=y,
        y_true=data.y_train[rows],
        X_test=(X_test / np.float32(255)).astype(np.float32),
        y_test=np.asarray(y_test),
        n_labelled=len(labelled),
        n_unlabelled=len(pool),
    )


# --------------------------------------------------------------------------
# One run, and its cache.
# --------------------------------------------------------------------------


def diagnostics(est, split: Split) -> dict:
    """What the fitted estimator says about its training, for the JSON."""
    out: dict = {}
    if isinstance(est, NS3LClassifier):
        last = est.history_[-1]
        for key in (
            "supervised_loss",
            "ns3l_loss",
            "companion_loss",
            "ns_weight",
            "negatives_per_sample",
        ):
            if key in last:
                out[key] = float(last[key])
    elif isinstance(est, SelfTrainingClassifier):
        added = est.labeled_iter_ > 0
        pseudo = est.transduction_[added]
        out["n_pseudo_labelled"] = int(added.sum())
        out["pseudo_label_accuracy"] = (
            float(np.mean(pseudo == split.y_true[added])) if added.any() else None
        )
        out["n_iter"] = int(est.n_iter_)
        out["termination_condition"] = est.termination_condition_
    elif isinstance(est, LabelSpreading):
        pool = split.y == -1
        out["transductive_error_pool"] = float(
            np.mean(est.transduction_[pool] != split.y_true[pool])
        )
        out["n_iter"] = int(est.n_iter_)
    return out


def run_one(row: Row, split: Split, ctx: RunContext) -> dict:
    est = row.make(ctx)
    X = split.flat("X") if row.flat else split.X
    X_test = split.flat("X_test") if row.flat else split.X_test
    fit_params = {"y_true": split.y_true} if row.y_true else {}
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    est.fit(X, split.y, **fit_params)
    t1 = time.perf_counter()
    pred = est.predict(X_test)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "row": row.name,
        "seed": ctx.seed,
        "error": float(np.mean(pred != split.y_test)),
        "seconds": t2 - t0,
        "fit_seconds": t1 - t0,
        "predict_seconds": t2 - t1,
        "cpu_seconds": c2 - c0,
        "load_average": [load_before, os.getloadavg()[0]],
        "n_labelled": split.n_labelled,
        "n_unlabelled": split.n_unlabelled,
        "n_test": len(split.y_test),
        "estimator": repr(est),
        "diagnostics": diagnostics(est, split),
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def settings_key(settings: Settings) -> str:
    blob = json.dumps(dataclasses.asdict(settings), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


def cache_folder(cache_dir: Path, profile: str, settings: Settings) -> Path:
    return cache_dir / f"{profile}-{settings_key(settings)}"


def cache_file(folder: Path, row: Row, seed: int) -> Path:
    return folder / row.slug / f"seed{seed}.json"


def write_json(path: Path, obj) -> None:
    """Write atomically, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=str) + "\n")
    os.replace(tmp, path)


def read_cached(folder: Path) -> list[dict]:
    runs = []
    for path in sorted(folder.glob("*/seed*.json")):
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    order = {r.name: i for i, r in enumerate(ROWS)}
    runs.sort(key=lambda r: (order.get(r["row"], len(order)), r["row"], r["seed"]))
    return runs


# --------------------------------------------------------------------------
# Environment.
# --------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: str) -> dict:
    info = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": device,
    }
    try:
        info["memory_gib"] = round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
        )
    except (ValueError, OSError, AttributeError):
        pass
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def git_commit() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sklearn_ns3l"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def source_digest() -> str:
    """Hash of the package's source files, to tell uncommitted versions apart."""
    h = hashlib.sha256()
    root = Path(sklearn_ns3l.__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def versions() -> dict:
    return {
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "sklearn_ns3l": sklearn_ns3l.__version__,
        "git": git_commit(),
        "source_sha256": source_digest(),
    }


# --------------------------------------------------------------------------
# Outputs: markdown table, plot, JSON of every run.
# --------------------------------------------------------------------------


def summarise(runs: list[dict]) -> list[dict]:
    """Per row: mean and sd of the error (%), paired difference to Supervised."""
    by_row: dict[str, dict[int, dict]] = {}
    for run in runs:
        by_row.setdefault(run["row"], {})[run["seed"]] = run
    paper = {r.name: r.paper for r in ROWS}
    to_baseline = {
        p["row"]: p
        for p in paired_differences(
            runs, [(name, baseline_of(name, by_row)) for name in by_row]
        )
    }
    nan = {"mean": float("nan"), "sd": float("nan")}
    table = []
    for name, seeds in by_row.items():
        err = np.array([100 * seeds[s]["error"] for s in sorted(seeds)])
        secs = np.array([seeds[s]["seconds"] for s in sorted(seeds)])
        paired = to_baseline.get(name, nan)
        table.append(
            {
                "row": name,
                "seeds": sorted(seeds),
                "errors": [float(e) for e in err],
                "mean": float(err.mean()),
                "sd": float(err.std(ddof=1)) if len(err) > 1 else float("nan"),
                "paired_mean": paired["mean"],
                "paired_sd": paired["sd"],
                "seconds_mean": float(secs.mean()),
                "seconds_total": float(secs.sum()),
                "paper": paper.get(name),
            }
        )
    return table


#: Further paired differences printed under the table: (row, compared with).
COMPARISONS: list[tuple[str, str]] = [
    ("Threshold T = 0.03", "Supervised, pool in the batch (λ = 0)"),
    ("Pseudo-label + NS3L", "Pseudo-label"),
    ("VAT + NS3L", "VAT"),
]


def paired_differences(runs: list[dict], pairs) -> list[dict]:
    """Error of ``row`` minus that of ``other`` on the same seeds, in points."""
    by_row: dict[str, dict[int, float]] = {}
    for run in runs:
        by_row.setdefault(run["row"], {})[run["seed"]] = 100 * run["error"]
    out = []
    for row, other in pairs:
        a, b = by_row.get(row, {}), by_row.get(other, {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        diff = np.array([a[s] - b[s] for s in seeds])
        out.append(
            {
                "row": row,
                "other": other,
                "seeds": seeds,
                "differences": [float(d) for d in diff],
                "mean": float(diff.mean()),
                "sd": float(diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
            }
        )
    return out


def baseline_of(name: str, names) -> str:
    """The row a row is compared with: Supervised, or its variant.

    A row named ``"X, variant"`` is compared with ``"Supervised, variant"``
    when that row exists (the same change made to the supervised network);
    for ``"X, a, b"`` the longest such suffix wins (``"Supervised, a, b"``,
    then ``"Supervised, b"``).
    """
    parts = name.split(", ")
    for i in range(1, len(parts)):
        candidate = "Supervised, " + ", ".join(parts[i:])
        if candidate != name and candidate in names:
            return candidate
    return "Supervised"


def fmt_pm(mean: float, sd: float, signed: bool = False) -> str:
    m = f"{mean:+.2f}" if signed else f"{mean:.2f}"
    return m if np.isnan(sd) else f"{m} ± {sd:.2f}"


def markdown(table, runs, pairs, profile: str, meta: dict) -> str:
    lines = [
        f"# Table 6 on Fashion-MNIST: profile `{profile}`",
        "",
        f"Profile: {meta['description']}. Test error on "
        f"{meta['n_test']:,} test images, in %, mean ± sd over seeds "
        "(sample sd). *Δ vs Supervised*: the row's error minus the Supervised "
        "row's on the same seed (same split and unlabelled pool), mean ± sd; "
        "negative is better (a row named 'X, variant' is compared with "
        "'Supervised, variant' where there is one). Paper: appendix Table 6 "
        "(50 epochs, 58,000 unlabelled, 5 seeds). Time: wall seconds per run "
        "(fit and predict), on a machine that was "
        + (
            "shared with other jobs (see the load average in the JSON)"
            if meta["loaded"]
            else "otherwise idle"
        )
        + ".",
        "",
        "| Method | Test error % (ours) | Paper | Δ vs Supervised | Seeds "
        "| Time per run (s) |",
        "|---|---|---|---|---|---|",
    ]
    for t in table:
        paper = "—" if t["paper"] is None else fmt_pm(*t["paper"])
        delta = (
            "—"
            if t["row"] == "Supervised" or np.isnan(t["paired_mean"])
            else fmt_pm(t["paired_mean"], t["paired_sd"], signed=True)
        )
        lines.append(
            f"| {t['row']} | {fmt_pm(t['mean'], t['sd'])} | {paper} | {delta} "
            f"| {len(t['seeds'])} | {t['seconds_mean']:.0f} |"
        )
    total = sum(r["seconds"] for r in runs)
    s = meta["settings"]
    notes = [r for r in ROWS if r.note and any(t["row"] == r.name for t in table)]
    machines = sorted({describe_machine(r) for r in runs})
    commands = sorted({r["command"] for r in runs if r.get("command")})
    cpu = sum(r.get("cpu_seconds", 0.0) for r in runs)
    lines += [
        "",
        f"Time: {len(runs)} runs, {total / 60:.1f} min in all (sum of the runs' "
        f"wall times), {cpu / 60:.1f} min of CPU time; "
        f"{elapsed_minutes(runs):.1f} min from the first run's start to the "
        "last one's end.",
        "",
        "Settings: " + ", ".join(f"`{k}={v}`" for k, v in s.items()) + ".",
        "",
        "Made on: " + "; ".join(machines) + ".",
        "",
        f"Command (runs what is missing, then rewrites this table from the "
        f"cache): `python {SCRIPT} --profile {profile}`. The runs "
        "came from: " + ", ".join(f"`{c}`" for c in commands) + ".",
    ]
    if pairs:
        lines += [
            "",
            "Paired differences (first row's error minus the second's on the "
            "same seeds, in points; negative: the first is better):",
            "",
            "| Row | Compared with | Δ, mean ± sd | Per seed |",
            "|---|---|---|---|",
        ] + [
            f"| {p['row']} | {p['other']} | {fmt_pm(p['mean'], p['sd'], signed=True)} "
            f"| {', '.join(f'{d:+.2f}' for d in p['differences'])} |"
            for p in pairs
        ]
    if notes:
        lines += [""] + [f"- **{r.name}**: {r.note}" for r in notes]
    return "\n".join(lines) + "\n"


def elapsed_minutes(runs: list[dict]) -> float:
    """Minutes from the first run's start to the last run's end."""
    ends = [datetime.datetime.fromisoformat(r["finished"]) for r in runs]
    starts = [
        end - datetime.timedelta(seconds=r["seconds"])
        for end, r in zip(ends, runs, strict=True)
    ]
    return (max(ends) - min(starts)).total_seconds() / 60


def describe_machine(run: dict) -> str:
    m, v = run["machine"], run["versions"]
    gpu = f" ({m['gpu']})" if "gpu" in m else ""
    return (
        f"{m['cpu']}, {m['cpu_count']} cores, {m.get('jobs', 1)} run(s) at a "
        f"time with {m['torch_threads']} torch thread(s) each, device "
        f"`{m['device']}`{gpu}; torch {v['torch']}, scikit-learn {v['sklearn']}, "
        f"sklearn-ns3l {v['git']} (source {v.get('source_sha256', '?')})"
    )


def plot(table, path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install '.[plot]'): no plot.")
        return False
    names = [t["row"] for t in table][::-1]
    ypos = np.arange(len(names))
    ours = [t for t in table][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(names) + 1.4))
    ax.errorbar(
        [t["mean"] for t in ours],
        ypos + 0.12,
        xerr=[0 if np.isnan(t["sd"]) else t["sd"] for t in ours],
        fmt="o",
        color="tab:blue",
        capsize=3,
        label="ours (mean ± sd over seeds)",
    )
    for i, t in enumerate(ours):
        ax.plot(
            t["errors"],
            [i + 0.12] * len(t["errors"]),
            "|",
            color="tab:blue",
            alpha=0.45,
            ms=9,
            label="ours, one seed" if i == 0 else None,
        )
    with_paper = [(i, t) for i, t in enumerate(ours) if t["paper"] is not None]
    if with_paper:
        ax.errorbar(
            [t["paper"][0] for _, t in with_paper],
            [i - 0.12 for i, _ in with_paper],
            xerr=[t["paper"][1] for _, t in with_paper],
            fmt="s",
            color="tab:orange",
            capsize=3,
            label="paper, Table 6",
        )
    sup = next((t for t in table if t["row"] == "Supervised"), None)
    if sup is not None:
        ax.axvline(sup["mean"], color="tab:blue", lw=0.8, ls=":")
    ax.set_yticks(ypos, names)
    ax.set_xlabel("test error on Fashion-MNIST (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return True


def write_outputs(folder, out_dir: Path, profile: str, meta: dict) -> list[Path]:
    runs = read_cached(folder)
    if not runs:
        print("No finished runs yet: nothing to write.")
        return []
    table = summarise(runs)
    meta = {
        **meta,
        "loaded": any(
            max(r["load_average"]) > r.get("cpu_count", 1) + 0.5 for r in runs
        ),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"table6_{profile}.md"
    png = out_dir / f"table6_{profile}.png"
    js = out_dir / f"table6_{profile}.json"
    pairs = paired_differences(runs, COMPARISONS)
    md.write_text(markdown(table, runs, pairs, profile, meta))
    written = [md]
    if plot(table, png, f"Table 6, Fashion-MNIST, profile '{profile}'"):
        written.append(png)
    write_json(
        js,
        {
            "profile": profile,
            "description": meta["description"],
            "settings": meta["settings"],
            "summary": table,
            "paired_differences": pairs,
            "runs": runs,
        },
    )
    written.append(js)
    return written


# --------------------------------------------------------------------------
# Running: in this process, or in worker processes with --jobs.
# --------------------------------------------------------------------------

# NS3LClassifier(verbose=1) draws its epoch bar with ``tqdm.auto.tqdm``, looked
# up when training starts. While a run is going, that name points to a bar
# class that puts the run's row and seed in the description (and, in a worker,
# on the worker's own line), so that the epoch bar says what it is counting.
_BAR = {"label": None, "position": None}


class _RunBar(tqdm):
    def __init__(self, *args, **kwargs):
        if _BAR["label"]:
            kwargs["desc"] = _BAR["label"]
        if _BAR["position"] is not None:
            kwargs["position"], kwargs["leave"] = _BAR["position"], False
        super().__init__(*args, **kwargs)


class Runner:
    """Runs (row, seed) pairs; holds the data and the split of the last seed."""

    def __init__(self, data_path, settings: Settings, device, progress, slot=None):
        self.data_path = data_path
        self.settings = settings
        self.device = device
        self.progress = progress
        self.slot = slot
        self.data = None
        self.split_seed, self.split = None, None

    def __call__(self, row_name: str, seed: int) -> dict:
        import tqdm.auto as tqdm_auto

        row = next(r for r in ROWS if r.name == row_name)
        if self.data is None:
            self.data = load_fashion_mnist(self.data_path)
        if seed != self.split_seed:
            self.split_seed = seed
            self.split = make_split(self.data, self.settings, seed)
        ctx = RunContext(self.settings, seed, self.device, int(self.progress))
        original = tqdm_auto.tqdm
        _BAR["label"] = f"{row.name} | seed {seed}"
        _BAR["position"] = None if self.slot is None else self.slot + 1
        tqdm_auto.tqdm = _RunBar
        try:
            return run_one(row, self.split, ctx)
        finally:
            tqdm_auto.tqdm = original


_WORKER: dict = {}


def _worker_init(runner_args, threads, counter, lock):
    tqdm.set_lock(lock)
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    limit_threads(threads)
    _WORKER["runner"] = Runner(*runner_args, slot=slot)


def _worker_run(row_name: str, seed: int) -> dict:
    return _WORKER["runner"](row_name, seed)


def limit_threads(threads: int | None) -> None:
    """Threads for torch and for the BLAS / OpenMP pools (numpy, FAISS)."""
    if not threads:
        return
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


def run_all(todo, runner_args, jobs: int, threads, on_done) -> None:
    """Run every (row, seed) of ``todo``; ``on_done(row, seed, run_or_exc)``."""
    if jobs <= 1:
        limit_threads(threads)
        runner = Runner(*runner_args)
        for row, seed in todo:
            try:
                result = runner(row.name, seed)
            except Exception:  # noqa: BLE001 - one broken row must not stop the rest
                result = traceback.format_exc()
            on_done(row, seed, result)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("spawn")  # fork would copy torch's thread pools
    counter = ctx.Value("i", 0)
    with ProcessPoolExecutor(
        jobs,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(runner_args, threads, counter, ctx.RLock()),
    ) as pool:
        futures = {
            pool.submit(_worker_run, row.name, seed): (row, seed) for row, seed in todo
        }
        for future in as_completed(futures):
            row, seed = futures[future]
            try:
                result = future.result()
            except Exception:  # noqa: BLE001
                result = traceback.format_exc()
            on_done(row, seed, result)


# --------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", choices=sorted(PROFILES), default="cpu")
    p.add_argument("--quick", action="store_true", help="same as --profile quick")
    p.add_argument("--rows", nargs="+", default=None, help="row names (or parts)")
    p.add_argument("--seeds", nargs="+", type=int, default=None)
    p.add_argument("--data-path", default=None, help="Fashion-MNIST .npz or idx dir")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="runs at a time, in worker processes (default: the profile's, "
        "2 for cpu, capped by the cores; 1 elsewhere)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch/BLAS threads per run (default: all cores / jobs)",
    )
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--out-dir", type=Path, default=None)
    p.add_argument("--no-progress", action="store_true", help="no epoch bars")
    p.add_argument("--list-rows", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list_rows:
        for row in ROWS:
            missing = missing_parameters(row)
            tag = f"  (skipped: needs {', '.join(missing)})" if missing else ""
            print(f"{row.slug:45s} {row.name}{tag}")
        return 0
    profile_name = "quick" if args.quick else args.profile
    profile = PROFILES[profile_name]
    settings = profile.settings
    seeds = tuple(args.seeds) if args.seeds is not None else profile.seeds
    out_dir = args.out_dir or (
        args.cache_dir / "quick" if profile_name == "quick" else DEFAULT_OUT
    )
    if args.jobs is None:
        jobs = max(1, min(profile.jobs, os.cpu_count() or 1))
    else:
        jobs = max(1, args.jobs)
    threads = args.threads
    if threads is None and jobs > 1:
        threads = max(1, (os.cpu_count() or 1) // jobs)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"

    rows = []
    for row in select_rows(args.rows):
        missing = missing_parameters(row)
        if missing:
            print(
                f"Skipping {row.name!r}: NS3LClassifier has no parameter "
                f"{', '.join(map(repr, missing))} in this version of the package."
            )
        else:
            rows.append(row)

    folder = cache_folder(args.cache_dir, profile_name, settings)
    limit_threads(threads)  # so that the recorded machine shows them
    env = {
        "profile": profile_name,
        "settings": dataclasses.asdict(settings),
        "versions": versions(),
        "machine": {**machine(device), "jobs": jobs},
    }
    todo = [
        (row, seed)
        for seed in seeds
        for row in rows
        if not cache_file(folder, row, seed).exists()
    ]
    n_cached = len(rows) * len(seeds) - len(todo)
    print(
        f"Profile {profile_name!r} ({profile.description}); {len(rows)} rows x "
        f"{len(seeds)} seeds: {n_cached} cached in {folder}, {len(todo)} to run"
        + (f", {jobs} at a time." if jobs > 1 else ".")
    )

    command = f"python {SCRIPT} " + shlex.join(sys.argv[1:] if argv is None else argv)
    failures = []
    bar = tqdm(
        total=len(todo),
        unit="run",
        position=0,
        dynamic_ncols=True,
        desc=f"Table 6 ({profile_name})",
    )
    start = time.perf_counter()

    def on_done(row, seed, result):
        if isinstance(result, str):  # a traceback
            failures.append((row.name, seed))
            bar.write(f"FAILED {row.name} | seed {seed}:\n{result}")
        else:
            result.update(env, cpu_count=os.cpu_count(), command=command)
            write_json(cache_file(folder, row, seed), result)
            bar.write(
                f"[{bar.n + 1}/{len(todo)}] {row.name} | seed {seed}: test error "
                f"{100 * result['error']:.2f}% in {result['seconds']:.0f} s "
                f"(load {result['load_average'][0]:.1f})"
            )
        bar.update(1)

    if todo:
        runner_args = (
            default_data_path(args.data_path),
            settings,
            device,
            not args.no_progress,
        )
        run_all(todo, runner_args, jobs, threads, on_done)
    bar.close()
    if todo:
        print(
            f"Ran {len(todo) - len(failures)} runs in "
            f"{(time.perf_counter() - start) / 60:.1f} min."
        )

    meta = {
        **env,
        "description": profile.description,
        "n_test": settings.n_test or 10_000,
    }
    for path in write_outputs(folder, out_dir, profile_name, meta):
        print(f"Wrote {path}")
    if failures:
        print(f"{len(failures)} runs failed: {failures}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
