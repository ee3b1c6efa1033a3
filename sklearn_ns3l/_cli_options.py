"""The options of ``ns3l`` and ``ns3l compare``: ranges, defaults and help.

Defaults and allowed ranges of the options that set an ``NS3LClassifier``
parameter are the classifier's own (its ``get_params()`` and
``_parameter_constraints``), read from it, not repeated here; a value out of
range is refused by argparse (a usage message naming the option, exit status
2) before anything is loaded or trained.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from ._classifier import NS3LClassifier
from ._fit_plan import AUTO_STEPS_PER_EPOCH
from .selectors import SELECTORS

__all__ = ["build_compare_parser", "build_parser"]

#: NS3LClassifier's defaults, the CLI's unless an option says otherwise.
_DEFAULTS = NS3LClassifier().get_params()

_AT_LEAST_1 = Interval(Integral, 1, None, closed="left")
_SEED = Interval(Integral, 0, 2**32 - 1, closed="both")  # numpy's seeds

_THREADS_HELP = (
    "threads for torch and every OpenMP/BLAS pool (through threadpoolctl), "
    "for this run only (default: leave them as they are, torch takes every "
    "core). On a machine whose cores are busy with other work, 1 thread can "
    "be 10-30x faster than 2: threads that wait on each other lose more than "
    "they gain"
)


def _number_in(interval: Interval) -> Callable[[str], int | float]:
    """An argparse ``type``: a finite number in ``interval``, else a usage error."""
    kind = int if interval.type is Integral else float

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not (math.isfinite(value) and interval.is_satisfied_by(value)):
            raise argparse.ArgumentTypeError(f"must be {interval}; got {text}")
        return value

    return parse


def _classifier_range(param: str) -> Callable[[str], int | float]:
    """The argparse ``type`` of an option that sets ``NS3LClassifier(param=...)``.

    Its range is the classifier's parameter constraint, so that a bad value is
    refused at the command line with the option's name, not deep in ``fit``.
    """
    constraints = NS3LClassifier._parameter_constraints[param]
    return _number_in(next(c for c in constraints if isinstance(c, Interval)))


def build_parser() -> argparse.ArgumentParser:
    """The main job's options."""
    p = argparse.ArgumentParser(
        prog="ns3l",
        description="Train the supervised baseline and NS3L on the same split with "
        "most labels hidden, and print their test accuracy side by side.",
        epilog="ns3l compare FILE --target COLUMN: NS3L, its supervised twin and "
        "scikit-learn's semi-supervised and supervised peers on your own table, "
        "by cross-validation (see ns3l compare --help).",
    )
    p.add_argument(
        "--dataset",
        choices=["digits", "fashion-mnist"],
        default="digits",
        help="scikit-learn's 8x8 digits, or Fashion-MNIST's 28x28 images, read "
        "from disk (see --data-path; nothing is downloaded) (default: %(default)s)",
    )
    p.add_argument(
        "--data-path",
        help="Fashion-MNIST .npz or idx directory (default: $NS3L_FASHION_MNIST, "
        "then /usr/share/datasets/fashion-mnist)",
    )
    p.add_argument(
        "--labels-per-class",
        type=_number_in(_AT_LEAST_1),
        default=10,
        help="labels kept per class of the training images; the others are "
        "hidden (-1) (default: %(default)s)",
    )
    p.add_argument(
        "--selector",
        choices=sorted(SELECTORS),
        default=_DEFAULTS["selector"],
        help="NS3L's rule for the negative labels of an unlabelled image "
        "(NS3LClassifier's selector; oracle, an ablation, reads the hidden "
        "labels) (default: %(default)s)",
    )
    p.add_argument(
        "-T",
        "--T",
        type=_classifier_range("T"),
        default=_DEFAULTS["T"],
        dest="T",
        help="--selector threshold only: the probability below which a class "
        "is a negative label (default: %(default)s)",
    )
    p.add_argument(
        "--ns-weight",
        type=_classifier_range("ns_weight"),
        default=_DEFAULTS["ns_weight"],
        help="weight of the NS3L term beside the labelled cross-entropy "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--epochs",
        type=_classifier_range("max_epochs"),
        default=_DEFAULTS["max_epochs"],
        help=f"max_epochs: epochs of at least {AUTO_STEPS_PER_EPOCH} optimiser "
        "steps each, over which the learning rate decays to 0 "
        "(default: NS3LClassifier's, %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=_classifier_range("batch_size"),
        default=_DEFAULTS["batch_size"],
        help="images per optimiser step, labelled and unlabelled "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--lr",
        type=_classifier_range("lr"),
        default=_DEFAULTS["lr"],
        help="learning rate (default: %(default)s)",
    )
    p.add_argument(
        "--seeds",
        type=_number_in(_AT_LEAST_1),
        default=3,
        help="repetitions, with seeds 0..N-1: the labels kept and the "
        "networks' random draws (default: %(default)s)",
    )
    p.add_argument(
        "--test-size",
        type=_number_in(Interval(Real, 0, 1, closed="neither")),
        default=0.5,
        help="digits only: the share of the images held out to test on "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--split-seed",
        type=_number_in(_SEED),
        default=0,
        help="digits only: the seed of the train/test split (default: %(default)s)",
    )
    p.add_argument(
        "--device",
        default=_DEFAULTS["device"],
        help="torch device, e.g. cpu, cuda, cuda:1 (default: %(default)s)",
    )
    p.add_argument(
        "--threads", type=_number_in(_AT_LEAST_1), default=None, help=_THREADS_HELP
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: a progress bar over each fit's epochs (default: none)",
    )
    return p


