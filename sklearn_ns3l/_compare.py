"""``ns3l compare``: NS3L, its supervised twin and scikit-learn's peers on one table.

A user's table (CSV, Parquet or anything else pandas reads, or an ``.npz`` with
``X`` and ``y``) is read into features and a target whose empty or -1 entries
are the unlabelled rows. Every method is a scikit-learn ``Pipeline``: a
``ColumnTransformer`` (numeric columns as they are, the others one-hot
encoded), then the model. Each is scored by stratified cross-validation over
the labelled rows only: every training fold also holds all the unlabelled rows,
every test fold labelled rows alone, the same folds for every method.

The peers are also the rows of ``benchmarks/vs_sklearn.py``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
)
from sklearn.svm import SVC
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from ._classifier import NS3LClassifier
from ._scoring import unlabelled_mask

__all__ = [
    "DENSE_KERNEL_LIMIT",
    "PEERS",
    "CompareError",
    "LabelledOnly",
    "Table",
    "compare",
    "compare_methods",
    "make_preprocessor",
    "read_table",
    "semi_supervised_folds",
]

#: Training rows above which the rbf graph methods are not run: they build a
#: dense (n, n) kernel, 512 MB of float64 at 8,000 rows, and several copies.
DENSE_KERNEL_LIMIT = 8_000


class CompareError(ValueError):
    """A table that cannot be compared on, with what to do about it."""


# --------------------------------------------------------------------------
# The methods.
# --------------------------------------------------------------------------


class LabelledOnly(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A supervised classifier fitted on the labelled rows alone (``y != -1``).

    The unlabelled rows of ``X`` are dropped before ``estimator`` is fitted, so
    that a supervised model takes the same ``(X, y)`` as a semi-supervised one.

    Parameters
    ----------
    estimator : estimator object
        A classifier; cloned in ``fit``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone.
    classes_ : ndarray of shape (n_classes,)
        Its classes.
    n_labelled_ : int
        Labelled rows it was fitted on.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ns3l._compare import LabelledOnly
    >>> clf = LabelledOnly(LogisticRegression())
    >>> clf.fit([[0.0], [1.0], [0.2], [0.9]], [0, 1, -1, -1]).n_labelled_
    2
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit", "predict"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        """Fit ``estimator`` on the rows of ``X`` whose label is not -1.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, -1 for unlabelled rows.
        **fit_params : dict
            Passed on to ``estimator.fit``.

        Returns
        -------
        self : LabelledOnly
        """
        self._validate_params()
        labelled = np.flatnonzero(~unlabelled_mask(y))
        if len(labelled) == 0:
            raise ValueError("y contains no labelled samples: every entry is -1.")
        self.estimator_ = clone(self.estimator).fit(
            _safe_indexing(X, labelled), np.asarray(y)[labelled], **fit_params
        )
        self.classes_ = self.estimator_.classes_
        self.n_labelled_ = len(labelled)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def predict(self, X):
        """Predicted classes of ``X``."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of ``X``, if ``estimator`` has them."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)


def _self_training_svc(random_state=None, **params):
    return SelfTrainingClassifier(
        SVC(probability=True, random_state=random_state), **params
    )


#: scikit-learn's peers, each at its defaults: ``name: make(random_state)``.
#: The graph methods and self-training read the unlabelled rows; the last
#: three are fitted on the labelled rows alone. An rbf graph method builds a
#: dense kernel (see ``DENSE_KERNEL_LIMIT``).
PEERS: dict[str, Callable] = {
    "LabelSpreading (knn)": lambda random_state=None: LabelSpreading(kernel="knn"),
    "LabelSpreading (rbf)": lambda random_state=None: LabelSpreading(kernel="rbf"),
    "LabelPropagation (knn)": lambda random_state=None: LabelPropagation(kernel="knn"),
    "LabelPropagation (rbf)": lambda random_state=None: LabelPropagation(kernel="rbf"),
    "SelfTraining (SVC)": _self_training_svc,
    "SVC (labelled only)": lambda random_state=None: LabelledOnly(SVC()),
    "LogisticRegression (labelled only)": lambda random_state=None: LabelledOnly(
        LogisticRegression()
    ),
    "HistGradientBoosting (labelled only)": lambda random_state=None: LabelledOnly(
        HistGradientBoostingClassifier(random_state=random_state)
    ),
}

