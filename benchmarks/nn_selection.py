"""Speed of nearest-neighbour negative selection, against its lower bound.

Part 1, at the paper's Fashion-MNIST scale (58,000 unlabelled x 2,000
labelled x 784 features; the real images when found, else uniform random
float32 data of that shape). Each timing is the best of ``--repeats`` rounds
that run every method in turn:

(a) ``NearestNeighbourSelector(rule=...).fit(X_l, y_l).transform(X_u)``, per
    rule: the exact per-class distance matrix plus the selection;
(b) scikit-learn ``NearestNeighbors(algorithm="brute", n_neighbors=1)`` fitted
    on each class's labelled rows, building the same per-class matrix;
(c) one BLAS product ``X_u @ X_l.T`` of the same shapes, the lower bound for
    any exact method;
(d) one FAISS ``IndexFlatL2`` per class (the alternative
    ``selectors/_per_class_search.py`` does not use for exact search).

Fashion-MNIST is read from ``--data-path``, else ``$NS3L_FASHION_MNIST``,
else ``<repo>/../shared/data/fashion_mnist.npz`` when present, else the Debian
package's directory; ``--synthetic`` (or no copy found) uses random data.

It prints a/c (target <= 1.3) and b/a (target >= 2), and the largest
difference between the matrices of (a) and (b).

Part 2, in a subprocess run before part 1 so that its peak memory is its
own: an approximate index (``--index``, default ``HNSW32``) over
``--labelled`` synthetic labelled rows, selecting for a pool of
``--pool-size`` (default 1,000,000) synthetic rows of 784 features. The pool
is generated and transformed in blocks of ``--block`` rows, so the benchmark
itself never holds it. Synthetic rows lie near a 32-dimensional subspace, one
Gaussian cluster per class, like image features (uniform noise in 784
dimensions has no neighbours worth finding). It prints the index build time,
the time of ``transform`` over the pool, the same for exact search
(``--no-exact`` skips it), the recall of the approximate per-class nearest
distances on the first ``--recall-queries`` pool rows against exact search,
and the peak resident set size (``ru_maxrss``) before and after.

With ``--precision``, only part 3: exact search on clustered points far
from the origin (offsets up to 1e7 with neighbours about 1 apart), against
float64 brute force, timed against one BLAS product and against the float32
expansion alone (``part_precision``).

Usage::

    python benchmarks/nn_selection.py
    python benchmarks/nn_selection.py --synthetic --pool-size 20000   # quick
    python benchmarks/nn_selection.py --precision
"""

from __future__ import annotations

import argparse
import os
import time

import faiss
import numpy as np
import sklearn
from _common import (
    fashion_mnist,
    interleaved,
    peak_rss_mib,
    run_part_in_child,
    summary,
    unit_images,
)
from sklearn.neighbors import NearestNeighbors

from sklearn_ns3l.datasets import hide_labels
from sklearn_ns3l.selectors import RULES, NearestNeighbourSelector

N_FEATURES = 784
N_CLASSES = 10


def fashion_mnist_or_synthetic(path, synthetic: bool):
    """(X_l, y_l, X_u, description): 2,000 labelled and 58,000 unlabelled rows."""
    if not synthetic:
        try:
            data = fashion_mnist(path)
        except (FileNotFoundError, ValueError) as exc:
            print(f"Fashion-MNIST not read ({exc}): synthetic data instead.")
        else:
            X = unit_images(data.X_train.reshape(len(data.X_train), -1))
            y_semi = hide_labels(data.y_train, 200, random_state=0)
            labelled = y_semi != -1
            return (
                X[labelled],
                y_semi[labelled].astype(int),
                X[~labelled],
                f"Fashion-MNIST train ({data.source})",
            )
    rng = np.random.default_rng(0)
    X_l = rng.random((2000, N_FEATURES), dtype=np.float32)
    y_l = np.repeat(np.arange(N_CLASSES), 200)
    X_u = rng.random((58000, N_FEATURES), dtype=np.float32)
    return X_l, y_l, X_u, "synthetic uniform float32"


