"""The plan of one fit: every decision and every refusal, before any work.

:func:`plan_fit` reads ``NS3LClassifier``'s parameters and the data's shapes
and decides the rows, classes, seeds, device, precision, selector, objective,
feature space, calibration, training length and callbacks. Whatever it
refuses is refused here, before a graph, an index or a network is built:
the expensive steps of ``fit`` (the selector's negatives, the training) only
carry the plan out.

The selectors and unlabelled terms say what they are through class
attributes (``_negatives_from``, ``_reads_neighbourhoods``,
``_calibrates_on_held_out_rows`` and the like, see
:class:`~sklearn_ns3l.selectors.BaseNegativeSelector`), as imbalanced-learn's
samplers declare ``_sampling_type``; the plan reads those and never asks for
a type.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._augment import make_augmenter
from ._batching import (
    ValidationData,
    batch_shares,
    check_class_weight,
    labelled_weights,
    steps_per_pass,
    unlabelled_class_weights,
    validation_split,
)
from ._device import resolve_device
from ._net import TRAIN_LOSS, VALID_ACC, VALID_LOSS
from ._networks import resolve_image_shape
from ._objective import SemiSupervisedObjective, WeightedTerm
from ._precision import resolve_precision
from ._scaling import make_scaler
from ._training import (
    NETWORK_NEGATIVES,
    THRESHOLD_CALIBRATION,
    check_monitors,
    training_callbacks,
)
from ._unlabelled import labelled_classes
from ._warnings import warn_user
from .callbacks import CalibratedThreshold, NetworkFeatureNegatives, cosine_schedule
from .selectors import BaseNegativeSelector, make_selector, min_calibration_rows
from .unlabelled_terms import NegativeSamplingTerm, make_companion

__all__ = ["AUTO_STEPS_PER_EPOCH", "DEFAULT_T", "FitPlan", "plan_fit"]

#: Optimiser steps per epoch, at least, with ``steps_per_epoch="auto"``.
AUTO_STEPS_PER_EPOCH = 20

#: ``NS3LClassifier``'s default ``T`` (the paper's for 10 classes).
DEFAULT_T = 0.04


@dataclass(frozen=True)
class Rows:
    """Positions in ``X`` of the rows a fit reads, and their classes.

    ``labelled`` are the labelled rows trained on (those held out for
    validation removed), ``y_labelled`` their labels as given and
    ``y_encoded`` their positions in ``classes``; ``pool`` the unlabelled
    rows, in ``X``'s order; ``valid`` the held-out labelled rows and
    ``y_valid`` their codes (None without ``validation_fraction``). Rows of
    ``sample_weight`` 0 are in none of them.
    """

    labelled: np.ndarray
    y_labelled: np.ndarray
    y_encoded: np.ndarray
    pool: np.ndarray
    valid: np.ndarray | None
    y_valid: np.ndarray | None
    weights: np.ndarray | None


@dataclass(frozen=True)
class FitPlan:
    """Every decision of one ``NS3LClassifier.fit``, made before training.

    Built by :func:`plan_fit`; the classifier assigns the fitted attributes
    from it only once training has succeeded.
    """

    input_shape: tuple[int, ...]
    image_shape: tuple[int, int, int] | None
    device: torch.device
    precision: str
    classes: np.ndarray
    rows: Rows
    torch_seed: int
    batch_seed: int
    selector: BaseNegativeSelector | None
    companion: object | None
    objective: SemiSupervisedObjective
    selector_features: str | None
    calibrating: bool
    scaler: object | None
    augment: object | None
    n_steps: int | None
    steps_per_epoch: int
    callbacks: list
    n_labelled: int
    n_unlabelled: int

    @property
    def on_network_features(self) -> bool:
        """Whether the negatives are built on the network's features, in training."""
        return self.selector_features == "network"

    @property
    def negatives_before_training(self) -> bool:
        """Whether the selector marks the pool once, on the inputs, before training."""
        return (
            self.selector is not None
            and self.objective.reads_pool
            and self.selector._negatives_from == "pool"
            and not self.on_network_features
        )

    def validation_data(self, X) -> ValidationData | None:
        """The held-out labelled rows of ``X``, or None."""
        if self.rows.valid is None:
            return None
        return ValidationData(X, self.rows.valid, self.rows.y_valid)

    def without_negatives(self, clf) -> FitPlan:
        """The plan once the selector has marked no negative label on the pool.

        The NS3L term would be 0 on every batch; it is left out, so the pool
        is not batched for it and the fit is the supervised twin's (or the
        companion's alone), not that plus noise in the random draws.
        """
        # The user's selector, not the fit's copy with a derived seed.
        warn_user(
            f"selector={clf.selector!r} marked no negative label on the "
            "pool; the NS3L term is 0 and is left out of training."
        )
        terms = [t for t in self.objective.terms if t.name != "ns3l"]
        objective = SemiSupervisedObjective(terms, rampup_epochs=clf.rampup_epochs)
        return dataclasses.replace(
            self, objective=objective, **_schedule(clf, self, objective)
        )