#: Peers that build a dense (n, n) kernel.
DENSE_KERNEL_PEERS = ("LabelSpreading (rbf)", "LabelPropagation (rbf)")

SUPERVISED_TWIN = "NS3L supervised twin"
NS3L_DEFAULT = "NS3L default"


def compare_methods(
    random_state=0, max_epochs=None, batch_size=None, image_shape=None, device="cpu"
) -> dict:
    """The methods ``ns3l compare`` runs, by name, unfitted.

    ``NS3LClassifier()`` at its defaults (but for the given training length,
    batch size and device), its supervised twin (``selector=None``, the same
    batches without the NS3L term), then :data:`PEERS`.
    """
    ns3l = {"random_state": random_state, "device": device}
    if max_epochs is not None:
        ns3l["max_epochs"] = max_epochs
    if batch_size is not None:
        ns3l["batch_size"] = batch_size
    if image_shape is not None:
        ns3l["image_shape"] = tuple(image_shape)
    return {
        NS3L_DEFAULT: NS3LClassifier(**ns3l),
        SUPERVISED_TWIN: NS3LClassifier(selector=None, **ns3l),
        **{name: make(random_state=random_state) for name, make in PEERS.items()},
    }


# --------------------------------------------------------------------------
# The table.
# --------------------------------------------------------------------------


@dataclass
class Table:
    """A user's table, read: features, encoded target, and what they came from.

    ``y`` holds ``0 .. n_classes - 1`` on labelled rows (the index into
    ``classes``) and -1 on unlabelled ones. ``X`` is a DataFrame (a table) or
    an ndarray (an ``.npz``); ``numeric`` and ``categorical`` name its columns
    (indices for an ndarray). ``image_shape``: the shape of one sample of an
    ``.npz`` whose ``X`` held images, flattened here.
    """

    X: object
    y: np.ndarray
    classes: np.ndarray
    numeric: list
    categorical: list
    image_shape: tuple | None = None
    notes: list = field(default_factory=list)

    @property
    def n_labelled(self) -> int:
        return int(np.sum(self.y != -1))

    @property
    def n_unlabelled(self) -> int:
        return int(np.sum(self.y == -1))


_READERS = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".txt": "read_csv",
    ".parquet": "read_parquet",
    ".pq": "read_parquet",
    ".feather": "read_feather",
    ".json": "read_json",
    ".jsonl": "read_json",
    ".xlsx": "read_excel",
    ".xls": "read_excel",
    ".pkl": "read_pickle",
    ".pickle": "read_pickle",
}


