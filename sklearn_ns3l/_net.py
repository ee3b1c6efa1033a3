"""The skorch net that trains a module with the semi-supervised objective.

Extension through skorch's small methods only (``get_loss``,
``get_iterator``, ``get_default_callbacks``, ``infer``, and ``train_step``
for float16's gradient scaling): the objective sits in skorch's
``criterion`` slot, and the batches come from :mod:`._batching`.
"""

from __future__ import annotations

import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator

from ._batching import (
    ArrayData,
    BalancedBatches,
    SequentialBatches,
    ValidationBatches,
    ValidationData,
)
from ._precision import precision_context

__all__ = ["TRAIN_LOSS", "VALID_ACC", "VALID_LOSS", "NS3LNet"]

#: History keys the net records itself: every epoch, and with held-out rows.
TRAIN_LOSS, VALID_LOSS, VALID_ACC = "train_loss", "valid_loss", "valid_acc"


class NS3LNet(NeuralNet):
    """skorch net whose ``criterion`` is a :class:`SemiSupervisedObjective`.

    Each epoch of ``history`` records ``train_loss`` and the objective's
    ``history_keys``: its weights (``<name>_weight``) as at the end of the
    epoch, everything else as the epoch's mean over batches.

    Parameters
    ----------
    module : torch.nn.Module
    criterion : SemiSupervisedObjective
        Used as given (not re-initialised).
    labelled_fraction : float, default=0.5
        Share of each training batch from the labelled rows; see
        :class:`~sklearn_ns3l._batching.BalancedBatches`.
    augment : callable or None, default=None
        Applied to the unlabelled rows of each training batch.
    random_state : int or None, default=None
        Seeds the batch order.
    generator : torch.Generator or None, default=None
        The fit's own generator on the device, handed to the objective's
        terms (VAT's noise).
    steps_per_epoch : int or None, default=None
        Batches per epoch; None is one pass over the labelled rows (see
        :class:`~sklearn_ns3l._batching.BalancedBatches`).
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        A resolved precision (:func:`~sklearn_ns3l._precision.resolve_precision`):
        the module's forward passes run under autocast to it, and their
        logits are cast to float32 before the loss or any probability.
        float16 trains with a gradient scaler (``grad_scaler_``).
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self,
        module,
        criterion,
        *args,
        labelled_fraction=0.5,
        augment=None,
        random_state=None,
        generator=None,
        steps_per_epoch=None,
        precision="float32",
        **kwargs,
    ):
        super().__init__(module, criterion, *args, **kwargs)
        self.labelled_fraction = labelled_fraction
        self.augment = augment
        self.random_state = random_state
        self.generator = generator
        self.steps_per_epoch = steps_per_epoch
        self.precision = precision

    @property
    def history_keys(self) -> tuple[str, ...]:
        """What the objective logs per epoch, besides ``train_loss``."""
        return self.criterion.history_keys

    def initialize_criterion(self):
        # The objective is an object, not a class to instantiate, nor a
        # torch module (skorch's two cases): use it as given.
        self.criterion_ = self.criterion
        return self

    def get_default_callbacks(self):
        # skorch's PrintLog table is replaced by EpochProgress when verbose.
        weights = set(self.criterion.weight_keys)
        return [
            (f"{key}_epoch", PassthroughScoring(name=key, on_train=True))
            for key in self.history_keys
            if key not in weights
        ] + [
            (TRAIN_LOSS, PassthroughScoring(name=TRAIN_LOSS, on_train=True)),
            # Recorded only where train_split holds rows out; empty otherwise.
            (VALID_LOSS, PassthroughScoring(name=VALID_LOSS)),
            (VALID_ACC, PassthroughScoring(name=VALID_ACC, lower_is_better=False)),
        ]

    def get_dataset(self, X, y=None):
        if isinstance(X, torch.utils.data.Dataset):
            return X
        return ArrayData(X)

    def get_iterator(self, dataset, training=False):
        if training:
            return BalancedBatches(
                dataset,
                self.batch_size,
                self.labelled_fraction,
                seed=self.random_state,
                use_unlabelled=self.criterion.reads_pool,
                augment=self.augment,
                n_steps=self.steps_per_epoch,
            )
        if isinstance(dataset, ValidationData):
            return ValidationBatches(dataset, self.batch_size)
        return SequentialBatches(dataset, **self.get_params_for("iterator_valid"))

    def evaluation_step(self, batch, training=False):
        X, n_rows = batch
        return super().evaluation_step((X, None), training=training)[:n_rows]

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._batches_per_epoch = len(self.get_iterator(X, training=True))
        # float16's narrow range underflows small gradients: the loss is
        # scaled up for backward, and a step with inf/NaN gradients skipped.
        self.grad_scaler_ = (
            torch.amp.GradScaler(torch.device(self.device).type)
            if self.precision == "float16"
            else None
        )

    def infer(self, x, **fit_params):
        with precision_context(self.precision, torch.device(self.device)):
            logits = super().infer(x, **fit_params)
        # The losses (NS3L's in log space) and the probabilities are computed
        # from float32 logits, as in a float32 run, outside autocast.
        return logits.float()

    def train_step(self, batch, **fit_params):
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            return super().train_step(batch, **fit_params)
        # skorch's step with the loss scaled for backward; the gradients are
        # unscaled before callbacks read them (e.g. gradient clipping).
        self._zero_grad_optimizer()
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler.scale(loss).backward()
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        for optimizer in optimizers:
            scaler.unscale_(optimizer)
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
        )
        for optimizer in optimizers:
            scaler.step(optimizer)
        scaler.update()
        return {"loss": loss, "y_pred": y_pred}

    def _progress(self) -> float:
        """Epochs done so far, fractional within the current epoch."""
        epochs_done = len(self.history) - 1
        batches = self.history[-1]["batches"]
        return epochs_done + max(len(batches) - 1, 0) / max(self._batches_per_epoch, 1)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not training:
            # Held-out labelled rows: their cross-entropy is valid_loss.
            y = y_true["y"].to(y_pred.device)
            correct = (y_pred.argmax(dim=1) == y).float().mean()
            self.history.record_batch(VALID_ACC, correct.item())
            return torch.nn.functional.cross_entropy(y_pred, y)
        loss, parts = self.criterion_(
            y_pred,
            y_true,
            X=X,
            module=self.module_,
            progress=self._progress(),
            generator=self.generator,
        )
        weights = self.criterion_.weight_keys
        for key, value in parts.items():
            record = (
                self.history.record if key in weights else self.history.record_batch
            )
            record(key, float(value))
        return loss
