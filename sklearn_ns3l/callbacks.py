"""skorch callbacks that NS3LClassifier trains with, public for reuse.

Pass them in ``NS3LClassifier(callbacks=[...])``: an :class:`EpochProgress`
given there replaces the bar that ``verbose=1`` would draw, e.g. to label it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from skorch.callbacks import Callback, LRScheduler
from torch.optim.lr_scheduler import LambdaLR

from ._batching import ValidationBatches
from ._networks import evaluating, penultimate_features

__all__ = [
    "CalibratedThreshold",
    "CosineDecay",
    "DivergenceGuard",
    "EpochProgress",
    "NetworkFeatureNegatives",
    "cosine_schedule",
]


class CosineDecay:
    """Cosine decay of the learning rate to zero over ``total_steps`` steps.

    The factor of step ``t`` (counted from 0) is
    ``(1 + cos(pi * min(t / total_steps, 1))) / 2``: 1 at the first step,
    0 from step ``total_steps`` on (Loshchilov and Hutter, "SGDR", ICLR 2017,
    without restarts). A ``lr_lambda`` for :class:`torch.optim.lr_scheduler.LambdaLR`;
    a class rather than a closure, so that a fitted net pickles.

    Parameters
    ----------
    total_steps : int
        Optimiser steps of the whole training, >= 1.

    Examples
    --------
    >>> from sklearn_ns3l.callbacks import CosineDecay
    >>> decay = CosineDecay(4)
    >>> [round(decay(t), 3) for t in range(5)]
    [1.0, 0.854, 0.5, 0.146, 0.0]
    """

    def __init__(self, total_steps: int):
        self.total_steps = total_steps

    def __call__(self, step: int) -> float:
        frac = min(step / self.total_steps, 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * frac))

    def __repr__(self) -> str:
        return f"CosineDecay(total_steps={self.total_steps})"


class _CosineLR(LRScheduler):
    """skorch's scheduler, with a repr that says what it does."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.policy.__name__}, "
            f"lr_lambda={self.lr_lambda!r}, step_every={self.step_every!r})"
        )


def cosine_schedule(total_steps: int) -> LRScheduler:
    """skorch's ``LRScheduler`` decaying the rate to 0 over ``total_steps`` batches.

    What ``NS3LClassifier(lr_schedule="cosine")`` trains with:
    ``LRScheduler(LambdaLR, lr_lambda=CosineDecay(total_steps), step_every="batch")``.
    """
    return _CosineLR(LambdaLR, lr_lambda=CosineDecay(total_steps), step_every="batch")


class NetworkFeatureNegatives(Callback):
    """Rebuild the pool's negatives from the network's penultimate-layer features.

    For data whose raw features have poor neighbourhoods (image pixels): at
    the end of epoch ``warmup_epochs`` and of every ``warmup_epochs`` epochs
    after it (not after the last epoch), the labelled rows and the pool are
    embedded by the network being trained (the input of its last linear
    layer, in eval mode) and the static ``selector`` (e.g. label spreading over a
    k-nearest-neighbour graph) chooses the pool's negatives on those
    features; the batches read the new mask from the next epoch on. Until
    then the mask is empty: the first ``warmup_epochs`` epochs train without
    negatives (the pool is still batched). Each rebuild is logged as
    ``negatives_rebuilt`` in the epoch's history row.

    What ``NS3LClassifier(selector_features="network")`` trains with; the
    training data must be a ``SemiSupervisedData`` (its ``negatives`` are
    replaced).

    Parameters
    ----------
    selector : BaseStaticSelector
        Its ``pool_negatives(features, labelled, y_labelled, pool)`` is called
        at each rebuild; it is then fitted on the features, not on ``X``.
    warmup_epochs : int
        Epochs before the first rebuild, and between rebuilds; >= 1.
    classes : ndarray of shape (n_classes,)
        The classifier's classes; the labelled rows' codes index it, and the
        mask has one column per class.

    Attributes
    ----------
    negatives_ : ndarray of bool, shape (n_pool, n_classes) or None
        The last mask built (None before the first rebuild).

    References
    ----------
    Issue #14, part 4 (the graph on the network's features after a warm-up);
    ``docs/results.md``, "The graph on the network's features".
    """

    #: What it records in the history of an epoch where it rebuilt the mask.
    history_key = "negatives_rebuilt"

    def __init__(self, selector, warmup_epochs: int, classes):
        self.selector = selector
        self.warmup_epochs = warmup_epochs
        self.classes = classes

    def initialize(self):
        self.negatives_ = None
        return self

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        epoch = len(net.history)
        if epoch % self.warmup_epochs or epoch >= net.max_epochs:
            return
        data = dataset_train
        features = penultimate_features(net.module_, data.chunks(), net.device)
        n_labelled, n_pool = len(data), data.n_unlabelled
        if len(features) != n_labelled + n_pool:
            raise ValueError(
                f"the network's last linear layer saw {len(features)} rows for "
                f"{n_labelled + n_pool} inputs; penultimate features need it "
                "to run once per row, as an output layer does."
            )
        classes = np.asarray(self.classes)
        mask = np.asarray(
            self.selector.pool_negatives(
                features,
                np.arange(n_labelled),
                classes[data.y_l.numpy()],
                np.arange(n_labelled, n_labelled + n_pool),
            ),
            dtype=bool,
        )
        if mask.shape != (n_pool, len(classes)):
            raise ValueError(
                f"the selector gave a mask of shape {mask.shape} for {n_pool} "
                f"pool rows and {len(classes)} classes (is every class among "
                "the labelled training rows?)."
            )
        self.negatives_ = mask
        data.negatives = torch.from_numpy(mask)
        net.history.record(self.history_key, True)


