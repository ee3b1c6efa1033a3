"""The outputs of ``long_tailed.py``: tables per set, wrong negatives, a plot, a JSON.

Rows are named ``"<method>, <data set>"`` (``_datasets.row_name``); each
run's record holds what ``long_tailed.measure`` measured (``"measures"``).
Everything here is read from the records; nothing is trained, and the same
runs give the same files (``--from-json FILE --report-only`` rewrites them).
The full profile's outputs are ``long_tailed.{md,png,json}``, another
profile's ``long_tailed_<profile>.*``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from _common import write_json
from _datasets import row_name
from _report import describe_machine, elapsed_minutes, in_table_order, was_loaded

from sklearn_ns3l.compare import NS3L_DEFAULT, SUPERVISED_TWIN

__all__ = ["collect", "write_report"]

#: The measures of a run compared row by row, in % (key, column heading).
METRICS = (
    ("balanced_accuracy", "Balanced accuracy %"),
    ("macro_f1", "Macro-F1 %"),
    ("rarest_recall", "Rarest recall %"),
)


def _mean_sd(values) -> dict:
    a = np.asarray(values, float)
    return {
        "mean": float(a.mean()) if len(a) else float("nan"),
        "sd": float(a.std(ddof=1)) if len(a) > 1 else float("nan"),
    }


def _worst(cells) -> tuple[float, int]:
    """The largest defined rate of ``(rate, count)`` pairs, and its count.

    ``count``: the rows or negatives the rate is a share of; of equal rates
    the one resting on more wins.
    """
    cells = [(r, n) for r, n in cells if r is not None]
    if not cells:
        return float("nan"), 0
    rate, n = max(cells)
    return float(rate), int(n)


def _negatives(runs: list[dict]) -> dict | None:
    """The worst per-class wrong-negative rates (classes with negatives, splits)."""
    negs = [r["measures"]["negatives"] for r in runs if "negatives" in r["measures"]]
    if not negs:
        return None
    pool = [n["wrong_negative_rate"] for n in negs]
    # The share of class-c rows with c marked: only classes that got
    # negatives (a class with none has no such row either way).
    rows, rows_n = _worst(
        (rate, n_rows)
        for n in negs
        for rate, n_rows, given in zip(
            n["class_wrong_rate"], n["class_rows"], n["class_negatives"], strict=True
        )
        if given > 0
    )
    negatives, negatives_n = _worst(
        (rate, given)
        for n in negs
        for rate, given in zip(
            n["class_wrong_negative_rate"], n["class_negatives"], strict=True
        )
    )
    # Each class's pool share against the bound its calibration gave it.
    bounded = [
        (rate, bound)
        for n in negs
        for rate, bound, given in zip(
            n["class_wrong_rate"],
            n.get("class_rate_bounds_") or [None] * len(n["class_rows"]),
            n["class_negatives"],
            strict=True,
        )
        if given > 0 and bound is not None
    ]
    return {
        "source": negs[0]["source"],
        "classes_bounded": len(bounded),
        "classes_over_bound": sum(rate > bound for rate, bound in bounded),
        "worst_class_wrong_rate": rows,
        "worst_class_wrong_rate_rows": rows_n,
        "worst_class_wrong_negative_rate": negatives,
        "worst_class_wrong_negative_rate_negatives": negatives_n,
        "pool_wrong_negative_rate": _mean_sd([p for p in pool if p is not None]),
        "negatives_per_sample": _mean_sd([n["negatives_per_sample"] for n in negs]),
    }


def collect(runs, methods, data_sets, baseline: str = SUPERVISED_TWIN) -> list[dict]:
    """Per data set: every row's measures (mean, sd), paired differences to the twin."""
    by_row: dict[str, dict[int, dict]] = {}
    for run in runs:
        by_row.setdefault(run["row"], {})[run["seed"]] = run
    entries = []
    for d in data_sets:
        twin = by_row.get(row_name(baseline, d.key), {})
        rows = {}
        for m in methods:
            seeds = by_row.get(row_name(m.name, d.key))
            if not seeds:
                continue
            order = sorted(seeds)
            t = {"method": m.name, "ns3l": m.ns3l, "seeds": order}
            for key, _ in (*METRICS, ("accuracy", "")):
                values = [100 * seeds[s]["measures"][key] for s in order]
                t[key] = {"per_seed": values, **_mean_sd(values)}
                paired = [s for s in order if s in twin]
                diff = [
                    100 * (seeds[s]["measures"][key] - twin[s]["measures"][key])
                    for s in paired
                ]
                t[f"{key}_vs_twin"] = {"per_seed": diff, **_mean_sd(diff)}
            t["seconds"] = float(np.mean([seeds[s]["seconds"] for s in order]))
            t["negatives"] = _negatives([seeds[s] for s in order])
            rows[m.name] = t
        if not rows:
            continue
        seeds = by_row[row_name(next(iter(rows)), d.key)]
        first = seeds[min(seeds)]
        entries.append(
            {
                "data_set": d.key,
                "title": d.title,
                "transductive": d.transductive,
                "images": d.images,
                "n_labelled": first["n_labelled"],
                "n_unlabelled": first["n_unlabelled"],
                "n_test": first["n_test"],
                "class_train_rows": first["measures"]["class_train_rows"],
                "rows": rows,
            }
        )
    return entries


