"""Data loading: Fashion-MNIST from the canonical idx files or an npz, and label hiding.

Nothing here downloads. Fashion-MNIST is read from, in order: the ``path``
argument, the ``NS3L_FASHION_MNIST`` environment variable, and the directory
that Debian's ``dataset-fashion-mnist`` package installs
(``/usr/share/datasets/fashion-mnist``).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._unlabelled import UNLABELLED, unlabelled_mask

__all__ = [
    "FASHION_MNIST_ENV",
    "DEBIAN_FASHION_MNIST_DIR",
    "load_fashion_mnist",
    "read_idx",
    "hide_labels",
]

FASHION_MNIST_ENV = "NS3L_FASHION_MNIST"
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPES = {
    0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8",
}  # fmt: skip


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one file in the idx format of (Fashion-)MNIST, gzipped or not.

    Parameters
    ----------
    path : str or path-like
        An ``*-idx*-ubyte`` file, optionally ending in ``.gz``.

    Returns
    -------
    array : ndarray
        Shaped by the file's header, in the file's element type.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an idx file: bad magic number {raw[:4]!r}.")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: header says {tuple(dims)} "
            f"({expected} bytes of data), file holds {len(raw) - offset}."
        )
    return (
        np.frombuffer(raw, dtype=dtype, offset=offset)
        .reshape(dims)
        .astype(dtype.newbyteorder("="))
    )


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def _resolve(path) -> Path:
    if path is not None:
        source, p = "path argument", Path(path)
    elif os.environ.get(FASHION_MNIST_ENV):
        source, p = f"${FASHION_MNIST_ENV}", Path(os.environ[FASHION_MNIST_ENV])
    else:
        source, p = "Debian package dataset-fashion-mnist", DEBIAN_FASHION_MNIST_DIR
    if not p.exists():
        raise FileNotFoundError(
            f"Fashion-MNIST not found at {p} (from the {source}). Pass the path of "
            "an .npz (keys x_train, y_train, x_test, y_test) or of a directory "
            f"with the four idx files, set ${FASHION_MNIST_ENV}, or run "
            "`apt-get install dataset-fashion-mnist`. Nothing is downloaded."
        )
    return p


def load_fashion_mnist(path: str | os.PathLike | None = None) -> Bunch:
    """Load Fashion-MNIST (60,000 train and 10,000 test images, 28x28, uint8).

    Parameters
    ----------
    path : str or path-like, default=None
        An ``.npz`` with arrays ``x_train``, ``y_train``, ``x_test``,
        ``y_test``, or a directory with the four canonical idx files
        (``train-images-idx3-ubyte[.gz]`` ...). None reads
        ``$NS3L_FASHION_MNIST``, then ``/usr/share/datasets/fashion-mnist``
        (Debian package ``dataset-fashion-mnist``).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X_train`` (60000, 28, 28) uint8, ``y_train`` (60000,), ``X_test``,
        ``y_test``, ``target_names`` and ``source`` (the path read).

    Raises
    ------
    FileNotFoundError
        When no copy is found; the message says where it looked.
    """
    p = _resolve(path)
    if p.is_dir():
        files = {key: _find_idx(p, stem) for key, stem in _IDX_FILES.items()}
        missing = [_IDX_FILES[k] for k, f in files.items() if f is None]
        if missing:
            raise FileNotFoundError(f"{p} lacks the idx files {missing} (.gz or not).")
        arrays = {key: read_idx(f) for key, f in files.items()}
    else:
        with np.load(p) as npz:
            missing = [k for k in _IDX_FILES if k not in npz]
            if missing:
                raise ValueError(f"{p} lacks the arrays {missing}.")
            arrays = {key: npz[key] for key in _IDX_FILES}
    for split in ("train", "test"):
        n_x, n_y = len(arrays[f"x_{split}"]), len(arrays[f"y_{split}"])
        if n_x != n_y:
            raise ValueError(f"{p}: {n_x} {split} images but {n_y} labels.")
    return Bunch(
        X_train=arrays["x_train"],
        y_train=arrays["y_train"].astype(np.int64),
        X_test=arrays["x_test"],
        y_test=arrays["y_test"].astype(np.int64),
        target_names=list(FASHION_MNIST_CLASSES),
        source=str(p),
    )


def hide_labels(y, labels_per_class: int, random_state=None) -> np.ndarray:
    """Keep ``labels_per_class`` labels of each class at random, set the rest to -1.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Fully labelled targets: no -1 (nor ``"-1"``) and no missing values.
    labels_per_class : int
        Labels kept per class; every class needs at least that many samples.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    y_semi : ndarray of shape (n_samples,)
        A copy of ``y`` with the integer -1 for hidden labels. String (and
        boolean) labels come back in an object array, where -1 can stand
        beside them; unsigned integers as signed ones.

    Raises
    ------
    ValueError
        If ``y`` already marks rows unlabelled, holds a value that
        ``NS3LClassifier`` would refuse as a marker (NaN, None, ...), or has a
        class with fewer than ``labels_per_class`` samples.

    Examples
    --------
    >>> from sklearn_ns3l.datasets import hide_labels
    >>> hide_labels([0, 0, 0, 1, 1, 1], 1, random_state=0)
    array([-1, -1,  0, -1, -1,  1])
    """
    y = np.asarray(y)
    if labels_per_class < 1:
        raise ValueError(f"labels_per_class must be >= 1; got {labels_per_class}.")
    already = unlabelled_mask(y)  # also refuses NaN, None and the like
    if already.any():
        raise ValueError(
            f"y already marks {int(already.sum())} row(s) unlabelled (-1), the "
            f"first at row {int(np.flatnonzero(already)[0])}; hide_labels needs "
            "fully labelled targets, or -1 would be taken as a class."
        )
    rng = check_random_state(random_state)
    y_semi = _copy_able_to_hold_minus_one(y)
    keep = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        if len(rows) < labels_per_class:
            raise ValueError(
                f"class {c!r} has {len(rows)} samples, fewer than "
                f"labels_per_class={labels_per_class}."
            )
        keep[rng.choice(rows, labels_per_class, replace=False)] = True
    y_semi[~keep] = UNLABELLED
    return y_semi


def _copy_able_to_hold_minus_one(y: np.ndarray) -> np.ndarray:
    # A bool array would store -1 as True, an unsigned one cannot store it.
    if y.dtype.kind in "OUSb":
        return y.astype(object)
    if y.dtype.kind == "u":
        if len(y) == 0 or y.max() <= np.iinfo(np.int64).max:
            return y.astype(np.int64)
        return y.astype(object)
    return y.copy()