def _read_frame(path: Path):
    try:
        import pandas as pd
    except ImportError:
        raise CompareError(
            f"reading {path.name} needs pandas (and pyarrow for Parquet): "
            "pip install 'sklearn-ns3l[compare]'"
        ) from None
    suffixes = [s.lower() for s in path.suffixes]
    # data.csv.gz: pandas decompresses by the last suffix, reads by the one before.
    suffix = next((s for s in reversed(suffixes) if s in _READERS), ".csv")
    reader = getattr(pd, _READERS[suffix])
    kwargs = {}
    if suffix == ".tsv":
        kwargs["sep"] = "\t"
    elif suffix == ".jsonl":
        kwargs["lines"] = True
    try:
        frame = reader(path, **kwargs)
    except ImportError as exc:  # e.g. Parquet without pyarrow
        raise CompareError(f"cannot read {path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any parser error is the file's
        raise CompareError(
            f"cannot read {path} as {suffix.lstrip('.')}: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(frame, pd.DataFrame):
        raise CompareError(f"{path} does not hold a table.")
    return frame


def _encode_target(values) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0 .. k-1 and -1 (empty, NaN, -1 or "-1"), and the k classes."""
    values = np.asarray(values, dtype=object)
    missing = np.array(
        [
            v is None
            or (isinstance(v, float) and np.isnan(v))
            or (isinstance(v, str) and v.strip() in ("", "-1"))
            or (not isinstance(v, str) and _is_minus_one(v))
            for v in values
        ],
        dtype=bool,
    )
    labelled = values[~missing]
    numbers = [_as_number(v) for v in labelled]
    if all(n is not None for n in numbers):
        # Numbers (perhaps read as text), perhaps floats only because of
        # missing entries: 1.0 -> 1.
        numbers = np.array(numbers, dtype=np.float64)
        if np.all(numbers == np.round(numbers)):
            labelled = numbers.astype(np.int64)
        else:
            labelled = numbers
    else:
        labelled = np.array([str(v) for v in labelled], dtype=object)
    y = np.full(len(values), -1, dtype=np.int64)
    classes, y[~missing] = np.unique(labelled, return_inverse=True)
    return y, classes


def _as_number(v) -> float | None:
    """``v`` as a float if it is a number or a number's text, else None."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _show(label) -> str:
    """A class label as the user wrote it: 'cat', 3 (not np.int64(3))."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _is_minus_one(v) -> bool:
    try:
        return bool(v == -1)
    except (TypeError, ValueError):
        return False


def read_table(path, target: str | None = None, drop=()) -> Table:
    """Read ``path`` into a :class:`Table`.

    Parameters
    ----------
    path : str or path-like
        An ``.npz`` with arrays ``X`` (samples on the first axis) and ``y``;
        else a table pandas reads, by its suffix (CSV, TSV, Parquet, Feather,
        JSON, Excel, pickle; CSV if the suffix is none of these).
    target : str or None
        The target column of a table; ignored for an ``.npz`` (its ``y``).
    drop : sequence of str
        Columns of a table not to use as features.

    Returns
    -------
    table : Table

    Raises
    ------
    CompareError
        If the file is missing or unreadable, has no such column, no labelled
        row, or a single class.
    """
    path = Path(path)
    if not path.is_file():
        raise CompareError(f"no such file: {path}")
    notes = []
    image_shape = None
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                if "X" not in data or "y" not in data:
                    raise CompareError(
                        f"{path} holds arrays {sorted(data.files)}; "
                        "an .npz needs X and y."
                    )
                X, y_raw = data["X"], data["y"]
        except CompareError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise CompareError(
                f"cannot read {path} as .npz: {type(exc).__name__}: {exc}"
            ) from None
        if X.ndim < 2 or len(X) != len(y_raw) or y_raw.ndim != 1:
            raise CompareError(
                f"{path}: X of shape {X.shape} and y of shape {y_raw.shape}; "
                "they need one row per sample, y one value per row."
            )
        if not np.issubdtype(X.dtype, np.number):
            raise CompareError(f"{path}: X is of dtype {X.dtype}, not numbers.")
        if X.ndim > 2:
            image_shape = tuple(X.shape[1:])
            X = X.reshape(len(X), -1)
            notes.append(
                f"X holds images of shape {image_shape}: NS3L trains a CNN on "
                "them, the peers see their pixels as features."
            )
        numeric, categorical = list(range(X.shape[1])), []
        y, classes = _encode_target(
            y_raw.astype(object) if y_raw.dtype.kind in "fiub" else y_raw
        )
    else:
        frame = _read_frame(path)
        if target is None:
            raise CompareError("a table needs --target COLUMN.")
        if target not in frame.columns:
            columns = ", ".join(map(str, frame.columns[:20]))
            more = " ..." if len(frame.columns) > 20 else ""
            raise CompareError(
                f"{path.name} has no column {target!r}; its columns: {columns}{more}"
            )
        missing = [c for c in drop if c not in frame.columns]
        if missing:
            raise CompareError(f"--drop: {path.name} has no column {missing[0]!r}.")
        y, classes = _encode_target(frame[target].to_numpy(dtype=object))
        X = frame.drop(columns=[target, *drop])
        if X.shape[1] == 0:
            raise CompareError(f"{path.name} has no feature column besides {target!r}.")
        for column in X.columns:
            if X[column].dtype.kind == "b":
                X[column] = X[column].astype(np.float64)
        numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
        categorical = [c for c in X.columns if c not in numeric]
        for column in categorical:
            # Missing as NaN (not None), which the imputer's constant fills.
            X[column] = X[column].astype(object).where(X[column].notna(), np.nan)
        notes.append(
            f"{len(numeric)} numeric column(s) used as they are, "
            f"{len(categorical)} categorical one(s) one-hot encoded"
            + (f": {', '.join(map(str, categorical[:8]))}" if categorical else "")
            + ("..." if len(categorical) > 8 else "")
        )
    table = Table(X, y, classes, numeric, categorical, image_shape, notes)
    if table.n_labelled == 0:
        raise CompareError(
            f"{path.name}: no labelled row (every target is empty or -1)."
        )
    if len(classes) < 2:
        raise CompareError(
            f"{path.name}: the labelled rows hold one class only "
            f"({_show(classes[0])}); "
            "a classifier needs at least two."
        )
    return table


def make_preprocessor(table: Table) -> ColumnTransformer:
    """Numeric columns as they are, categorical ones one-hot encoded.

    A missing numeric value becomes its column's median and a missing
    category a category of its own, so that every model can take the rows;
    categories first seen at prediction time are ignored (all zeros). The
    output is dense (``NS3LClassifier`` takes dense ``X``).
    """
    parts = []
    if table.numeric:
        parts.append(
            (
                "numeric",
                SimpleImputer(strategy="median", keep_empty_features=True),
                table.numeric,
            )
        )
    if table.categorical:
        parts.append(
            (
                "categorical",
                Pipeline(
                    [
                        (
                            "missing",
                            SimpleImputer(
                                strategy="constant",
                                fill_value="(missing)",
                                missing_values=np.nan,
                            ),
                        ),
                        (
                            "one_hot",
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                        ),
                    ]
                ),
                table.categorical,
            )
        )
    return ColumnTransformer(parts, sparse_threshold=0.0)


# --------------------------------------------------------------------------
# Cross-validation.
# --------------------------------------------------------------------------


def semi_supervised_folds(y, n_splits: int, random_state=0):
    """Stratified folds of the labelled rows; every training fold has the pool.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels, -1 for unlabelled rows.
    n_splits : int
    random_state : int

    Returns
    -------
    folds : list of (ndarray, ndarray)
        ``(train, test)`` row indices: ``test`` holds labelled rows only,
        ``train`` the other labelled rows and every unlabelled one.
    """
    y = np.asarray(y)
    labelled = np.flatnonzero(y != -1)
    pool = np.flatnonzero(y == -1)
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return [
        (np.sort(np.concatenate([labelled[train], pool])), labelled[test])
        for train, test in cv.split(labelled, y[labelled])
    ]


#: Warnings not worth repeating under the table: SelfTraining (SVC) takes
#: ``SVC(probability=True)``, deprecated in scikit-learn 1.9, on purpose
#: (``CalibratedClassifierCV``, its replacement, needs 5 labels of each
#: class, which a few-label table does not have).
_QUIET = ("FutureWarning: The `probability` parameter was deprecated",)


def compare(
    table: Table,
    methods: dict,
    n_splits: int = 5,
    random_state=0,
    progress: bool = True,
) -> list[dict]:
    """Cross-validate every method on the table's labelled rows.

    Returns one dict per method: ``method``, ``scores`` (accuracy per fold),
    ``mean``, ``sd``, ``delta`` / ``delta_sd`` (accuracy minus the supervised
    twin's on the same folds, in points), ``seconds`` (fit and predict per
    fold) and ``note`` (why it did not run, if it did not).
    """
    from tqdm.auto import tqdm

    counts = np.bincount(table.y[table.y != -1], minlength=len(table.classes))
    smallest = int(counts.min())
    if smallest < 2:
        name = _show(table.classes[int(np.argmin(counts))])
        raise CompareError(
            f"class {name} has a single labelled row; cross-validation needs "
            "at least two labelled rows of every class."
        )
    if smallest < n_splits:
        table.notes.append(
            f"{n_splits} folds asked for, but the rarest class has {smallest} "
            f"labelled rows: {smallest} folds."
        )
        n_splits = smallest
    folds = semi_supervised_folds(table.y, n_splits, random_state)
    n_train = len(folds[0][0])
    preprocessor = make_preprocessor(table)
    results = []
    bar = tqdm(
        total=len(methods) * len(folds), unit="fit", disable=not progress, leave=False
    )
    for name, model in methods.items():
        result = {
            "method": name,
            "scores": [],
            "seconds": [],
            "note": "",
            "warnings": [],
        }
        if name in DENSE_KERNEL_PEERS and n_train > DENSE_KERNEL_LIMIT:
            result["note"] = (
                f"not run: a dense kernel over {n_train:,} training rows "
                f"(more than {DENSE_KERNEL_LIMIT:,})"
            )
            bar.update(len(folds))
        for train, test in folds if not result["note"] else ():
            bar.set_description(name)
            pipe = Pipeline(
                [("features", clone(preprocessor)), ("model", clone(model))]
            )
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    pipe.fit(_safe_indexing(table.X, train), table.y[train])
                    pred = pipe.predict(_safe_indexing(table.X, test))
            except Exception as exc:  # noqa: BLE001 - one method must not stop the rest
                result["note"] = f"failed: {type(exc).__name__}: {exc}".splitlines()[0]
                result["scores"] = []
                bar.update(len(folds) - len(result["seconds"]))
                break
            for w in caught:
                text = f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                if not any(text.startswith(skip) for skip in _QUIET) and (
                    text not in result["warnings"]
                ):
                    result["warnings"].append(text)
            result["seconds"].append(time.perf_counter() - t0)
            result["scores"].append(float(np.mean(pred == table.y[test])))
            bar.update(1)
        results.append(result)
    bar.close()
    twin = next((r for r in results if r["method"] == SUPERVISED_TWIN), None)
    for r in results:
        scores = np.array(r["scores"]) * 100
        r["mean"] = float(scores.mean()) if len(scores) else float("nan")
        r["sd"] = float(scores.std(ddof=1)) if len(scores) > 1 else float("nan")
        r["delta"] = r["delta_sd"] = float("nan")
        if twin is not None and twin["scores"] and len(scores) and r is not twin:
            diff = scores - np.array(twin["scores"]) * 100
            r["delta"] = float(diff.mean())
            r["delta_sd"] = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
        r["seconds_per_fold"] = (
            float(np.mean(r["seconds"])) if r["seconds"] else float("nan")
        )
    return results


def _pm(mean, sd, signed=False) -> str:
    if np.isnan(mean):
        return "—"
    m = f"{mean:+.2f}" if signed else f"{mean:.2f}"
    return m if np.isnan(sd) else f"{m} ± {sd:.2f}"


def format_results(results: list[dict], n_folds: int) -> str:
    """The results as a plain-text table."""
    width = max(len(r["method"]) for r in results)
    header = (
        f"{'method':<{width}}  {'accuracy %':>15}  {'Δ vs twin':>15}  {'s/fold':>7}"
    )
    lines = [header, "-" * len(header)]
    best = max(
        (r["mean"] for r in results if not np.isnan(r["mean"])), default=float("nan")
    )
    for r in results:
        mark = " *" if r["mean"] == best else ""
        if r["note"]:
            lines.append(f"{r['method']:<{width}}  {r['note']}")
            continue
        lines.append(
            f"{r['method']:<{width}}  {_pm(r['mean'], r['sd']):>15}  "
            f"{_pm(r['delta'], r['delta_sd'], signed=True):>15}  "
            f"{r['seconds_per_fold']:7.2f}{mark}"
        )
    lines.append(
        f"accuracy: mean ± sd over {n_folds} folds of the labelled rows; Δ vs twin: "
        f"minus the {SUPERVISED_TWIN}'s on the same folds, in points; * best."
    )
    warned = [r for r in results if r["warnings"]]
    if warned:
        lines.append("Warnings during the fits:")
        lines += [f"  {r['method']}: {'; '.join(r['warnings'])}" for r in warned]
    return "\n".join(lines)


def write_csv(results: list[dict], path) -> None:
    """One row per method: accuracy mean, sd, per fold, Δ vs the twin, seconds."""
    import csv

    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "method",
                "accuracy_mean",
                "accuracy_sd",
                "delta_vs_supervised_twin",
                "delta_sd",
                "seconds_per_fold",
                "fold_accuracies",
                "note",
                "warnings",
            ]
        )
        for r in results:
            writer.writerow(
                [
                    r["method"],
                    *(
                        "" if np.isnan(r[k]) else f"{r[k]:.4f}"
                        for k in ("mean", "sd", "delta", "delta_sd", "seconds_per_fold")
                    ),
                    ";".join(f"{100 * s:.4f}" for s in r["scores"]),
                    r["note"],
                    "; ".join(r["warnings"]),
                ]
            )
