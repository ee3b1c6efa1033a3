"""Which preprocessing of raw feature vectors serves NS3L and its peers (issue #23).

Users' tables arrive raw: columns in their own units. This measures, on
scikit-learn's tables as they ship (development splits only: seeds 100 and
up, never the peer benchmark's), the test accuracy of NS3L's default, its
supervised twin (``selector=None``), ``LabelSpreading(kernel="knn")`` and
labelled-only ``LogisticRegression`` and ``SVC``, each behind the same
preprocessing fitted on all training rows (labelled and unlabelled):
none, ``StandardScaler``, ``RobustScaler`` or a normal
``QuantileTransformer``. It also prints each table's spread of column
ranges (widest / median), the statistic an automatic choice could read.

    python benchmarks/raw_tables.py [--splits 5] [--sets wine breast_cancer digits iris]
    python benchmarks/raw_tables.py --report-only   # the page from the JSON

Writes ``docs/results/raw_tables.{json,md}`` (mean ± sd over splits, test
accuracy %). NS3L runs with ``scale=None`` here, so that every arm is the
preprocessing named; ``scale="auto"`` is the arm the range spread picks.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "results"
LABELS_PER_CLASS = {"wine": 5, "breast_cancer": 5, "digits": 10, "iris": 5}
ARMS = ("none", "standard", "robust", "quantile")
MODELS = ("NS3L default", "twin", "LabelSpreading", "LogisticRegression", "SVC")


def load(name: str):
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    X, y = loader(return_X_y=True)
    return X.astype(np.float64), y


def range_spread(X: np.ndarray) -> float:
    """Widest column range over the median column range (constant columns out)."""
    spans = X.max(axis=0) - X.min(axis=0)
    spans = spans[spans > 0]
    return float(spans.max() / np.median(spans))


def preprocessor(arm: str, n_rows: int):
    from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler

    return {
        "none": None,
        "standard": StandardScaler(),
        "robust": RobustScaler(),
        "quantile": QuantileTransformer(
            n_quantiles=min(1000, n_rows), output_distribution="normal"
        ),
    }[arm]


def split(X, y, labels: int, seed: int):
    from sklearn.model_selection import train_test_split

    from sklearn_ns3l.datasets import hide_labels

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    return X_tr, hide_labels(y_tr, labels, random_state=seed), X_te, y_te


def scores(X_tr, y_semi, X_te, y_te, seed: int) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.semi_supervised import LabelSpreading
    from sklearn.svm import SVC

    from sklearn_ns3l import NS3LClassifier

    X_tr, X_te = X_tr.astype(np.float32), X_te.astype(np.float32)
    labelled = y_semi != -1
    fits = {
        "NS3L default": lambda: NS3LClassifier(scale=None, random_state=seed).fit(
            X_tr, y_semi
        ),
        "twin": lambda: NS3LClassifier(
            selector=None, scale=None, random_state=seed
        ).fit(X_tr, y_semi),
        "LabelSpreading": lambda: LabelSpreading(kernel="knn").fit(X_tr, y_semi),
        "LogisticRegression": lambda: LogisticRegression(max_iter=5000).fit(
            X_tr[labelled], y_semi[labelled]
        ),
        "SVC": lambda: SVC().fit(X_tr[labelled], y_semi[labelled]),
    }
    out = {}
    for name, fit in fits.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[name] = float(np.mean(fit().predict(X_te) == y_te))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5, help="development splits")
    parser.add_argument(
        "--sets", nargs="+", default=list(LABELS_PER_CLASS), help="tables to run"
    )
    parser.add_argument("--output", default=str(RESULTS / "raw_tables.json"))
    parser.add_argument(
        "--report-only", action="store_true", help="write the page from --output"
    )
    args = parser.parse_args(argv)
    if args.report_only:
        results = json.loads(Path(args.output).read_text())
        Path(args.output).with_suffix(".md").write_text(markdown(results))
        return
    results = {}
    for name in args.sets:
        X, y = load(name)
        results[name] = {"range_spread": range_spread(X), "arms": {}}
        print(f"{name}: column range spread {results[name]['range_spread']:.1f}")
        for arm in ARMS:
            runs = []
            start = time.perf_counter()
            for seed in range(100, 100 + args.splits):
                X_tr, y_semi, X_te, y_te = split(X, y, LABELS_PER_CLASS[name], seed)
                prep = preprocessor(arm, len(X_tr))
                if prep is not None:
                    X_tr, X_te = prep.fit_transform(X_tr), prep.transform(X_te)
                runs.append(scores(X_tr, y_semi, X_te, y_te, seed))
            results[name]["arms"][arm] = runs
            cells = [
                f"{m} {100 * np.mean([r[m] for r in runs]):.1f}"
                f"±{100 * np.std([r[m] for r in runs]):.1f}"
                for m in MODELS
            ]
            print(
                f"  {arm:9s} " + " | ".join(cells),
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
    Path(args.output).with_suffix(".md").write_text(markdown(results))


def benchmark_spreads() -> dict[str, float]:
    """The range spread of the training rows of every feature-vector set of
    the peer benchmark (``benchmarks/vs_sklearn.py``, full profile, first
    split), as its rows are given to ``NS3LClassifier``."""
    from _datasets import DATA_SETS
    from vs_sklearn import PROFILES

    from sklearn_ns3l._scaling import column_range_spread

    settings = PROFILES["full"].settings
    spreads = {}
    for data_set in DATA_SETS:
        if data_set.images or data_set.raw_of:  # raw tables: the point is above
            continue
        data = data_set.dataset.load(None)
        seed = 0
        split = data_set.dataset.split(data, settings, seed)
        spreads[data_set.key] = column_range_spread(split.X)
    return spreads


def markdown(results: dict) -> str:
    """The results page: one table per data set, the arm 'auto' picks marked."""
    from sklearn_ns3l._scaling import RANGE_SPREAD_LIMIT

    lines = [
        "# Preprocessing raw feature vectors",
        "",
        "Written by `python benchmarks/raw_tables.py` (development splits: "
        "seeds 100 and up, 30 % test, stratified; labels per class: "
        + ", ".join(f"{k} {v}" for k, v in LABELS_PER_CLASS.items() if k in results)
        + "). Test accuracy %, mean ± sd over the splits; each preprocessing is "
        "fitted on all training rows, labelled and unlabelled, and given to "
        "every method alike (NS3L with `scale=None`). *Range spread*: the "
        'widest column range over the median one; `scale="auto"` '
        f"standardises above {RANGE_SPREAD_LIMIT:g} (marked ←).",
        "",
    ]
    for name, entry in results.items():
        spread = entry["range_spread"]
        auto = "standard" if spread > RANGE_SPREAD_LIMIT else "none"
        lines += [
            f"## {name} (range spread {spread:.3g})",
            "",
            "| preprocessing | " + " | ".join(MODELS) + " |",
            "|---|" + "---:|" * len(MODELS),
        ]
        for arm, runs in entry["arms"].items():
            cells = [
                f"{100 * np.mean([r[m] for r in runs]):.1f} ± "
                f"{100 * np.std([r[m] for r in runs]):.1f}"
                for m in MODELS
            ]
            mark = " ←" if arm == auto else ""
            lines.append(f"| {arm}{mark} | " + " | ".join(cells) + " |")
        lines.append("")
    spreads = benchmark_spreads()
    lines += [
        "## The peer benchmark's feature vectors",
        "",
        "Range spread of the training rows of each feature-vector set of "
        "`benchmarks/vs_sklearn.py` (full profile, first split, as given to "
        f"`NS3LClassifier`): all at most {max(spreads.values()):.3g}, so "
        '`scale="auto"` leaves every one of them as it is.',
        "",
        "| data set | range spread |",
        "|---|---:|",
        *(f"| {key} | {value:.3g} |" for key, value in spreads.items()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