def plan_fit(clf, X, unlabelled, y_known, sample_weight, y_true=None) -> FitPlan:
    """Decide everything ``clf.fit(X, y)`` will do, refusing what cannot run.

    Parameters
    ----------
    clf : NS3LClassifier
        Its parameters are read, never changed.
    X : ndarray, memmap or sparse matrix
        Validated input, float32.
    unlabelled : ndarray of bool of shape (n_samples,)
    y_known : ndarray
        The labels of the labelled rows, in order.
    sample_weight : ndarray of shape (n_samples,) or None
        Validated, non-negative.
    y_true : array-like of shape (n_samples,) or None, default=None
        Given to ``fit`` for a selector that reads the truth (the oracle);
        only whether it is there is read here.

    Raises
    ------
    ValueError
        For every combination of parameters and data that cannot train, with
        a message naming the parameter.
    """
    input_shape = tuple(X.shape[1:])
    image_shape = resolve_image_shape(clf.image_shape, input_shape)
    device = resolve_device(clf.device)
    precision = resolve_precision(clf.precision, device)
    labelled, pool, y_labelled = _kept_rows(unlabelled, y_known, sample_weight)
    classes, y_encoded = labelled_classes(y_labelled, "NS3LClassifier")
    # The draws, in this order, are what every committed result was made with.
    rng = check_random_state(clf.random_state)
    torch_seed = int(rng.randint(np.iinfo(np.int32).max))
    batch_seed = int(rng.randint(np.iinfo(np.int32).max))
    selector_seed = int(rng.randint(np.iinfo(np.int32).max))
    _check_T(clf)
    selector = make_selector(clf.selector, clf.T, selector_seed)
    companion = make_companion(clf.companion)
    check_class_weight(clf.class_weight, classes)
    train, valid = validation_split(y_encoded, clf.validation_fraction, rng)
    class_weights = unlabelled_class_weights(
        clf.class_weight, y_labelled[train], y_encoded[train], len(classes)
    )
    objective = _objective(clf, selector, companion, unlabelled, pool, class_weights)
    rows = Rows(
        labelled=labelled[train],
        y_labelled=y_labelled[train],
        y_encoded=y_encoded[train],
        pool=pool,
        valid=None if valid is None else labelled[valid],
        y_valid=None if valid is None else y_encoded[valid],
        weights=labelled_weights(
            sample_weight, clf.class_weight, labelled[train], y_labelled[train]
        ),
    )
    reads_pool = selector is not None and objective.reads_pool
    features = _selector_features(clf, selector, image_shape) if reads_pool else None
    if features == "network":
        selector = _for_network_features(clf, selector)
    _check_selector(selector, len(classes), y_true)
    plan = FitPlan(
        input_shape=input_shape,
        image_shape=image_shape,
        device=device,
        precision=precision,
        classes=classes,
        rows=rows,
        torch_seed=torch_seed,
        batch_seed=batch_seed,
        selector=selector,
        companion=companion,
        objective=objective,
        selector_features=features,
        calibrating=reads_pool and _calibrates_threshold(clf, selector, valid),
        # Rows of weight 0 are not in X as far as the fit is concerned.
        scaler=make_scaler(clf.scale, X, image_shape, np.union1d(labelled, pool)),
        augment=make_augmenter(clf.augment, image_shape, torch_seed + 1),
        n_steps=None,
        steps_per_epoch=0,
        callbacks=[],
        n_labelled=len(labelled),
        n_unlabelled=len(pool),
    )
    return dataclasses.replace(plan, **_schedule(clf, plan, objective))


