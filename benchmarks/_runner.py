"""Run a catalogue's (row, seed) pairs, cache each run, and write the outputs.

``main(argv, catalogue=...)`` is the command line of every such benchmark
(``table6.py``, ``table6_ablations.py``): it runs what the cache lacks, in
this process or in worker processes (``--jobs``), then rewrites the outputs
from every cached run of the profile (see ``_report``). ``--from-json`` first
adds the runs of a written output JSON to the cache; ``--report-only`` runs
nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shlex
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch
from _cache import RunCache
from _catalogue import Catalogue, Profile, Row, RunContext, Skip, Split
from _common import REPO, machine, versions
from _report import write_outputs
from scipy import sparse
from sklearn.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
)
from tqdm.auto import tqdm

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l.callbacks import EpochProgress
from sklearn_ns3l.selectors import (
    BaseProbabilitySelector,
    LabelSpreadingSelector,
    OracleSelector,
)

DEFAULT_CACHE = REPO / "benchmarks" / ".cache"
DEFAULT_OUT = REPO / "docs" / "results"


# --------------------------------------------------------------------------
# One run.
# --------------------------------------------------------------------------


def diagnostics(est, split: Split) -> dict:
    """What the fitted estimator says about its training, for the JSON."""
    out: dict = {}
    if isinstance(est, NS3LClassifier):
        # What the objective logged, by its own keys.
        last = est.history_[-1]
        out.update({key: float(last[key]) for key in est.objective_.history_keys})
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


def negative_diagnostics(est, split: Split) -> dict:
    """The fitted selector's negative labels on the pool, against the truth.

    ``wrong_negative_rate``: the share of all negative labels that are the
    sample's true class; ``negatives_per_sample``: their mean count per pool
    sample. A probability rule (the threshold) is read off the final
    network's probabilities of the pool, so it counts the negatives the
    network would give at the end of training; a static rule's are the ones
    it trained with: label spreading's are the pool rows of its fitted
    ``negatives_`` (the graph over labelled and pool rows), or, on the
    network's features, the last mask it built.
    Empty for a supervised row.
    """
    selector = getattr(est, "selector_", None)
    pool = np.flatnonzero(split.y == -1)
    if selector is None or len(pool) == 0:
        return {}
    X_pool = split.X[pool]
    y_pool = split.y_true[pool]
    if isinstance(selector, BaseProbabilitySelector):
        mask = selector.transform(est.predict_proba(X_pool))
    elif getattr(est, "selector_features_", "input") == "network":
        # Fitted on the network's features, not X: the last mask it built.
        mask = dict(est.net_.callbacks_)["network_negatives"].negatives_
    elif isinstance(selector, LabelSpreadingSelector) and hasattr(
        selector, "negatives_"
    ):
        # pool_negatives fitted the graph over the labelled rows, then the
        # pool: the pool's rows of negatives_ are the mask NS3L trained with
        # (its inductive transform of the same rows is another mask).
        mask = selector.negatives_[len(selector.negatives_) - len(pool) :]
    else:
        flat = X_pool.reshape(len(pool), -1) if X_pool.ndim > 2 else X_pool
        if isinstance(selector, OracleSelector):
            mask = selector.transform(flat, y_true=y_pool)
        else:
            mask = selector.transform(flat)
    mask = np.asarray(mask, dtype=bool)
    known = np.isin(y_pool, est.classes_)  # a class with no label has no column
    true_column = np.searchsorted(est.classes_, y_pool[known])
    wrong = int(mask[np.flatnonzero(known), true_column].sum())
    total = int(mask.sum())
    return {
        "wrong_negative_rate": wrong / total if total else float("nan"),
        "negatives_per_sample": total / len(pool),
        "n_negatives": total,
        "n_wrong_negatives": wrong,
    }


def label_epoch_bars(est, desc: str, position: int | None) -> None:
    """Give each verbose NS3LClassifier in ``est`` (itself or a parameter) a bar.

    The bar (:class:`sklearn_ns3l.callbacks.EpochProgress`) replaces the one
    ``verbose=1`` draws, labelled with ``desc`` and, in a worker process, on
    the worker's own line.
    """
    params = est.get_params(deep=True) if hasattr(est, "get_params") else {}
    for clf in [est, *params.values()]:
        if isinstance(clf, NS3LClassifier) and clf.verbose:
            bar = EpochProgress(desc=desc, position=position)
            clf.set_params(callbacks=[*(clf.callbacks or []), bar])


def refuses_sparse(exc: Exception, X) -> bool:
    """Whether ``exc``, raised by a fit on ``X``, says it cannot take sparse X."""
    return (
        sparse.issparse(X)
        and isinstance(exc, (TypeError, ValueError))
        and "sparse" in str(exc).lower()
    )


def skipped(row: Row, ctx: RunContext, split: Split | None, reason: str) -> dict:
    """The record of a run that was not made."""
    return {
        "row": row.name,
        "seed": ctx.seed,
        "skipped": reason,
        "n_labelled": None if split is None else split.n_labelled,
        "n_unlabelled": None if split is None else split.n_unlabelled,
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def run_one(row: Row, split: Split, ctx: RunContext, bar=None) -> dict:
    """Fit the row's estimator on the split and measure its test error.

    ``bar``: ``(label, position)`` of the epoch bars, or None for the bars
    ``verbose`` asks for, unlabelled. The recorded ``estimator`` is the row's,
    before its bars are labelled.

    A factory that raises :class:`_catalogue.Skip`, or a fit on sparse ``X``
    that raises a TypeError or ValueError about sparse input, gives a
    skipped record (``"skipped"``: the reason) instead of a run. On a
    transductive split a graph method (``LabelSpreading``,
    ``LabelPropagation``) is scored by its ``transduction_`` of the pool,
    the labels it fitted, rather than by predicting the pool anew.
    """
    try:
        est = row.make(ctx)
    except Skip as exc:
        return skipped(row, ctx, split, str(exc))
    described = repr(est)
    if bar is not None:
        label_epoch_bars(est, *bar)
    X = split.flat("X") if row.flat else split.X
    X_test = split.flat("X_test") if row.flat else split.X_test
    fit_params = {"y_true": split.y_true} if row.y_true else {}
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        est.fit(X, split.y, **fit_params)
    except (TypeError, ValueError) as exc:
        if not refuses_sparse(exc, X):
            raise
        inner = getattr(est, "estimator", None)  # a meta-estimator's
        name = type(est).__name__ + (f"({type(inner).__name__})" if inner else "")
        return skipped(row, ctx, split, f"{name} does not accept sparse X: {exc}")
    t1 = time.perf_counter()
    if split.transductive and isinstance(est, (LabelPropagation, LabelSpreading)):
        pred = est.transduction_[split.n_labelled :]
    else:
        pred = est.predict(X_test)
    t2, c2 = time.perf_counter(), time.process_time()
    diag = diagnostics(est, split)
    if row.negatives:
        diag.update(negative_diagnostics(est, split))
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
        "estimator": described,
        "diagnostics": diag,
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
    }


# --------------------------------------------------------------------------
# Many runs: in this process, or in worker processes with --jobs.
# --------------------------------------------------------------------------


class Runner:
    """Runs (row, seed) pairs of a profile in this process.

    Each data set is loaded once; per data set, the split of its last seed
    is kept, as the runs come seed by seed.
    """

    def __init__(self, profile: Profile, data_path, device, progress, slot=None):
        self.profile = profile
        self.data_path = data_path
        self.device = device
        self.progress = progress
        self.slot = slot
        self.loaded: dict = {}
        self.splits: dict = {}  # data set name: (seed, split)

    def split(self, dataset, seed: int) -> Split:
        if dataset.name not in self.loaded:
            self.loaded[dataset.name] = dataset.load(self.data_path)
        last_seed, split = self.splits.get(dataset.name, (None, None))
        if last_seed != seed:
            split = dataset.split(
                self.loaded[dataset.name], self.profile.settings, seed
            )
            self.splits[dataset.name] = (seed, split)
        return split

    def __call__(self, row: Row, seed: int) -> dict:
        ctx = RunContext(self.profile.settings, seed, self.device, int(self.progress))
        try:
            split = self.split(row.dataset or self.profile.dataset, seed)
        except Skip as exc:  # a data set that is not here
            return skipped(row, ctx, None, str(exc))
        position = None if self.slot is None else self.slot + 1
        bar = (f"{row.name} | seed {seed}", position) if self.progress else None
        return run_one(row, split, ctx, bar)


_WORKER: dict = {}


def _worker_init(runner_args, threads, counter, lock):
    tqdm.set_lock(lock)
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    limit_threads(threads)
    _WORKER["runner"] = Runner(*runner_args, slot=slot)


def _worker_run(row: Row, seed: int) -> dict:
    return _WORKER["runner"](row, seed)


def limit_threads(threads: int | None) -> None:
    """Threads for torch and for the BLAS / OpenMP pools (numpy, FAISS)."""
    if not threads:
        return
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


def run_all(todo, runner_args, jobs: int, threads, on_done) -> None:
    """Run every (row, seed) of ``todo``; ``on_done(row, seed, run_or_traceback)``."""
    if jobs <= 1:
        limit_threads(threads)
        runner = Runner(*runner_args)
        for row, seed in todo:
            try:
                result = runner(row, seed)
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
            pool.submit(_worker_run, row, seed): (row, seed) for row, seed in todo
        }
        for future in as_completed(futures):
            row, seed = futures[future]
            try:
                result = future.result()
            except Exception:  # noqa: BLE001
                result = traceback.format_exc()
            on_done(row, seed, result)


# --------------------------------------------------------------------------
# The command line.
# --------------------------------------------------------------------------


def parse_args(argv, catalogue: Catalogue):
    p = argparse.ArgumentParser(description=catalogue.summary)
    p.add_argument(
        "--profile",
        choices=sorted(catalogue.profiles),
        default=None,
        help=f"default: {', '.join(catalogue.default_profiles)}",
    )
    p.add_argument("--quick", action="store_true", help="same as --profile quick")
    p.add_argument("--rows", nargs="+", default=None, help="row names (or parts)")
    p.add_argument("--seeds", nargs="+", type=int, default=None)
    p.add_argument(
        "--data-path",
        default=None,
        help="where a data set read from a file is (Fashion-MNIST: .npz or idx dir)",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="runs at a time, in worker processes (default: the profile's, "
        "capped by the cores)",
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
    p.add_argument(
        "--from-json",
        nargs="+",
        type=Path,
        default=(),
        metavar="FILE",
        help=f"add the runs of written outputs ({catalogue.name}_<profile>.json) "
        "to the cache first; their profiles are the ones run",
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rewrite the outputs from the cache",
    )
    p.add_argument("--list-rows", action="store_true")
    return p.parse_args(argv)


def main(argv=None, *, catalogue: Catalogue) -> int:
    args = parse_args(argv, catalogue)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.list_rows:
        for row in catalogue.rows:
            print(f"{row.slug:45s} {row.name}")
        return 0
    imported = {}
    for path in args.from_json:
        outputs = json.loads(path.read_text())
        if outputs.get("profile") not in catalogue.profiles:
            raise SystemExit(f"--from-json {path}: no profile of this benchmark.")
        imported.setdefault(outputs["profile"], []).append((path, outputs))
    if args.quick:
        profiles = ["quick"]
    elif args.profile:
        profiles = [args.profile]
    else:
        profiles = list(imported) or list(catalogue.default_profiles)
    if set(imported) - set(profiles):
        raise SystemExit(
            f"--from-json holds profiles {sorted(imported)}, but this command "
            f"runs {profiles}."
        )
    command = f"python {catalogue.script} " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    status = 0
    for name in profiles:
        cache = RunCache(args.cache_dir, name, catalogue.profiles[name].settings)
        for path, outputs in imported.get(name, []):
            try:
                added = cache.import_outputs(outputs)
            except ValueError as exc:
                raise SystemExit(f"--from-json {path}: {exc}") from None
            print(f"Added {added} runs of {path} to {cache.folder}.")
        status |= run_profile(catalogue, name, cache, args, command)
    return status


def run_profile(catalogue: Catalogue, name: str, cache: RunCache, args, command):
    profile = catalogue.profiles[name]
    rows = (
        catalogue.select_rows(args.rows)
        if args.rows
        else catalogue.default_rows_of(name)
    )
    seeds_of = {
        row.name: tuple(args.seeds) if args.seeds is not None else profile.seeds_of(row)
        for row in rows
    }
    all_seeds = sorted(set().union(*seeds_of.values()))
    out_dir = args.out_dir or (
        args.cache_dir / "quick" if name == "quick" else DEFAULT_OUT
    )
    jobs = jobs_of(profile, args)
    todo = [
        (row, seed)
        for seed in all_seeds
        for row in rows
        if seed in seeds_of[row.name] and (row.name, seed) not in cache
    ]
    n_pairs = sum(len(s) for s in seeds_of.values())
    print(
        f"Profile {name!r} ({profile.description}); {len(rows)} rows x "
        f"{len(all_seeds)} seeds ({n_pairs} runs): {n_pairs - len(todo)} cached in "
        f"{cache.folder}, {len(todo)} "
        + ("missing, not run (--report-only)." if args.report_only else "to run")
        + ("" if args.report_only else f", {jobs} at a time." if jobs > 1 else ".")
    )
    failures = []
    if todo and not args.report_only:
        label = f"{catalogue.name} ({name})"
        failures = run_missing(todo, label, profile, cache, args, command)
    report = catalogue.report or write_outputs
    for path in report(catalogue, name, cache.runs(), out_dir):
        print(f"Wrote {path}")
    if failures:
        print(f"{len(failures)} runs failed: {failures}")
        return 1
    return 0


def jobs_of(profile: Profile, args) -> int:
    """Runs at a time: ``--jobs``, else the profile's, capped by the cores."""
    if args.jobs is None:
        return max(1, min(profile.jobs, os.cpu_count() or 1))
    return max(1, args.jobs)


