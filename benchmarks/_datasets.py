"""The peer benchmark's data sets: loaders, one split per seed, the catalogue.

``DATA_SETS`` lists the data sets of ``vs_sklearn.py`` (see its docstring for
the protocols); ``choose_default`` reads the same sets on development seeds.
``fashion_split`` is the Fashion-MNIST split of ``table6.py``, which
``vs_sklearn.py`` uses with its own sizes.

The splits read the fields they need of a profile's settings (duck-typed):
``test_size``, the ``*_labels_per_class`` field a set names, ``max_pool``,
``max_test`` and the ``fashion_*`` sizes of ``vs_sklearn.Settings``;
``labels_per_class``, ``n_unlabelled`` and ``n_test`` for ``fashion_split``
(``table6.Settings``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import _sslbook
import numpy as np
from _catalogue import Dataset, Skip, Split
from _common import fashion_mnist, unit_images
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_ns3l.datasets import hide_labels

__all__ = [
    "DATA_SET",
    "DATA_SETS",
    "BenchmarkDataSet",
    "FashionSizes",
    "fashion_split",
    "load_fashion",
    "method_and_data_set",
    "row_name",
]


def row_name(method: str, data_key: str) -> str:
    """The name of a row of the peer benchmark: ``"<method>, <data set key>"``."""
    return f"{method}, {data_key}"


def method_and_data_set(name: str) -> tuple[str, str]:
    """``row_name`` undone: ``(method, data set key)``.

    The key is what follows the last ``", "``: no data set key holds one,
    while method names may.
    """
    method, _, data_key = name.rpartition(", ")
    return method, data_key


_SKLEARN_LOADERS = {
    "digits": load_digits,
    "wine": load_wine,
    "breast-cancer": load_breast_cancer,
}


def load_sklearn(name: str, data_path=None):
    X, y = _SKLEARN_LOADERS[name](return_X_y=True)
    if name == "digits":
        X = X / 16.0
    return X.astype(np.float32), y


def _subsample(rows: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    if n is None or n >= len(rows):
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))


def split_sklearn(
    data, settings, seed: int, *, labels: str, standardise=False, images=False
) -> Split:
    """A stratified 70/30 split, then ``labels`` per class kept (see the module)."""
    X, y = data
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=settings.test_size, stratify=y, random_state=seed
    )
    if standardise:  # on the training rows, labels unused
        scaler = StandardScaler().fit(X_train)
        X_train = scaler.transform(X_train).astype(np.float32)
        X_test = scaler.transform(X_test).astype(np.float32)
    y_semi = hide_labels(y_train, getattr(settings, labels), random_state=seed)
    labelled = np.flatnonzero(y_semi != -1)
    pool = _subsample(np.flatnonzero(y_semi == -1), settings.max_pool, seed)
    test = _subsample(np.arange(len(y_test)), settings.max_test, seed)
    rows = np.concatenate([labelled, pool])
    X_train, X_test = X_train[rows], X_test[test]
    if images:
        X_train, X_test = X_train.reshape(-1, 8, 8), X_test.reshape(-1, 8, 8)
    return Split(
        X=X_train,
        y=np.concatenate([y_semi[labelled], np.full(len(pool), -1)]),
        y_true=y_train[rows],
        X_test=X_test,
        y_test=y_test[test],
        n_labelled=len(labelled),
        n_unlabelled=len(pool),
    )


def load_fashion(data_path=None):
    """Fashion-MNIST, or :class:`_catalogue.Skip` where no copy is found."""
    try:
        return fashion_mnist(data_path)
    except FileNotFoundError as exc:
        raise Skip(str(exc)) from None


def fashion_split(data, settings, seed: int) -> Split:
    """Images in [0, 1], (n, 28, 28) float32: the labelled ones, then the pool.

    Table 6's split, shared by every benchmark that trains on Fashion-MNIST:
    ``settings.labels_per_class`` labels per class kept
    (``hide_labels(y_train, n, random_state=seed)``), a random subset of
    ``settings.n_unlabelled`` of the other training images as the pool
    (all 58,000 where it asks for that many), and the 10,000 test images, or
    a random ``settings.n_test`` of them.
    """
    y_semi = hide_labels(data.y_train, settings.labels_per_class, random_state=seed)
    labelled = np.flatnonzero(y_semi != -1)
    pool = np.flatnonzero(y_semi == -1)
    if settings.n_unlabelled > len(pool):
        raise ValueError(
            f"n_unlabelled={settings.n_unlabelled} but only {len(pool)} "
            "unlabelled images are left."
        )
    if settings.n_unlabelled < len(pool):
        rng = np.random.default_rng(seed)
        pool = np.sort(rng.choice(pool, settings.n_unlabelled, replace=False))
    rows = np.concatenate([labelled, pool])
    X = unit_images(data.X_train[rows])
    y = np.concatenate([y_semi[labelled], np.full(len(pool), -1)])
    X_test, y_test = data.X_test, data.y_test
    if settings.n_test is not None:
        test_rows = np.random.default_rng(10_000 + seed).choice(
            len(y_test), settings.n_test, replace=False
        )
        X_test, y_test = X_test[np.sort(test_rows)], y_test[np.sort(test_rows)]
    return Split(
        X=X,
        y=y,
        y_true=data.y_train[rows],
        X_test=unit_images(X_test),
        y_test=np.asarray(y_test),
        n_labelled=len(labelled),
        n_unlabelled=len(pool),
    )


@dataclass(frozen=True)
class FashionSizes:
    """What ``fashion_split`` reads of a profile's settings."""

    labels_per_class: int
    n_unlabelled: int
    n_test: int | None


