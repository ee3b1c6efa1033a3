"""plot_history draws the per-epoch history it is given, and only that."""

import builtins

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from skorch.history import History

from sklearn_ns3l import NS3LClassifier, plot_history

matplotlib = pytest.importorskip("matplotlib", reason="plot_history needs matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FAST = dict(max_epochs=4, batch_size=32, random_state=0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax):
    """Every line drawn on ``ax`` and its twins, by label."""
    return {line.get_label(): line for a in ax.figure.axes for line in a.get_lines()}


@pytest.fixture(scope="module")
def fitted(digits_semi):
    X, y_semi, _ = digits_semi
    return NS3LClassifier(**FAST).fit(X, y_semi)


def test_lines_are_the_history_columns(fitted):
    ax = plot_history(fitted)
    lines = _lines(ax)
    history = fitted.history_
    expected = {
        "supervised loss": "supervised_loss",
        "NS3L loss (unweighted)": "ns3l_loss",
        "negatives per unlabelled sample": "negatives_per_sample",
    }
    assert set(lines) == set(expected)
    for label, key in expected.items():
        x, y = lines[label].get_data()
        np.testing.assert_array_equal(x, history[:, "epoch"])
        np.testing.assert_allclose(y, history[:, key])
    # Losses and counts differ in scale: the counts get their own axis.
    assert lines["negatives per unlabelled sample"].axes is not ax
    assert lines["supervised loss"].axes is ax
    assert len(ax.get_legend().get_texts()) == 3


def test_validation_accuracy_is_drawn_when_recorded():
    history = History()
    rows = [(0.9, 0.2, 3.0, 0.5), (0.5, 0.1, 6.0, 0.7), (0.3, 0.05, 8.0, 0.8)]
    for epoch, (sup, ns, neg, acc) in enumerate(rows, start=1):
        history.new_epoch()
        history.record("epoch", epoch)
        history.record("supervised_loss", sup)
        history.record("ns3l_loss", ns)
        history.record("negatives_per_sample", neg)
        history.record("valid_acc", acc)
    ax = plot_history(history)
    line = _lines(ax)["validation accuracy"]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [0.5, 0.7, 0.8])
    assert line.axes.get_ylim() == (0.0, 1.0)
    assert len(ax.figure.axes) == 3


@pytest.mark.parametrize("companion, drawn", [([0.0, 0.0], False), ([0.4, 0.2], True)])
def test_companion_loss_is_drawn_only_when_trained(companion, drawn):
    history = History()
    for epoch, value in enumerate(companion, start=1):
        history.new_epoch()
        history.record("epoch", epoch)
        history.record("supervised_loss", 1.0 / epoch)
        history.record("companion_loss", value)
    lines = _lines(plot_history(history))
    assert ("companion loss (unweighted)" in lines) is drawn
    if drawn:
        np.testing.assert_allclose(
            lines["companion loss (unweighted)"].get_ydata(), companion
        )


def test_draws_on_the_given_axes(fitted):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_history(fitted, ax=right) is right
    assert right.get_lines() and not left.get_lines()


def test_supervised_baseline_draws_its_one_loss_only(digits_semi):
    """Curves come from the objective's keys: no NS3L term, no NS3L curves."""
    X, y_semi, _ = digits_semi
    clf = NS3LClassifier(selector=None, **FAST).fit(X, y_semi)
    assert set(_lines(plot_history(clf))) == {"supervised loss"}


def test_unfitted_classifier_raises():
    with pytest.raises(NotFittedError, match="fit it first"):
        plot_history(NS3LClassifier())


def test_missing_matplotlib_names_the_plot_extra(fitted, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"sklearn-ns3l\[plot\]"):
        plot_history(fitted)