def _kept_rows(unlabelled, y_known, sample_weight):
    """Labelled and pool positions, and the labelled rows' labels.

    A row of weight 0 is left out altogether, as if it were not in ``X``.
    """
    kept = (
        np.ones(len(unlabelled), bool) if sample_weight is None else sample_weight > 0
    )
    if (~unlabelled).any() and not (kept & ~unlabelled).any():
        raise ValueError(
            "sample_weight is 0 on every labelled row: there is nothing to "
            "train on. Give some labelled rows a positive weight."
        )
    labelled = np.flatnonzero(~unlabelled & kept)
    pool = np.flatnonzero(unlabelled & kept)
    y_kept = y_known[kept[~unlabelled]]
    lost = np.setdiff1d(np.unique(y_known), y_kept)
    if len(lost):
        warn_user(
            f"sample_weight is 0 on every labelled row of class"
            f"{'es' if len(lost) > 1 else ''} {', '.join(map(repr, lost.tolist()))}: "
            "left out of training and of classes_, so predict never returns "
            f"{'them' if len(lost) > 1 else 'it'}."
        )
    return labelled, pool, y_kept


def _check_T(clf) -> None:
    """Refuse a ``T`` that no part of the fit reads."""
    if clf.selector != "threshold" and clf.T != DEFAULT_T:
        # A silent no-op would let GridSearchCV(param_grid={"T": ...}) train
        # identical models, one per value.
        raise ValueError(
            f"T={clf.T} is read only by selector='threshold'; with "
            f"selector={clf.selector!r} it would change nothing. Set "
            "selector='threshold', or set the selector's own threshold, e.g. "
            "selector=LabelSpreadingSelector(T=...), and leave T at its default."
        )


def _check_selector(selector, n_classes: int, y_true) -> None:
    """What the selector needs, and a threshold that marks every class.

    Raises
    ------
    ValueError
        For a selector that reads the truth (the oracle) without ``y_true``.
    """
    if selector is None:
        return
    if selector._needs_y_true and y_true is None:
        raise ValueError(
            f"{type(selector).__name__} reads the pool's true classes: pass "
            "them as fit(X, y, y_true=...) (an ablation, not a method for "
            "unlabelled data)."
        )
    T = getattr(selector, "T", None)
    fixed = selector._negatives_from == "batch" and not (
        selector._calibrates_on_held_out_rows
    )
    if fixed and T is not None and T >= 1 / n_classes:
        warn_user(
            f"T={T} is at least 1/n_classes = {1 / n_classes:.4g}: at that "
            "threshold a row's true class can be a negative label too, and "
            f"with {n_classes} classes every class may be. Use "
            f"T < {1 / n_classes:.4g} (the paper's T=0.04 is for 10 classes)."
        )


def _objective(
    clf, selector, companion, unlabelled, pool, class_weights
) -> SemiSupervisedObjective:
    terms = []
    if selector is not None:
        term = NegativeSamplingTerm(selector, class_weights)
        terms.append(WeightedTerm("ns3l", term, clf.ns_weight))
    if companion is not None:
        terms.append(WeightedTerm("companion", companion, clf.companion_weight))
    if terms and not len(pool):
        # Nothing for the terms to read, e.g. a cross-validation fold
        # without -1: the selector is not fitted.
        warn_user(
            "every unlabelled row (-1) has sample_weight 0; training is "
            "supervised only."
            if unlabelled.any()
            else "y contains no unlabelled samples (-1); training is supervised "
            "only. If you passed -1 rows, a wrapper may have re-encoded y (e.g. "
            "CalibratedClassifierCV, StackingClassifier, VotingClassifier or "
            "cross_val_predict label-encode it, so -1 becomes a class)."
        )
        terms = []
    return SemiSupervisedObjective(terms, rampup_epochs=clf.rampup_epochs)


