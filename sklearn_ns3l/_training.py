"""Assembling and running the skorch net of one fit.

The plan (:mod:`._fit_plan`) decides; these build what it decided: the
callback list (the package's own, then the user's), the net, and the run
that trains it.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from sklearn.base import clone
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from skorch.callbacks.scoring import ScoringBase

from ._batching import FixedValidation
from ._net import NS3LNet
from ._networks import seeded_global_rng, use_generator
from .callbacks import DivergenceGuard, EpochProgress

__all__ = [
    "NETWORK_NEGATIVES",
    "OPTIMIZERS",
    "OWN_CALLBACKS",
    "THRESHOLD_CALIBRATION",
    "build_net",
    "check_monitors",
    "termination_condition",
    "train",
    "training_callbacks",
]

#: ``NS3LClassifier(optimizer=...)`` names.
OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}

#: Names of the callbacks NS3LClassifier adds itself.
DIVERGENCE, PROGRESS, LR_SCHEDULE = "divergence", "progress", "lr_schedule"
NETWORK_NEGATIVES = "network_negatives"
THRESHOLD_CALIBRATION = "threshold_calibration"
OWN_CALLBACKS = (
    DIVERGENCE,
    PROGRESS,
    LR_SCHEDULE,
    NETWORK_NEGATIVES,
    THRESHOLD_CALIBRATION,
)


def _softmax64(logits: torch.Tensor) -> torch.Tensor:
    # float64 so that every row of predict_proba sums to 1 to machine precision.
    return torch.softmax(logits.double(), dim=1)


def _callback_of(item):
    return item[1] if isinstance(item, tuple) else item


def training_callbacks(callbacks, verbose, schedule=None) -> list:
    """The training net's callbacks: the package's own, then the user's.

    The user's are cloned (skorch initialises callbacks in place; a clone
    keeps the parameter as the user set it, as scikit-learn requires of
    ``fit``). An :class:`EpochProgress` among them replaces the default bar.
    ``schedule``, a learning-rate scheduler callback or None, is added as
    ``"lr_schedule"``.

    Raises
    ------
    ValueError
        For an item that is not a callback or a ``(name, callback)`` pair, a
        name the package's own callbacks use, skorch's ``EpochScoring`` or
        ``BatchScoring`` (they score the net's own batches, whose targets
        mix labelled and unlabelled rows), or a user's ``LRScheduler``
        beside ``schedule`` (two schedules would both set the rate).
    """
    made = []
    for item in callbacks or []:
        pair = isinstance(item, tuple) and len(item) == 2
        name, callback = item if pair else (None, item)
        if not isinstance(callback, Callback) or (pair and not isinstance(name, str)):
            raise ValueError(
                "callbacks must hold skorch.callbacks.Callback instances or "
                f"(name, callback) pairs; got {item!r}."
            )
        if name in OWN_CALLBACKS:
            raise ValueError(
                f"callback name {name!r} is taken by NS3LClassifier's own "
                f"callbacks {sorted(OWN_CALLBACKS)}; choose another."
            )
        if isinstance(callback, ScoringBase):
            raise ValueError(
                f"{type(callback).__name__} cannot score NS3LClassifier's "
                "training: its batches mix labelled and unlabelled rows, and "
                "their targets are not class labels. NS3LClassifier records "
                "valid_acc and valid_loss on the labelled rows that "
                "validation_fraction holds out: set validation_fraction and "
                "monitor those (e.g. EarlyStopping(monitor='valid_acc', "
                "lower_is_better=False)); for another metric, score the fitted "
                "model on held-out rows (sklearn_ns3l.labelled_accuracy_scorer "
                "or your own scorer)."
            )
        callback = clone(callback, safe=False)
        made.append(callback if name is None else (name, callback))
    own = [(DIVERGENCE, DivergenceGuard())]
    if schedule is not None:
        if any(isinstance(_callback_of(c), LRScheduler) for c in made):
            raise ValueError(
                "callbacks hold an LRScheduler, and lr_schedule='cosine' schedules "
                "the learning rate too; set lr_schedule='constant' to use yours."
            )
        own.append((LR_SCHEDULE, schedule))
    if verbose and not any(isinstance(_callback_of(c), EpochProgress) for c in made):
        own.append((PROGRESS, EpochProgress()))
    return own + made


def check_monitors(callbacks, keys) -> None:
    """Refuse, before training, a callback that monitors a key never recorded.

    ``keys`` are what the training records per epoch; skorch adds ``<key>_best``
    for each, and a callback with a ``name`` (``EpochScoring``) records its own.

    Raises
    ------
    ValueError
        Naming the callback, the key, and the keys there will be.
    """
    pairs = [c if isinstance(c, tuple) else (None, c) for c in callbacks]
    recorded = set(keys) | {getattr(c, "name", None) for _, c in pairs}
    recorded = {k for k in recorded if isinstance(k, str)}
    recorded |= {f"{k}_best" for k in recorded}
    for _, callback in pairs:
        monitor = getattr(callback, "monitor", None)
        if isinstance(monitor, str) and monitor not in recorded:
            hint = (
                " Set validation_fraction to record valid_loss and valid_acc."
                if monitor.startswith("valid_")
                else ""
            )
            raise ValueError(
                f"{type(callback).__name__} monitors {monitor!r}, which this "
                f"training never records; it records {sorted(recorded)}.{hint}"
            )


def termination_condition(net, n_epochs: int, max_epochs: int) -> str:
    """Why training ended: ``"max_epochs"``, ``"early_stopping"`` or ``"interrupted"``.

    skorch's ``EarlyStopping`` ends training by raising KeyboardInterrupt, as
    Ctrl-C does; its miss count tells the two apart.
    """
    if n_epochs >= max_epochs:
        return "max_epochs"
    for _, callback in net.callbacks_:
        if (
            isinstance(callback, EarlyStopping)
            and callback.misses_ >= callback.patience
        ):
            return "early_stopping"
    return "interrupted"


def build_net(clf, module: torch.nn.Module, plan, valid_data) -> NS3LNet:
    """The skorch net that trains ``module`` with the plan's objective.

    The fit's own generators: dropout and VAT's noise on the device,
    augmentation on the CPU (made by the plan).
    """
    generator = torch.Generator(device=plan.device).manual_seed(plan.torch_seed)
    use_generator(module, generator)
    return NS3LNet(
        module,
        plan.objective,
        optimizer=OPTIMIZERS.get(clf.optimizer, clf.optimizer),
        lr=clf.lr,
        max_epochs=clf.max_epochs,
        batch_size=clf.batch_size,
        train_split=None if valid_data is None else FixedValidation(valid_data),
        device=str(plan.device),
        predict_nonlinearity=_softmax64,
        callbacks=plan.callbacks,
        verbose=0,
        augment=plan.augment,
        generator=generator,
        precision=plan.precision,
        labelled_fraction=clf.labelled_fraction,
        steps_per_epoch=plan.n_steps,
        random_state=plan.batch_seed,
    )


def train(net: NS3LNet, data, plan, *, own_network: bool) -> NS3LNet:
    """Train ``net`` on ``data``; returns it without what only training needs.

    The package's networks never draw from torch's global generator while
    training; a user's module may (its own ``nn.Dropout``), and gets it
    seeded for the fit, as reproducible as the global generator is: alone,
    not beside a concurrent fit. skorch ends training quietly on
    KeyboardInterrupt (Ctrl-C, and ``EarlyStopping``'s stop):
    :func:`termination_condition` tells the two apart afterwards.
    """
    with (
        nullcontext()
        if own_network
        else seeded_global_rng(plan.device, plan.torch_seed, exclusive=False)
    ):
        net.fit(data, None)
    # Generators hold device state, and the held-out rows are rows of X: the
    # fitted model pickles without either.
    use_generator(net.module_, None)
    net.generator, net.augment = None, None
    net.train_split = None
    return net
