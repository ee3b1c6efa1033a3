"""Every device name gets a torch device that works here, or a ValueError."""

import warnings

import numpy as np
import pytest
import torch

from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l._device import resolve_device

CUDA = torch.cuda.is_available()


def _refused(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "mkldnn is deprecated"
        with pytest.raises(ValueError) as info:
            resolve_device(name)
    message = str(info.value)
    assert f"device={name!r}" in message and "device='cpu'" in message
    return message


@pytest.mark.parametrize("name", ["cpu", "cpu:0"])
def test_the_cpu_is_always_there(name):
    assert resolve_device(name) == torch.device(name)


def test_auto_takes_cuda_when_available_else_the_cpu():
    assert resolve_device("auto").type == ("cuda" if CUDA else "cpu")


@pytest.mark.skipif(CUDA, reason="this machine has CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_cuda_keeps_its_message(name):
    message = _refused(name)
    assert message == (
        f"device={name!r} but CUDA is not available on this machine; "
        "use device='cpu' or device='auto'."
    )


def test_a_cuda_index_beyond_the_devices_present_is_refused(monkeypatch):
    count = torch.cuda.device_count() if CUDA else 1
    if not CUDA:  # the index is checked before anything touches a GPU
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    message = _refused(f"cuda:{count}")
    assert f"has {count} CUDA device(s)" in message and "cuda:0" in message


@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
def test_present_cuda_devices_are_accepted():
    for i in range(torch.cuda.device_count()):
        assert resolve_device(f"cuda:{i}") == torch.device("cuda", i)
    assert resolve_device("cuda") == torch.device("cuda")


def test_a_backend_that_says_yes_but_cannot_allocate_is_refused(monkeypatch):
    # As a broken driver would: is_available() is True, the first tensor fails.
    def fail(*args, **kwargs):
        raise RuntimeError("CUDA error: all CUDA-capable devices are busy")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch, "empty", fail)
    assert "devices are busy" in _refused("cuda:0")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
@pytest.mark.parametrize("built", [True, False])
def test_mps_says_whether_torch_or_the_machine_lacks_it(monkeypatch, built):
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: built)
    message = _refused("mps")
    assert ("no MPS device" if built else "no MPS support") in message


@pytest.mark.skipif(torch.xpu.is_available(), reason="this machine has an XPU")
@pytest.mark.parametrize("name", ["xpu", "xpu:1"])
def test_xpu_without_xpu_is_refused(name):
    assert "XPU" in _refused(name)


def test_an_xpu_index_beyond_the_devices_present_is_refused(monkeypatch):
    monkeypatch.setattr(torch.xpu, "is_available", lambda: True)
    monkeypatch.setattr(torch.xpu, "device_count", lambda: 2)
    assert "has 2 XPU device(s) (xpu:0, xpu:1)" in _refused("xpu:2")


def test_meta_is_refused_because_it_holds_no_data():
    assert "no data" in _refused("meta")


@pytest.mark.parametrize(
    "name", ["hip", "xla", "lazy", "vulkan", "ipu", "ve", "mtia", "hpu", "mkldnn"]
)
def test_other_device_types_torch_parses_are_checked_here(name):
    if name == "mtia" and torch.mtia.is_available():
        pytest.skip("this machine has an MTIA device")
    _refused(name)


def test_another_device_type_that_allocates_is_accepted(monkeypatch):
    # A plug-in backend with no availability API: one tensor decides.
    made = []
    monkeypatch.setattr(torch, "empty", lambda *a, device, **k: made.append(device))
    assert resolve_device("hip:0") == torch.device("hip", 0)
    assert made == [torch.device("hip", 0)]


def test_a_backend_module_is_asked_before_allocating(monkeypatch):
    class Backend:
        @staticmethod
        def is_available():
            return True

        @staticmethod
        def device_count():
            return 1

    monkeypatch.setattr(torch, "hpu", Backend, raising=False)
    monkeypatch.setattr(torch, "empty", lambda *a, **k: None)
    assert resolve_device("hpu") == torch.device("hpu")
    assert "has 1 HPU device(s)" in _refused("hpu:1")


@pytest.mark.parametrize("name", ["gpu", "CUDA", "", " cpu", "cuda:-1", "cuda:0:1"])
def test_names_torch_does_not_parse_are_refused(name):
    assert "is not a torch device" in _refused(name)


# The classifier resolves its device through resolve_device, so every type.
@pytest.mark.parametrize(
    "name",
    ["meta", "hip"]
    + ["mps"] * (not torch.backends.mps.is_available())
    + ["xpu"] * (not torch.xpu.is_available()),
)
def test_the_classifier_refuses_a_missing_device_before_training(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.r_[np.zeros(10, int), np.ones(10, int), np.full(20, -1)]
    with pytest.raises(ValueError, match=f"device={name!r}"):
        NS3LClassifier(device=name, max_epochs=1).fit(X, y)