def _pm(stat: dict, signed: bool = False) -> str:
    if np.isnan(stat["mean"]):
        return "—"
    m = f"{stat['mean']:+.2f}" if signed else f"{stat['mean']:.2f}"
    return m if np.isnan(stat["sd"]) else f"{m} ± {stat['sd']:.2f}"


def _pct(value: float) -> str:
    return "—" if value is None or np.isnan(value) else f"{100 * value:.1f}"


def _above(a: float, b: float) -> bool:
    """``a > b`` beyond rounding: means of the same per-split values tie."""
    return a > b + 1e-9


def summary_lines(entries, target: float = 0.05) -> list[str]:
    """Plain sentences: where a peer wins, where the default does not beat the twin.

    ``target``: the default's wrong-negative target, against which its worst
    per-class share of wrong negatives is set.
    """
    peer_wins, no_gain, rare_loss, beats, balanced = [], [], [], [], []
    above, above_negatives, over = [], [], [0, 0]
    for e in entries:
        rows, default = e["rows"], e["rows"].get(NS3L_DEFAULT)
        if default is None:
            continue
        d_ba = default["balanced_accuracy"]["mean"]
        peers = [t for t in rows.values() if not t["ns3l"]]
        better = [t for t in peers if _above(t["balanced_accuracy"]["mean"], d_ba)]
        if better:
            peer_wins.append(
                f"{e['title']}: "
                + ", ".join(
                    f"{t['method']} ({t['balanced_accuracy']['mean']:.2f} against "
                    f"{d_ba:.2f})"
                    for t in better
                )
            )
        if peers and not better:
            beats.append(e["title"])
        gain = default["balanced_accuracy_vs_twin"]
        if not _above(gain["mean"], 0.0):
            no_gain.append(f"{e['title']} ({_pm(gain, signed=True)} points)")
        rare = default["rarest_recall_vs_twin"]
        sd = 0.0 if np.isnan(rare["sd"]) else rare["sd"]
        if _above(-sd, rare["mean"]):
            rare_loss.append(f"{e['title']} ({_pm(rare, signed=True)} points)")
        twin_balanced = rows.get(f"{SUPERVISED_TWIN}, balanced")
        if twin_balanced and _above(twin_balanced["balanced_accuracy"]["mean"], d_ba):
            balanced.append(e["title"])
        neg = default["negatives"]
        if neg and neg["worst_class_wrong_rate"] > target:
            above.append(
                f"{e['title']} ({_pct(neg['worst_class_wrong_rate'])} % of "
                f"{neg['worst_class_wrong_rate_rows']} rows"
                + (", uncalibrated)" if e.get("images") else ")")
            )
        if neg and neg["worst_class_wrong_negative_rate"] > target:
            above_negatives.append(
                f"{e['title']} ({_pct(neg['worst_class_wrong_negative_rate'])} % "
                f"of {neg['worst_class_wrong_negative_rate_negatives']})"
            )
        if neg:
            over[0] += neg["classes_over_bound"]
            over[1] += neg["classes_bounded"]
    n = sum(NS3L_DEFAULT in e["rows"] for e in entries)
    return [
        f"- **A peer has a higher balanced accuracy than {NS3L_DEFAULT} on "
        f"{len(peer_wins)} of {n} sets**"
        + (": " + "; ".join(peer_wins) + "." if peer_wins else "."),
        f"- {NS3L_DEFAULT} has a higher balanced accuracy than every peer on "
        f"{len(beats)} of {n}" + (": " + "; ".join(beats) + "." if beats else "."),
        f"- **{NS3L_DEFAULT} does not beat its supervised twin's balanced "
        f"accuracy on {len(no_gain)} of {n} sets**"
        + (": " + "; ".join(no_gain) + "." if no_gain else "."),
        f"- Its rarest classes' recall is below the twin's by more than the sd "
        f"of the paired differences on {len(rare_loss)} of {n}"
        + (": " + "; ".join(rare_loss) + "." if rare_loss else "."),
        f'- The twin with `class_weight="balanced"` has a higher balanced '
        f"accuracy than {NS3L_DEFAULT} on {len(balanced)} of {n}"
        + (": " + "; ".join(balanced) + "." if balanced else "."),
        f"- {NS3L_DEFAULT}'s worst per-class share of a class's pool rows "
        f"that have their class marked negative (what its per-class "
        f"calibration bounds on feature vectors; on images its graph is on "
        f"the network's features at the fixed T = 0.01, uncalibrated; over the "
        f"classes that got negatives and the splits) is above "
        f"{100 * target:.0f} % on {len(above)} of {n}"
        + (": " + "; ".join(above) + "." if above else ".")
        + f" Against each class's own bound (`class_rate_bounds_`, j / (m + 1) "
        f"over its m held-out rows, where the graph is calibrated): above it "
        f"on {over[0]} of {over[1]} (class, split) pairs.",
        f"- Its worst per-class share of wrong negatives among those given to "
        f"a class's rows is above {100 * target:.0f} % on "
        f"{len(above_negatives)} of {n}"
        + (": " + "; ".join(above_negatives) + "." if above_negatives else "."),
    ]


