"""Precision: what ``precision`` resolves to, and training and prediction under it.

This machine's CPU may or may not have fast bfloat16; the detector is
monkeypatched both ways. bfloat16 autocast runs (emulated, slowly) on any CPU,
so a "fast" CPU's code path runs here too.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

import sklearn_ns3l._precision as precision_module
from sklearn_ns3l import NS3LClassifier
from sklearn_ns3l._networks import SmallCNN
from sklearn_ns3l._precision import fast_dtypes, resolve_precision

CPU = torch.device("cpu")


AVX512_BF16, AVX2 = {"avx512_bf16"}, {"avx2", "fma"}


def _pretend_cpu(patch, flags):
    """The CPU says it has ``flags``, and torch's probes say no more."""
    patch.setattr(precision_module, "_cpu_flags", lambda: set(flags))
    patch.setattr(precision_module, "_torch_cpu_says", lambda name: False)


@pytest.fixture
def bf16_cpu(monkeypatch):
    """A CPU that says it has fast bfloat16 (AVX512-BF16), and no AMX-FP16."""
    _pretend_cpu(monkeypatch, AVX512_BF16)


@pytest.fixture
def plain_cpu(monkeypatch):
    """An AVX2-only CPU: no bfloat16 or float16 arithmetic."""
    _pretend_cpu(monkeypatch, AVX2)


def small_images(digits_semi):
    X, y_semi, y = digits_semi
    return X[:300].reshape(-1, 8, 8), y_semi[:300], y[:300]


def fit(X, y, **params):
    return NS3LClassifier(max_epochs=2, random_state=0, **params).fit(X, y)


def test_an_unknown_precision_name_is_refused(digits_semi):
    X, y, _ = small_images(digits_semi)
    with pytest.raises(InvalidParameterError, match="precision"):
        fit(X, y, precision="half")


def test_auto_is_float32_on_a_cpu_without_fast_bfloat16(plain_cpu):
    assert fast_dtypes(CPU) == frozenset()
    assert resolve_precision("auto", CPU) == "float32"


@pytest.mark.parametrize("flag", ["avx512_bf16", "amx_bf16"])
def test_auto_is_bfloat16_on_a_cpu_with_bfloat16_instructions(monkeypatch, flag):
    monkeypatch.setattr(precision_module, "_cpu_flags", lambda: {flag})
    monkeypatch.setattr(precision_module, "_torch_cpu_says", lambda name: False)
    assert resolve_precision("auto", CPU) == "bfloat16"


def test_torchs_own_probe_counts_where_proc_cpuinfo_is_silent(monkeypatch):
    monkeypatch.setattr(precision_module, "_cpu_flags", set)
    monkeypatch.setattr(
        precision_module,
        "_torch_cpu_says",
        lambda name: name == "_is_amx_tile_supported",
    )
    assert fast_dtypes(CPU) == {"bfloat16"}


def test_float32_is_float32_whatever_the_cpu(bf16_cpu):
    assert resolve_precision("float32", CPU) == "float32"


@pytest.mark.parametrize("name", ["bfloat16", "float16"])
def test_a_reduced_precision_the_cpu_lacks_warns_and_trains_in_float32(
    plain_cpu, digits_semi, name
):
    X, y, _ = small_images(digits_semi)
    with pytest.warns(UserWarning, match=f"precision='{name}'.*float32 instead"):
        clf = fit(X, y, precision=name)
    assert clf.precision_ == "float32"


def test_the_warning_points_at_the_callers_fit(plain_cpu, digits_semi):
    X, y, _ = small_images(digits_semi)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(X, y, precision="bfloat16")
    assert [w.filename for w in caught if "precision=" in str(w.message)] == [__file__]


def test_a_fit_on_a_fast_bfloat16_cpu_runs_under_autocast(bf16_cpu, digits_semi):
    X, y, _ = small_images(digits_semi)
    seen = []
    module = SmallCNN((1, 8, 8), 10)
    module.head[-1].register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    clf = fit(X, y, module=module, selector="threshold")  # an NS3L term to log
    assert clf.precision_ == "bfloat16"
    # The first pass is fit's float32 trial of the module on one sample.
    assert seen[0] == torch.float32
    assert set(seen[1:]) == {torch.bfloat16}
    for key in ("supervised_loss", "ns3l_loss"):
        assert np.isfinite(clf.history_[:, key]).all()
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