def sklearn_per_class(X_l, y_l, X_u):
    columns = []
    for c in np.unique(y_l):
        nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(X_l[y_l == c])
        columns.append(nn.kneighbors(X_u)[0][:, 0])
    return np.column_stack(columns)


def faiss_flat_per_class(X_l, y_l, X_u):
    D = np.empty((len(X_u), N_CLASSES), dtype=np.float32)
    for c in np.unique(y_l):
        index = faiss.IndexFlatL2(X_l.shape[1])
        index.add(np.ascontiguousarray(X_l[y_l == c]))
        D[:, c] = np.sqrt(index.search(X_u, 1)[0][:, 0])
    return D


def part_exact(args) -> None:
    X_l, y_l, X_u, source = fashion_mnist_or_synthetic(args.data_path, args.synthetic)
    print(
        f"data: {source}; {len(X_u)} unlabelled x {len(X_l)} labelled x "
        f"{X_l.shape[1]} features, float32; best of {args.repeats} rounds; "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )
    runs = {
        rule: lambda r=rule: (
            NearestNeighbourSelector(r, random_state=0).fit(X_l, y_l).transform(X_u)
        )
        for rule in RULES
    }
    runs["blas"] = lambda: X_u @ X_l.T
    runs["sklearn"] = lambda: sklearn_per_class(X_l, y_l, X_u)
    runs["faiss"] = lambda: faiss_flat_per_class(X_l, y_l, X_u)
    best = {name: min(t) for name, t in interleaved(runs, args.repeats)["wall"].items()}
    ours = {rule: best[rule] for rule in RULES}
    t_blas, t_sklearn, t_faiss = best["blas"], best["sklearn"], best["faiss"]
    D_ours = NearestNeighbourSelector().fit(X_l, y_l).index_.distances(X_u)
    D_sklearn = sklearn_per_class(X_l, y_l, X_u)

    for rule, t in ours.items():
        print(f"(a) ours, rule={rule:<24} {t:8.3f} s")
    print(f"(b) sklearn NearestNeighbors brute, per class {t_sklearn:8.3f} s")
    print(f"(c) one BLAS product X_u @ X_l.T            {t_blas:8.3f} s")
    print(f"(d) FAISS IndexFlatL2 per class             {t_faiss:8.3f} s")
    for rule, t in ours.items():
        print(
            f"rule={rule:<24} a/c = {t / t_blas:5.2f} (target <= 1.3)   "
            f"b/a = {t_sklearn / t:5.2f} (target >= 2)"
        )
    print(
        "largest |ours - sklearn| distance: "
        f"{np.abs(D_ours - D_sklearn).max():.2e} (distances up to "
        f"{D_sklearn.max():.1f})"
    )


def synthetic_rows(seed: int, n: int, y: np.ndarray | None = None):
    """Rows near a 32-dimensional subspace, one Gaussian cluster per class."""
    model = np.random.default_rng(12345)
    basis = model.standard_normal((32, N_FEATURES), dtype=np.float32) / 6
    centres = model.standard_normal((N_CLASSES, 32), dtype=np.float32) * 2
    rng = np.random.default_rng(seed)
    if y is None:
        y = rng.integers(N_CLASSES, size=n)
    latent = centres[y] + rng.standard_normal((n, 32), dtype=np.float32)
    X = latent @ basis
    X += 0.05 * rng.standard_normal(X.shape, dtype=np.float32)
    return X


