"""Validation split, early stopping and checkpoints on held-out labelled rows."""

import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, LRScheduler

from sklearn_ns3l import NS3LClassifier

FAST = dict(batch_size=32, random_state=0)


class _HeldOut(Callback):
    """Keeps the held-out rows the net validates on (the fitted model does not)."""

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.valid = dataset_valid


def _valid_rows(clf):
    valid = dict(clf.net_.callbacks_)["held_out"].valid
    return valid.X, valid.y


class _SeenRows(Callback):
    """The labelled rows each epoch trains and validates on (a test probe).

    Rows are told apart by their bytes (the 600 digits rows are distinct).
    """

    def initialize(self):
        self.trained, self.validated, self.valid_y = [], [], []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.trained.append([])
        self.validated.append([])

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        X, target = batch
        rows = [row.tobytes() for row in X[: target["n_labelled"]].numpy()]
        if training:
            self.trained[-1].extend(rows)
        else:
            self.validated[-1].extend(rows)
            if len(self.validated) == 1:
                self.valid_y.extend(target["y"].tolist())


def _labelled_rows(X, y_semi):
    rows = [X[i].tobytes() for i in np.flatnonzero(y_semi != -1)]
    assert len(set(rows)) == len(rows)
    return rows


def _probe(clf):
    return dict(clf.net_.callbacks_)["rows"]  # the fit's copy


def test_held_out_rows_never_reach_a_training_batch(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(
        validation_fraction=0.3,
        max_epochs=2,
        steps_per_epoch=None,  # one pass over the training rows an epoch
        callbacks=[("rows", _SeenRows())],
        **FAST,
    ).fit(X, y_semi)
    probe = _probe(clf)
    labelled = set(_labelled_rows(X, y_semi))
    held_out = set(probe.validated[0])
    assert len(held_out) == len(probe.validated[0]) == 30 and held_out <= labelled
    for trained, validated in zip(probe.trained, probe.validated, strict=True):
        assert set(validated) == held_out  # the same rows every epoch
        # Every other labelled row trains, once a pass; no held-out row does.
        assert sorted(trained) == sorted(labelled - held_out)


def test_without_a_validation_fraction_no_valid_keys_and_the_same_model(digits_semi):
    X, y_semi, _ = digits_semi
    params = dict(max_epochs=2, steps_per_epoch=None, **FAST)
    clf = NS3LClassifier(callbacks=[("rows", _SeenRows())], **params).fit(X, y_semi)
    assert "valid_loss" not in clf.history_[-1]
    assert clf.termination_condition_ == "max_epochs"
    assert clf.net_.train_split is None  # not skorch's default 5-fold split
    # Every labelled row trains, once an epoch; none is validated on.
    probe = _probe(clf)
    for trained, validated in zip(probe.trained, probe.validated, strict=True):
        assert sorted(trained) == sorted(_labelled_rows(X, y_semi))
        assert validated == []
    # The same model: the probe changes nothing, and an estimator that held
    # rows out in an earlier fit trains, refitted without, the very same model.
    plain = NS3LClassifier(**params).fit(X, y_semi).predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X), plain)
    refit = NS3LClassifier(validation_fraction=0.3, **params).fit(X, y_semi)
    refit.set_params(validation_fraction=None).fit(X, y_semi)
    assert "valid_loss" not in refit.history_[-1]
    np.testing.assert_array_equal(refit.predict_proba(X), plain)


