"""NS3LClassifier: a scikit-learn classifier trained with negative sampling."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._batching import SemiSupervisedData
from ._fit_plan import DEFAULT_T, plan_fit
from ._memmap import validate_data_chunked
from ._net import TRAIN_LOSS
from ._networks import build_module, last_linear, seeded_global_rng
from ._precision import PRECISIONS
from ._predict_checks import check_finite_proba, check_sample_shape
from ._scaling import scaled
from ._scoring import labelled_accuracy_score
from ._sparse import dense_rows
from ._training import (
    NETWORK_NEGATIVES,
    OPTIMIZERS,
    build_net,
    termination_condition,
    train,
)
from ._unlabelled import split_labelled
from .selectors import SELECTORS, BaseNegativeSelector
from .unlabelled_terms import COMPANIONS, BaseUnlabelledTerm

__all__ = ["NS3LClassifier"]


class NS3LClassifier(ClassifierMixin, BaseEstimator):
    """Semi-supervised neural classifier with negative sampling (NS3L).

    Labelled rows train the network with cross-entropy. Each unlabelled row
    ``u`` gets negative labels ``N(u)``, classes it almost surely is not, and
    adds ``-log(1 - sum_{k in N(u)} p_k(u))`` to the loss, weighted by
    ``ns_weight`` with a ramp-up. By default ``N(u)`` holds the classes whose
    probability after label spreading over a k-nearest-neighbour graph of
    the rows is below a threshold calibrated on held-out labelled rows, the
    largest at which at most 5 % of their negative labels are their true
    class (:class:`~sklearn_ns3l.selectors.LabelSpreadingSelector`); for images the
    graph is built on the CNN's own features after a warm-up, at a fixed
    threshold (``selector_features``); the paper's
    rule, ``selector="threshold"``, takes the classes whose probability
    under the current network is below ``T``. Targets use -1 for unlabelled
    rows, as in :mod:`sklearn.semi_supervised`.

    Parameters
    ----------
    selector : str, BaseNegativeSelector or None, default="label_spreading"
        How negative labels are chosen. ``"label_spreading"``: graph-propagated
        negatives, computed once before training with a cross-fitted
        threshold, or on the network's features during training (see
        ``selector_features``); chosen on development splits and measured
        against scikit-learn's peers in ``docs/results.md``.
        ``"threshold"`` is the paper's method (with threshold ``T``), and
        drops into ``GridSearchCV`` over ``T``;
        ``ThresholdSelector(wrong_negative_rate=a)`` calibrates its threshold
        instead, at every epoch, on the rows ``validation_fraction`` holds
        out (a ValueError before training if they are fewer than
        ``1 / a - 1``). ``None`` or ``"supervised"``
        train on the labelled rows only, the baseline. The other names are the paper's
        ablations with their defaults: ``"uniform"``, ``"nn_exclude_class"``,
        ``"nn_exclude_nearest"``, ``"nn_furthest"`` and ``"oracle"`` (which
        needs ``y_true`` in ``fit``); see :mod:`sklearn_ns3l.selectors`. A
        selector object is cloned and used as given (its own parameters
        apply, not ``T``).
    selector_features : {"auto", "input", "network"}, default="auto"
        The rows a selector that measures neighbourhoods (label spreading,
        the nearest-neighbour rules) measures them on. ``"input"``: ``X``
        itself, once before training. ``"network"``: the network's
        penultimate-layer features (the input of its last linear layer), for
        data whose raw features have poor neighbourhoods, such as image
        pixels: the first ``warmup_epochs`` epochs train without negatives
        (the pool is still batched), then the selector runs on the features
        of the labelled and unlabelled rows, and again every
        ``warmup_epochs`` epochs
        (:class:`~sklearn_ns3l.callbacks.NetworkFeatureNegatives`; issue #14,
        part 4). A calibrated selector (``wrong_negative_rate``) uses its
        fixed ``T`` there: the labelled rows trained the features, so
        estimates held out on them are biased (a UserWarning says so for a
        selector object). ``"network"`` raises a ValueError before training
        for any other selector (threshold, uniform, oracle), for
        ``warmup_epochs >= max_epochs`` and for a network without a
        ``torch.nn.Linear`` layer. ``"auto"``: ``"network"`` for
        :class:`~sklearn_ns3l.selectors.LabelSpreadingSelector` with the
        package's CNN (images) and ``warmup_epochs < max_epochs``,
        ``"input"`` otherwise, without an error; chosen on development
        splits, where the network's features beat the pixels on digits as
        8x8 images and on Fashion-MNIST and lost to the inputs on digits as
        64 features (``docs/results.md``, "The graph on the network's
        features"). The choice made is ``selector_features_``.
    warmup_epochs : int, default=5
        When the selector runs on the network's features (``"network"``, or
        ``"auto"`` resolved to it): epochs before the first build of the
        negatives and between rebuilds, >= 1. Ignored otherwise.
    T : float, default=0.04
        Probability threshold of the ``"threshold"`` selector, in (0, 1). The
        paper's best is about 0.04 for 10 classes and ``T / 10`` for 100; a
        ``T >= 1 / n_classes`` warns (every class, the true one included, can
        fall below it). No other selector reads it: set away from 0.04 with
        another selector (a name or an object, whose own ``T`` applies), it
        raises a ValueError in ``fit``, so that a search over ``T`` is never a
        silent no-op.
    ns_weight : float, default=1.0
        Weight ``lambda`` of the NS3L term, >= 0.
    companion : {"pseudo_label", "vat"}, BaseUnlabelledTerm or None, default=None
        Another semi-supervised loss on the unlabelled rows, added beside the
        NS3L term: confidence-thresholded pseudo-labelling
        (:class:`PseudoLabelLoss`) or virtual adversarial training
        (:class:`VATLoss`). With ``selector=None`` it trains alone, which gives
        the baseline that NS3L is added to. An object is cloned; its own
        parameters apply.
    companion_weight : float, default=1.0
        Weight of the companion loss, >= 0; ramped up like ``ns_weight``.
    augment : {"shift", "shift_flip"}, callable or None, default=None
        Augmentation of the unlabelled rows of each batch, for images:
        random shifts of up to 2 pixels, and horizontal flips with
        ``"shift_flip"`` (for clothing, not digits). A callable takes and
        returns a float tensor of the batch's shape.
    rampup_epochs : float, default=5.0
        The NS3L weight rises as ``exp(-5 (1 - t / rampup_epochs)^2)`` over
        this many epochs; 0 starts at full weight.
    labelled_fraction : float, default=0.5
        Share of each training batch drawn from the labelled rows; the rest
        comes from the unlabelled pool, which is cycled. The supervised
        baseline takes the same labelled rows per step and skips the pool, so
        the two differ only by the NS3L term; with no unlabelled rows at all,
        every row of a batch is labelled.
    module : {"cnn", "mlp"}, torch.nn.Module or None, default=None
        The network. None picks a small CNN for images (3-D or 4-D ``X``
        with images larger than 1x1, or
        ``image_shape`` given) and an MLP otherwise (sparse ``X`` included).
        A module instance must output one logit per class; it is copied in
        ``fit``.
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(channels, height, width)`` of each sample
        when ``X`` holds flattened images.
    scale : {"auto", "standard"} or None, default="auto"
        Standardisation of feature vectors (never of images), fitted on
        every row of ``X``, labelled or not, and applied in prediction
        (``scaler_``). ``"auto"`` standardises when the columns' ranges
        differ by more than a factor of 20 (the widest against the median
        column): a raw table whose columns come in their own units (raw
        wine: 62 % accuracy unscaled, 92 % standardised, on development
        splits) and not pixels or columns already on one scale, which lose
        accuracy when standardised (digits: 94.7 % against 91.7 %);
        ``docs/results/raw_tables.md``. ``"standard"`` always standardises
        feature vectors; None never does (e.g. inside a ``Pipeline`` that
        scales). A sparse ``X`` is scaled without centring; a memory-mapped
        one is not scaled (``"auto"`` warns where it would have,
        ``"standard"`` raises a ValueError).
    max_epochs : int, default=50
        Epochs of training (each of ``steps_per_epoch`` optimiser steps).
    steps_per_epoch : "auto", int or None, default="auto"
        Optimiser steps (batches) per epoch. None: one pass over the
        labelled rows, the paper's epoch, so that training shrinks with the
        labels (100 labels at 50 per batch make 2 steps an epoch). An int:
        that many steps, the labelled rows cycled (reshuffled at each pass,
        none twice in a batch). ``"auto"``: one pass over the labelled rows,
        but at least 20 steps, so that the default
        50 epochs make at least 1,000 steps however few the labels (see
        ``docs/results.md``, "Training length"). ``rampup_epochs`` counts
        these epochs. The steps taken are ``steps_per_epoch_``.
    batch_size : int, default=100
        Rows per training batch (labelled and unlabelled together).
    lr : float, default=6e-4
        Initial learning rate (the paper's value, for Adam).
    lr_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` decays the learning rate to 0 over the whole training,
        step by step (:func:`sklearn_ns3l.callbacks.cosine_schedule`), so the
        last epochs settle instead of jumping by points of test error as at
        a constant rate; a skorch ``LRScheduler`` in ``callbacks`` then
        raises a ValueError. ``"constant"`` keeps ``lr`` (the paper's
        setting), or leaves the schedule to such a callback.
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the labelled rows' cross-entropy, as in
        :class:`~sklearn.linear_model.LogisticRegression`: ``{label:
        weight}``, or ``"balanced"`` for ``n_labelled / (n_classes *
        count(label))``. Multiplies ``sample_weight``. It also reaches the
        unlabelled rows: each row's NS3L term is weighted by the weight of
        the class it most likely is (the network's most probable class,
        detached, among those not marked negative for it), the weights scaled
        to mean 1 over the labelled rows (issue #22). A class named here
        must be among the labelled classes (ValueError otherwise).
    validation_fraction : float or None, default=None
        Share of the labelled rows held out of training, stratified by class,
        as in :class:`~sklearn.neural_network.MLPClassifier`. Each epoch then
        records ``valid_loss`` (their cross-entropy) and ``valid_acc`` in
        ``history_``, which skorch's ``EarlyStopping`` and ``Checkpoint``
        (in ``callbacks``) can monitor, e.g.
        ``EarlyStopping(patience=5, load_best=True)`` stops when
        ``valid_loss`` stops falling and restores the best epoch's weights.
        A calibrated threshold selector calibrates on the same rows. None
        trains on every labelled row.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``), or ``"auto"`` for CUDA when
        available; any other torch device type too. A device this machine
        lacks is refused with a ValueError before training.
    precision : {"auto", "float32", "bfloat16", "float16"}, default="auto"
        Arithmetic of the network's forward passes, in training and in
        prediction. ``"auto"``: bfloat16 autocast where the device has fast
        bfloat16 (a CPU with AVX512-BF16 or AMX, detected from its flags; a
        CUDA GPU that supports it), float16 autocast with gradient scaling
        on other CUDA GPUs, float32 elsewhere. ``"float32"`` forces full
        precision. The weights stay float32 either way, and the loss (the
        NS3L term in log space) and ``predict_proba`` are computed from
        float32 logits. A reduced precision named where the device would
        only emulate it warns (UserWarning) and trains in float32. The
        precision used is ``precision_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, batching and selectors. The
        same integer gives the same predictions.
    callbacks : list of skorch callbacks or None, default=None
        Extra :mod:`skorch.callbacks` for the training net, as instances or
        ``(name, callback)`` pairs, e.g. a learning-rate schedule
        (``LRScheduler("ReduceLROnPlateau", monitor="valid_loss")``, with
        ``lr_schedule="constant"``) or ``EarlyStopping`` on ``valid_loss``
        or ``valid_acc`` (with ``validation_fraction``). They are cloned in
        ``fit``, so the objects given here are left untouched. skorch's
        ``EpochScoring`` and ``BatchScoring`` raise a ValueError before
        training: they would score the semi-supervised batches, whose
        targets are not class labels. A callback monitoring a key that this
        training never records raises one too.
    verbose : int, default=0
        Above 0, a progress bar over epochs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (-1 excluded).
    precision_ : {"float32", "bfloat16", "float16"}
        The precision ``precision`` resolved to on the fit's device.
    scaler_ : sklearn.preprocessing.StandardScaler or None
        The standardisation ``scale`` chose and fitted, or None.
    n_features_in_ : int
        Number of features (for images, the size of the second axis of ``X``).
    input_shape_ : tuple of int
        Shape of one sample of ``X`` as seen in ``fit``.
    selector_ : BaseNegativeSelector or None
        The selector used in training, with its small fitted state
        (``classes_``, ``threshold_``, the calibration's estimates) but not
        its training rows (no search index, graph or propagated
        distributions: a saved model neither grows with the pool nor
        carries the data, and transforming with it raises
        ``NotFittedError``); None for the supervised baseline
        (``selector=None``).
    pool_negatives_ : ndarray of bool, shape (n_pool, n_classes) or None
        The negative-label mask the network trained with, one row per
        unlabelled row of ``X`` (``y == -1`` and a positive weight; ``n_pool``
        is ``n_unlabelled_``), in
        ``X``'s order; column ``k`` refers to ``classes_[k]``. On the
        network's features, the last mask built. None where negatives are
        chosen batch by batch (the threshold) or no selector read the pool.
        :func:`~sklearn_ns3l.negative_label_quality` measures it against the
        pool's true classes.
    companion_ : BaseUnlabelledTerm or None
        The companion loss used in training.
    objective_ : SemiSupervisedObjective
        The training objective: the labelled rows' cross-entropy and the
        unlabelled terms (``"ns3l"``, ``"companion"``) with their weights.
    net_ : NS3LNet
        The trained skorch net.
    module_ : torch.nn.Module
        The trained network.
    history_ : skorch.History
        Per epoch: ``train_loss`` (the full objective) and the keys of
        ``objective_.history_keys``: ``supervised_loss``; with a selector,
        ``ns3l_loss`` (before weighting), ``ns3l_weight`` (``ns_weight`` times
        the ramp-up, at the epoch's end) and ``negatives_per_sample`` (mean
        size of ``N(u)``); with a companion, ``companion_loss`` and
        ``companion_weight``; with a calibrated threshold selector,
        ``threshold`` and ``estimated_wrong_negative_rate`` (at the epoch's
        start, on the held-out rows). E.g. ``history_[:, "ns3l_loss"]``. A static
        selector that marks no negative label on the pool before training
        (e.g. label spreading on the inputs, too short of labels to
        calibrate) leaves the NS3L term out, with a warning: the fit is then
        the supervised twin's, bit for bit. On the network's features the
        term stays, whatever a rebuild marks.
    selector_features_ : {"input", "network"} or None
        What the selector read, as resolved from ``selector_features``:
        ``"network"`` (its features), ``"input"`` (``X``, or nothing for a
        selector that measures no neighbourhoods, such as the threshold), or
        None when no selector read the pool (``selector=None``, or no
        unlabelled rows).
    steps_per_epoch_ : int
        Optimiser steps of each epoch, as resolved from ``steps_per_epoch``.
    n_epochs_ : int
        Epochs completed; fewer than ``max_epochs`` after an early stop or a
        KeyboardInterrupt.
    termination_condition_ : {"max_epochs", "early_stopping", "interrupted"}
        Why training ended: all epochs ran, a callback such as skorch's
        ``EarlyStopping`` stopped it, or it was interrupted (Ctrl-C: the
        weights learned so far are kept, and ``fit`` re-raises the
        KeyboardInterrupt so that a loop of fits stops too).
    n_labelled_ : int
        Labelled rows seen in ``fit``.
    n_unlabelled_ : int
        Unlabelled rows seen in ``fit``.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : Pseudo-labelling around
        any classifier.
    sklearn_ns3l.labelled_accuracy_scorer : Scoring for semi-supervised
        cross-validation.

    References
    ----------
    J. Chen, V. Shah and A. Kyrillidis, "Negative Sampling in Semi-Supervised
    Learning", ICML 2020. arXiv:1911.05166.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ns3l import NS3LClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> y_semi = y.copy()
    >>> y_semi[np.random.RandomState(0).rand(len(y)) < 0.7] = -1
    >>> clf = NS3LClassifier(max_epochs=5, random_state=0).fit(X, y_semi)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> clf.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        "selector": [
            None,
            StrOptions(set(SELECTORS) | {"supervised"}),
            BaseNegativeSelector,
        ],
        "selector_features": [StrOptions({"auto", "input", "network"})],
        "warmup_epochs": [Interval(Integral, 1, None, closed="left")],
        "T": [Interval(Real, 0, 1, closed="neither")],
        "ns_weight": [Interval(Real, 0, None, closed="left")],
        "companion": [None, StrOptions(set(COMPANIONS)), BaseUnlabelledTerm],
        "companion_weight": [Interval(Real, 0, None, closed="left")],
        "augment": [None, StrOptions({"shift", "shift_flip"}), callable],
        "rampup_epochs": [Interval(Real, 0, None, closed="left")],
        "labelled_fraction": [Interval(Real, 0, 1, closed="neither")],
        "module": [None, StrOptions({"cnn", "mlp"}), HasMethods(["forward"])],
        "image_shape": [None, tuple, list],
        "scale": [None, StrOptions({"auto", "standard"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "steps_per_epoch": [
            None,
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "class_weight": [None, dict, StrOptions({"balanced"})],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "device": [str],
        "precision": [StrOptions(set(PRECISIONS))],
        "random_state": ["random_state"],
        "callbacks": [None, list],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        selector="label_spreading",
        *,
        selector_features="auto",
        warmup_epochs=5,
        T=DEFAULT_T,
        ns_weight=1.0,
        companion=None,
        companion_weight=1.0,
        augment=None,
        rampup_epochs=5.0,
        labelled_fraction=0.5,
        module=None,
        image_shape=None,
        scale="auto",
        max_epochs=50,
        steps_per_epoch="auto",
        batch_size=100,
        lr=6e-4,
        lr_schedule="cosine",
        optimizer="adam",
        class_weight=None,
        validation_fraction=None,
        device="cpu",
        precision="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
    ):
        self.selector = selector
        self.selector_features = selector_features
        self.warmup_epochs = warmup_epochs
        self.T = T
        self.ns_weight = ns_weight
        self.companion = companion
        self.companion_weight = companion_weight
        self.augment = augment
        self.rampup_epochs = rampup_epochs
        self.labelled_fraction = labelled_fraction
        self.module = module
        self.image_shape = image_shape
        self.scale = scale
        self.max_epochs = max_epochs
        self.steps_per_epoch = steps_per_epoch
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.optimizer = optimizer
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.callbacks = callbacks
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, y_true=None, sample_weight=None):
        """Train the network on labelled and unlabelled rows.

        Every parameter and its combination with the data is checked before
        any work (a graph, an index, a network) starts. The fitted
        attributes are set together once training has succeeded: after a
        fit that raises, the estimator is the previous model in full (or
        unfitted). A KeyboardInterrupt (Ctrl-C) in training keeps the
        weights learned so far (``termination_condition_ == "interrupted"``)
        and reaches the caller, so a loop of fits stops too.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or \
                (n_samples, [C,] H, W)
            Feature vectors or images. A float32 ``numpy.memmap`` stays on
            disk: it is checked and read a chunk or batch at a time, never
            copied whole (with a static selector, the unlabelled rows are
            given to the selector in memory). A memory map of another dtype
            is converted to float32 in memory first. A scipy sparse matrix
            or array (converted to CSR) holds feature vectors, densified a
            batch at a time, never whole; it trains the MLP, or the CNN with
            ``image_shape``, and gives the model its dense twin gives
            (unless ``scale`` standardises it: without centring, which the
            dense twin gets).
        y : array-like of shape (n_samples,)
            Class labels (integers or strings), -1 for unlabelled rows: the
            number -1, or the string ``"-1"`` in an array of strings. Missing
            values (NaN, None, ``pandas.NA``) are refused with a ValueError
            saying so.
        y_true : array-like of shape (n_samples,), default=None
            The ground truth of every row, for ablations only: read by
            selectors that need it (the oracle) and by nothing else.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows. A labelled row's weight
            multiplies its cross-entropy, together with ``class_weight``; the
            weights are scaled to mean 1 over the labelled rows, so ``lr``
            keeps its meaning. The unlabelled terms do not weigh their rows,
            but a row of weight 0, labelled or not, is left out of training
            altogether (as if it were not in ``X``).

        Returns
        -------
        self : NS3LClassifier
            The fitted classifier.

        Raises
        ------
        ValueError
            Before any work, for input or parameters that cannot train (each
            message names the problem), e.g. ``T`` set away from its default
            for a selector that does not read it.
        KeyboardInterrupt
            After the interrupted fit is committed (see above).
        """
        previous = _fitted_state(self)
        try:
            self._fit(X, y, y_true, sample_weight)
        except BaseException:
            # No chimera of the new data's attributes and the old network.
            _restore_fitted_state(self, previous)
            raise
        if self.termination_condition_ == "interrupted":
            # skorch ends training quietly on Ctrl-C; a loop of fits
            # (GridSearchCV, cross_val_score) must stop too.
            raise KeyboardInterrupt(
                f"fit was interrupted after {self.n_epochs_} of {self.max_epochs} "
                "epochs; the estimator keeps the weights learned so far "
                "(termination_condition_='interrupted')."
            )
        return self

    def _fit(self, X, y, y_true, sample_weight):
        # The markers first: scikit-learn's own checks of y would meet a
        # missing value such as pandas.NA with a TypeError of numpy's.
        unlabelled, y_known = split_labelled(y)
        X, y = validate_data_chunked(
            self, X, y, accept_sparse="csr", allow_nd=True, dtype=np.float32
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        plan = plan_fit(self, X, unlabelled, y_known, sample_weight, y_true)
        # Fitted on every row the fit reads, labelled or not: the network
        # and the selector's graph read the same standardised columns.
        X = scaled(plan.scaler, X)
        y_true_pool = _pool_truth(y_true, y, plan.rows.pool)
        module = self._build_module(X, plan)
        negatives = None
        if plan.negatives_before_training:
            rows = plan.rows
            negatives = plan.selector.pool_negatives(
                X, rows.labelled, rows.y_labelled, rows.pool, y_true=y_true_pool
            )
            negatives = np.asarray(negatives, dtype=bool)
            if not negatives.any():
                plan = plan.without_negatives(self)
        elif plan.on_network_features:
            # A warm-up without negatives: NetworkFeatureNegatives fills them in.
            negatives = np.zeros((len(plan.rows.pool), len(plan.classes)), bool)
        rows = plan.rows
        data = SemiSupervisedData(
            X, rows.labelled, rows.y_encoded, rows.pool, negatives, rows.weights
        )
        net = build_net(self, module, plan, plan.validation_data(X))
        own_network = not isinstance(self.module, torch.nn.Module)
        net = train(net, data, plan, own_network=own_network)
        self._commit(plan, net, negatives)

    def _build_module(self, X, plan):
        """The network to train, initialised from the plan's seed."""
        with seeded_global_rng(plan.device, plan.torch_seed, exclusive=True):
            module = build_module(
                self.module,
                plan.image_shape,
                plan.input_shape,
                len(plan.classes),
                dense_rows(X, plan.rows.labelled[:1]),
            )
        if plan.on_network_features and last_linear(module) is None:
            raise ValueError(
                "selector_features='network' reads the input of the network's "
                f"last torch.nn.Linear layer, and {type(module).__name__} has none."
            )
        return module

    def _commit(self, plan, net, negatives) -> None:
        """Set every fitted attribute at once, from a trained net."""
        if plan.on_network_features:
            # The last rebuild; the warm-up's empty mask if none was made.
            built = dict(net.callbacks_)[NETWORK_NEGATIVES].negatives_
            negatives = negatives if built is None else built
        if plan.selector is not None:
            # The saved model neither grows with the pool nor carries rows.
            plan.selector._drop_training_rows()
        self.classes_ = plan.classes
        self.input_shape_ = plan.input_shape
        self.precision_ = plan.precision
        self.scaler_ = plan.scaler
        self.n_labelled_, self.n_unlabelled_ = plan.n_labelled, plan.n_unlabelled
        self.selector_ = plan.selector
        self.companion_ = plan.companion
        self.objective_ = plan.objective
        self.selector_features_ = plan.selector_features
        self.steps_per_epoch_ = plan.steps_per_epoch
        self.pool_negatives_ = negatives
        self.net_ = net
        self.n_epochs_ = sum(TRAIN_LOSS in row for row in net.history)
        self.termination_condition_ = termination_condition(
            net, self.n_epochs_, self.max_epochs
        )

    @property
    def module_(self) -> torch.nn.Module:
        """The trained network (held by ``net_``, which moves it between devices)."""
        check_is_fitted(self)
        return self.net_.module_

    @property
    def history_(self):
        """Per-epoch history of the training (``net_.history``)."""
        check_is_fitted(self)
        return self.net_.history

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            Samples shaped as in ``fit``; sparse input is read a batch at a
            time.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        owner = type(self).__name__
        check_sample_shape(X, self.input_shape_, owner, validated=False)
        X = validate_data_chunked(
            self, X, reset=False, accept_sparse="csr", allow_nd=True, dtype=np.float32
        )
        check_sample_shape(X, self.input_shape_, owner, validated=True)
        proba = self.net_.predict_proba(scaled(self.scaler_, X))
        check_finite_proba(proba, X)  # names the values the user gave
        return proba

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on the labelled rows of ``(X, y)``; rows with y == -1 are ignored.

        This keeps ``GridSearchCV`` and ``cross_val_score`` meaningful with
        their default scoring when the folds hold unlabelled rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
            True labels, -1 for unlabelled rows.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return labelled_accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = False
        tags.input_tags.sparse = True
        return tags


def _pool_truth(y_true, y, pool):
    """The pool's rows of ``y_true`` (for the oracle), checked; or None."""
    if y_true is None:
        return None
    y_true = np.asarray(y_true)
    if y_true.shape != y.shape:
        raise ValueError(f"y_true has shape {y_true.shape}, but y has shape {y.shape}.")
    return y_true[pool]


def _fitted_state(estimator) -> dict:
    """The fitted attributes of ``estimator`` (trailing ``_``), by name."""
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("__")
    }


def _restore_fitted_state(estimator, state: dict) -> None:
    """Make ``estimator``'s fitted attributes ``state``, dropping any other."""
    for name in _fitted_state(estimator):
        if name not in state:
            delattr(estimator, name)
    for name, value in state.items():
        setattr(estimator, name, value)
