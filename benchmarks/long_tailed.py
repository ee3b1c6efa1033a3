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
balanced; two ablations of the default's calibration (pool-wide only, as
before issue #22, and the rows' bound pool-wide too), not on images, where
the default's graph is on the network's features at a fixed T; the threshold
rule (``selector="threshold"``, T = 0.04);
``LabelSpreading(kernel="knn")``;
``SelfTrainingClassifier(SVC(class_weight="balanced", probability=True))``;
``LogisticRegression(class_weight="balanced")`` and imbalanced-learn's
``BalancedRandomForestClassifier`` on the labelled rows alone.

Every run records balanced accuracy, macro-F1, accuracy, the recall of every
class and of the rarest classes (the 3 with the fewest training rows; the
rarer one of a binary set), and for every NS3L row with negatives the
per-class wrong-negative rates on the pool (see ``_long_tailed_sets.measure``).
The report (``_long_tailed_report.py``) writes
``docs/results/long_tailed.{md,png,json}``.

Usage::

    python benchmarks/long_tailed.py                 # the full profile, resumable
    python benchmarks/long_tailed.py --quick         # a smoke test, seconds
    python benchmarks/long_tailed.py --rows digits-features-rho10 --seeds 0
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from _catalogue import Catalogue, Profile, Row, RunContext, Skip
from _datasets import row_name
from _long_tailed_report import write_report
from _long_tailed_sets import DATA_SET, DATA_SETS, LongTailedSet, Settings, measure
from _runner import main as run_catalogue
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from sklearn.svm import SVC

from sklearn_ns3l import LabelSpreadingSelector, NS3LClassifier
from sklearn_ns3l.compare import (
    NS3L_DEFAULT,
    SUPERVISED_TWIN,
    LabelledOnly,
    ignore_deliberate_warnings,
)

__all__ = ["CATALOGUE", "DATA_SET", "DATA_SETS", "METHODS", "Settings", "main"]

# SelfTraining's SVC(probability=True) warns on purpose (see compare._peers);
# here, so that the worker processes, which import this module, are quiet too.
ignore_deliberate_warnings()


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
    # Not run on images, where the default's graph is on the network's
    # features at a fixed T: the calibration such a row changes is not used.
    inputs_only: bool = False


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
        note="`NS3LClassifier()` as it is by default: label-spreading "
        "negatives; on feature vectors the graph on the inputs, calibrated on "
        "held-out labelled rows so that at most 5 % of the negatives are "
        "wrong over the pool and, per class (issue #22), at most 5 % of each "
        "class's rows have their class marked (a class with fewer than 5 "
        "held-out rows is never marked); on images the graph on the CNN's "
        "features after a 5-epoch warm-up, at T = 0.01.",
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
        f"{NS3L_DEFAULT}, pool-wide calibration",
        "pool-wide",
        partial(ns3l, selector=LabelSpreadingSelector(per_class=False)),
        ns3l=True,
        selector=True,
        note="ablation: `NS3LClassifier(selector=LabelSpreadingSelector("
        "per_class=False))`, the default's calibration before issue #22: one "
        "pool-wide threshold, at most 5 % of the held-out negatives wrong, "
        "without the per-class bound on each class's rows.",
        inputs_only=True,
    ),
    Method(
        f"{NS3L_DEFAULT}, per-class rows bound",
        "rows bound",
        partial(ns3l, selector=LabelSpreadingSelector(calibration="rows")),
        ns3l=True,
        selector=True,
        note="ablation: `NS3LClassifier(selector=LabelSpreadingSelector("
        'calibration="rows"))`: the pool-wide bound on the share of rows '
        "whose class is marked (not on the share of wrong negatives), with "
        "the default's per-class bound on each class's rows.",
        inputs_only=True,
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
    if not (m.inputs_only and d.images)
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
        description="digits as 64 features and as 8x8 images (50 test rows "
        "per class; the largest class 124 training rows, what the smallest "
        "digit has left, the tail floored at 3) and Fashion-MNIST (the "
        "largest class 1,000 training images, 100 test images per class from "
        "its test file), long-tailed at rho = 10 and 100 with 10 % of each "
        "class labelled (at least 2); USPS (official splits, 100 labels, "
        "transductive); breast cancer as it ships (70 / 30, 10 % of the "
        "training rows labelled); 3 splits each (seeds 0, 1, 2); NS3L at its "
        "defaults (50 epochs) on every set",
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
