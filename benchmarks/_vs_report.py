"""The outputs of ``vs_sklearn.py``: one table per data set, a summary, a plot, a JSON.

Built on ``_report`` (the per-row summary, the paired differences, the
machine): rows are named ``"<method>, <data set>"`` (``_datasets.row_name``),
so the summary's baseline of a row is the supervised twin of its data set.
Everything is read from the runs' records; nothing is trained, and the same
runs always give the same files (``--from-json FILE --report-only`` rewrites
them).

The full profile's outputs are ``vs_sklearn.{md,png,json}``, another
profile's ``vs_sklearn_<profile>.*``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from _common import write_json
from _datasets import method_and_data_set, row_name
from _raw_report import raw_tables
from _report import (
    describe_machine,
    elapsed_minutes,
    fmt_pm,
    in_table_order,
    paired_differences,
    run_record,
    summarise,
    was_loaded,
)
from _run import NEGATIVES_PER_SAMPLE, WRONG_NEGATIVE_RATE

from sklearn_ns3l.compare import NS3L_DEFAULT


def _nanmean(values) -> float:
    values = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def collect(catalogue, profile, runs, methods, data_sets) -> list[dict]:
    """Per data set: its rows' summaries by method, the best rows, the verdict."""
    settings = dataclasses.asdict(catalogue.profiles[profile].settings)
    by_name = {t["row"]: t for t in summarise(runs, catalogue)}
    runs_of: dict[str, list] = {}
    for run in runs:
        runs_of.setdefault(run["row"], []).append(run)
    out = []
    for d in data_sets:
        rows = {}
        for m in methods:
            name = row_name(m.name, d.key)
            if name not in by_name:
                continue
            t = dict(by_name[name], method=m.name, ns3l=m.ns3l, selector=m.selector)
            diags = [r["diagnostics"] for r in runs_of[name]]
            for key in (WRONG_NEGATIVE_RATE, NEGATIVES_PER_SAMPLE):
                t[key] = _nanmean(d_.get(key) for d_ in diags)
            rows[m.name] = t
        if not rows:
            continue
        first = runs_of[row_name(next(iter(rows)), d.key)][0]
        entry = {
            "data_set": d.key,
            "title": d.title.format(**settings),
            "protocol": d.protocol,
            "note": d.note,
            "n_labelled": first["n_labelled"],
            "n_unlabelled": first["n_unlabelled"],
            "n_test": first["n_test"],
            "rows": rows,
        }
        ns3l = [t for t in rows.values() if t["selector"]]
        peers = [t for t in rows.values() if not t["ns3l"]]
        default = rows.get(NS3L_DEFAULT)
        entry["best_ns3l"] = (
            min(ns3l, key=lambda t: t["mean"])["method"] if ns3l else None
        )
        entry["best_peer"] = (
            min(peers, key=lambda t: t["mean"])["method"] if peers else None
        )
        entry["best"] = min(rows.values(), key=lambda t: t["mean"])["method"]
        entry["default_minus_best_peer"] = None
        if default is not None and peers:
            (pair,) = paired_differences(
                runs,
                [
                    (
                        row_name(default["method"], d.key),
                        row_name(entry["best_peer"], d.key),
                    )
                ],
            ) or [None]
            entry["default_minus_best_peer"] = pair
        out.append(entry)
    return out


def _cell(t: dict | None, best: float, digits: int = 1) -> str:
    if t is None:
        return "—"
    text = f"{t['mean']:.{digits}f}"
    return f"**{text}**" if t["mean"] == best else text


def _pct(value: float, digits: int = 2) -> str:
    return "—" if np.isnan(value) else f"{100 * value:.{digits}f}"


def _num(value: float, digits: int = 2) -> str:
    return "—" if np.isnan(value) else f"{value:.{digits}f}"