def test_a_validation_fraction_records_valid_loss_and_accuracy(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(
        validation_fraction=0.3,
        max_epochs=3,
        callbacks=[("held_out", _HeldOut())],
        **FAST,
    )
    clf.fit(X, y_semi)
    for key in ("valid_loss", "valid_acc"):
        values = np.array(clf.history_[:, key])
        assert values.shape == (3,) and np.isfinite(values).all()
    # valid_acc is the final model's accuracy on the held-out rows...
    X_valid, y_valid = _valid_rows(clf)
    assert len(y_valid) == 30  # 30 % of 100 labelled rows, 3 per class
    assert np.bincount(y_valid.numpy()).tolist() == [3] * 10
    proba = clf.predict_proba(X_valid.numpy())
    assert clf.history_[-1, "valid_acc"] == pytest.approx(
        np.mean(proba.argmax(1) == y_valid.numpy())
    )
    # ...and valid_loss their cross-entropy.
    expected = -np.mean(np.log(proba[np.arange(30), y_valid.numpy()]))
    assert clf.history_[-1, "valid_loss"] == pytest.approx(expected, rel=1e-4)


def test_early_stopping_on_valid_loss_stops_and_says_so(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(
        validation_fraction=0.3,
        max_epochs=60,
        lr=0.05,  # far too high: valid_loss soon stops improving
        callbacks=[EarlyStopping(patience=2, sink=lambda *_: None)],
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="fit was interrupted")
        clf.fit(X, y_semi)
    assert clf.n_epochs_ < 60 and clf.termination_condition_ == "early_stopping"


def test_early_stopping_with_load_best_restores_the_best_epoch(digits_semi):
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(
        validation_fraction=0.3,
        max_epochs=40,
        lr=0.02,
        callbacks=[
            EarlyStopping(patience=3, load_best=True, sink=lambda *_: None),
            ("held_out", _HeldOut()),
        ],
        **FAST,
    )
    clf.fit(X, y_semi)
    X_valid, y_valid = _valid_rows(clf)
    proba = clf.predict_proba(X_valid.numpy())
    loss = -np.mean(np.log(proba[np.arange(len(y_valid)), y_valid.numpy()]))
    losses = np.array(clf.history_[:, "valid_loss"])
    assert loss == pytest.approx(losses.min(), rel=1e-4)
    assert losses[-1] > losses.min()  # the last epoch was not the best


def test_early_stopping_on_train_loss_needs_no_validation(digits_semi):
    X, y_semi, _ = digits_semi
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    clf = NS3LClassifier(max_epochs=8, callbacks=[stop], **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(X, y_semi)
    assert clf.n_epochs_ == 2 and clf.termination_condition_ == "early_stopping"


def test_checkpoint_keeps_the_best_valid_loss_weights(digits_semi, tmp_path):
    X, y_semi, _ = digits_semi
    checkpoint = Checkpoint(dirname=str(tmp_path), f_optimizer=None, f_history=None)
    clf = NS3LClassifier(
        validation_fraction=0.3,
        max_epochs=5,
        callbacks=[checkpoint, ("rows", _SeenRows())],
        **FAST,
    )
    clf.fit(X, y_semi)
    losses = np.array(clf.history_[:, "valid_loss"])
    assert losses.argmin() > 0  # a checkpoint of the first epoch would differ
    # valid_loss_best marks exactly the epochs that lower valid_loss.
    improved = [e == 0 or losses[e] < losses[:e].min() for e in range(len(losses))]
    assert clf.history_[:, "valid_loss_best"] == improved
    # The saved weights are the best epoch's: their held-out cross-entropy is
    # the lowest valid_loss recorded.
    saved = torch.load(tmp_path / "params.pt", weights_only=True)
    assert set(saved) == set(clf.module_.state_dict())
    probe = _probe(clf)
    X_valid = np.stack([np.frombuffer(row, np.float32) for row in probe.validated[0]])
    y_valid = np.array(probe.valid_y)
    clf.module_.load_state_dict(saved)
    proba = clf.predict_proba(X_valid)
    loss = -np.mean(np.log(proba[np.arange(len(y_valid)), y_valid]))
    assert loss == pytest.approx(losses.min(), rel=1e-4)


@pytest.mark.parametrize(
    "callback, match",
    [
        (EarlyStopping(), "monitors 'valid_loss'.*Set validation_fraction"),
        (Checkpoint(dirname="unused"), "monitors 'valid_loss_best'"),
        (EarlyStopping(monitor="ns3l_los"), "monitors 'ns3l_los'"),
        (
            LRScheduler("ReduceLROnPlateau", monitor="valid_acc"),
            "monitors 'valid_acc'",
        ),
    ],
)
def test_a_callback_monitoring_a_key_never_recorded_is_refused(
    digits_semi, callback, match
):
    X, y_semi, _ = digits_semi
    with pytest.raises(ValueError, match=match):
        NS3LClassifier(max_epochs=1, lr_schedule="constant", callbacks=[callback]).fit(
            X, y_semi
        )


def test_a_validation_share_too_small_to_stratify_is_refused(digits_semi):
    X, y_semi, _ = digits_semi
    with pytest.raises(ValueError, match="validation_fraction=0.01 cannot hold out"):
        NS3LClassifier(validation_fraction=0.01, max_epochs=1).fit(X, y_semi)
