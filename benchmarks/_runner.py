"""The command line of a catalogue's benchmark: run what is missing, write the outputs.

``main(argv, catalogue=...)`` is the command line of every such benchmark
(``table6.py``, ``table6_ablations.py``, ``vs_sklearn.py``): it runs what the
cache lacks, in this process or in worker processes (``--jobs``, see
``_pool.py``; one run is ``_run.run_one``), then rewrites the outputs from
every cached run of the profile (see ``_report``). ``--from-json`` first adds
the runs of a written output JSON to the cache; ``--report-only`` runs
nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import time
from pathlib import Path

import torch
from _cache import RunCache
from _catalogue import Catalogue, Profile
from _common import REPO, machine, versions
from _pool import limit_threads, run_all
from _report import write_outputs
from tqdm.auto import tqdm

__all__ = ["DEFAULT_CACHE", "DEFAULT_OUT", "main"]

DEFAULT_CACHE = REPO / "benchmarks" / ".cache"
DEFAULT_OUT = REPO / "docs" / "results"


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
