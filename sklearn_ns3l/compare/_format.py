"""The results of :func:`~sklearn_ns3l.compare.compare` as text and as CSV."""

from __future__ import annotations

import csv
import math

import numpy as np

from ._cv import MethodResult
from ._peers import SUPERVISED_TWIN
from ._ranking import Ranking

__all__ = ["CSV_COLUMNS", "fmt_number", "fmt_pm", "format_results", "write_csv"]


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


def format_results(
    results: list[MethodResult], n_folds: int, ranking: Ranking | None = None
) -> str:
    """The results as a plain-text table, each method ranked, the metric named.

    Parameters
    ----------
    results : list of MethodResult
    n_folds : int
        The folds they were measured on, for the table's legend.
    ranking : Ranking or None, default=None
        What to rank by, :func:`~sklearn_ns3l.compare.ranking_for` of the
        table's target. Where its classes are imbalanced the table adds a
        balanced-accuracy column, ranks by it and gives the difference to
        the twin in it; else it ranks by accuracy. None: by accuracy, with
        no word on the classes' balance.

    Returns
    -------
    text : str
        One line per method (its note, if it did not run), then a legend
        naming the ranking metric and the rule that chose it, then the
        warnings the fits gave.
    """
    balanced = ranking is not None and ranking.imbalanced
    by = ranking if ranking is not None else Ranking(1.0)
    width = max(len(r.method) for r in results)
    delta_name = "Δ bal. vs twin" if balanced else "Δ vs twin"
    header = (
        f"{'method':<{width}}  {'accuracy %':>15}  "
        + (f"{'balanced acc. %':>15}  " if balanced else "")
        + f"{delta_name:>15}  {'s/fold':>7}  rank"
    )
    lines = [header, "-" * len(header)]
    for r, rank in zip(results, by.ranks(results), strict=True):
        if r.note:
            lines.append(f"{r.method:<{width}}  {r.note}")
            continue
        lines.append(
            f"{r.method:<{width}}  {fmt_pm(r.mean, r.sd):>15}  "
            + (f"{fmt_pm(r.balanced_mean, r.balanced_sd):>15}  " if balanced else "")
            + f"{fmt_pm(*by.delta(r), signed=True):>15}  "
            f"{r.seconds_per_fold:7.2f}  {rank:>4}"
        )
    scores = "accuracy and balanced accuracy" if balanced else "accuracy"
    lines.append(
        f"{scores}: mean ± sd over {n_folds} folds of the labelled rows; "
        f"{delta_name}: {'balanced accuracy' if balanced else 'accuracy'} minus "
        f"the {SUPERVISED_TWIN}'s on the same folds, in points; rank: 1 is best."
    )
    lines.append(by.describe() if ranking is not None else "Ranked by accuracy.")
    warned = [r for r in results if r.warnings]
    if warned:
        lines.append("Warnings during the fits:")
        lines += [f"  {r.method}: {'; '.join(r.warnings)}" for r in warned]
    return "\n".join(lines)


#: The CSV's columns, in order. Balanced accuracy is written for every table;
#: ``rank`` follows ``ranked_by``, the metric :func:`format_results` ranks by.
CSV_COLUMNS = (
    "method",
    "accuracy_mean",
    "accuracy_sd",
    "delta_vs_supervised_twin",
    "delta_sd",
    "balanced_accuracy_mean",
    "balanced_accuracy_sd",
    "balanced_delta_vs_supervised_twin",
    "balanced_delta_sd",
    "seconds_per_fold",
    "rank",
    "ranked_by",
    "fold_accuracies",
    "fold_balanced_accuracies",
    "note",
    "warnings",
)


def write_csv(
    results: list[MethodResult], path, ranking: Ranking | None = None
) -> None:
    """One row per method: accuracy and balanced accuracy, Δ vs the twin, rank.

    Parameters
    ----------
    results : list of MethodResult
    path : str or path-like
        Overwritten. Columns :data:`CSV_COLUMNS`, the same for every table:
        numbers in percent (accuracy, balanced accuracy) or points (Δ) with
        four decimals, per fold separated by ``;``; an empty cell where there
        is none (NaN, or a method that did not run).
    ranking : Ranking or None, default=None
        As in :func:`format_results`: the ``rank`` column's metric, named in
        ``ranked_by``. None: accuracy.
    """
    by = ranking if ranking is not None else Ranking(1.0)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r, rank in zip(results, by.ranks(results), strict=True):
            numbers = (
                r.mean,
                r.sd,
                r.delta,
                r.delta_sd,
                r.balanced_mean,
                r.balanced_sd,
                r.balanced_delta,
                r.balanced_delta_sd,
                r.seconds_per_fold,
            )
            writer.writerow(
                [
                    r.method,
                    *("" if np.isnan(v) else fmt_number(v, 4) for v in numbers),
                    "" if rank is None else rank,
                    by.metric,
                    ";".join(fmt_number(100 * s, 4) for s in r.scores),
                    ";".join(fmt_number(100 * s, 4) for s in r.balanced_scores),
                    r.note,
                    "; ".join(r.warnings),
                ]
            )