def test_the_objective_receives_float32_logits_under_autocast(
    bf16_cpu, digits_semi, monkeypatch
):
    X, y, _ = small_images(digits_semi)
    from sklearn_ns3l._objective import SemiSupervisedObjective

    dtypes = []
    call = SemiSupervisedObjective.__call__

    def spy(self, logits, target, **kwargs):
        dtypes.append(logits.dtype)
        loss, parts = call(self, logits, target, **kwargs)
        dtypes.append(loss.dtype)
        dtypes.extend(v.dtype for v in parts.values() if isinstance(v, torch.Tensor))
        return loss, parts

    monkeypatch.setattr(SemiSupervisedObjective, "__call__", spy)
    fit(X, y)
    assert set(dtypes) == {torch.float32}


def test_float16_trains_with_a_gradient_scaler(monkeypatch, digits_semi):
    monkeypatch.setattr(precision_module, "_cpu_flags", lambda: {"amx_fp16"})
    monkeypatch.setattr(precision_module, "_torch_cpu_says", lambda name: False)
    X, y, _ = small_images(digits_semi)
    clf = fit(X, y, precision="float16")
    assert clf.precision_ == "float16"
    assert isinstance(clf.net_.grad_scaler_, torch.amp.GradScaler)
    assert np.isfinite(clf.history_[:, "train_loss"]).all()
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, atol=1e-12)


def test_bfloat16_fits_are_reproducible(bf16_cpu, digits_semi):
    X, y, _ = small_images(digits_semi)
    a, b = fit(X, y).predict_proba(X), fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_a_float32_fit_is_the_same_model_on_every_cpu(monkeypatch, digits_semi):
    """precision="float32" on a fast-bfloat16 CPU is the AVX2 CPU's "auto" fit.

    Tests that compare exact numbers pin precision="float32"; this is what
    makes them pass on any CPU.
    """
    X, y, _ = small_images(digits_semi)
    with monkeypatch.context() as patch:
        _pretend_cpu(patch, AVX2)
        auto_on_avx2 = fit(X, y)
    with monkeypatch.context() as patch:
        _pretend_cpu(patch, AVX512_BF16)
        forced_on_bf16 = fit(X, y, precision="float32")
        assert resolve_precision("auto", CPU) == "bfloat16"
    assert auto_on_avx2.precision_ == forced_on_bf16.precision_ == "float32"
    np.testing.assert_array_equal(
        auto_on_avx2.predict_proba(X), forced_on_bf16.predict_proba(X)
    )


def _relu_before_pool(module: SmallCNN) -> SmallCNN:
    layers = list(module.features)
    for i in range(len(layers) - 1):
        if isinstance(layers[i], nn.MaxPool2d) and isinstance(layers[i + 1], nn.ReLU):
            layers[i], layers[i + 1] = layers[i + 1], layers[i]
    module.features = nn.Sequential(*layers)
    return module


def test_pooling_before_relu_is_the_same_function_and_gradient():
    torch.manual_seed(0)
    pool_first = SmallCNN((1, 28, 28), 10, channels_last=False)
    relu_first = _relu_before_pool(SmallCNN((1, 28, 28), 10, channels_last=False))
    relu_first.load_state_dict(pool_first.state_dict())
    x = torch.randn(16, 1, 28, 28)
    outs, grads = [], []
    for module in (pool_first, relu_first):
        module.eval()
        out = module(x)
        out.square().sum().backward()
        outs.append(out.detach())
        grads.append([p.grad.clone() for p in module.parameters()])
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_channels_last_predicts_what_nchw_predicts():
    torch.manual_seed(0)
    nhwc = SmallCNN((1, 28, 28), 10)
    nchw = SmallCNN((1, 28, 28), 10, channels_last=False)
    nchw.load_state_dict(nhwc.state_dict())
    assert not nhwc.features[4].weight.is_contiguous()
    x = torch.rand(32, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(nhwc.eval()(x), nchw.eval()(x), rtol=1e-5, atol=1e-5)


def test_a_users_module_keeps_its_memory_format(digits_semi):
    X, y, _ = small_images(digits_semi)
    clf = fit(X, y, module=SmallCNN((1, 8, 8), 10, channels_last=False))
    # The second convolution's: with one input channel, the first one's
    # weight is contiguous in both orders.
    weight = clf.module_.features[4].weight
    assert weight.is_contiguous() and not weight.is_contiguous(
        memory_format=torch.channels_last
    )
