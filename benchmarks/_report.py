"""A profile's outputs from its runs: a markdown table, a plot, a JSON of every run.

Everything here reads the runs' records (as the runner writes them, or as a
previous output JSON holds them) and the catalogue; nothing is trained. So the
outputs can be rewritten at any time from the cache, or from the JSON alone
(``--from-json FILE --report-only``).
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import numpy as np
from _catalogue import SUPERVISED, Catalogue
from _common import write_json


def in_table_order(runs: list[dict], catalogue: Catalogue) -> list[dict]:
    """Runs by the catalogue's row order (unknown rows last, by name), then seed."""
    order = {r.name: i for i, r in enumerate(catalogue.rows)}
    return sorted(
        runs, key=lambda r: (order.get(r["row"], len(order)), r["row"], r["seed"])
    )


def paired_differences(runs: list[dict], pairs) -> list[dict]:
    """Error of ``row`` minus that of ``other`` on the same seeds, in points."""
    by_row: dict[str, dict[int, float]] = {}
    for run in runs:
        by_row.setdefault(run["row"], {})[run["seed"]] = 100 * run["error"]
    out = []
    for row, other in pairs:
        a, b = by_row.get(row, {}), by_row.get(other, {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        diff = np.array([a[s] - b[s] for s in seeds])
        out.append(
            {
                "row": row,
                "other": other,
                "seeds": seeds,
                "differences": [float(d) for d in diff],
                "mean": float(diff.mean()),
                "sd": float(diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
            }
        )
    return out


def baseline_of(name: str, names, baseline: str = SUPERVISED) -> str:
    """The row a row is compared with: the baseline, or its variant.

    A row named ``"X, variant"`` is compared with ``"<baseline>, variant"``
    when that row exists (the same change made to the baseline); for
    ``"X, a, b"`` the longest such suffix wins (``"<baseline>, a, b"``, then
    ``"<baseline>, b"``).
    """
    parts = name.split(", ")
    for i in range(1, len(parts)):
        candidate = f"{baseline}, " + ", ".join(parts[i:])
        if candidate != name and candidate in names:
            return candidate
    return baseline


def summarise(runs: list[dict], catalogue: Catalogue) -> list[dict]:
    """Per row: mean and sd of the error (%), paired difference to the baseline."""
    by_row: dict[str, dict[int, dict]] = {}
    for run in runs:
        by_row.setdefault(run["row"], {})[run["seed"]] = run
    paper = {r.name: r.paper for r in catalogue.rows}
    to_baseline = {
        p["row"]: p
        for p in paired_differences(
            runs,
            [(name, baseline_of(name, by_row, catalogue.baseline)) for name in by_row],
        )
    }
    nan = {"mean": float("nan"), "sd": float("nan")}
    table = []
    for name, seeds in by_row.items():
        err = np.array([100 * seeds[s]["error"] for s in sorted(seeds)])
        secs = np.array([seeds[s]["seconds"] for s in sorted(seeds)])
        paired = to_baseline.get(name, nan)
        table.append(
            {
                "row": name,
                "seeds": sorted(seeds),
                "errors": [float(e) for e in err],
                "mean": float(err.mean()),
                "sd": float(err.std(ddof=1)) if len(err) > 1 else float("nan"),
                "paired_mean": paired["mean"],
                "paired_sd": paired["sd"],
                "seconds_mean": float(secs.mean()),
                "seconds_total": float(secs.sum()),
                "paper": paper.get(name),
            }
        )
    return table


def fmt_pm(mean: float, sd: float, signed: bool = False) -> str:
    m = f"{mean:+.2f}" if signed else f"{mean:.2f}"
    return m if np.isnan(sd) else f"{m} ± {sd:.2f}"


def elapsed_minutes(runs: list[dict]) -> float:
    """Minutes from the first run's start to the last run's end."""
    ends = [datetime.datetime.fromisoformat(r["finished"]) for r in runs]
    starts = [
        end - datetime.timedelta(seconds=r["seconds"])
        for end, r in zip(ends, runs, strict=True)
    ]
    return (max(ends) - min(starts)).total_seconds() / 60


def describe_machine(run: dict) -> str:
    m, v = run["machine"], run["versions"]
    gpu = f" ({m['gpu']})" if "gpu" in m else ""
    return (
        f"{m['cpu']}, {m['cpu_count']} cores, {m.get('jobs', 1)} run(s) at a "
        f"time with {m['torch_threads']} torch thread(s) each, device "
        f"`{m['device']}`{gpu}; torch {v['torch']}, scikit-learn {v['sklearn']}, "
        f"sklearn-ns3l {v['git']} (source {v.get('source_sha256', '?')})"
    )


def was_loaded(runs: list[dict]) -> bool:
    """Whether the machine had more to do than its cores during some run."""
    return any(max(r["load_average"]) > r.get("cpu_count", 1) + 0.5 for r in runs)


def markdown(catalogue: Catalogue, profile: str, table, runs, pairs) -> str:
    c, base = catalogue, catalogue.baseline
    n_test = " or ".join(f"{n:,}" for n in sorted({r["n_test"] for r in runs}))
    lines = [
        f"# {c.title}: profile `{profile}`",
        "",
        f"Profile: {c.profiles[profile].description}. Test error on {n_test} test "
        "images, in %, mean ± sd over seeds (sample sd). "
        f"*Δ vs {base}*: the row's error minus the {base} row's on the same seed "
        "(same split and unlabelled pool), mean ± sd; negative is better (a row "
        f"named 'X, variant' is compared with '{base}, variant' where there is "
        "one). "
        + (f"Paper: {c.paper}. " if c.paper else "")
        + "Time: wall seconds per run (fit and predict), on a machine that was "
        + (
            "shared with other jobs (see the load average in the JSON)"
            if was_loaded(runs)
            else "otherwise idle"
        )
        + ".",
        "",
        "| Method | Test error % (ours) | "
        + ("Paper | " if c.paper else "")
        + f"Δ vs {base} | Seeds | Time per run (s) |",
        "|---|---|---|---|---|" + ("---|" if c.paper else ""),
    ]
    for t in table:
        paper = "—" if t["paper"] is None else fmt_pm(*t["paper"])
        delta = (
            "—"
            if t["row"] == base or np.isnan(t["paired_mean"])
            else fmt_pm(t["paired_mean"], t["paired_sd"], signed=True)
        )
        lines.append(
            f"| {t['row']} | {fmt_pm(t['mean'], t['sd'])} | "
            + (f"{paper} | " if c.paper else "")
            + f"{delta} | {len(t['seeds'])} | {t['seconds_mean']:.0f} |"
        )
    total = sum(r["seconds"] for r in runs)
    settings = dataclasses.asdict(c.profiles[profile].settings)
    notes = [r for r in c.rows if r.note and any(t["row"] == r.name for t in table)]
    machines = sorted({describe_machine(r) for r in runs})
    commands = sorted({r["command"] for r in runs if r.get("command")})
    cpu = sum(r.get("cpu_seconds", 0.0) for r in runs)
    lines += [
        "",
        f"Time: {len(runs)} runs, {total / 60:.1f} min in all (sum of the runs' "
        f"wall times), {cpu / 60:.1f} min of CPU time; "
        f"{elapsed_minutes(runs):.1f} min from the first run's start to the "
        "last one's end.",
        "",
        "Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".",
        "",
        "Made on: " + "; ".join(machines) + ".",
        "",
        f"Command (runs what is missing, then rewrites this table from the "
        f"cache): `python {c.script} --profile {profile}`. The runs "
        "came from: " + ", ".join(f"`{cmd}`" for cmd in commands) + ".",
    ]
    if pairs:
        lines += [
            "",
            "Paired differences (first row's error minus the second's on the "
            "same seeds, in points; negative: the first is better):",
            "",
            "| Row | Compared with | Δ, mean ± sd | Per seed |",
            "|---|---|---|---|",
        ] + [
            f"| {p['row']} | {p['other']} | {fmt_pm(p['mean'], p['sd'], signed=True)} "
            f"| {', '.join(f'{d:+.2f}' for d in p['differences'])} |"
            for p in pairs
        ]
    if notes:
        lines += [""] + [f"- **{r.name}**: {r.note}" for r in notes]
    return "\n".join(lines) + "\n"


def plot(catalogue: Catalogue, table, path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install '.[plot]'): no plot.")
        return False
    ours = table[::-1]
    names = [t["row"] for t in ours]
    ypos = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(names) + 1.4))
    ax.errorbar(
        [t["mean"] for t in ours],
        ypos + 0.12,
        xerr=[0 if np.isnan(t["sd"]) else t["sd"] for t in ours],
        fmt="o",
        color="tab:blue",
        capsize=3,
        label="ours (mean ± sd over seeds)",
    )
    for i, t in enumerate(ours):
        ax.plot(
            t["errors"],
            [i + 0.12] * len(t["errors"]),
            "|",
            color="tab:blue",
            alpha=0.45,
            ms=9,
            label="ours, one seed" if i == 0 else None,
        )
    with_paper = [(i, t) for i, t in enumerate(ours) if t["paper"] is not None]
    if with_paper:
        ax.errorbar(
            [t["paper"][0] for _, t in with_paper],
            [i - 0.12 for i, _ in with_paper],
            xerr=[t["paper"][1] for _, t in with_paper],
            fmt="s",
            color="tab:orange",
            capsize=3,
            label=catalogue.paper_label,
        )
    base = next((t for t in table if t["row"] == catalogue.baseline), None)
    if base is not None:
        ax.axvline(base["mean"], color="tab:blue", lw=0.8, ls=":")
    ax.set_yticks(ypos, names)
    ax.set_xlabel(catalogue.xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return True


def write_outputs(
    catalogue: Catalogue, profile: str, runs: list[dict], out_dir: Path
) -> list[Path]:
    """``<name>_<profile>.md``, ``.png`` and ``.json`` from every run given.

    Skipped records (``"skipped"`` in them) are listed under the table and
    kept in the JSON's ``"skipped"``, apart from the runs.
    """
    skips = in_table_order([r for r in runs if "skipped" in r], catalogue)
    runs = [r for r in runs if "skipped" not in r]
    if not runs:
        print("No finished runs yet: nothing to write.")
        return []
    runs = in_table_order(runs, catalogue)
    table = summarise(runs, catalogue)
    pairs = paired_differences(runs, catalogue.comparisons)
    md, png, js = (
        out_dir / f"{catalogue.name}_{profile}.{ext}" for ext in ("md", "png", "json")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(catalogue, profile, table, runs, pairs)
    if skips:
        text += "\nSkipped runs:\n\n" + "".join(
            f"- {r['row']} | seed {r['seed']}: {r['skipped']}\n" for r in skips
        )
    md.write_text(text)
    written = [md]
    if plot(catalogue, table, png, catalogue.plot_title.format(profile=profile)):
        written.append(png)
    write_json(
        js,
        run_record(
            catalogue,
            profile,
            summary=table,
            paired_differences=pairs,
            runs=runs,
            **({"skipped": skips} if skips else {}),
        ),
    )
    written.append(js)
    return written


def run_record(catalogue: Catalogue, profile: str, **parts) -> dict:
    """A benchmark's JSON: the profile, its description and settings, then ``parts``."""
    return {
        "profile": profile,
        "description": catalogue.profiles[profile].description,
        "settings": dataclasses.asdict(catalogue.profiles[profile].settings),
        **parts,
    }
