"""The ns3l command."""

import subprocess
import sys

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l._cli import build_compare_parser, build_parser, main


def test_main_job_prints_both_methods_side_by_side(capsys):
    assert main(["--epochs", "2", "--seeds", "2", "--labels-per-class", "5"]) == 0
    out = capsys.readouterr().out
    assert "supervised" in out and "NS3L (label_spreading)" in out
    assert "seed 1" in out and "NS3L - supervised:" in out


def test_fashion_mnist_from_a_missing_path_is_a_clear_error(tmp_path, capsys):
    code = main(
        ["--dataset", "fashion-mnist", "--data-path", str(tmp_path / "nope.npz")]
    )
    assert code == 2
    assert "Fashion-MNIST not found" in capsys.readouterr().err


def test_runs_as_a_module():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_ns3l", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--labels-per-class" in out


def test_the_defaults_are_the_classifiers_own():
    params = NS3LClassifier().get_params()
    main_job = build_parser().parse_args([])
    for option, param in [
        ("selector", "selector"),
        ("T", "T"),
        ("ns_weight", "ns_weight"),
        ("epochs", "max_epochs"),
        ("batch_size", "batch_size"),
        ("lr", "lr"),
        ("device", "device"),
    ]:
        assert getattr(main_job, option) == params[param], option
    assert build_compare_parser().parse_args(["t.csv"]).device == params["device"]