def split_fashion(data, settings, seed: int) -> Split:
    """``fashion_split`` with the peer benchmark's label, pool and test sizes."""
    n_unlabelled = settings.fashion_n_unlabelled
    n_test = settings.fashion_n_test
    if settings.max_pool is not None:
        n_unlabelled = min(n_unlabelled, settings.max_pool)
    if settings.max_test is not None:
        n_test = min(n_test or settings.max_test, settings.max_test)
    sizes = FashionSizes(
        labels_per_class=settings.fashion_labels_per_class,
        n_unlabelled=n_unlabelled,
        n_test=n_test,
    )
    return fashion_split(data, sizes, seed)


@dataclass(frozen=True)
class BenchmarkDataSet:
    """A data set of the peer benchmark and what its rows need to know of it.

    ``dataset`` is the runner's :class:`_catalogue.Dataset` (how to load and
    split it); ``key`` names its rows (``row_name(method, key)``) and its
    cached splits;
    ``title`` is formatted with the profile's settings; ``n_train(settings)``
    is its number of training rows (labelled and unlabelled), for the
    dense-kernel limit. ``raw_of``: for a table given as it ships (columns in
    their own units), the key of its standardised twin, whose splits it
    shares; such a set is reported apart (issue #23), outside the balanced
    benchmark's verdicts.
    """

    key: str
    title: str
    dataset: Dataset
    n_classes: int
    protocol: str  # "test set" or "transductive"
    n_train: Callable
    images: bool = False
    note: str = ""
    raw_of: str | None = None


def _fixed(n: int, settings=None) -> int:
    return n


def _sklearn_n_train(n: int, settings) -> int:
    n_train = n - int(np.ceil(n * settings.test_size))
    return n_train if settings.max_pool is None else min(n_train, settings.max_pool)


def _fashion_n_train(settings) -> int:
    n_unlabelled = settings.fashion_n_unlabelled
    if settings.max_pool is not None:
        n_unlabelled = min(n_unlabelled, settings.max_pool)
    return 10 * settings.fashion_labels_per_class + n_unlabelled


def _sklearn_set(key, title, name, n, n_classes, labels, **kwargs) -> BenchmarkDataSet:
    standardise = kwargs.pop("standardise", False)
    images = kwargs.pop("images", False)
    return BenchmarkDataSet(
        key,
        title,
        Dataset(
            key,
            load=partial(load_sklearn, name),
            split=partial(
                split_sklearn, labels=labels, standardise=standardise, images=images
            ),
        ),
        n_classes,
        "test set",
        partial(_sklearn_n_train, n),
        images=images,
        **kwargs,
    )


def _book_set(book: _sslbook.BookSet, labels: int) -> BenchmarkDataSet:
    key = f"{book.name}-{labels}"
    return BenchmarkDataSet(
        key,
        f"{book.name}, {labels} labels",
        Dataset(
            key,
            load=partial(_sslbook.load, book),
            split=partial(_sslbook.split, labels=labels),
        ),
        book.n_classes,
        "transductive",
        partial(_fixed, book.n_points),
        note=f"sparse, {book.n_features:,} features" if book.sparse else "",
    )


DATA_SETS = (
    _sklearn_set(
        "digits-images",
        "digits, 8x8 images, {digits_labels_per_class} labels per class",
        "digits",
        1797,
        10,
        "digits_labels_per_class",
        images=True,
    ),
    _sklearn_set(
        "digits-features",
        "digits, 64 features, {digits_labels_per_class} labels per class",
        "digits",
        1797,
        10,
        "digits_labels_per_class",
    ),
    _sklearn_set(
        "wine",
        "wine, standardised, {uci_labels_per_class} labels per class",
        "wine",
        178,
        3,
        "uci_labels_per_class",
        standardise=True,
    ),
    _sklearn_set(
        "breast-cancer",
        "breast cancer, standardised, {uci_labels_per_class} labels per class",
        "breast-cancer",
        569,
        2,
        "uci_labels_per_class",
        standardise=True,
    ),
    *(
        _book_set(book, labels)
        for book in _sslbook.BOOK_SETS
        for labels in book.labels
        if labels in (10, 100)
    ),
    BenchmarkDataSet(
        "fashion-mnist",
        "Fashion-MNIST, {fashion_labels_per_class} labels per class",
        Dataset("fashion-mnist", load=load_fashion, split=split_fashion),
        10,
        "test set",
        _fashion_n_train,
        images=True,
    ),
    # The two tables again as they ship, for a user who skips the scaler:
    # the same splits (seeds, rows, labels) as their standardised twins.
    _sklearn_set(
        "wine-raw",
        "wine, as it ships (unscaled), {uci_labels_per_class} labels per class",
        "wine",
        178,
        3,
        "uci_labels_per_class",
        raw_of="wine",
    ),
    _sklearn_set(
        "breast-cancer-raw",
        "breast cancer, as it ships (unscaled), {uci_labels_per_class} labels "
        "per class",
        "breast-cancer",
        569,
        2,
        "uci_labels_per_class",
        raw_of="breast-cancer",
    ),
)
DATA_SET = {d.key: d for d in DATA_SETS}
