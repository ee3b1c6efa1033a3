"""Targeted experiments around Table 6: what makes the threshold row help or not.

A catalogue of its own for ``_runner.py`` (the runs, cache, progress and
outputs of ``table6.py``): Table 6's rows and profiles, and extra profiles and
rows, each run on the cpu profile's seeds 0-2 beside a Supervised row of the
same profile, so every comparison is paired by seed:

- ``ablation-e20``: the cpu profile's data and 20 epochs. Rows: the NS3L weight
  at 3 instead of 1; T = 0.1 (more probability mass counted as negative); the
  paper-era "small CNN" of Keras' ``mnist_cnn`` example (two 3x3 convolutions
  of 32 and 64 filters, one max-pool, dropout 0.25 and 0.5, no batch norm),
  supervised and with NS3L (T = 0.03), in place of the package's ``SmallCNN``;
  rows of Table 6 and the companion rows again with the learning rate decayed
  to 0 along a cosine (``..., cosine lr``): at a constant learning rate the
  test error of the last epoch jumps by 1-3 points from one epoch to the next,
  which drowns differences of a few tenths; and VAT with smaller
  perturbations (``eps`` 0.5 and 1.0 instead of 2.0), alone and with NS3L.
- ``ablation-e50``: the same data for the paper's 50 epochs. Rows: Supervised
  and Threshold T = 0.03, at a constant and at a cosine-decayed rate.
- ``ablation-e100`` and ``ablation-e200``: 100 and 200 epochs (4,000 and
  8,000 steps, 10 and 20 passes over the pool), cosine-decayed: does a longer
  training give the threshold term a role? (The paper does not define its
  epoch; over its 58,000 unlabelled images, 50 epochs would be 58,000 steps.)
  At 100 epochs also T = 0.05, a ramp-up over 25 epochs instead of 5, and
  pseudo-labelling alone and with NS3L.
- ``ablation-l20``: 20 labels per class instead of 200, for as many steps as
  the cpu profile, cosine-decayed: the threshold, uniform and oracle rows and
  the companions, where the network is far less sure of the pool.

The cosine decay is the package's (``sklearn_ns3l.callbacks.cosine_schedule``:
skorch's ``LRScheduler`` with a ``LambdaLR`` stepped every batch), given in
``NS3LClassifier(callbacks=...)`` so that the rows keep the paper's epoch:
the learning rate of step ``k`` of ``n`` is ``lr * (1 + cos(pi * k / n)) / 2``.

Usage::

    python benchmarks/table6_ablations.py                 # every profile
    python benchmarks/table6_ablations.py --profile ablation-e50 --rows Threshold
    python benchmarks/table6_ablations.py --report-only \\
        --from-json docs/results/table6_ablation-*.json

Options are those of ``table6.py``; without ``--rows``, each profile runs its
rows below (``DEFAULT_ROWS``). The outputs are
``docs/results/table6_ablation-e20.*``, ``-e50.*``, ``-e100.*``, ``-e200.*``
and ``-l20.*``. Under each table, paired differences between rows (NS3L on top of
a companion against the companion alone, say) on the same seeds.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from functools import partial

import table6
import torch
from _catalogue import SUPERVISED, Row
from _runner import main as run_catalogue
from table6 import ns3l
from torch import nn

from sklearn_ns3l import VATLoss
from sklearn_ns3l.callbacks import cosine_schedule

# --------------------------------------------------------------------------
# Profiles.
# --------------------------------------------------------------------------

_cpu = table6.PROFILES["cpu"]
PROFILES = {
    **table6.PROFILES,
    "ablation-e20": dataclasses.replace(
        _cpu, description=_cpu.description + "; ablations"
    ),
    **{
        f"ablation-e{epochs}": dataclasses.replace(
            _cpu,
            settings=dataclasses.replace(_cpu.settings, max_epochs=epochs),
            description=_cpu.description.replace("20 epochs", f"{epochs} epochs")
            + "; ablations",
        )
        for epochs in (50, 100, 200)
    },
    # Few labels: 20 per class. An epoch is a pass over the labelled images, so
    # 200 epochs keep the cpu profile's 800 steps (and its ramp-up over a
    # quarter).
    "ablation-l20": dataclasses.replace(
        _cpu,
        settings=dataclasses.replace(
            _cpu.settings, labels_per_class=20, max_epochs=200, rampup_epochs=50.0
        ),
        description="200 labelled (20 per class) / 20,000 unlabelled images (a "
        "random subset of the 58,000, drawn per seed), 200 epochs of 4 steps (the "
        "cpu profile's 800 steps), 3 seeds; ablations",
    ),
}


# --------------------------------------------------------------------------
# Factories.
# --------------------------------------------------------------------------


class KerasCNN(nn.Module):
    """Keras' ``mnist_cnn`` example network: no batch norm, 1.2M parameters."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
            nn.Flatten(),
            nn.Linear(64 * 12 * 12, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.reshape(x.shape[0], 1, 28, 28))


