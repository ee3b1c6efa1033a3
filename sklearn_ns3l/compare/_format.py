"""The results of :func:`~sklearn_ns3l.compare.compare` as text and as CSV."""

from __future__ import annotations

import csv
import math

import numpy as np

from ._cv import MethodResult
from ._peers import SUPERVISED_TWIN

__all__ = ["fmt_number", "fmt_pm", "format_results", "write_csv"]


def fmt_number(value: float, decimals: int = 2, signed: bool = False) -> str:
    """``value`` with ``decimals`` decimals; a value that rounds to zero has no minus.

    A difference of -0.001 shown as "-0.00" reads as "worse", though it is
    zero at the precision shown: it prints as 0 does ("0.00", or "+0.00" when
    ``signed``).

    Parameters
    ----------
    value : float
    decimals : int, default=2
    signed : bool, default=False
        Show the sign of a positive value too (``"+1.23"``).

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklearn_ns3l.compare import fmt_number
    >>> fmt_number(-0.001), fmt_number(-0.001, signed=True), fmt_number(-0.5)
    ('0.00', '+0.00', '-0.50')
    """
    if math.isfinite(value) and float(f"{value:.{decimals}f}") == 0:
        value = 0.0  # -0.001 and -0.0 alike
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def fmt_pm(mean: float, sd: float, signed: bool = False) -> str:
    """``"mean ± sd"`` with two decimals; ``"mean"`` when ``sd`` is NaN.

    Numbers as :func:`fmt_number` writes them: none shows "-0.00".

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
    >>> fmt_pm(97.531, 4.28), fmt_pm(-0.004, 0.1, signed=True)
    ('97.53 ± 4.28', '+0.00 ± 0.10')
    """
    if np.isnan(mean):
        return "—"
    m = fmt_number(mean, signed=signed)
    return m if np.isnan(sd) else f"{m} ± {fmt_number(sd)}"


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
                    *("" if np.isnan(v) else fmt_number(v, 4) for v in numbers),
                    ";".join(fmt_number(100 * s, 4) for s in r.scores),
                    r.note,
                    "; ".join(r.warnings),
                ]
            )
