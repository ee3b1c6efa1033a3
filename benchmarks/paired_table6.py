"""Paired test errors of two Table 6 outputs: the same rows and seeds, run twice.

Used for issue 16 (a change of precision or network layout must not cost
accuracy): ``table6.py`` writes ``table6_<profile>.json`` once with each
package version (``PYTHONPATH``), and this prints, per row, both mean test
errors, the mean and sd of the per-seed differences (B - A) and whether
``|mean| < sd``.

Usage::

    python benchmarks/paired_table6.py A/table6_cpu-e10.json B/table6_cpu-e10.json
"""

from __future__ import annotations

import json
import statistics
import sys


def errors(path: str) -> dict:
    runs = json.load(open(path))["runs"]
    return {(r["row"], r["seed"]): 100 * r["error"] for r in runs}


def main(argv=None) -> None:
    a_path, b_path = (argv or sys.argv[1:])[:2]
    a, b = errors(a_path), errors(b_path)
    head = "| row | seeds | A: error % | B: error % | B - A, mean ± sd | within sd |"
    print(head)
    print("|---|---|---|---|---|---|")
    for row in dict.fromkeys(r for r, _ in a):
        seeds = sorted(s for r, s in a if r == row and (r, s) in b)
        xa = [a[row, s] for s in seeds]
        xb = [b[row, s] for s in seeds]
        diff = [y - x for x, y in zip(xa, xb, strict=True)]
        m, sd = statistics.mean(diff), statistics.stdev(diff)
        print(
            f"| {row} | {','.join(map(str, seeds))} | {statistics.mean(xa):.2f} ± "
            f"{statistics.stdev(xa):.2f} | {statistics.mean(xb):.2f} ± "
            f"{statistics.stdev(xb):.2f} | {m:+.2f} ± {sd:.2f} | "
            f"{'yes' if abs(m) < sd else 'no'} |"
        )


if __name__ == "__main__":
    main()