def build_compare_parser() -> argparse.ArgumentParser:
    """``ns3l compare``'s options."""
    from .compare import DENSE_KERNEL_LIMIT, IMBALANCE_RATIO, PEERS

    p = argparse.ArgumentParser(
        prog="ns3l compare",
        description="Compare NS3LClassifier() (at its defaults), its supervised "
        "twin (selector=None) and scikit-learn's peers on a table of your own. "
        "Rows whose target is empty or -1 are unlabelled. Each method is "
        "scored by stratified cross-validation over the labelled rows only: "
        "every training fold also holds all the unlabelled rows, and every "
        "method sees the same folds. Features: numeric columns get their "
        "column's median for a missing value and, where their ranges differ "
        "by more than a factor of 20 (columns in different units), are "
        "standardised (see --scale); the others are one-hot encoded (a "
        "missing value is a category of its own); in a scikit-learn Pipeline "
        "of a ColumnTransformer and the model. Every method gets the same "
        "features, and the table says what was done. The table ranks the "
        "methods by accuracy; when the labelled classes are imbalanced (the "
        f"largest has at least {IMBALANCE_RATIO:g} times the labelled rows of "
        "the smallest), it adds balanced accuracy (the mean of the per-class "
        "recalls, from the same fits and folds), ranks by it, and says so.",
        epilog="Peers: "
        + ", ".join(PEERS)
        + f". The rbf graph methods are left out above {DENSE_KERNEL_LIMIT:,} "
        "training rows (their kernel is a dense n x n matrix). Exit status 2: "
        "an option out of range, or a file, column or target that cannot be "
        "compared on.",
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="a table pandas reads, by its suffix (.csv, .tsv, .parquet, "
        ".feather, .json, .xlsx; CSV otherwise), or an .npz with arrays X and y",
    )
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="the target column of a table (no default; not needed for an .npz, "
        "whose y is the target)",
    )
    p.add_argument(
        "--drop",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns not to use as features (default: none)",
    )
    p.add_argument(
        "--scale",
        choices=["auto", "standard", "none"],
        default="auto",
        help="standardisation of the numeric columns, the same for every "
        "method: 'auto' where their ranges differ by more than a factor of 20 "
        "(a raw table in mixed units; pixels and columns on one scale lose "
        "accuracy standardised), 'standard' always, 'none' never "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--folds",
        type=_number_in(Interval(Integral, 2, None, closed="left")),
        default=5,
        help="cross-validation folds (default: %(default)s; fewer when the "
        "rarest class has fewer labelled rows)",
    )
    p.add_argument(
        "--max-epochs",
        type=_classifier_range("max_epochs"),
        default=_DEFAULTS["max_epochs"],
        help="NS3L's training length in epochs, each of at least "
        f"{AUTO_STEPS_PER_EPOCH} optimiser steps however few the labels, and "
        "more when the labelled rows of a fold fill more batches "
        "(default: NS3LClassifier's, %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=_classifier_range("batch_size"),
        default=_DEFAULTS["batch_size"],
        help="NS3L's rows per optimiser step (default: NS3LClassifier's, %(default)s)",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        default=None,
        metavar="NAME",
        help="run only the methods whose names contain one of these (case "
        "insensitive); the supervised twin always runs (default: all)",
    )
    p.add_argument(
        "--seed",
        type=_number_in(_SEED),
        default=0,
        help="the folds' and every model's random_state (default: %(default)s)",
    )
    p.add_argument(
        "--device",
        default=_DEFAULTS["device"],
        help="NS3L's torch device (default: %(default)s)",
    )
    p.add_argument(
        "--threads", type=_number_in(_AT_LEAST_1), default=None, help=_THREADS_HELP
    )
    p.add_argument(
        "--output",
        metavar="CSV",
        help="also write the table to this CSV file, with balanced accuracy "
        "for every table and the metric ranked by in column ranked_by "
        "(default: print it only)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (default: one, on the terminal)",
    )
    return p
