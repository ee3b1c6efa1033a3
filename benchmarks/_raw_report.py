"""The peer benchmark's section on tables as they ship (issue #23).

Wine and breast cancer given unscaled share the splits of their standardised
twins (``_datasets.BenchmarkDataSet.raw_of``); each row is reported against
its own standardised run, apart from the balanced benchmark's verdicts.
"""

from __future__ import annotations

from _datasets import method_and_data_set, row_name
from _report import fmt_pm, paired_differences

__all__ = ["raw_tables"]


def raw_tables(entries, runs, data_sets) -> list[str]:
    """The section on tables as they ship: each row against its own standardised run.

    Empty without such runs. The rows of a raw table share the seeds, rows
    and labels of its standardised twin, so ``raw - standardised`` is paired
    over the splits.
    """
    twin_of = {d.key: d.raw_of for d in data_sets if d.raw_of}
    raw = [e for e in entries if e["data_set"] in twin_of]
    if not raw:
        return []
    lines = [
        "",
        "## Tables as they ship (issue #23)",
        "",
        "Wine and breast cancer again, unscaled, on the same splits as their "
        "standardised rows above: what a user who skips the scaler gets. "
        '`NS3LClassifier`\'s `scale="auto"` standardises such a table itself '
        "(columns whose ranges differ by more than a factor of 20); every "
        "scikit-learn peer takes it as given. Error in %, mean ± sd over the "
        "splits; *vs standardised*: the row's error minus its own error on "
        "the standardised table, paired over the splits (negative is better). "
        "These sets are left out of the verdicts above.",
    ]
    for e in raw:
        twin = twin_of[e["data_set"]]
        pairs = paired_differences(
            runs,
            [
                (row_name(name, e["data_set"]), row_name(name, twin))
                for name in e["rows"]
            ],
        )
        versus = {method_and_data_set(p["row"])[0]: p for p in pairs}
        lines += [
            "",
            f"### {e['title']}",
            "",
            "| Row | Error | vs standardised |",
            "|---|---:|---:|",
        ]
        for name, t in e["rows"].items():
            pair = versus.get(name)
            delta = (
                "—" if pair is None else fmt_pm(pair["mean"], pair["sd"], signed=True)
            )
            lines.append(f"| {name} | {fmt_pm(t['mean'], t['sd'])} | {delta} |")
    return lines
