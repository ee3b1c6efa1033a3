"""NS3L on long-tailed and imbalanced data, against its twin and the peers (issue #22).

Data sets, every row on the same split of a seed (seeds 0, 1, 2; the
development seeds of ``choose_default`` are not used here):

- scikit-learn's digits as 64 features (pixels / 16) and as 8x8 images (NS3L
  trains its CNN; the peers see the 64 pixels, so their fits are those of the
  64-feature set), long-tailed at rho = 10 and rho = 100 by
  ``_long_tail.long_tailed_split``: a balanced test set of 50 rows per class
  set aside first, then the class at rank ``r`` keeps
  ``n_max * rho ** (-r / 9)`` training rows (``n_max``: as many as the
  smallest class has left), 10 % of each class labelled (at least 2);
- Fashion-MNIST long-tailed the same way at rho = 10 and 100 from its
  training file, ``n_max`` limited (1,000) so that a fit stays about a
  minute on 2 cores, the balanced test set (100 per class) from its test
  file; skipped with the reason where the file is absent;
- the SSL book's USPS (about 1:4), its official splits with 100 labels,
  transductive (the error is measured on the unlabelled points);
- scikit-learn's breast cancer table (37 / 63 %) as it ships: a stratified
  70 / 30 split, 10 % of the training rows labelled (stratified).
  ``NS3LClassifier``'s ``scale="auto"`` standardises it; every peer gets a
  ``StandardScaler`` in a ``Pipeline`` (fitted on all training rows, labels
  unused), as ``ns3l compare`` does.

Rows: the supervised twin (``selector=None``), plain and with
``class_weight="balanced"``; ``NS3LClassifier()`` as it is, plain and
balanced; the threshold rule (``selector="threshold"``, T = 0.04);
``LabelSpreading(kernel="knn")``;
``SelfTrainingClassifier(SVC(class_weight="balanced", probability=True))``;
``LogisticRegression(class_weight="balanced")`` and imbalanced-learn's
``BalancedRandomForestClassifier`` on the labelled rows alone.

Every run records balanced accuracy, macro-F1, accuracy, the recall of every
class and of the rarest classes (the 3 with the fewest training rows; the
rarer one of a binary set), and for every NS3L row with negatives the
per-class wrong-negative rates on the pool (see ``measure``). The report
(``_long_tailed_report.py``) writes ``docs/results/long_tailed.{md,png,json}``.

Usage::

    python benchmarks/long_tailed.py                 # the full profile, resumable
    python benchmarks/long_tailed.py --quick         # a smoke test, seconds
    python benchmarks/long_tailed.py --rows digits-features-rho10 --seeds 0
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace

import _sslbook
import numpy as np
from _catalogue import Catalogue, Dataset, Profile, Row, RunContext, Skip, Split
from _common import unit_images
from _datasets import load_fashion, load_sklearn, row_name
from _long_tail import long_tailed_split, rarest_classes
from _long_tailed_report import write_report
from _runner import main as run_catalogue
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from sklearn.svm import SVC

from sklearn_ns3l import NS3LClassifier, negative_label_quality
from sklearn_ns3l.compare import (
    NS3L_DEFAULT,
    SUPERVISED_TWIN,
    LabelledOnly,
    ignore_deliberate_warnings,
)

# SelfTraining's SVC(probability=True) warns on purpose (see compare._peers);
# here, so that the worker processes, which import this module, are quiet too.
ignore_deliberate_warnings()


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
    return out


# --------------------------------------------------------------------------
# Methods: factories are module-level functions or partials of them, so that
# worker processes can unpickle them.
# --------------------------------------------------------------------------


def ns3l(data: LongTailedSet, ctx: RunContext, **params) -> NS3LClassifier:
    """``NS3LClassifier`` at its defaults but for the set's epochs."""
    s = ctx.settings
    epochs = s.max_epochs or s.ns3l_epochs.get(data.family)
    budget = {} if epochs is None else {"max_epochs": epochs}
    return NS3LClassifier(
        random_state=ctx.seed,
        device=ctx.device,
        verbose=ctx.verbose,
        **budget,
        **params,
    )


def _label_spreading(random_state=None):
    # Deterministic: random_state is accepted and not used.
    return LabelSpreading(kernel="knn")


def _self_training(random_state=None):
    svc = SVC(class_weight="balanced", probability=True, random_state=random_state)
    return SelfTrainingClassifier(svc)


def _logistic(random_state=None):
    return LabelledOnly(LogisticRegression(class_weight="balanced"))


def _balanced_forest(random_state=None):
    try:
        from imblearn.ensemble import BalancedRandomForestClassifier
    except ModuleNotFoundError:
        raise Skip(
            "imbalanced-learn is not installed: pip install 'sklearn-ns3l[benchmark]'"
        ) from None
    return LabelledOnly(BalancedRandomForestClassifier(random_state=random_state))


