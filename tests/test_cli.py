"""The ns3l command."""

import argparse
import subprocess
import sys

import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

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


def _refused(argv, capsys) -> str:
    """Run ``main(argv)``, expect argparse's usage error (exit 2), return stderr."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


# Short runs, so that a value that is wrongly accepted fails fast.
_QUICK = ["--epochs", "1", "--seeds", "1", "--labels-per-class", "2"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seeds", "0", "must be an int in the range [1, inf)"),
        ("--epochs", "0", "must be an int in the range [1, inf)"),
        ("--epochs", "2.5", "'2.5' is not an integer"),
        ("--labels-per-class", "0", "must be an int"),
        ("-T", "1.5", "must be a float in the range (0.0, 1.0)"),
        ("-T", "0", "must be a float in the range (0.0, 1.0)"),
        ("--ns-weight", "-1", "must be a float in the range [0.0, inf)"),
        ("--batch-size", "1", "must be an int in the range [2, inf)"),
        ("--lr", "0", "must be a float in the range (0.0, inf)"),
        ("--lr", "nan", "must be a float"),
        ("--lr", "inf", "must be a float"),
        ("--test-size", "1", "must be a float in the range (0.0, 1.0)"),
        ("--split-seed", "-1", "must be an int in the range [0, 4294967295]"),
        ("--threads", "0", "must be an int in the range [1, inf)"),
    ],
)
def test_an_option_out_of_range_is_a_usage_error_naming_it(
    capsys, option, value, message
):
    err = _refused([*_QUICK, option, value], capsys)
    assert f"argument {option}" in err and message in err


def test_more_labels_per_class_than_the_data_has_is_refused_before_training(capsys):
    assert main([*_QUICK, "--labels-per-class", "1000"]) == 2
    captured = capsys.readouterr()
    assert "fewer than labels_per_class=1000" in captured.err
    assert "supervised" not in captured.out  # nothing trained


@pytest.mark.parametrize("parser", [build_parser, build_compare_parser])
def test_every_option_says_what_it_does_and_its_default(parser):
    for action in parser()._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, action.dest
        if action.option_strings:
            assert "default" in action.help, action.dest
    epochs = NS3LClassifier().max_epochs
    assert f"NS3LClassifier's, {epochs})" in " ".join(parser().format_help().split())


def _thread_counts() -> tuple[int, set]:
    """torch's intra-op threads and the OpenMP pools' thread counts."""
    return torch.get_num_threads(), {
        pool["num_threads"]
        for pool in threadpool_info()
        if pool["user_api"] == "openmp"
    }


@pytest.fixture
def fits_see(monkeypatch):
    """The thread counts each NS3LClassifier.fit starts with, over 3 threads."""
    seen = []
    fit = NS3LClassifier.fit

    def spy(self, *args, **kwargs):
        seen.append(_thread_counts())
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(NS3LClassifier, "fit", spy)
    before = torch.get_num_threads()
    with threadpool_limits(3):
        torch.set_num_threads(3)
        try:
            yield seen
            assert _thread_counts() == (3, {3})  # given back after the run
        finally:
            torch.set_num_threads(before)


def test_threads_sets_torch_and_openmp_for_the_run_only(fits_see):
    assert main([*_QUICK, "--threads", "1"]) == 0
    assert fits_see == [(1, {1})] * 2  # the supervised fit and NS3L's


def test_without_threads_the_counts_are_left_as_they_are(fits_see):
    assert main(_QUICK) == 0
    assert fits_see == [(3, {3})] * 2


def test_the_oracle_ablation_reads_the_hidden_labels(capsys):
    assert main([*_QUICK, "--selector", "oracle"]) == 0
    assert "NS3L (oracle)" in capsys.readouterr().out


def test_T_without_the_threshold_selector_is_a_usage_error(capsys):
    # NS3LClassifier refuses a T that no selector reads; so does the CLI,
    # before any data is loaded.
    with pytest.raises(SystemExit) as exit_:
        main(["-T", "0.1"])
    assert exit_.value.code == 2
    assert "read only by --selector threshold" in capsys.readouterr().err