def run_missing(todo, label, profile, cache, args, command) -> list:
    """Run ``todo``, caching each run as it ends; the (row, seed) that failed."""
    jobs, threads = jobs_of(profile, args), args.threads
    if threads is None and jobs > 1:
        threads = max(1, (os.cpu_count() or 1) // jobs)
    limit_threads(threads)  # so that the recorded machine shows them
    env = {
        "profile": cache.profile,
        "settings": dataclasses.asdict(profile.settings),
        "versions": versions(),
        "machine": {**machine(args.device), "jobs": jobs},
    }
    failures, skips = [], []
    bar = tqdm(total=len(todo), unit="run", position=0, dynamic_ncols=True, desc=label)
    start = time.perf_counter()

    def on_done(row, seed, result):
        if isinstance(result, str):  # a traceback
            failures.append((row.name, seed))
            bar.write(f"FAILED {row.name} | seed {seed}:\n{result}")
        elif "skipped" in result:
            result.update(profile=cache.profile, command=command)
            cache.add(result)
            skips.append((row.name, seed))
            bar.write(
                f"[{bar.n + 1}/{len(todo)}] {row.name} | seed {seed}: skipped "
                f"({result['skipped'].splitlines()[0][:120]})"
            )
        else:
            result.update(env, cpu_count=os.cpu_count(), command=command)
            cache.add(result)
            bar.write(
                f"[{bar.n + 1}/{len(todo)}] {row.name} | seed {seed}: test error "
                f"{100 * result['error']:.2f}% in {result['seconds']:.0f} s "
                f"(load {result['load_average'][0]:.1f})"
            )
        bar.update(1)

    runner_args = (profile, args.data_path, args.device, not args.no_progress)
    run_all(todo, runner_args, jobs, threads, on_done)
    bar.close()
    print(
        f"Ran {len(todo) - len(failures) - len(skips)} runs in "
        f"{(time.perf_counter() - start) / 60:.1f} min"
        + (f"; {len(skips)} skipped (tried again next time)." if skips else ".")
    )
    return failures
