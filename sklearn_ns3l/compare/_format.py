"""The results of :func:`~sklearn_ns3l.compare.compare` as text and as CSV."""

from __future__ import annotations

import csv

import numpy as np

from ._cv import MethodResult
from ._peers import SUPERVISED_TWIN

__all__ = ["fmt_pm", "format_results", "write_csv"]


def fmt_pm(mean: float, sd: float, signed: bool = False) -> str:
    """``"mean ± sd"`` with two decimals; ``"mean"`` when ``sd`` is NaN.

    Parameters
    ----------
    mean, sd : float
    signed : bool, default=False
        Show the sign of a positive mean (for differences).

    Returns
    -------
    text : str
        ``"—"`` when ``mean`` is NaN.

    Examples
    --------
    >>> from sklearn_ns3l.compare import fmt_pm
    >>> fmt_pm(97.531, 4.28), fmt_pm(-1.5, float("nan"), signed=True)
    ('97.53 ± 4.28', '-1.50')
    """
    if np.isnan(mean):
        return "—"
    m = f"{mean:+.2f}" if signed else f"{mean:.2f}"
    return m if np.isnan(sd) else f"{m} ± {sd:.2f}"


def format_results(results: list[MethodResult], n_folds: int) -> str:
    """The results as a plain-text table, best mean accuracy marked with ``*``.

    Parameters
    ----------
    results : list of MethodResult
    n_folds : int
        The folds they were measured on, for the table's legend.

    Returns
    -------
    text : str
    """
    width = max(len(r.method) for r in results)
    header = (
        f"{'method':<{width}}  {'accuracy %':>15}  {'Δ vs twin':>15}  {'s/fold':>7}"
    )
    lines = [header, "-" * len(header)]
    best = max((r.mean for r in results if not np.isnan(r.mean)), default=np.nan)
    for r in results:
        mark = " *" if r.mean == best else ""
        if r.note:
            lines.append(f"{r.method:<{width}}  {r.note}")
            continue
        lines.append(
            f"{r.method:<{width}}  {fmt_pm(r.mean, r.sd):>15}  "
            f"{fmt_pm(r.delta, r.delta_sd, signed=True):>15}  "
            f"{r.seconds_per_fold:7.2f}{mark}"
        )
    lines.append(
        f"accuracy: mean ± sd over {n_folds} folds of the labelled rows; Δ vs twin: "
        f"minus the {SUPERVISED_TWIN}'s on the same folds, in points; * best."
    )
    warned = [r for r in results if r.warnings]
    if warned:
        lines.append("Warnings during the fits:")
        lines += [f"  {r.method}: {'; '.join(r.warnings)}" for r in warned]
    return "\n".join(lines)


#: The CSV's columns, in order.
CSV_COLUMNS = (
    "method",
    "accuracy_mean",
    "accuracy_sd",
    "delta_vs_supervised_twin",
    "delta_sd",
    "seconds_per_fold",
    "fold_accuracies",
    "note",
    "warnings",
)


def write_csv(results: list[MethodResult], path) -> None:
    """One row per method: accuracy mean, sd, per fold, Δ vs the twin, seconds.

    Parameters
    ----------
    results : list of MethodResult
    path : str or path-like
        Overwritten. Numbers in percent (accuracy) or points (Δ) with four
        decimals; an empty cell where there is none (NaN).
    """
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            numbers = (r.mean, r.sd, r.delta, r.delta_sd, r.seconds_per_fold)
            writer.writerow(
                [
                    r.method,
                    *("" if np.isnan(v) else f"{v:.4f}" for v in numbers),
                    ";".join(f"{100 * s:.4f}" for s in r.scores),
                    r.note,
                    "; ".join(r.warnings),
                ]
            )