def verdicts(entries, default_name: str) -> list[str]:
    """Plain sentences: where a peer wins, where NS3L does."""
    peer_wins, ns3l_wins, ns3l_row_wins = [], [], []
    for e in entries:
        pair = e["default_minus_best_peer"]
        if pair is None:
            continue
        label = f"{e['title']} ({fmt_pm(pair['mean'], pair['sd'], signed=True)})"
        (peer_wins if pair["mean"] > 0 else ns3l_wins).append(
            f"{label}, best peer {e['best_peer']}"
        )
        best_ns3l = e["rows"][e["best_ns3l"]]["mean"]
        if best_ns3l < e["rows"][e["best_peer"]]["mean"]:
            ns3l_row_wins.append(f"{e['title']} ({e['best_ns3l']})")
    n = len(peer_wins) + len(ns3l_wins)
    lines = [
        f"- **A scikit-learn peer has a lower error than {default_name} on "
        f"{len(peer_wins)} of {n} data sets**: " + "; ".join(peer_wins) + "."
        if peer_wins
        else f"- No scikit-learn peer beats {default_name} on any of {n} data sets.",
        f"- {default_name} has a lower error than every peer on {len(ns3l_wins)} "
        f"of {n}" + (": " + "; ".join(ns3l_wins) + "." if ns3l_wins else "."),
        f"- Some NS3L row (default, threshold or a nearest-neighbour rule, the "
        f"best of five picked after the fact) beats every peer on "
        f"{len(ns3l_row_wins)} of {n}"
        + (": " + "; ".join(ns3l_row_wins) + "." if ns3l_row_wins else "."),
    ]
    # NS3L default against its own supervised twin.
    sides = {"lower": [], "equal": [], "higher": []}
    for e in entries:
        t = e["rows"].get(default_name)
        if t is None or np.isnan(t["paired_mean"]):
            continue
        item = f"{e['title']} ({fmt_pm(t['paired_mean'], t['paired_sd'], signed=True)})"
        side = np.sign(round(t["paired_mean"], 6))
        sides[{-1: "lower", 0: "equal", 1: "higher"}[side]].append(item)
    lines.append(
        f"- Against its supervised twin (the same network and labelled batches "
        f"without the NS3L term), {default_name}'s error is "
        + "; ".join(
            f"{side} on {len(items)}" + (f" ({', '.join(items)})" if items else "")
            for side, items in sides.items()
        )
        + "."
    )
    return lines