def peer(data: LongTailedSet, ctx: RunContext, make: Callable):
    """A peer; on a table as it ships, behind a ``StandardScaler``."""
    est = make(random_state=ctx.seed)
    return make_pipeline(StandardScaler(), est) if data.table else est


@dataclass(frozen=True)
class Method:
    """A column of the report: its name, short name, factory, kind of row."""

    name: str
    short: str
    make: Callable
    ns3l: bool = False
    selector: bool = False
    note: str = ""


TWIN_BALANCED = f"{SUPERVISED_TWIN}, balanced"

METHODS = (
    Method(
        SUPERVISED_TWIN,
        "twin",
        partial(ns3l, selector=None),
        ns3l=True,
        note="`NS3LClassifier(selector=None)`: the same network and labelled "
        "batches as the NS3L rows, without the unlabelled term.",
    ),
    Method(
        TWIN_BALANCED,
        "twin bal.",
        partial(ns3l, selector=None, class_weight="balanced"),
        ns3l=True,
        note='the twin with `class_weight="balanced"` (the labelled '
        "cross-entropy weighted by n / (K n_c)).",
    ),
    Method(
        NS3L_DEFAULT,
        "default",
        ns3l,
        ns3l=True,
        selector=True,
        note="`NS3LClassifier()` as it is by default.",
    ),
    Method(
        f"{NS3L_DEFAULT}, balanced",
        "default bal.",
        partial(ns3l, class_weight="balanced"),
        ns3l=True,
        selector=True,
        note='the default with `class_weight="balanced"`.',
    ),
    Method(
        "NS3L threshold",
        "threshold",
        partial(ns3l, selector="threshold"),
        ns3l=True,
        selector=True,
        note='`NS3LClassifier(selector="threshold")`: the paper\'s rule at '
        "T = 0.04; its negatives here are the final network's probabilities "
        "of the pool below T (it marks every batch anew during training).",
    ),
    Method(
        "LabelSpreading (knn)",
        "LS knn",
        partial(peer, make=_label_spreading),
    ),
    Method(
        "SelfTraining (SVC, balanced)",
        "ST SVC bal.",
        partial(peer, make=_self_training),
        note='`SelfTrainingClassifier(SVC(class_weight="balanced", '
        "probability=True))`, its defaults otherwise.",
    ),
    Method(
        "LogisticRegression (balanced, labelled only)",
        "LR bal.",
        partial(peer, make=_logistic),
        note='`LogisticRegression(class_weight="balanced")` on the labelled '
        "rows alone.",
    ),
    Method(
        "BalancedRandomForest (labelled only)",
        "BRF",
        partial(peer, make=_balanced_forest),
        note="imbalanced-learn's `BalancedRandomForestClassifier` (each tree "
        "on a balanced bootstrap of the labelled rows), its defaults.",
    ),
)
METHOD = {m.name: m for m in METHODS}

ROWS = tuple(
    Row(
        row_name(m.name, d.key),
        partial(m.make, d),
        flat=d.images and not m.ns3l,
        dataset=d.dataset,
        measure=measure,
    )
    for d in DATA_SETS
    for m in METHODS
)


# --------------------------------------------------------------------------
# Profiles.
# --------------------------------------------------------------------------

QUICK_SETS = (
    "digits-features-rho10",
    "digits-images-rho100",
    "fashion-mnist-rho10",
    "USPS-100",
    "breast-cancer",
)

PROFILES = {
    "full": Profile(
        None,
        Settings(),
        seeds={d.key: (0, 1, 2) for d in DATA_SETS},
        description="digits (64 features and 8x8 images) and Fashion-MNIST "
        "long-tailed at rho = 10 and 100, USPS (100 labels, official splits), "
        "breast cancer as it ships; 3 splits each (seeds 0, 1, 2); NS3L at "
        "its defaults",
        jobs=2,
    ),
    "quick": Profile(
        None,
        Settings(
            digits_test_per_class=10,
            digits_n_max=30,
            fashion_test_per_class=10,
            fashion_n_max=30,
            usps_max_pool=120,
            max_epochs=2,
        ),
        seeds={key: (0,) for key in QUICK_SETS},
        description="smoke test: five sets, at most 30 training rows per "
        "class (USPS: 120 unlabelled points), 10 test rows per class, 2 "
        "epochs, 1 seed",
    ),
}

CATALOGUE = Catalogue(
    name="long_tailed",
    script="benchmarks/long_tailed.py",
    summary=__doc__.split("\n\n")[0],
    title="NS3L on long-tailed and imbalanced data",
    plot_title="long_tailed, profile '{profile}'",
    xlabel="balanced accuracy (%)",
    profiles=PROFILES,
    rows=ROWS,
    baseline=SUPERVISED_TWIN,
    default_profiles=("full",),
    report=partial(write_report, methods=METHODS, data_sets=DATA_SETS),
)


def main(argv=None) -> int:
    return run_catalogue(argv, catalogue=CATALOGUE)


if __name__ == "__main__":
    sys.exit(main())