def _selector_features(clf, selector, image_shape) -> str:
    """``"input"`` or ``"network"``: where the selector measures neighbourhoods."""
    features = clf.selector_features
    if features == "auto":
        # Label spreading (what the development splits measured) with the
        # package's CNN (the condition under which build_module picks it),
        # and a warm-up that ends before training does.
        cnn = clf.module == "cnn" or (clf.module is None and image_shape)
        graph = selector._network_features_by_default
        fits = clf.warmup_epochs < clf.max_epochs
        features = "network" if cnn and graph and fits else "input"
    if features == "network":
        if not selector._reads_neighbourhoods:
            raise ValueError(
                "selector_features='network' needs a selector that measures "
                "neighbourhoods ('label_spreading' or a nearest-neighbour rule); "
                f"got selector={clf.selector!r}."
            )
        if clf.warmup_epochs >= clf.max_epochs:
            raise ValueError(
                f"warmup_epochs={clf.warmup_epochs} must be below max_epochs="
                f"{clf.max_epochs} with selector_features='network': the "
                "negatives would never be built."
            )
    return features


def _for_network_features(clf, selector):
    """The selector as it runs on the network's features: not calibrated.

    The labelled rows trained the features: held out of a fold of the
    spreading, they are still not held out of the network, so a threshold
    calibrated on them would be far too loose. The selector's fixed ``T``
    applies.
    """
    if not selector._calibrates_in_fit:
        return selector
    if isinstance(clf.selector, BaseNegativeSelector):
        warn_user(
            "on the network's features the selector's wrong_negative_rate="
            f"{selector.wrong_negative_rate} is not used (the labelled rows "
            f"trained the features); its fixed T={selector.T} applies."
        )
    return selector.set_params(wrong_negative_rate=None)


def _calibrates_threshold(clf, selector, valid) -> bool:
    """Whether the selector is calibrated on the held-out rows at each epoch.

    Raises ValueError when there are none or too few.
    """
    if not selector._calibrates_on_held_out_rows:
        return False
    rate = selector.wrong_negative_rate
    needed = min_calibration_rows(rate)
    held_out = 0 if valid is None else len(valid)
    if held_out < needed:
        raise ValueError(
            f"{type(selector).__name__}(wrong_negative_rate={rate}) calibrates "
            "its threshold on labelled rows held out of training, at least "
            f"{needed} of them; validation_fraction={clf.validation_fraction} "
            f"holds out {held_out}. Set a larger validation_fraction, or a "
            "larger wrong_negative_rate."
        )
    return True


def _schedule(clf, plan: FitPlan, objective: SemiSupervisedObjective) -> dict:
    """Training length and callbacks for ``objective``: fields of a FitPlan.

    Raises ValueError, through the callbacks' checks, for a callback that
    cannot train with this objective.
    """
    shares = batch_shares(
        clf.batch_size,
        clf.labelled_fraction,
        plan.n_unlabelled > 0,
        objective.reads_pool,
    )
    one_pass = steps_per_pass(len(plan.rows.labelled), *shares)
    if isinstance(clf.steps_per_epoch, Integral):
        n_steps = int(clf.steps_per_epoch)
    elif clf.steps_per_epoch == "auto" and one_pass < AUTO_STEPS_PER_EPOCH:
        n_steps = AUTO_STEPS_PER_EPOCH
    else:
        n_steps = None
    steps = one_pass if n_steps is None else n_steps
    schedule = None
    if clf.lr_schedule == "cosine":
        schedule = cosine_schedule(clf.max_epochs * steps)
    callbacks = training_callbacks(clf.callbacks, clf.verbose, schedule)
    keys = {TRAIN_LOSS, *objective.history_keys}
    if plan.on_network_features:
        rebuild = NetworkFeatureNegatives(
            plan.selector, clf.warmup_epochs, plan.classes
        )
        callbacks.append((NETWORK_NEGATIVES, rebuild))
        keys.add(NetworkFeatureNegatives.history_key)
    if plan.calibrating:
        calibration = CalibratedThreshold(plan.selector)
        callbacks.append((THRESHOLD_CALIBRATION, calibration))
        keys |= set(CalibratedThreshold.history_keys)
    if plan.rows.valid is not None:
        keys |= {VALID_LOSS, VALID_ACC}
    check_monitors(callbacks, keys)
    return {"n_steps": n_steps, "steps_per_epoch": steps, "callbacks": callbacks}