class CalibratedThreshold(Callback):
    """Calibrate a threshold selector on the held-out labelled rows, every epoch.

    At the start of each epoch the network being trained (in eval mode, no
    gradients) gives its probabilities of the validation rows, labelled rows
    it never trains on; ``selector.fit(proba, y)`` sets ``threshold_`` so that
    at most ``wrong_negative_rate`` of such rows would have their true class
    marked negative (split conformal, see
    :class:`~sklearn_ns3l.selectors.ThresholdSelector`). The unlabelled
    batches of the epoch are thresholded at it, or, where the selector
    calibrates per class, at ``thresholds_``, each class's at most it.
    Logged per epoch: ``threshold`` (the pool-wide one) and
    ``estimated_wrong_negative_rate`` (the held-out rows' share below the
    thresholds applied). The batches are thresholded on training-mode
    probabilities (dropout, augmentation) of a network that moves during
    the epoch, so the rate is a target there, not a bound. With
    ``EarlyStopping(load_best=True)`` the selector keeps the last epoch's
    threshold, not the restored epoch's.

    What ``NS3LClassifier(selector=ThresholdSelector(wrong_negative_rate=a),
    validation_fraction=f)`` trains with.

    Parameters
    ----------
    selector : ThresholdSelector
        With ``wrong_negative_rate`` set; the same object the training
        thresholds the batches with.

    References
    ----------
    Issue #14, part 3 (calibrated negatives for the threshold selector).
    """

    #: What it records in the history of every epoch.
    history_keys = ("threshold", "estimated_wrong_negative_rate")

    def __init__(self, selector):
        self.selector = selector

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            raise ValueError(
                "CalibratedThreshold calibrates on held-out labelled rows, and "
                "the net has none: set validation_fraction."
            )
        proba = []
        with evaluating(net.module_):
            for X, _ in ValidationBatches(dataset_valid, net.batch_size):
                proba.append(torch.softmax(net.infer(X), dim=1).cpu())
        proba = torch.cat(proba).double().numpy()
        if not np.isfinite(proba).all():
            raise ValueError(
                f"At the start of epoch {len(net.history)} the network's "
                "probabilities of the held-out rows are not finite (NaN or "
                "inf): training diverged, so the threshold cannot be "
                "calibrated. Try a smaller lr."
            )
        self.selector.fit(proba, dataset_valid.y.numpy())
        threshold, rate = self.history_keys
        net.history.record(threshold, self.selector.threshold_)
        net.history.record(
            rate,
            self.selector.estimated_wrong_negative_rate_,
        )


class EpochProgress(Callback):
    """A tqdm bar over epochs showing the latest losses.

    Parameters
    ----------
    desc : str, default="NS3L"
        The bar's label, e.g. the name of a benchmark run.
    position : int or None, default=None
        tqdm's line offset, for one bar per worker process; a positioned bar
        is removed when training ends (``leave=False``).
    keys : sequence of str or None, default=None
        History keys shown beside the bar, the latest epoch's values. None
        shows the training objective's own keys (``train_loss`` and those the
        net logs), as far as the history has them.

    Examples
    --------
    >>> from sklearn_ns3l import NS3LClassifier
    >>> from sklearn_ns3l.callbacks import EpochProgress
    >>> clf = NS3LClassifier(callbacks=[EpochProgress(desc="digits, seed 0")])
    """

    def __init__(
        self,
        desc: str = "NS3L",
        position: int | None = None,
        keys: Sequence[str] | None = None,
    ):
        self.desc = desc
        self.position = position
        self.keys = keys

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.keys_ = tuple(self.keys) if self.keys is not None else _logged_keys(net)
        placed = {} if self.position is None else {"position": self.position}
        self.bar_ = tqdm(
            total=net.max_epochs,
            desc=self.desc,
            unit="epoch",
            leave=self.position is None,
            **placed,
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix({k: f"{row[k]:.3g}" for k in self.keys_ if k in row})
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        # A closed bar still holds the terminal's stream, which cannot be
        # pickled: a fitted model must save and travel to workers whatever
        # its verbosity (skorch-dev/skorch#654).
        del self.bar_

    def __getstate__(self):
        # Also for a net pickled mid-training or after an error, when
        # on_train_end did not run.
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


def _logged_keys(net) -> tuple[str, ...]:
    # The net names what its objective logs; a plain skorch net has only
    # train_loss.
    return ("train_loss", *getattr(net, "history_keys", ()))


class DivergenceGuard(Callback):
    """Stop with an error naming the epoch as soon as the loss is not finite.

    Without it a diverged run (a learning rate far too high, say) would finish
    its epochs on NaN weights and return a model that predicts NaN.
    """

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if training and loss is not None and not torch.isfinite(loss).item():
            epoch, batch_index = len(net.history), len(net.history[-1]["batches"])
            raise FloatingPointError(
                f"Training diverged: the loss became {loss.item()} at epoch {epoch}, "
                f"batch {batch_index}. Lower lr (now {net.lr}) or ns_weight."
            )
