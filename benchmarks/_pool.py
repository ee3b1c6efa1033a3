"""Many runs: in this process, or in worker processes (``--jobs``).

``run_all(todo, runner_args, jobs, threads, on_done)`` runs every (row, seed)
pair of ``todo`` with a :class:`Runner` and hands each record (or the
traceback of a run that raised) to ``on_done`` as it ends. Worker processes
are spawned, not forked, and each keeps one ``Runner``, so a data set is
loaded once per process.
"""

from __future__ import annotations

import traceback

import torch
from _catalogue import Profile, Row, RunContext, Skip, Split
from _run import run_one, skipped
from tqdm.auto import tqdm

__all__ = ["Runner", "limit_threads", "run_all"]


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
