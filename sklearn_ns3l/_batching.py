"""Batches: labelled rows beside a cycled unlabelled pool, and prediction chunks.

A training batch is ``(X, target)``: the first ``target["n_labelled"]`` rows of
``X`` are labelled (classes in ``target["y"]``), the rest are unlabelled, with
their precomputed negative mask in ``target["negatives"]`` when a static
selector chose them. Batches are cut from in-memory tensors (or gathered from
a memory map) rather than through skorch's per-sample Dataset, which dominates
the epoch time of a small network. A sparse (CSR) ``X`` is densified a batch
at a time (:mod:`._sparse`), never whole.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import sparse
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight

from ._memmap import FileMapping
from ._sparse import dense_rows
from ._warnings import warn_user

__all__ = [
    "ArrayData",
    "BalancedBatches",
    "FixedValidation",
    "SemiSupervisedData",
    "SequentialBatches",
    "ValidationBatches",
    "ValidationData",
    "batch_shares",
    "check_class_weight",
    "labelled_weights",
    "unlabelled_class_weights",
    "steps_per_pass",
    "validation_split",
]


def _as_batch_source(X: np.ndarray, rows: np.ndarray, copy: bool):
    """Rows ``rows`` of ``X``, to cut batches from.

    A memory map stays on disk and is read batch by batch. In memory, ``copy``
    makes the rows one contiguous tensor (for the labelled rows, read every
    epoch); otherwise they are gathered from ``X`` batch by batch (for the
    pool, which can be most of ``X`` and is read a batch at a time anyway). A
    sparse ``X`` is always gathered batch by batch: its rows densified at once
    could take far more memory than the whole sparse matrix.
    """
    mapping = FileMapping.of(X)
    if mapping is None and copy and not sparse.issparse(X):
        return torch.from_numpy(np.ascontiguousarray(X[rows], dtype=np.float32))
    return _RowView(X, rows, mapping)


class _RowView:
    """Rows ``rows`` of an array or sparse matrix, gathered one batch at a time."""

    def __init__(self, X: np.ndarray, rows: np.ndarray, mapping=None):
        self.X, self.rows, self.mapping = X, rows, mapping
        self.shape = (len(rows), *X.shape[1:])

    def take(self, idx: np.ndarray) -> torch.Tensor:
        rows = self.rows[idx]
        if self.mapping is None:
            return torch.from_numpy(dense_rows(self.X, rows))
        # Read a memory map in file order, then put the rows back in batch
        # order, and drop the pages read from the process's resident set.
        order = np.argsort(rows, kind="stable")
        out = np.empty((len(rows), *self.shape[1:]), np.float32)
        out[order] = self.X[rows[order]]
        self.mapping.release()
        return torch.from_numpy(out)


def _gather(source, idx: np.ndarray) -> torch.Tensor:
    if isinstance(source, torch.Tensor):
        return source[torch.from_numpy(idx)]
    return source.take(idx)


class SemiSupervisedData(torch.utils.data.Dataset):
    """Labelled rows, the unlabelled pool and its optional static negatives.

    ``weights``, when given, weigh the labelled rows' cross-entropy (one per
    labelled row, mean 1).

    Its length is the number of labelled rows (a pass over them is the
    paper's epoch; see :class:`BalancedBatches`).
    """

    def __init__(
        self,
        X: np.ndarray,
        labelled: np.ndarray,
        y_labelled: np.ndarray,
        unlabelled: np.ndarray,
        negatives: np.ndarray | None = None,
        weights: np.ndarray | None = None,
    ):
        self.X_l = _as_batch_source(X, labelled, copy=True)
        self.y_l = torch.as_tensor(y_labelled, dtype=torch.long)
        self.w_l = (
            None if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        )
        self.X_u = (
            _as_batch_source(X, unlabelled, copy=False) if len(unlabelled) else None
        )
        self.n_unlabelled = len(unlabelled)
        self.negatives = None if negatives is None else torch.as_tensor(negatives)

    def __len__(self) -> int:
        return len(self.y_l)

    def chunks(self, size: int = 1024):
        """The labelled rows, then the pool, ``size`` rows at a time (float32)."""
        for source, n in ((self.X_l, len(self.y_l)), (self.X_u, self.n_unlabelled)):
            for start in range(0, n, size):
                yield _gather(source, np.arange(start, min(start + size, n)))

    def __getitem__(self, i):  # pragma: no cover - batches are cut in bulk
        raise TypeError("SemiSupervisedData is read through BalancedBatches.")


def batch_shares(
    batch_size: int, labelled_fraction: float, has_pool: bool, use_unlabelled: bool
) -> tuple[int, int]:
    """Labelled and unlabelled rows of each training batch.

    With no pool every row of the batch is labelled; the supervised baseline
    (``use_unlabelled=False``) keeps NS3L's labelled share and skips the pool.
    """
    if has_pool:
        n_l = max(1, round(batch_size * labelled_fraction))
        n_u = max(1, batch_size - n_l) if use_unlabelled else 0
    else:
        n_l, n_u = batch_size, 0
    if n_u == 0:
        # Batch norm needs two rows: no batch of one labelled row alone.
        n_l = max(n_l, 2)
    return n_l, n_u


def _pass_starts(n: int, n_l: int, n_u: int) -> list[int]:
    """Where each batch's labelled rows start in one pass over ``n`` rows.

    A batch of a single row cannot train batch normalisation ("Expected more
    than 1 value per channel"): a last labelled row with no pool beside it
    joins the batch before it.
    """
    starts = list(range(0, n, n_l))
    if n_u == 0 and n % n_l == 1 and len(starts) > 1:
        starts.pop()
    return starts


def steps_per_pass(n_labelled: int, n_l: int, n_u: int) -> int:
    """Batches in one pass over ``n_labelled`` rows (see :func:`batch_shares`)."""
    return len(_pass_starts(n_labelled, n_l, n_u))


class BalancedBatches:
    """Batches with a fixed share of labelled rows, the unlabelled pool cycled.

    Parameters
    ----------
    dataset : SemiSupervisedData
    batch_size : int
        Rows per batch, labelled and unlabelled together.
    labelled_fraction : float
        Share of each batch taken from the labelled rows. With no unlabelled
        pool every row of the batch is labelled.
    seed : int or None
        Seeds two independent streams, one shuffling the labelled rows and
        one the pool, so the labelled batches are the same whether or not the
        pool is read.
    use_unlabelled : bool
        False keeps the labelled part of each batch and skips the pool: the
        supervised baseline then takes the very steps NS3L takes, minus the
        unlabelled rows.
    augment : callable or None
        Applied to the unlabelled rows of each batch (a tensor in, a tensor
        of the same shape out).
    n_steps : int or None
        Batches per epoch. None: one pass over the labelled rows, reshuffled
        each epoch (the paper's epoch). An int cycles the labelled rows like
        the pool (reshuffled at the end of each pass, no row twice in one
        batch), so that few labels still make ``n_steps`` optimiser steps.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        labelled_fraction=0.5,
        seed=None,
        use_unlabelled=True,
        augment=None,
        n_steps=None,
    ):
        self.data = dataset
        self.augment = augment
        self.n_steps = n_steps
        labelled_rng, pool_rng = np.random.SeedSequence(seed).spawn(2)
        self.rng = np.random.default_rng(labelled_rng)
        self.pool_rng = np.random.default_rng(pool_rng)
        self.n_l, self.n_u = batch_shares(
            batch_size, labelled_fraction, dataset.n_unlabelled > 0, use_unlabelled
        )
        self._pool_order = np.empty(0, dtype=np.int64)
        self._pool_pos = 0
        self._labelled_order = np.empty(0, dtype=np.int64)
        self._labelled_pos = 0

    def __len__(self) -> int:
        return len(self._starts()) if self.n_steps is None else self.n_steps

    def _starts(self) -> list[int]:
        return _pass_starts(len(self.data), self.n_l, self.n_u)

    def _next_unlabelled(self, n: int) -> np.ndarray:
        out = []
        while n > 0:
            if self._pool_pos >= len(self._pool_order):
                self._pool_order = self.pool_rng.permutation(self.data.n_unlabelled)
                self._pool_pos = 0
            take = self._pool_order[self._pool_pos : self._pool_pos + n]
            self._pool_pos += len(take)
            n -= len(take)
            out.append(take)
        return np.concatenate(out)

    def _next_labelled(self) -> np.ndarray:
        """The next labelled rows of the cycled order, none twice in a batch."""
        n = len(self.data)
        if self._labelled_pos + min(self.n_l, n) > len(self._labelled_order):
            # A new pass: the rows the last one left are dropped, so a batch
            # never repeats a row (the leftovers get their turn in the order
            # of a later pass; each pass is a fresh permutation).
            self._labelled_order = self.rng.permutation(n)
            self._labelled_pos = 0
        take = self._labelled_order[self._labelled_pos : self._labelled_pos + self.n_l]
        self._labelled_pos += len(take)
        return take

    def _labelled_batches(self):
        if self.n_steps is not None:
            for _ in range(self.n_steps):
                yield self._next_labelled()
            return
        order = self.rng.permutation(len(self.data))
        starts = self._starts()
        for start, stop in zip(starts, [*starts[1:], len(order)], strict=True):
            yield order[start:stop]

    def __iter__(self):
        data = self.data
        for idx_l in self._labelled_batches():
            rows = torch.from_numpy(idx_l)
            target = {"y": data.y_l[rows], "n_labelled": len(idx_l)}
            if data.w_l is not None:
                target["sample_weight"] = data.w_l[rows]
            X = _gather(data.X_l, idx_l)
            if self.n_u:
                # Keep the labelled share of the last, shorter batch.
                n_u = max(1, round(len(idx_l) * self.n_u / self.n_l))
                idx_u = self._next_unlabelled(n_u)
                if data.negatives is not None:
                    target["negatives"] = data.negatives[torch.from_numpy(idx_u)]
                X_u = _gather(data.X_u, idx_u)
                if self.augment is not None:
                    X_u = self.augment(X_u)
                X = torch.cat([X, X_u])
            yield X, target


class SequentialBatches:
    """Consecutive batches of an array, for prediction.

    Each batch is ``(X, n_rows)``: the last one is zero-padded to
    ``batch_size`` rows, so every sample goes through kernels of the same
    shape. BLAS picks its kernels by matrix size, and a sample's probabilities
    would otherwise change in the last bits with the size of the call
    (scikit-learn's subset-invariance check sees that).
    """

    def __init__(self, dataset, batch_size=256, **_):
        self.X = dataset.X
        self.batch_size = batch_size
        self.mapping = FileMapping.of(self.X)

    def __len__(self) -> int:
        return math.ceil(self.X.shape[0] / self.batch_size)

    def __iter__(self):
        for start in range(0, self.X.shape[0], self.batch_size):
            chunk = dense_rows(self.X, slice(start, start + self.batch_size))
            n_rows = len(chunk)
            if n_rows < self.batch_size:
                padded = np.zeros((self.batch_size, *chunk.shape[1:]), np.float32)
                padded[:n_rows] = chunk
                chunk = padded
            elif self.mapping is not None or not chunk.flags.writeable:
                # Own the rows (writable, as torch wants them) before the
                # memory map's pages are dropped, or when X is read-only: a
                # view of it would make torch warn about non-writable tensors.
                chunk = np.array(chunk, np.float32)
            if self.mapping is not None:
                self.mapping.release()
            yield torch.from_numpy(np.ascontiguousarray(chunk)), n_rows


class ArrayData(torch.utils.data.Dataset):
    def __init__(self, X):
        self.X = X

    def __len__(self) -> int:
        # len() of a scipy sparse matrix raises.
        return self.X.shape[0]

    def __getitem__(self, i):  # pragma: no cover - batches are cut in bulk
        raise TypeError("ArrayData is read through SequentialBatches.")


class ValidationData(torch.utils.data.Dataset):
    """Labelled rows held out of training, read in order for ``valid_loss``.

    Iterating gives ``(X, {"y": ..., "n_labelled": n})`` batches of up to
    ``batch_size`` rows, without padding, so that skorch weighs each batch's
    loss by its true size.
    """

    def __init__(self, X: np.ndarray, rows: np.ndarray, y: np.ndarray):
        self.X = _as_batch_source(X, rows, copy=True)
        self.y = torch.as_tensor(y, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):  # pragma: no cover - batches are cut in bulk
        raise TypeError("ValidationData is read through ValidationBatches.")


class ValidationBatches:
    """The rows of a :class:`ValidationData` in order, once per iteration."""

    def __init__(self, dataset: ValidationData, batch_size: int):
        self.data, self.batch_size = dataset, batch_size

    def __len__(self) -> int:
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        for start in range(0, len(self.data), self.batch_size):
            idx = np.arange(start, min(start + self.batch_size, len(self.data)))
            y = self.data.y[torch.from_numpy(idx)]
            yield _gather(self.data.X, idx), {"y": y, "n_labelled": len(idx)}


class FixedValidation:
    """skorch ``train_split`` that keeps the training data and adds fixed rows.

    A class rather than a closure, so that the fitted net pickles.
    """

    def __init__(self, valid: ValidationData):
        self.valid = valid

    def __call__(self, dataset, y=None, **_):
        return dataset, self.valid


def validation_split(y_encoded: np.ndarray, fraction: float | None, rng):
    """Positions of the labelled rows to train on and to validate on.

    ``fraction`` of them, stratified by class, drawn with a seed from
    ``rng`` (a RandomState); None validates on none (and draws nothing).

    Raises
    ------
    ValueError
        If the share cannot be stratified (too few rows of some class).
    """
    everything = np.arange(len(y_encoded))
    if fraction is None:
        return everything, None
    try:
        return train_test_split(
            everything,
            test_size=fraction,
            stratify=y_encoded,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
    except ValueError as exc:
        raise ValueError(
            f"validation_fraction={fraction} cannot hold out a stratified share "
            f"of the {len(y_encoded)} labelled rows ({exc}); label more rows or "
            "change validation_fraction."
        ) from None


def check_class_weight(class_weight, classes) -> None:
    """Refuse a ``class_weight`` dict naming a class without labelled rows.

    A class weighted 0 keeps its place in ``classes_`` but trains on none of
    its labelled rows (and its likeliest unlabelled rows get no NS3L term),
    so it is named in a warning, as a class of ``sample_weight`` 0 is.
    """
    if not isinstance(class_weight, dict):
        return
    known = set(classes.tolist())
    unknown = [k for k in class_weight if k not in known]
    if unknown:
        raise ValueError(
            f"class_weight names {', '.join(map(repr, unknown))}, not among the "
            f"labelled classes {classes.tolist()} (of positive sample_weight); "
            "give weights for these classes only."
        )
    zero = [k for k, weight in class_weight.items() if weight == 0]
    if zero:
        plural = len(zero) > 1
        warn_user(
            f"class_weight is 0 for class{'es' if plural else ''} "
            f"{', '.join(map(repr, zero))}: every labelled row of "
            f"{'them' if plural else 'it'} weighs 0, so the network learns "
            f"{'them' if plural else 'it'} from no labelled row."
        )


def unlabelled_class_weights(class_weight, y_labelled, y_encoded, n_classes):
    """Per class, ``class_weight``'s weight scaled to mean 1 over the labelled rows.

    What the NS3L term weighs an unlabelled row with, by the class it most
    likely is; None without ``class_weight`` or when every class weighs the
    same (the unweighted loss, to the last bit).
    """
    if class_weight is None:
        return None
    per_row = compute_sample_weight(class_weight, y_labelled)
    weights = np.ones(n_classes)
    weights[y_encoded] = per_row  # one weight per class
    weights /= per_row.mean()
    return None if np.all(weights == weights[0]) else weights


def labelled_weights(sample_weight, class_weight, labelled, y_labelled):
    """Weights of the labelled rows' cross-entropy (mean 1), or None.

    The product of ``sample_weight[labelled]`` and the weights of
    ``class_weight`` (scikit-learn's ``compute_sample_weight``).
    """
    weights = np.ones(len(labelled))
    if sample_weight is not None:
        weights *= sample_weight[labelled]
    if class_weight is not None:
        weights *= compute_sample_weight(class_weight, y_labelled)
    weights /= weights.mean()
    # Equal weights are no weights: the unweighted loss, to the last bit.
    return None if np.all(weights == weights[0]) else weights