def part_approx(args) -> None:
    y_l = np.repeat(np.arange(N_CLASSES), args.labelled // N_CLASSES)
    X_l = synthetic_rows(0, len(y_l), y_l)
    rss_before = peak_rss_mib()
    print(
        f"approximate: index={args.index!r}, pool {args.pool_size} x {N_FEATURES} "
        f"synthetic float32 in blocks of {args.block}, {len(X_l)} labelled"
    )

    def stream(selector):
        """Fit, then transform the pool block by block; (fit s, transform s)."""
        start = time.perf_counter()
        selector.fit(X_l, y_l)
        fit_time, transform_time = time.perf_counter() - start, 0.0
        mask = np.empty((args.pool_size, N_CLASSES), dtype=bool)
        for i, start_row in enumerate(range(0, args.pool_size, args.block)):
            n = min(args.block, args.pool_size - start_row)
            X = synthetic_rows(1 + i, n)
            start = time.perf_counter()
            mask[start_row : start_row + n] = selector.transform(X)
            transform_time += time.perf_counter() - start
        return fit_time, transform_time

    approx = NearestNeighbourSelector("nn_furthest", index=args.index)
    fit_time, transform_time = stream(approx)
    print(f"approximate: fit (index build) {fit_time:8.3f} s")
    print(f"approximate: transform of pool {transform_time:8.3f} s")

    exact = NearestNeighbourSelector("nn_furthest").fit(X_l, y_l)
    if not args.no_exact:
        fit_time, transform_time = stream(exact)
        print(f"exact:       fit               {fit_time:8.3f} s")
        print(f"exact:       transform of pool {transform_time:8.3f} s")

    queries = synthetic_rows(1, min(args.recall_queries, args.block, args.pool_size))
    D_exact = exact.index_.distances(queries)
    D_approx = approx.index_.distances(queries)
    recall = np.isclose(D_approx, D_exact, rtol=1e-4, atol=1e-4).mean()
    same_rule = (D_approx.argmax(axis=1) == D_exact.argmax(axis=1)).mean()
    print(
        f"approximate: recall of per-class nearest distance on {len(queries)} "
        f"pool rows x {N_CLASSES} classes: {recall:.4f}; furthest class "
        f"unchanged for {same_rule:.4f} of rows"
    )
    print(
        f"peak RSS: {rss_before:.0f} MiB after imports and labelled data, "
        f"{peak_rss_mib():.0f} MiB at the end (pool alone would be "
        f"{args.pool_size * N_FEATURES * 4 / 2**20:.0f} MiB)"
    )


def float32_only_per_class(X_l, y_l, X_q):
    """The float32 expansion alone, as exact search computed it before it
    bounded its error: classes sorted, centred on the labelled mean, one
    product and a per-class minimum."""
    order = np.argsort(y_l, kind="stable")
    starts = np.searchsorted(y_l[order], np.unique(y_l))
    X = X_l[order]
    shift = X.mean(axis=0, dtype=np.float64).astype(np.float32)
    X, q = X - shift, X_q - shift
    g = q @ (-2.0 * X).T + np.einsum("ij,ij->i", X, X)
    D = np.minimum.reduceat(g, starts, axis=1) + np.einsum("ij,ij->i", q, q)[:, None]
    return np.sqrt(np.maximum(D, 0.0))


def float64_per_class(X_l, y_l, X_q, block=64):
    """Per-class nearest distances by float64 differences: the reference."""
    x, out = X_l.astype(np.float64), []
    for start in range(0, len(X_q), block):
        diff = X_q[start : start + block, None].astype(np.float64) - x[None]
        d = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        out.append(np.column_stack([d[:, y_l == c].min(axis=1) for c in range(10)]))
    return np.concatenate(out)


def part_precision(args) -> None:
    """Exact search far from the origin: agreement with float64, and its cost.

    Labelled points in clusters spread over 1e4 (metres, say) with neighbours
    about 1 apart, queries about 1 from labelled points, the whole cloud moved
    by an offset (ECEF coordinates sit near 4e6). For each offset and each
    number of features, against float64 brute force on the same float32
    values: the share of queries whose nearest class differs, the largest
    relative distance error, and the time of (a) the exact selector's search,
    (c) one BLAS product of the same shapes, (e) the float32 expansion alone
    (what exact search computed before it bounded its error) and (f) the
    float64 reference itself.
    """
    rng = np.random.default_rng(0)
    n_l, n_q = 2000, args.precision_queries
    print(
        f"precision: {n_l} labelled in 200 clusters spread over 1e4, {n_q} "
        "queries about 1 from them, 10 classes, float32; best of "
        f"{args.repeats} rounds"
    )
    for n_features in (3, 64):
        centres = rng.uniform(-1e4, 1e4, (200, n_features))
        base = rng.standard_normal((n_l, n_features))
        cloud = centres[np.arange(n_l) % 200] + base
        y_l = rng.integers(0, N_CLASSES, n_l)
        y_l[:N_CLASSES] = np.arange(N_CLASSES)
        picks = rng.integers(0, n_l, n_q)
        for offset in (0.0, 1e3, 1e6, 1e7):
            X_l = (offset + cloud).astype(np.float32)
            noise = rng.standard_normal((n_q, n_features)).astype(np.float32)
            for name, (wrong, error, t, t_blas) in precision_of(
                X_l, y_l, X_l[picks] + noise, args.repeats
            ).items():
                print(
                    f"  {n_features:2d} features, offset {offset:7.0e}: {name}: "
                    f"wrong nearest {wrong:6.2%}, max relative error {error:9.2e}, "
                    f"{t:.3f} s ({t / t_blas:5.2f} x (c) {t_blas:.3f} s)"
                )


def precision_of(X_l, y_l, X_q, repeats: int) -> dict:
    """{method: (share of wrong nearest classes, max relative error, s, (c) s)}."""
    index = NearestNeighbourSelector().fit(X_l, y_l).index_
    truth = float64_per_class(X_l, y_l, X_q)
    runs = {
        "(a) ours": lambda: index.distances(X_q),
        "(e) f32 only": lambda: float32_only_per_class(X_l, y_l, X_q),
        "(f) float64": lambda: float64_per_class(X_l, y_l, X_q),
    }
    timed_runs = {**runs, "blas": lambda: X_q @ X_l.T}
    best = {n: min(t) for n, t in interleaved(timed_runs, repeats)["wall"].items()}
    report = {}
    for name, run in runs.items():
        D = run()
        wrong = np.mean(D.argmin(axis=1) != truth.argmin(axis=1))
        # Relative, and absolute where the true distance is 0 (duplicates).
        error = np.abs(D - truth) / np.where(truth > 0, truth, 1.0)
        report[name] = (wrong, error.max(), best[name], best["blas"])
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-path", default=None, help="Fashion-MNIST npz or dir")
    parser.add_argument("--synthetic", action="store_true", help="skip real data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=1_000_000)
    parser.add_argument("--labelled", type=int, default=2000)
    parser.add_argument("--index", default="HNSW32", help="FAISS factory string")
    parser.add_argument("--block", type=int, default=20_000)
    parser.add_argument("--recall-queries", type=int, default=2000)
    parser.add_argument("--no-exact", action="store_true", help="part 2: no exact run")
    parser.add_argument("--part", choices=["all", "exact", "approx"], default="all")
    parser.add_argument(
        "--precision", action="store_true", help="only exact search far from 0"
    )
    parser.add_argument("--precision-queries", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.precision:
        part_precision(args)
        return

    if args.part == "all":
        # Part 2 runs first, so that its peak RSS is its own.
        child = run_part_in_child(__file__, argv, "approx")
    if args.part in ("all", "exact"):
        print(
            f"machine: {summary()}; scikit-learn {sklearn.__version__}, faiss "
            f"{faiss.__version__} ({faiss.omp_get_max_threads()} OpenMP threads)"
        )
        part_exact(args)
    if args.part == "all":
        print(child.stdout, end="")
    elif args.part == "approx":
        part_approx(args)


if __name__ == "__main__":
    main()
