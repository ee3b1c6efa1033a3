"""The command line of ``choose_default``: one sub-command per experiment.

Run as ``python benchmarks/choose_default <experiment> ...`` (or
``python -m benchmarks.choose_default`` from the repository root); see the
package's docstring for the experiments.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

# The experiments import the benchmarks' shared modules (``_common``, ...) as
# the other benchmark scripts do: from the benchmarks folder, first on the
# path. Run as a folder, this package's own folder is first instead, where
# its modules would shadow any top-level module of the same name.
_HERE = Path(__file__).resolve().parent
_BENCHMARKS = str(_HERE.parent)
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = _BENCHMARKS
elif _BENCHMARKS not in sys.path:
    sys.path.insert(0, _BENCHMARKS)

WHERE = ("digits", "fashion-mnist")


def parse_args(argv=None) -> argparse.Namespace:
    import choose_default

    p = argparse.ArgumentParser(
        prog="python benchmarks/choose_default",
        description=choose_default.__doc__.split("\n\n")[0],
    )
    sub = p.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help)

    add("steps", "the training length: steps_per_epoch and lr_schedule").add_argument(
        "per_class", type=int, help="labels per class (10 or 100)"
    )
    add("negatives", "the selector").add_argument("where", choices=WHERE)
    add(
        "features", "label spreading on a warm-up network's features (archived)"
    ).add_argument("seed", type=int, help="Fashion-MNIST development split (100, ...)")
    add("network", "selector_features: the graph inside one fit").add_argument(
        "where", choices=WHERE
    )
    add(
        "pool-negatives", "the default's negatives on SSL-book sets (a diagnostic)"
    ).add_argument("labels", type=int, choices=(10, 100), help="labelled points")
    add("calibration", "the threshold rule at a calibrated T").add_argument(
        "where", choices=WHERE
    )
    criterion = add("criterion", "what the calibration bounds: rows or negatives")
    criterion.add_argument(
        "which", help='"all" or comma-separated data-set keys of _datasets.py'
    )
    criterion.add_argument(
        "n_seeds",
        type=int,
        nargs="?",
        default=None,
        help="development seeds from 10 for digits, wine and breast cancer "
        "(default: 10, 11, 12)",
    )
    add("pseudo-labels", "an MLP on label spreading's own labels (digits)")
    add(
        "mlp", "the supervised twin's network against linear models (#23)"
    ).add_argument(
        "which",
        nargs="?",
        default="all",
        help="'all' (default) or comma-separated data-set keys, e.g. wine,BCI-100",
    )
    add("digits-default", "NS3L's default against LabelSpreading on digits-64 (#23)")
    add(
        "neighbour-mean", "negatives from the neighbours' mean spread (#23)"
    ).add_argument(
        "which",
        nargs="?",
        default="all",
        help="'all' (default), comma-separated data-set keys (e.g. wine,BCI-100), "
        "or 'fashion-mnist' (its development splits; needs the file)",
    )
    add("per-class", "what each class's calibrated threshold bounds (#22)")
    add("class-weight", "class_weight in the NS3L term, on long-tailed digits (#22)")
    add("per-class-images", "small imbalanced classes on the network's features (#22)")
    add("per-class-fashion", "long-tailed Fashion-MNIST's small classes (#22)")
    add("per-class-book", "the per-class rule on SSL-book sets (#22)").add_argument(
        "which", help="comma-separated SSL-book data-set keys, e.g. COIL-100,USPS-100"
    )
    propagation = add("propagation", "class balance of label spreading (#22)")
    propagation.add_argument(
        "sets",
        nargs="+",
        choices=("rho10", "rho100", "digits", "breast_cancer"),
        help="long-tailed digits (rho = 10, 100), balanced digits, breast cancer",
    )
    propagation.add_argument(
        "--selector-only", action="store_true", help="skip the classifiers"
    )
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    if args.experiment == "steps":
        from choose_default.steps import steps

        steps(args.per_class)
    elif args.experiment == "negatives":
        from choose_default.negatives import negatives

        negatives(args.where)
    elif args.experiment == "features":
        from choose_default.features import features

        features(args.seed)
    elif args.experiment == "network":
        from choose_default.network import network

        network(args.where)
    elif args.experiment == "pool-negatives":
        from choose_default.pool_negatives import pool_negatives

        pool_negatives(args.labels)
    elif args.experiment == "calibration":
        from choose_default.calibration import calibration

        calibration(args.where)
    elif args.experiment == "criterion":
        from choose_default.criterion import criterion

        criterion(args.which, args.n_seeds)
    elif args.experiment == "mlp":
        from choose_default.mlp import mlp

        mlp(args.which)
    elif args.experiment == "digits-default":
        from choose_default.digits_default import digits_default

        digits_default()
    elif args.experiment == "neighbour-mean":
        from choose_default.neighbour_mean import neighbour_mean

        neighbour_mean(args.which)
    elif args.experiment == "per-class":
        from choose_default.per_class import per_class

        per_class()
    elif args.experiment == "class-weight":
        from choose_default.per_class import class_weight

        class_weight()
    elif args.experiment == "per-class-images":
        from choose_default.per_class import images

        images()
    elif args.experiment == "per-class-fashion":
        from choose_default.per_class import fashion

        fashion()
    elif args.experiment == "per-class-book":
        from choose_default.per_class import book

        book(args.which)
    elif args.experiment == "propagation":
        from choose_default.propagation import propagation

        propagation(args.sets, args.selector_only)
    else:
        from choose_default.pseudo_labels import pseudo_labels

        pseudo_labels()


if __name__ == "__main__":
    main()
