"""Every gallery example runs to the end with its quick settings and draws a plot."""

import runpy
from pathlib import Path

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib", reason="the examples plot")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*/plot_*.py"))


@pytest.fixture
def quick(monkeypatch):
    """Quick settings, no window, one torch thread; restored afterwards."""
    monkeypatch.setenv("NS3L_EXAMPLE_QUICK", "1")
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    threads = torch.get_num_threads()
    # The examples are small enough that a second thread only adds contention
    # on the shared CI cores.
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    plt.close("all")


def _run(script):
    runpy.run_path(str(script), run_name="__main__")
    assert plt.get_fignums(), f"{script.name} drew no figure"


def test_every_concept_folder_has_a_gallery_header():
    folders = {script.parent for script in SCRIPTS}
    assert len(SCRIPTS) >= 4
    assert (EXAMPLES / "README.txt").is_file()
    for folder in folders:
        assert (folder / "README.txt").is_file(), f"{folder.name} lacks README.txt"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_runs_quick(script, quick, monkeypatch, tmp_path, capsys):
    # No Fashion-MNIST here, whatever the machine holds: the selectors
    # example must say so and fall back to digits, never download.
    monkeypatch.setenv("NS3L_FASHION_MNIST", str(tmp_path / "absent.npz"))
    _run(script)
    if script.name == "plot_compare_selectors.py":
        out = capsys.readouterr().out
        assert "Fashion-MNIST is not available" in out
        assert "Nothing is downloaded" in out
        assert "digits: 1257 training images" in out
    if script.name == "plot_imbalanced.py":
        out = capsys.readouterr().out
        # Both models scored, and the per-class table of the negatives printed.
        assert out.count("balanced accuracy on the test set") == 2
        assert "own class marked  negatives  wrong among them" in out


def test_selectors_example_on_fashion_mnist(
    quick, monkeypatch, capsys, fashion_mnist_path
):
    monkeypatch.setenv("NS3L_FASHION_MNIST", str(fashion_mnist_path))
    _run(EXAMPLES / "selectors" / "plot_compare_selectors.py")
    assert "Fashion-MNIST: 1000 training images" in capsys.readouterr().out