def markdown(catalogue, profile, entries, runs, skips, methods, data_sets) -> str:
    c = catalogue
    default_name = NS3L_DEFAULT
    n_split = sorted({len(t["seeds"]) for e in entries for t in e["rows"].values()})
    lines = [
        f"# {c.title}: profile `{profile}`",
        "",
        f"Written by `{c.script}` from the runs in `vs_sklearn"
        f"{'' if profile == 'full' else '_' + profile}.json` (every number on "
        "this page comes from them). Profile: "
        f"{c.profiles[profile].description}.",
        "",
        "Error in %, lower is better: on the test set for digits, wine, breast "
        "cancer and Fashion-MNIST, on the unlabelled points for the SSL-book "
        "sets (their transductive protocol). Every row of a data set sees the "
        "same splits; mean ± sd over the splits (sample sd). *Δ vs twin*: the "
        f"row's error minus the {c.baseline}'s on the same split, mean ± sd, "
        "negative is better. Time: wall seconds per run (fit and predict), on a "
        "machine that was "
        + (
            "shared with other jobs (see the load average in the JSON)"
            if was_loaded(runs)
            else "otherwise idle"
        )
        + ".",
        "",
        "## Where NS3L stands",
        "",
        f"{default_name} against the best peer of each data set (its error minus "
        "the peer's, paired over the splits):",
        "",
        *verdicts(entries, default_name),
        "",
        "The best peer is picked per data set after the fact, so it is an "
        "optimistic stand-in for one method chosen in advance.",
        "",
        "| Data set | Labelled / unlabelled / scored | Splits | "
        f"{c.baseline} | {default_name} | Best NS3L row | Best peer | "
        f"{default_name} − best peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        r = e["rows"]
        twin = r.get(c.baseline)
        default = r.get(default_name)
        best_ns3l, best_peer = e["best_ns3l"], e["best_peer"]
        pair = e["default_minus_best_peer"]
        splits = max(len(t["seeds"]) for t in r.values())
        lines.append(
            f"| {e['title']} | {e['n_labelled']:,} / {e['n_unlabelled']:,} / "
            f"{e['n_test']:,} | {splits} | "
            + (fmt_pm(twin["mean"], twin["sd"]) if twin else "—")
            + " | "
            + (fmt_pm(default["mean"], default["sd"]) if default else "—")
            + " | "
            + (f"{r[best_ns3l]['mean']:.2f} ({best_ns3l})" if best_ns3l else "—")
            + " | "
            + (f"{r[best_peer]['mean']:.2f} ({best_peer})" if best_peer else "—")
            + " | "
            + (fmt_pm(pair["mean"], pair["sd"], signed=True) if pair else "—")
            + " |"
        )
    stem = "vs_sklearn" if profile == "full" else f"vs_sklearn_{profile}"
    lines += [
        "",
        f"![Error of every row on every data set]({stem}.png)",
        "",
        "Left: each row's mean error, coloured by its distance to the best row "
        f"of the data set. Right: {default_name}'s and the best NS3L row's error "
        "minus the best peer's (bars right of 0: a peer wins).",
        "",
        "## Every row",
        "",
        "Mean error % over the splits; the best of each data set in bold; — "
        "where the row was skipped (see below).",
        "",
        "| Data set | " + " | ".join(m.short for m in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for e in entries:
        best = min(t["mean"] for t in e["rows"].values())
        lines.append(
            f"| {e['data_set']} | "
            + " | ".join(_cell(e["rows"].get(m.name), best) for m in methods)
            + " |"
        )
    lines += [
        "",
        "Columns: " + "; ".join(f"*{m.short}*: {m.name}" for m in methods) + ".",
        "",
        "## Per data set",
        "",
        "*Wrong negatives*: the share of a selector's negative labels on the "
        "pool that are the point's true class; *negatives per point*: their "
        "mean count per unlabelled point. A static rule (label spreading, "
        "nearest neighbours) is measured on the negatives the network trained "
        "with (`pool_negatives_`; on the network's features, the last mask "
        "built; runs made before that attribute existed measured the "
        "nearest-neighbour rules on a fresh draw of the same rule over the "
        "pool); the threshold rule on those "
        "the final network gives (`selector_.transform(predict_proba(pool))`), "
        "so it counts what the rule would pick at the end of training.",
    ]
    for e in entries:
        lines += [
            "",
            f"### {e['title']}",
            "",
            f"{e['n_labelled']:,} labelled, {e['n_unlabelled']:,} unlabelled, "
            f"error on {e['n_test']:,} "
            + ("test points" if e["protocol"] == "test set" else "unlabelled points")
            + (f"; {e['note']}" if e["note"] else "")
            + ".",
            "",
            "| Method | Error % | Δ vs twin | Splits | Time per run (s) | "
            "Wrong negatives % | Negatives per point |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in methods:
            t = e["rows"].get(m.name)
            if t is None:
                continue
            delta = (
                "—"
                if m.name == c.baseline or np.isnan(t["paired_mean"])
                else fmt_pm(t["paired_mean"], t["paired_sd"], signed=True)
            )
            lines.append(
                f"| {m.name} | {fmt_pm(t['mean'], t['sd'])} | {delta} | "
                f"{len(t['seeds'])} | {t['seconds_mean']:.1f} | "
                f"{_pct(t[WRONG_NEGATIVE_RATE])} | "
                f"{_num(t[NEGATIVES_PER_SAMPLE])} |"
            )
    if skips:
        # Reason -> method -> data sets, then the methods that share both.
        by_reason: dict[str, dict[str, list[str]]] = {}
        for s in skips:
            method, data_key = method_and_data_set(s["row"])
            keys = by_reason.setdefault(s["skipped"].splitlines()[0], {})
            keys.setdefault(method, [])
            if data_key not in keys[method]:
                keys[method].append(data_key)
        grouped: dict[tuple[str, tuple], list[str]] = {}
        for reason, keys in by_reason.items():
            for method, data_keys in keys.items():
                grouped.setdefault((reason, tuple(data_keys)), []).append(method)
        lines += [
            "",
            "## Skipped",
            "",
            "Rows that were not run, and why (they are tried again by the next "
            "command):",
            "",
        ] + [
            f"- {', '.join(f'**{m}**' for m in names)} on {', '.join(keys)}: {reason}"
            for (reason, keys), names in grouped.items()
        ]
    notes = [m for m in methods if m.note]
    total = sum(r["seconds"] for r in runs)
    cpu = sum(r.get("cpu_seconds", 0.0) for r in runs)
    settings = dataclasses.asdict(c.profiles[profile].settings)
    machines = sorted({describe_machine(r) for r in runs})
    commands = sorted({r["command"] for r in runs if r.get("command")})
    lines += [
        "",
        "## Rows",
        "",
        *(f"- **{m.name}**: {m.note}" for m in notes),
        "",
        "## How this was made",
        "",
        f"Runs: {len(runs)}, {total / 60:.1f} min in all (sum of the runs' wall "
        f"times), {cpu / 60:.1f} min of CPU time; {elapsed_minutes(runs):.1f} min "
        "from the first run's start to the last one's end"
        + (f"; {len(skips)} skipped" if skips else "")
        + f". Splits per data set: {', '.join(map(str, n_split))}.",
        "",
        "Made on: " + "; ".join(machines) + ".",
        "",
        "Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".",
        "",
        f"Command (runs what is missing, then rewrites this page from the cache): "
        f"`python {c.script}"
        + ("" if profile == "full" else f" --profile {profile}")
        + "`. The runs came from: "
        + ", ".join(f"`{cmd}`" for cmd in commands)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def plot(entries, methods, path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install '.[plot]'): no plot.")
        return False
    default_name = NS3L_DEFAULT
    n, k = len(entries), len(methods)
    err = np.full((n, k), np.nan)
    for i, e in enumerate(entries):
        for j, m in enumerate(methods):
            if m.name in e["rows"]:
                err[i, j] = e["rows"][m.name]["mean"]
    gap = err - np.nanmin(err, axis=1, keepdims=True)
    fig, (ax, bx) = plt.subplots(
        1,
        2,
        figsize=(15, 0.38 * n + 2.4),
        gridspec_kw={"width_ratios": [k, 4]},
        sharey=True,
    )
    image = ax.imshow(
        np.clip(gap, 0, 15), cmap="viridis_r", aspect="auto", vmin=0, vmax=15
    )
    for i in range(n):
        for j in range(k):
            text = "skip" if np.isnan(err[i, j]) else f"{err[i, j]:.1f}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if gap[i, j] > 9 else "black",
            )
    ax.set_xticks(range(k), [m.short for m in methods], rotation=60, ha="right")
    ax.set_yticks(range(n), [e["data_set"] for e in entries])
    ax.axvline(sum(m.ns3l for m in methods) - 0.5, color="white", lw=2)  # NS3L | peers
    fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01).set_label(
        "points above the data set's best (capped at 15)"
    )
    ax.set_title(title + ": mean error %", fontsize=10)

    def minus_peer(name):
        out = []
        for e in entries:
            t, p = e["rows"].get(name), e["rows"].get(e["best_peer"] or "")
            out.append(np.nan if t is None or p is None else t["mean"] - p["mean"])
        return np.array(out)

    ypos = np.arange(n)
    best_ns3l = np.array(
        [
            e["rows"][e["best_ns3l"]]["mean"] - e["rows"][e["best_peer"]]["mean"]
            if e["best_ns3l"] and e["best_peer"]
            else np.nan
            for e in entries
        ]
    )
    bx.barh(ypos - 0.2, minus_peer(default_name), 0.4, label=default_name)
    bx.barh(ypos + 0.2, best_ns3l, 0.4, label="best NS3L row", color="tab:green")
    bx.axvline(0, color="k", lw=0.8)
    bx.set_xlabel("error − best peer's error (points)")
    bx.set_title("> 0: a peer wins", fontsize=10)
    bx.grid(axis="x", alpha=0.3)
    bx.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(catalogue, profile, runs, out_dir, *, methods, data_sets) -> list:
    """``vs_sklearn[_<profile>].{md,png,json}`` from every run and skipped record."""
    skips = in_table_order([r for r in runs if "skipped" in r], catalogue)
    runs = in_table_order([r for r in runs if "skipped" not in r], catalogue)
    if not runs:
        print("No finished runs yet: nothing to write.")
        return []
    entries = collect(catalogue, profile, runs, methods, data_sets)
    # Tables as they ship are reported apart, after the balanced benchmark.
    raw_keys = {d.key for d in data_sets if d.raw_of}
    balanced = [e for e in entries if e["data_set"] not in raw_keys]
    stem = "vs_sklearn" if profile == "full" else f"vs_sklearn_{profile}"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, png, js = (out_dir / f"{stem}.{ext}" for ext in ("md", "png", "json"))
    text = markdown(
        catalogue,
        profile,
        balanced,
        runs,
        skips,
        methods,
        [d for d in data_sets if not d.raw_of],
    )
    text = "\n".join([text.rstrip("\n"), *raw_tables(entries, runs, data_sets), ""])
    md.write_text(text)
    # The summary and its table, on the terminal too.
    start = text.index("## Where NS3L stands")
    print(text[start : text.index("\n![", start)].rstrip() + "\n")
    written = [md]
    if plot(balanced, methods, png, catalogue.plot_title.format(profile=profile)):
        written.append(png)
    write_json(
        js,
        run_record(catalogue, profile, data_sets=entries, runs=runs, skipped=skips),
    )
    written.append(js)
    return written