def keras_cnn(ctx, **params):
    """``ns3l`` with a KerasCNN seeded by the run's seed."""
    # NS3LClassifier copies a module instance as given: seed its weights here.
    with torch.random.fork_rng():
        torch.manual_seed(ctx.seed)
        module = KerasCNN()
    return ns3l(ctx, module=module, **params)


#: The name of the cosine schedule's callback, and what a row's name gets.
COSINE_LR = "cosine_lr"
COSINE_SUFFIX = ", cosine lr"


def cosine_name(name: str) -> str:
    """The name of the cosine-decayed variant of row ``name``."""
    return name + COSINE_SUFFIX


def cosine_lr(make, ctx):
    """The estimator of ``make`` with its learning rate decayed step by step."""
    s = ctx.settings
    steps_per_epoch = math.ceil(s.labels_per_class * 10 / (s.batch_size // 2))
    # The package's schedule (what lr_schedule="cosine" trains with), added
    # as a callback: the rows keep the paper's epoch (steps_per_epoch=None).
    # Runs recorded before it was imported name it ``CosineLR``, the same
    # scheduler under this module's old name.
    schedule = cosine_schedule(s.max_epochs * steps_per_epoch)
    est = make(ctx)
    return est.set_params(callbacks=[*(est.callbacks or []), (COSINE_LR, schedule)])


def with_cosine_lr(row: Row, keep_note: bool = False) -> Row:
    """The row with a cosine-decayed learning rate.

    ``keep_note`` for rows that only ever run in this form; the others' notes
    are already under the table with their constant-rate twin.
    """
    return dataclasses.replace(
        row,
        name=cosine_name(row.name),
        make=partial(cosine_lr, row.make),
        paper=None,
        note="the row of the same name with the learning rate decayed from "
        "6e-4 to 0 along a cosine over the run (Adam); the other `cosine lr` "
        "rows likewise."
        if row.name == SUPERVISED
        else row.note
        if keep_note
        else "",
    )


# --------------------------------------------------------------------------
# Rows.
# --------------------------------------------------------------------------

ABLATION_ROWS = (
    Row(
        "Threshold T = 0.03, λ = 3",
        partial(ns3l, selector="threshold", T=0.03, ns_weight=3.0),
        note="the NS3L weight at 3 instead of 1.",
    ),
    Row(
        "Threshold T = 0.1",
        partial(ns3l, selector="threshold", T=0.1),
        note="a threshold above the paper's range.",
    ),
    Row(
        "Supervised, Keras CNN",
        partial(keras_cnn, selector=None),
        note="Keras' `mnist_cnn` network (no batch norm) instead of SmallCNN.",
    ),
    Row(
        "Threshold T = 0.03, Keras CNN",
        partial(keras_cnn, selector="threshold", T=0.03),
        note="the same network with NS3L.",
    ),
)

# Run at 100 epochs only, beside "Threshold T = 0.03, cosine lr" there.
LONG_ROWS = (
    Row(
        "Threshold T = 0.03, ramp-up 25 epochs",
        partial(ns3l, selector="threshold", T=0.03, rampup_epochs=25.0),
        note="the NS3L weight ramped up over a quarter of the run (25 of 100 "
        "epochs, the cpu profile's share) instead of 5 epochs.",
    ),
)

VAT_ROWS = tuple(
    row
    for eps in (0.5, 1.0)
    for row in (
        Row(
            f"VAT (eps = {eps})",
            partial(ns3l, selector=None, companion=VATLoss(eps=eps)),
            note=f"VAT with a perturbation of L2 norm {eps} instead of the default "
            "2.0 (images in [0, 1], 784 pixels)."
            if eps == 0.5
            else "",
        ),
        Row(
            f"VAT + NS3L (eps = {eps})",
            partial(
                ns3l,
                selector="threshold",
                T=0.03,
                ns_weight=0.3,
                companion=VATLoss(eps=eps),
            ),
        ),
    )
)

COSINE_BASE = [
    SUPERVISED,
    "Uniform - 1",
    "Furthest class with NN - 1",
    "Threshold T = 0.03",
    "Threshold T = 0.05",
    "Threshold T = 0.1",
    "Oracle - 1",
    "Oracle - 3",
    "Pseudo-label",
    "Pseudo-label + NS3L",
    "VAT",
    "VAT + NS3L",
]
LONG_COSINE_ROWS = tuple(with_cosine_lr(r, keep_note=True) for r in LONG_ROWS)
COSINE_ROWS = (
    tuple(
        with_cosine_lr(r) for r in table6.ROWS + ABLATION_ROWS if r.name in COSINE_BASE
    )
    + LONG_COSINE_ROWS
    + tuple(with_cosine_lr(r, keep_note=True) for r in VAT_ROWS)
)
ROWS = table6.ROWS + ABLATION_ROWS + LONG_ROWS + VAT_ROWS + COSINE_ROWS

COMPARISONS = table6.COMPARISONS + tuple(
    pair
    for pair in (
        (f"{a}{variant}", f"{b}{variant}")
        for variant in ("", COSINE_SUFFIX)
        for a, b in [
            ("Threshold T = 0.03", SUPERVISED),
            ("Pseudo-label + NS3L", "Pseudo-label"),
            ("VAT + NS3L", "VAT"),
            *((f"VAT + NS3L (eps = {e})", f"VAT (eps = {e})") for e in (0.5, 1.0)),
        ]
    )
    if pair not in table6.COMPARISONS
)

DEFAULT_ROWS = {
    "ablation-e20": (SUPERVISED,)
    + tuple(r.name for r in ABLATION_ROWS + COSINE_ROWS if r not in LONG_COSINE_ROWS),
    "ablation-e50": (
        SUPERVISED,
        "Threshold T = 0.03",
        cosine_name(SUPERVISED),
        cosine_name("Threshold T = 0.03"),
    ),
    "ablation-e100": (
        cosine_name(SUPERVISED),
        cosine_name("Threshold T = 0.03"),
        cosine_name("Threshold T = 0.05"),
        *(r.name for r in LONG_COSINE_ROWS),
        cosine_name("Pseudo-label"),
        cosine_name("Pseudo-label + NS3L"),
    ),
    "ablation-e200": (cosine_name(SUPERVISED), cosine_name("Threshold T = 0.03")),
    "ablation-l20": tuple(
        cosine_name(name)
        for name in [
            SUPERVISED,
            "Uniform - 1",
            "Threshold T = 0.03",
            "Threshold T = 0.05",
            "Oracle - 3",
            "Pseudo-label",
            "Pseudo-label + NS3L",
            "VAT (eps = 0.5)",
            "VAT + NS3L (eps = 0.5)",
        ]
    ),
}

CATALOGUE = dataclasses.replace(
    table6.CATALOGUE,
    script="benchmarks/table6_ablations.py",
    summary=__doc__.split("\n\n")[0],
    profiles=PROFILES,
    rows=ROWS,
    comparisons=COMPARISONS,
    default_profiles=tuple(DEFAULT_ROWS),
    default_rows=DEFAULT_ROWS,
)


def main(argv=None) -> int:
    return run_catalogue(argv, catalogue=CATALOGUE)


if __name__ == "__main__":
    sys.exit(main())
