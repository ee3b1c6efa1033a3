"""Training curves of a fitted NS3LClassifier."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_history"]

#: History keys drawn by :func:`plot_history`: key -> (legend label, y-axis).
_CURVES = {
    "supervised_loss": ("supervised loss", "loss"),
    "ns3l_loss": ("NS3L loss (unweighted)", "loss"),
    "companion_loss": ("companion loss (unweighted)", "loss"),
    "negatives_per_sample": ("negatives per unlabelled sample", "negatives"),
    "valid_acc": ("validation accuracy", "accuracy"),
}
#: Keys recorded as 0 when their loss is switched off: drawn only when used,
#: since a flat zero line for a loss nobody asked for is noise.
_ONLY_IF_USED = {"companion_loss"}


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plot_history needs matplotlib, which sklearn-ns3l does not install "
            'by default: pip install "sklearn-ns3l[plot]" (or matplotlib itself).'
        ) from exc
    return plt


def _history_of(clf):
    """The skorch History of a fitted NS3LClassifier, a skorch net, or itself."""
    from skorch.history import History

    if isinstance(clf, History):
        return clf
    for attr in ("history_", "history"):
        history = getattr(clf, attr, None)
        if isinstance(history, History):
            return history
    from sklearn.exceptions import NotFittedError

    raise NotFittedError(
        f"{type(clf).__name__} has no training history: fit it first, or pass a "
        "fitted NS3LClassifier, a skorch net or a skorch History."
    )


def _curve_keys(clf) -> tuple[str, ...]:
    """The keys to draw: those the classifier's objective logged, where known."""
    objective = getattr(clf, "objective_", None) or getattr(clf, "criterion_", None)
    logged = getattr(objective, "history_keys", None)
    if logged is None:
        return tuple(_CURVES)
    # Weights are the schedule, not a measurement; they are not drawn.
    weights = set(getattr(objective, "weight_keys", ()))
    return (*(k for k in logged if k not in weights), "valid_acc")


def _column(history, key):
    """Per-epoch values of ``key`` as floats, NaN in epochs that lack it."""
    return np.array([row.get(key, np.nan) for row in history], dtype=float)


def plot_history(clf, ax=None):
    """Plot the per-epoch training history of a fitted classifier.

    Draws, against the epoch number, the supervised loss and the (unweighted)
    NS3L loss on the left y-axis (with the companion loss, when one was
    trained), and the mean number of negative labels per
    unlabelled sample on a right y-axis. When the history holds a
    ``valid_acc`` column (validation accuracy, as skorch names it), it gets a
    second right y-axis in [0, 1]. Keys absent from the history are skipped.

    Negatives per sample that climb while the NS3L loss stays small are the
    method working: the network grows confident about which classes a sample
    is not, and rightly so. The curves are those of the classifier's
    ``objective_.history_keys`` (weights excepted), so the supervised baseline
    draws its supervised loss alone; a bare history gets the package's known
    keys.

    Parameters
    ----------
    clf : NS3LClassifier, skorch.NeuralNet or skorch.history.History
        A fitted classifier (its ``history_`` is read), a fitted skorch net
        (its ``history``), or a history itself.
    ax : matplotlib.axes.Axes, default=None
        Where to draw the losses; the right-hand axes are twins of it. None
        draws on a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes of the losses. Its twins, and so every line drawn, are in
        ``ax.figure.axes``; each line's label names its curve, and one legend
        on ``ax`` lists them all.

    Raises
    ------
    ImportError
        When matplotlib is not installed (the ``plot`` extra).
    sklearn.exceptions.NotFittedError
        When ``clf`` has no history yet.

    See Also
    --------
    sklearn_ns3l.NS3LClassifier : Its ``history_`` attribute lists the keys.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ns3l import NS3LClassifier, plot_history
    >>> from sklearn_ns3l.datasets import hide_labels
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y_semi = X[:300] / 16.0, hide_labels(y[:300], 5, random_state=0)
    >>> clf = NS3LClassifier(max_epochs=3, random_state=0).fit(X, y_semi)
    >>> ax = plot_history(clf)
    >>> sorted(line.get_label() for a in ax.figure.axes for line in a.get_lines())
    ['NS3L loss (unweighted)', 'negatives per unlabelled sample', 'supervised loss']
    """
    plt = _import_pyplot()
    history = _history_of(clf)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    epochs = _column(history, "epoch")
    if np.isnan(epochs).any():
        epochs = np.arange(1, len(history) + 1, dtype=float)

    # One twin axis per kind of quantity, created only if something is drawn
    # on it, so a plain loss plot carries no empty right-hand scale.
    axes = {"loss": ax}
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    lines = []
    for key in _curve_keys(clf):
        label, kind = _CURVES.get(key, (key.replace("_", " "), "loss"))
        values = _column(history, key)
        if np.isnan(values).all():
            continue
        if key in _ONLY_IF_USED and not np.nan_to_num(values).any():
            continue
        if kind not in axes:
            axes[kind] = _right_axis(ax, offset=len(axes) - 1)
        (line,) = axes[kind].plot(
            epochs,
            values,
            label=label,
            color=next(colours),
            linestyle="-" if kind == "loss" else "--",
            marker="." if len(epochs) <= 30 else None,
        )
        lines.append(line)

    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if "negatives" in axes:
        axes["negatives"].set_ylabel("negatives per unlabelled sample")
        axes["negatives"].set_ylim(bottom=0)
    if "accuracy" in axes:
        axes["accuracy"].set_ylabel("validation accuracy")
        axes["accuracy"].set_ylim(0, 1)
    if lines:
        # "best" would only avoid the lines of ``ax``, not those of its twins.
        ax.legend(handles=lines, loc="center right", fontsize="small")
    return ax


def _right_axis(ax, offset):
    """A twin of ``ax`` with its scale on the right, the ``offset``-th one out."""
    twin = ax.twinx()
    if offset:
        # Push the spine outwards so that two right-hand scales do not overlap.
        twin.spines["right"].set_position(("axes", 1.0 + 0.15 * offset))
    return twin
