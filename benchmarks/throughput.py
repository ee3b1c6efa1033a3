"""Training and prediction throughput of NS3LClassifier, measured side by side.

Each ratio compares runs on the same data, network (SmallCNN), batch size and
optimiser (Adam), alternating the runs over ``--repeats`` rounds in this one
process (after ``--warmup`` untimed rounds) and dividing their medians (of
wall-clock and of CPU time) and their minima (wall-clock). Lower is better;
1.0 is parity. The targets are checked against the median wall-clock ratios.

1. ``supervised / torch loop``: ``NS3LClassifier(selector=None)`` against a
   minimal hand-written PyTorch loop on the same labelled images, already in
   memory: the same epochs, each a fresh shuffle cut into steps of
   ``--batch-size`` labelled rows (``y`` holds no -1, so every row of a batch
   is labelled), Adam at the same learning rate. Timed from the arrays to the
   trained network: ``fit`` against model and optimiser creation plus the loop.
2. ``threshold / supervised``: ``selector="threshold"`` on ``(X, y)`` with the
   unlabelled pool marked -1, against run 1's ``selector=None``, at equal
   batches and steps: every step of both puts ``--batch-size`` rows through
   the network (half labelled and half from the pool for NS3L, all labelled
   for the baseline), and the baseline runs twice the epochs so that both take
   the same number of steps. The ratio is the price of the NS3L term: the
   negative mask from the same forward pass's detached probabilities and the
   extra loss. Also printed, for information: against ``selector=None`` on the
   same ``(X, y)``, which takes the same labelled rows per step and skips the
   pool, so half the rows per step.
3. Memory: a subprocess fits ``selector="threshold"`` on a ``numpy.memmap`` of
   the labelled rows followed by ``--pool-rows`` synthetic unlabelled rows,
   784 float32 features each, written to a temporary file in chunks (``y`` is
   -1 for the pool); it reports its peak resident set size: ``VmHWM`` on
   Linux, as ``ru_maxrss`` carries the spawning parent's peak over ``exec``.
4. ``predict_proba / forward``: ``predict_proba`` on ``--n-predict`` test
   images against the raw network's forward pass (eval mode,
   ``torch.inference_mode``, at the fit's precision), in batches of the size
   ``predict_proba`` uses.
5. Against today's eager float32 loop (issue 16): the reference is run 1's
   hand-written loop on SmallCNN as it was before the precision work (ReLU
   before max-pool, NCHW memory order, float32, no autocast). Beside it, the
   same loop in ``channels_last``, under bfloat16 autocast (timed only where
   the CPU has fast bfloat16, or with ``--emulated-bf16``), under
   ``torch.compile`` (with ``--compile``), and with the package's SmallCNN
   (max-pool before ReLU, ``channels_last``) at the default precision, the
   loop that ratio 1 is measured against. ``default / today's loop``
   divides the step of ``NS3LClassifier(selector=None)`` with every
   default by the reference's; ``predict_proba / today's forward`` does
   the same for prediction, the reference being the fitted weights in
   today's network, NCHW, float32.
6. GFLOP/s of the training step: the FLOPs of one step (forward and
   backward of a batch, counted by ``torch.utils.flop_counter.FlopCounterMode``)
   over the median wall time of a step, against the CPU's peak for the
   precision used: torch threads x clock (``cpu MHz`` of /proc/cpuinfo) x
   FLOPs per cycle and core of the widest instructions the CPU has (2 FMA
   units per core: 32 float32 FLOPs for AVX2, 64 for AVX-512, 128 bfloat16
   FLOPs for AVX512-BF16, 1024 for AMX), which is an assumption about the
   core, not a measurement.

The hand-written loops are in ``_reference_loops.py``, the FLOP count and
the CPU's peak in ``_hardware.py``, and the memory-mapped fit of run 3 in
``_memmap_fit.py`` (its child process is this script with
``--memory-child``).

Usage::

    python benchmarks/throughput.py --data-path /path/to/fashion_mnist.npz
    python benchmarks/throughput.py --quick --synthetic   # seconds, smoke test

Fashion-MNIST is read from ``--data-path``, else ``$NS3L_FASHION_MNIST``,
else ``<repo>/../shared/data/fashion_mnist.npz`` when present, else the Debian
package's directory (see ``sklearn_ns3l.datasets``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import median

import numpy as np
import torch
from _common import fashion_mnist, interleaved, summary, unit_images
from _hardware import cpu_peak, step_flops
from _memmap_fit import memory_child, memory_run
from _reference_loops import LOOPS, forward_only, pre_issue16_cnn, torch_loop

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l._precision import fast_dtypes, resolve_precision
from sklearn_ns3l.datasets import hide_labels

TARGETS = {
    "supervised / torch loop": 1.15,
    "threshold / supervised": 1.25,
    "predict_proba / forward": 1.2,
    "default / today's loop": 0.45,
    "predict_proba / today's forward": 0.6,
}
MEMORY_TARGET_GIB = 2.0


def load_images(args):
    """Train images in [0, 1] as (n, 28, 28) float32, labels, and test images."""
    if args.synthetic:
        rng = np.random.default_rng(0)
        n_train = args.n_labelled + args.n_unlabelled
        X = rng.random((n_train, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, n_train)
        X_test = rng.random((args.n_predict, 28, 28), dtype=np.float32)
        return X, y, X_test, "synthetic uniform noise"
    data = fashion_mnist(args.data_path)
    X = unit_images(data.X_train)
    X_test = unit_images(data.X_test[: args.n_predict])
    return X, data.y_train, X_test, f"Fashion-MNIST ({data.source})"


def semi_supervised_split(X, y, n_labelled, n_unlabelled, seed=0):
    """``n_labelled`` rows balanced over classes, then ``n_unlabelled`` more at -1."""
    n_classes = len(np.unique(y))
    y_semi = hide_labels(y, n_labelled // n_classes, random_state=seed)
    labelled = np.flatnonzero(y_semi != -1)
    rest = np.flatnonzero(y_semi == -1)[:n_unlabelled]
    rows = np.concatenate([labelled, rest])
    return X[rows], y_semi[rows], X[labelled], y_semi[labelled]


# --------------------------------------------------------------------- runs


def ns3l_fit(X, y, *, selector, epochs, batch_size, lr, seed, precision="auto"):
    return NS3LClassifier(
        selector=selector,
        max_epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        random_state=seed,
        precision=precision,
    ).fit(X, y)


# --------------------------------------------------------------------- main

PARTS = ("train", "predict", "memory")
#: Ratio columns: how the repeats of a run are reduced, and which clock.
#: The median is the headline (and what the targets are checked against);
#: the minimum estimates a run undisturbed by the machine's other jobs.
STATISTICS = {
    "wall": (median, "wall"),
    "cpu": (median, "cpu"),
    "wall_min": (min, "wall"),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-path", default=None, help="Fashion-MNIST .npz or idx dir")
    p.add_argument("--synthetic", action="store_true", help="random images instead")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    p.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated subset of {','.join(PARTS)} (default: all)",
    )
    p.add_argument("--n-labelled", type=int, default=2000)
    p.add_argument("--n-unlabelled", type=int, default=58000, help="in-memory pool")
    p.add_argument(
        "--epochs", type=int, default=1, help="of the NS3L run (baseline: twice)"
    )
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.add_argument("--n-predict", type=int, default=10000)
    p.add_argument("--pool-rows", type=int, default=1_000_000, help="memmap pool")
    p.add_argument("--memmap-epochs", type=int, default=1)
    p.add_argument("--tmp-dir", default=None, help="where the memmap file goes")
    p.add_argument("--json", default=None, help="also write the results here")
    p.add_argument(
        "--compile", action="store_true", help="also time a torch.compile'd loop"
    )
    p.add_argument(
        "--emulated-bf16",
        action="store_true",
        help="time the bf16 autocast loop even where the CPU only emulates bf16",
    )
    p.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        p.error(f"unknown --parts {sorted(unknown)}; choose from {PARTS}")
    if args.quick:
        args.n_labelled, args.n_unlabelled = 100, 500
        args.epochs, args.repeats, args.warmup = 1, 1, 0
        args.n_predict, args.pool_rows = 300, 5_000
    return args


def _runs(xs, digits=2):
    return ", ".join(f"{t:.{digits}f}" for t in xs)


def bench_training(args, X_semi, y_semi, X_l, y_l) -> tuple[dict, dict]:
    """Runs 1 and 2: the loop, the baseline and NS3L, alternated."""
    bs, n_l = args.batch_size, len(y_l)
    n_bl = round(bs * 0.5)  # labelled rows of an NS3L batch (labelled_fraction)
    # The baseline's batches are all labelled rows, NS3L's half: the baseline
    # runs as many more epochs as it takes to match NS3L's steps.
    steps_sup, steps_ns3l = -(-n_l // bs), -(-n_l // n_bl)
    sup_epochs = max(1, round(args.epochs * steps_ns3l / steps_sup))
    sup = dict(epochs=sup_epochs, batch_size=bs, lr=args.lr, seed=0)
    ns3l = dict(epochs=args.epochs, batch_size=bs, lr=args.lr, seed=0)
    precision = resolve_precision("auto", torch.device("cpu"))
    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(precision)
    fast_bf16 = "bfloat16" in fast_dtypes(torch.device("cpu"))
    loops = [
        name
        for name, (_, loop_dtype, compiled) in LOOPS.items()
        if (loop_dtype is None or fast_bf16 or args.emulated_bf16)
        and (not compiled or args.compile)
    ]
    skipped = sorted(set(LOOPS) - set(loops))
    if skipped:
        print(
            f"  not timed: {', '.join(skipped)} (see --compile, --emulated-bf16; "
            "bf16 autocast is timed by default only where the CPU has fast bf16)"
        )
    runs = {
        name: (
            lambda name=name: torch_loop(X_l, y_l, variant=name, **sup),
            steps_sup * sup_epochs,
            f"{bs} labelled",
        )
        for name in loops
    }
    runs |= {
        "torch loop": (
            lambda: torch_loop(X_l, y_l, dtype=dtype, **sup),
            steps_sup * sup_epochs,
            f"{bs} labelled",
        ),
        "supervised": (
            lambda: ns3l_fit(X_l, y_l, selector=None, **sup),
            steps_sup * sup_epochs,
            f"{bs} labelled",
        ),
        "threshold": (
            lambda: ns3l_fit(X_semi, y_semi, selector="threshold", **ns3l),
            steps_ns3l * args.epochs,
            f"{n_bl} labelled + {bs - n_bl} pool",
        ),
        "supervised, pool -1": (
            lambda: ns3l_fit(X_semi, y_semi, selector=None, **ns3l),
            steps_ns3l * args.epochs,
            f"{n_bl} labelled, pool skipped",
        ),
    }
    times = interleaved({k: v[0] for k, v in runs.items()}, args.repeats, args.warmup)
    train = {}
    for name, (_, n_steps, rows) in runs.items():
        wall, cpu = times["wall"][name], times["cpu"][name]
        train[name] = {
            "steps": n_steps,
            "rows_per_step": rows,
            "wall_ms_per_step": 1e3 * median(wall) / n_steps,
            "cpu_ms_per_step": 1e3 * median(cpu) / n_steps,
            "wall_s": wall,
            "cpu_s": cpu,
        }
        print(
            f"  {name:<24} {n_steps:4d} steps of {rows:<26} "
            f"{train[name]['wall_ms_per_step']:7.2f} ms/step wall, "
            f"{train[name]['cpu_ms_per_step']:7.2f} CPU  (wall runs, s: {_runs(wall)})"
        )
    ratios = {}
    for stat, (reduce, clock) in STATISTICS.items():
        step = {
            name: reduce(times[clock][name]) / n_steps
            for name, (_, n_steps, _) in runs.items()
        }
        ratios[stat] = {
            "default / today's loop": step["supervised"] / step["today's loop"],
            **{
                f"{name} / today's loop": step[name] / step["today's loop"]
                for name in loops[1:]
            },
            "supervised / torch loop": step["supervised"] / step["torch loop"],
            "threshold / supervised": step["threshold"] / step["supervised"],
            "threshold / supervised, pool -1 (half the rows)": step["threshold"]
            / step["supervised, pool -1"],
        }
    flops = step_flops(X_l, y_l, bs)
    peak = cpu_peak(precision, torch.get_num_threads())
    gflops = {
        name: flops / (1e-3 * train[name]["wall_ms_per_step"]) / 1e9
        for name in ("today's loop", "torch loop", "supervised")
    }
    train["flops"] = {
        "per_step": flops,
        "precision": precision,
        "gflops": gflops,
        **peak,
    }
    peak_text = (
        "unknown clock"
        if peak["peak_gflops"] is None
        else f"{peak['peak_gflops']:.1f} GFLOP/s = {peak['cores']} cores x "
        f"{peak['ghz']:.3f} GHz x {peak['flops_per_cycle']} FLOPs/cycle "
        f"({peak['isa']})"
    )
    print(
        f"  precision 'auto' here: {precision}; one step: {flops / 1e9:.3f} GFLOP "
        f"(FlopCounterMode); peak {peak_text}"
    )
    for name, value in gflops.items():
        share = (
            ""
            if peak["peak_gflops"] is None
            else (f" = {100 * value / peak['peak_gflops']:.1f} % of peak")
        )
        print(f"  {name:<24} {value:6.1f} GFLOP/s{share}")
    return train, ratios


def bench_prediction(args, X_l, y_l, X_test) -> tuple[dict, dict]:
    """Run 4: predict_proba against the module's own forward passes."""
    fit = dict(epochs=1, batch_size=args.batch_size, lr=args.lr, seed=0)
    clf = ns3l_fit(X_l, y_l, selector=None, **fit)
    net = clf.net_
    predict_batch = net.get_iterator(net.get_dataset(X_test)).batch_size
    today = pre_issue16_cnn(clf.module_)
    runs = {
        "today's forward": lambda: forward_only(today, X_test, predict_batch),
        "forward": lambda: forward_only(
            clf.module_, X_test, predict_batch, clf.precision_
        ),
        "predict_proba": lambda: clf.predict_proba(X_test),
    }
    times = interleaved(runs, args.repeats, args.warmup)
    predict = {}
    for name in runs:
        wall, cpu = times["wall"][name], times["cpu"][name]
        predict[name] = {"wall_s": wall, "cpu_s": cpu, "batch_size": predict_batch}
        print(
            f"  {name:<24} {len(X_test)} images in batches of {predict_batch}: "
            f"{median(wall):7.3f} s wall, {median(cpu):7.3f} s CPU  "
            f"(wall runs, s: {_runs(wall, 3)})"
        )
    ratios = {
        stat: {
            "predict_proba / forward": reduce(times[clock]["predict_proba"])
            / reduce(times[clock]["forward"]),
            "predict_proba / today's forward": reduce(times[clock]["predict_proba"])
            / reduce(times[clock]["today's forward"]),
        }
        for stat, (reduce, clock) in STATISTICS.items()
    }
    return predict, ratios


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.memory_child is not None:
        print(json.dumps(memory_child(json.loads(args.memory_child))))
        return {}

    X_all, y_all, X_test, source = load_images(args)
    X_semi, y_semi, X_l, y_l = semi_supervised_split(
        X_all, y_all, args.n_labelled, args.n_unlabelled
    )
    del X_all
    results: dict = {"machine": summary(), "data": source, "args": vars(args)}
    print(f"machine: {results['machine']}")
    print(
        f"data: {source}; {len(y_l)} labelled + {int((y_semi == -1).sum())} "
        f"unlabelled rows of {X_l.shape[1:]}; batches of {args.batch_size} rows; "
        f"medians of {args.repeats} alternating repeats after {args.warmup} "
        "warm-up round(s)"
    )
    ratios: dict = {stat: {} for stat in STATISTICS}
    if "train" in args.parts:
        results["train"], r = bench_training(args, X_semi, y_semi, X_l, y_l)
        for clock in ratios:
            ratios[clock].update(r[clock])
    if "predict" in args.parts:
        results["predict"], r = bench_prediction(args, X_l, y_l, X_test)
        for clock in ratios:
            ratios[clock].update(r[clock])
    if "memory" in args.parts:
        mem = results["memory"] = memory_run(args, X_l, y_l, __file__)
        ok = "ok" if mem["peak_rss_gib"] < MEMORY_TARGET_GIB else "MISSED"
        before = mem["rss_before_fit_gib"]
        print(
            f"  memmap fit: {mem['shape'][0]} x {mem['shape'][1]} float32 "
            f"({mem['file_gib']:.2f} GiB file), {mem['steps']} steps in "
            f"{mem['fit_seconds']:.1f} s; peak RSS {mem['peak_rss_gib']:.2f} GiB "
            f"({mem['peak_from']}; "
            + ("" if before is None else f"{before:.2f} GiB before fit; ")
            + f"ru_maxrss {mem['ru_maxrss_gib']:.2f} GiB, which includes the "
            f"parent's), target < {MEMORY_TARGET_GIB} GiB: {ok}"
        )
    if ratios["wall"]:
        print(
            "ratios (training: per step)                       "
            "median wall   median CPU   min wall"
        )
    for name in ratios["wall"]:
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = ratios["wall"][name] <= target
            verdict = f"  target <= {target}: {'ok' if ok else 'MISSED'}"
        print(
            f"  {name:<48} {ratios['wall'][name]:11.3f} {ratios['cpu'][name]:12.3f}"
            f" {ratios['wall_min'][name]:10.3f}{verdict}"
        )
    results["ratios"] = ratios
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