def set_table(e: dict) -> list[str]:
    sizes = ", ".join(str(n) for n in sorted(e["class_train_rows"], reverse=True))
    test = (
        "the pool itself (transductive)"
        if e["transductive"]
        else f"{e['n_test']:,} rows"
    )
    lines = [
        f"### {e['title']}",
        "",
        f"{e['n_labelled']} labelled and {e['n_unlabelled']:,} unlabelled "
        f"training rows (split 0; training rows per class: {sizes}); test: {test}.",
        "",
        "| Row | Balanced accuracy % | Macro-F1 % | Rarest recall % | "
        "Δ bal. acc. vs twin | Δ rarest recall vs twin | Accuracy % | s/run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in e["rows"].values():
        twin = t["method"] == SUPERVISED_TWIN
        lines.append(
            f"| {t['method']} | {_pm(t['balanced_accuracy'])} | {_pm(t['macro_f1'])} "
            f"| {_pm(t['rarest_recall'])} | "
            + ("—" if twin else _pm(t["balanced_accuracy_vs_twin"], signed=True))
            + " | "
            + ("—" if twin else _pm(t["rarest_recall_vs_twin"], signed=True))
            + f" | {_pm(t['accuracy'])} | {t['seconds']:.0f} |"
        )
    return lines + [""]


def negatives_table(entries) -> list[str]:
    methods = []
    for e in entries:
        for t in e["rows"].values():
            if t["negatives"] and t["method"] not in methods:
                methods.append(t["method"])
    if not methods:
        return []
    lines = [
        "## Wrong negatives per class",
        "",
        "Per NS3L row with negatives and per set: the worst class, over the "
        "classes that got any negatives and over the splits, of *rows* (the "
        "share of the pool rows of class c that have c marked negative, "
        "`class_wrong_rate`) / *negatives* (the share of the negatives given to "
        "class-c rows that are wrong, `class_wrong_negative_rate`), each with "
        "[the rows, or the negatives, that worst share is of], then the "
        "pool-wide wrong-negative rate (mean over splits), all in %. Measured "
        "on the pool with `sklearn_ns3l.negative_label_quality` against the "
        "mask the network trained with (`pool_negatives_`); for the threshold "
        "rule, which has none, the fitted network's `predict_proba` of the "
        "pool below T. The default's per-class calibration bounds the first "
        "share (each class's rows); its pool-wide one, the share of wrong "
        "negatives over the whole pool (the last number). —: not run (the "
        "ablations of the calibration, on images).",
        "",
        "| Row | " + " | ".join(e["data_set"] for e in entries) + " |",
        "|---|" + "---|" * len(entries),
    ]
    for name in methods:
        cells = []
        for e in entries:
            neg = e["rows"].get(name, {}).get("negatives")
            cells.append(
                "—"
                if not neg
                else "no negatives"
                if neg["negatives_per_sample"]["mean"] == 0
                else f"{_pct(neg['worst_class_wrong_rate'])} "
                f"[{neg['worst_class_wrong_rate_rows']}] / "
                f"{_pct(neg['worst_class_wrong_negative_rate'])} "
                f"[{neg['worst_class_wrong_negative_rate_negatives']}] "
                f"({_pct(neg['pool_wrong_negative_rate']['mean'])})"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def markdown(catalogue, profile, entries, runs, skips, methods) -> str:
    c = catalogue
    machines = sorted({describe_machine(r) for r in runs})
    commands = sorted({r["command"] for r in runs if r.get("command")})
    settings = dataclasses.asdict(c.profiles[profile].settings)
    stem = "long_tailed" if profile == "full" else f"long_tailed_{profile}"
    total = sum(r["seconds"] for r in runs)
    lines = [
        f"# {c.title}" + ("" if profile == "full" else f": profile `{profile}`"),
        "",
        f"Profile: {c.profiles[profile].description}. Every row of a set is "
        "fitted on the same split of a seed. Balanced accuracy (the mean recall "
        "over classes), macro-F1 and the recall of the rarest classes (the 3 "
        "with the fewest training rows, which change with the split; the rarer "
        "class of a binary set) on a balanced test set (USPS: its unlabelled "
        "points), in %, mean ± sd over splits (sample sd). *Δ vs twin*: the "
        f"row's value minus the {SUPERVISED_TWIN}'s on the same split, mean ± "
        "sd, in points; positive is better. Time: wall seconds per run on a "
        "machine that was "
        + ("shared with other jobs" if was_loaded(runs) else "otherwise idle")
        + ".",
        "",
        "## Summary",
        "",
        *summary_lines(entries),
        "",
        f"![balanced accuracy per set]({stem}.png)",
        "",
        "## Per data set",
        "",
    ]
    for e in entries:
        lines += set_table(e)
    lines += negatives_table(entries)
    notes = [m for m in methods if m.note]
    lines += ["## Rows", ""] + [f"- **{m.name}**: {m.note}" for m in notes]
    lines += [
        "",
        "## How it was made",
        "",
        f"Time: {len(runs)} runs, {total / 60:.1f} min in all (sum of the runs' "
        f"wall times); {elapsed_minutes(runs):.1f} min from the first run's "
        "start to the last one's end.",
        "",
        "Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".",
        "",
        "Made on: " + "; ".join(machines) + ".",
        "",
        f"Command (runs what is missing, then rewrites this page from the "
        f"cache): `python {c.script} --profile {profile}`. The runs came from: "
        + ", ".join(f"`{cmd}`" for cmd in commands)
        + ".",
    ]
    if skips:
        lines += ["", "Skipped runs:", ""] + [
            f"- {r['row']} | seed {r['seed']}: {r['skipped'].splitlines()[0]}"
            for r in skips
        ]
    return "\n".join(lines) + "\n"


def plot(entries, methods, path: Path, title: str) -> bool:
    """Balanced accuracy per row, one panel per set, the twin's mean dotted."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install '.[plot]'): no plot.")
        return False
    names = [m.name for m in methods]
    n = len(entries)
    cols = min(n, 4)
    nrows = -(-n // cols)
    fig, axes = plt.subplots(
        nrows,
        cols,
        figsize=(3.2 * cols + 2.6, 0.32 * len(names) * nrows + 1.2),
        sharey=True,
        squeeze=False,
    )
    ypos = np.arange(len(names))[::-1]
    for ax, e in zip(axes.flat, entries, strict=False):
        for y, name in zip(ypos, names, strict=True):
            t = e["rows"].get(name)
            if t is None:
                continue
            ba = t["balanced_accuracy"]
            color = "tab:blue" if t["ns3l"] else "tab:gray"
            ax.errorbar(
                ba["mean"],
                y,
                xerr=0 if np.isnan(ba["sd"]) else ba["sd"],
                fmt="o",
                color=color,
                capsize=2,
                ms=4,
            )
        twin = e["rows"].get(SUPERVISED_TWIN)
        if twin is not None:
            ax.axvline(
                twin["balanced_accuracy"]["mean"], color="tab:blue", lw=0.8, ls=":"
            )
        ax.set_title(e["data_set"], fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(ypos, names, fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("balanced accuracy (%)", fontsize=8)
    fig.suptitle(title + " (NS3L blue, peers grey; dotted: the twin)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(catalogue, profile, runs, out_dir, *, methods, data_sets) -> list:
    """``long_tailed[_<profile>].{md,png,json}`` from every run and skipped record."""
    skips = in_table_order([r for r in runs if "skipped" in r], catalogue)
    runs = in_table_order([r for r in runs if "skipped" not in r], catalogue)
    if not runs:
        print("No finished runs yet: nothing to write.")
        return []
    entries = collect(runs, methods, data_sets, catalogue.baseline)
    stem = "long_tailed" if profile == "full" else f"long_tailed_{profile}"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, png, js = (out_dir / f"{stem}.{ext}" for ext in ("md", "png", "json"))
    text = markdown(catalogue, profile, entries, runs, skips, methods)
    md.write_text(text)
    print("\n".join(summary_lines(entries)) + "\n")
    written = [md]
    if plot(entries, methods, png, catalogue.plot_title.format(profile=profile)):
        written.append(png)
    write_json(
        js,
        {
            "profile": profile,
            "description": catalogue.profiles[profile].description,
            "settings": dataclasses.asdict(catalogue.profiles[profile].settings),
            "data_sets": entries,
            "runs": runs,
            "skipped": skips,
        },
    )
    written.append(js)
    return written
