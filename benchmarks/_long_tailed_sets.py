"""The long-tailed benchmark's data sets, and what each run measures (issue #22).

``DATA_SETS`` lists the sets of ``long_tailed.py`` (see its docstring for the
protocols), each split per seed by ``_long_tail.long_tailed_split`` or its
own protocol; ``measure`` is every row's ``Row.measure``: balanced accuracy,
macro-F1, per-class recall, and an NS3L row's negatives per class.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace

import _sslbook
import numpy as np
from _catalogue import Dataset, Split
from _common import unit_images
from _datasets import load_fashion, load_sklearn
from _long_tail import long_tailed_split, rarest_classes
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
)
from sklearn.model_selection import train_test_split

from sklearn_ns3l import NS3LClassifier, negative_label_quality

__all__ = ["DATA_SET", "DATA_SETS", "LongTailedSet", "Settings", "measure"]


@dataclass(frozen=True)
class Settings:
    """A hash of these fields names the cache folder (see ``_cache.py``)."""

    labelled_fraction: float = 0.1
    min_labelled: int = 2
    digits_test_per_class: int = 50
    digits_n_max: int | None = None  # None: what the smallest class has left
    fashion_test_per_class: int = 100
    fashion_n_max: int = 1000
    usps_labels: int = 100
    usps_max_pool: int | None = None  # the quick profile's subset
    cancer_test_size: float = 0.3
    # NS3L rows: epochs on every set (None: NS3LClassifier's default), then
    # per family of sets ("digits", "fashion-mnist", "USPS", "breast-cancer").
    max_epochs: int | None = None
    ns3l_epochs: dict = field(default_factory=dict)


# --------------------------------------------------------------------------
# Data sets: loaded once per process, split per seed.
# --------------------------------------------------------------------------


def split_digits(data, settings: Settings, seed: int, *, rho: float, images: bool):
    X, y = data
    split = long_tailed_split(
        X,
        y,
        seed,
        rho=rho,
        test_per_class=settings.digits_test_per_class,
        n_max=settings.digits_n_max,
        labelled_fraction=settings.labelled_fraction,
        min_labelled=settings.min_labelled,
    )
    if images:
        return dataclasses.replace(
            split, X=split.X.reshape(-1, 8, 8), X_test=split.X_test.reshape(-1, 8, 8)
        )
    return split


def split_fashion(data, settings: Settings, seed: int, *, rho: float) -> Split:
    """Long-tailed rows of the training file; a balanced test set of the test file."""
    split = long_tailed_split(
        data.X_train,
        np.asarray(data.y_train),
        seed,
        rho=rho,
        test_per_class=settings.fashion_test_per_class,
        n_max=settings.fashion_n_max,
        labelled_fraction=settings.labelled_fraction,
        min_labelled=settings.min_labelled,
        X_test=data.X_test,
        y_test=np.asarray(data.y_test),
    )
    # Scaled after the split: only the rows kept are converted to float32.
    return dataclasses.replace(
        split, X=unit_images(split.X), X_test=unit_images(split.X_test)
    )


def split_usps(loader, settings: Settings, seed: int) -> Split:
    """Official split ``seed``, transductive (see ``_sslbook.split``)."""
    sizes = SimpleNamespace(max_pool=settings.usps_max_pool)
    return _sslbook.split(loader, sizes, seed, labels=settings.usps_labels)


def split_cancer(data, settings: Settings, seed: int) -> Split:
    """A stratified 70 / 30 split; a stratified 10 % of the training rows labelled."""
    X, y = data
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=settings.cancer_test_size, stratify=y, random_state=seed
    )
    labelled, pool = train_test_split(
        np.arange(len(y_train)),
        train_size=settings.labelled_fraction,
        stratify=y_train,
        random_state=seed,
    )
    rows = np.concatenate([labelled, pool])
    return Split(
        X=X_train[rows],
        y=np.concatenate([y_train[labelled], np.full(len(pool), -1)]),
        y_true=y_train[rows],
        X_test=X_test,
        y_test=y_test,
        n_labelled=len(labelled),
        n_unlabelled=len(pool),
    )


@dataclass(frozen=True)
class LongTailedSet:
    """A data set of this benchmark and what its rows need to know of it.

    ``family`` keys ``Settings.ns3l_epochs``; ``images``: NS3L trains its CNN
    on the images and the peers see them flattened; ``table``: the peers get
    a ``StandardScaler`` first (a table given as it ships).
    """

    key: str
    title: str
    family: str
    dataset: Dataset
    n_classes: int
    images: bool = False
    table: bool = False
    transductive: bool = False


USPS = next(b for b in _sslbook.BOOK_SETS if b.name == "USPS")

DATA_SETS = (
    *(
        LongTailedSet(
            f"digits-{kind}-rho{rho}",
            f"digits, {'8x8 images' if images else '64 features'}, rho = {rho}",
            "digits",
            Dataset(
                f"digits-{kind}-rho{rho}",
                load=partial(load_sklearn, "digits"),
                split=partial(split_digits, rho=rho, images=images),
            ),
            10,
            images=images,
        )
        for kind, images in (("features", False), ("images", True))
        for rho in (10, 100)
    ),
    *(
        LongTailedSet(
            f"fashion-mnist-rho{rho}",
            f"Fashion-MNIST, rho = {rho}",
            "fashion-mnist",
            Dataset(
                f"fashion-mnist-rho{rho}",
                load=load_fashion,
                split=partial(split_fashion, rho=rho),
            ),
            10,
            images=True,
        )
        for rho in (10, 100)
    ),
    LongTailedSet(
        "USPS-100",
        "USPS (SSL book), 100 labels, transductive",
        "USPS",
        Dataset("USPS-100", load=partial(_sslbook.load, USPS), split=split_usps),
        2,
        transductive=True,
    ),
    LongTailedSet(
        "breast-cancer",
        "breast cancer, as it ships, 10 % labelled",
        "breast-cancer",
        Dataset(
            "breast-cancer",
            load=partial(load_sklearn, "breast-cancer"),
            split=split_cancer,
        ),
        2,
        table=True,
    ),
)
DATA_SET = {d.key: d for d in DATA_SETS}


# --------------------------------------------------------------------------
# What every run records besides the error.
# --------------------------------------------------------------------------


#: The fitted selector's per-class calibration, recorded where it has it.
CALIBRATION_ATTRIBUTES = (
    "thresholds_",
    "class_rate_bounds_",
    "class_wrong_rates_",
    "class_calibration_rows_",
)


def _floats(values) -> list:
    """JSON-ready floats, NaN as None."""
    return [None if np.isnan(v) else float(v) for v in np.asarray(values, float)]


def measure(est, split: Split, pred) -> dict:
    """Balanced accuracy, macro-F1, per-class recall, and the negatives per class.

    The rarest classes are those with the fewest training rows
    (``_long_tail.rarest_classes``): 3, or 1 on a binary set. For an
    ``NS3LClassifier`` with a selector, ``negatives`` measures the mask the
    network trained with on the pool (``pool_negatives_``: the rows of ``X``
    with ``y == -1``, in order) against the truth with
    ``negative_label_quality``; a probability rule (the threshold), which
    marks each batch anew, has none, and its mask is the fitted network's
    ``predict_proba`` of the pool below its threshold (``selector_.transform``).
    """
    classes, train_rows = np.unique(split.y_true, return_counts=True)
    rarest = rarest_classes(split, 3 if len(classes) > 2 else 1)
    recall = recall_score(
        split.y_test, pred, labels=classes, average=None, zero_division=0
    )
    out = {
        "balanced_accuracy": float(balanced_accuracy_score(split.y_test, pred)),
        "macro_f1": float(
            f1_score(split.y_test, pred, labels=classes, average="macro")
        ),
        "accuracy": float(accuracy_score(split.y_test, pred)),
        "classes": classes.tolist(),
        "class_train_rows": train_rows.tolist(),
        "class_recall": _floats(recall),
        "rarest_classes": rarest.tolist(),
        "rarest_recall": float(np.mean(recall[np.isin(classes, rarest)])),
    }
    selector = getattr(est, "selector_", None)
    if isinstance(est, NS3LClassifier) and selector is not None:
        pool = np.flatnonzero(split.y == -1)
        mask, source = est.pool_negatives_, "pool_negatives_"
        if mask is None:
            mask = selector.transform(est.predict_proba(split.X[pool]))
            source = "predict_proba of the pool below the threshold"
        q = negative_label_quality(mask, split.y_true[pool], est.classes_)
        out["negatives"] = {
            "source": source,
            "classes": np.asarray(q.classes).tolist(),
            "wrong_negative_rate": _floats([q.wrong_negative_rate])[0],
            "negatives_per_sample": float(q.negatives_per_sample),
            "class_rows": q.class_rows.tolist(),
            "class_negatives": q.class_negatives.tolist(),
            "class_wrong_rate": _floats(q.class_wrong_rate),
            "class_wrong_negative_rate": _floats(q.class_wrong_negative_rate),
        }
        # What the calibration promised per class, where it calibrated one
        # (label spreading on the inputs; not the network's features at T).
        for name in CALIBRATION_ATTRIBUTES:
            value = getattr(selector, name, None)
            if value is not None:
                out["negatives"][name] = _floats(value)
    return out
