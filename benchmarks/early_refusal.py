"""How soon a fit with a cheap error is refused, against the default's graph.

``NS3LClassifier.fit`` plans every decision before any work (issue #21): a
callback monitoring a key that is never recorded is refused before the
label-spreading graph of the default selector is built. This times, on the
same rows, (a) that refusal and (b) the graph alone
(``LabelSpreadingSelector().pool_negatives``, the default's first expensive
step), side by side in one run.

    python benchmarks/early_refusal.py [--rows 20000] [--features 784]

Rows are synthetic (10 Gaussian classes, 20 labels each, the rest -1), so
nothing is read from disk.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of X")
    parser.add_argument("--features", type=int, default=784, help="columns of X")
    parser.add_argument("--repeats", type=int, default=3, help="timings of each")
    args = parser.parse_args(argv)

    from skorch.callbacks import EarlyStopping

    from sklearn_ns3l import NS3LClassifier
    from sklearn_ns3l.selectors import LabelSpreadingSelector

    rng = np.random.RandomState(0)
    y_true = rng.randint(10, size=args.rows)
    centres = rng.randn(10, args.features).astype(np.float32)
    X = centres[y_true] + 2 * rng.randn(args.rows, args.features).astype(np.float32)
    labelled = np.concatenate([np.flatnonzero(y_true == c)[:20] for c in range(10)])
    y = np.full(args.rows, -1)
    y[labelled] = y_true[labelled]
    pool = np.flatnonzero(y == -1)

    def refusal() -> None:
        clf = NS3LClassifier(callbacks=[EarlyStopping(monitor="no_such_key")])
        try:
            clf.fit(X, y)
        except ValueError:
            return
        raise AssertionError("the fit was not refused")

    def graph() -> None:
        LabelSpreadingSelector(random_state=0).pool_negatives(
            X, labelled, y[labelled], pool
        )

    times = {}
    for name, run in (("refusal", refusal), ("graph", graph)):
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - start)
        times[name] = min(seconds)
        print(f"{name:8s} best of {args.repeats}: {times[name]:.3f} s", flush=True)
    ratio = times["refusal"] / times["graph"]
    print(f"refusal / graph = {ratio:.4f} ({args.rows} x {args.features} rows)")


if __name__ == "__main__":
    main()
