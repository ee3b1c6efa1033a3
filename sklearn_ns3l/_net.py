"""The skorch net that trains a module with the semi-supervised objective.

Extension through skorch's small methods only (``get_loss``,
``get_iterator``, ``get_default_callbacks``): the objective sits in skorch's
``criterion`` slot, and the batches come from :mod:`._batching`.
"""

from __future__ import annotations

import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring

from ._batching import (
    ArrayData,
    BalancedBatches,
    SequentialBatches,
    ValidationBatches,
    ValidationData,
)

__all__ = ["NS3LNet"]


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
        **kwargs,
    ):
        super().__init__(module, criterion, *args, **kwargs)
        self.labelled_fraction = labelled_fraction
        self.augment = augment
        self.random_state = random_state
        self.generator = generator
        self.steps_per_epoch = steps_per_epoch

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
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            # Recorded only where train_split holds rows out; empty otherwise.
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("valid_acc", PassthroughScoring(name="valid_acc", lower_is_better=False)),
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
            self.history.record_batch("valid_acc", correct.item())
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
