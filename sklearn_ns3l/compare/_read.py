"""Reading a user's file into a :class:`~sklearn_ns3l.compare.Table`.

A table (CSV, Parquet or anything else pandas reads) or an ``.npz`` with ``X``
and ``y``. Blank and NaN target cells count as unlabelled here on purpose, as
well as -1: a table has no other way to leave a label out, whereas an array
given to ``NS3LClassifier.fit`` must say -1 (``sklearn_ns3l._unlabelled``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._table import CompareError, Table, show_label

__all__ = ["read_table"]

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
    if path.suffix.lower() == ".npz":
        table = _read_npz(path)
    else:
        table = _read_frame_table(path, target, drop)
    if table.n_labelled == 0:
        raise CompareError(
            f"{path.name}: no labelled row (every target is empty or -1)."
        )
    if len(table.classes) < 2:
        raise CompareError(
            f"{path.name}: the labelled rows hold one class only "
            f"({show_label(table.classes[0])}); "
            "a classifier needs at least two."
        )
    return table


def _read_npz(path: Path) -> Table:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "X" not in data or "y" not in data:
                raise CompareError(
                    f"{path} holds arrays {sorted(data.files)}; an .npz needs X and y."
                )
            X, y_raw = data["X"], data["y"]
    except CompareError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reading error is the file's
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
    notes = []
    image_shape = None
    if X.ndim > 2:
        image_shape = tuple(X.shape[1:])
        X = X.reshape(len(X), -1)
        notes.append(
            f"X holds images of shape {image_shape}: NS3L trains a CNN on "
            "them, the peers see their pixels as features."
        )
    y, classes = _encode_target(
        y_raw.astype(object) if y_raw.dtype.kind in "fiub" else y_raw
    )
    return Table(X, y, classes, list(range(X.shape[1])), [], image_shape, notes)


def _read_frame_table(path: Path, target: str | None, drop) -> Table:
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
    note = (
        f"{len(numeric)} numeric column(s) (missing values: the median), "
        f"{len(categorical)} categorical one(s) one-hot encoded"
        + (f": {', '.join(map(str, categorical[:8]))}" if categorical else "")
        + ("..." if len(categorical) > 8 else "")
    )
    return Table(X, y, classes, numeric, categorical, None, [note])


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


def _is_minus_one(v) -> bool:
    try:
        return bool(v == -1)
    except (TypeError, ValueError):
        return False
