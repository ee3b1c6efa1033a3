"""The NS3L loss, -log(1 - sum_{k in N(u)} p_k(u)), against hand-worked values."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_ns3l import ns3l_loss
from sklearn_ns3l._loss import rampup_weight


def test_uniform_logits_half_the_classes_negative_is_log_2():
    logits = torch.zeros(1, 4)
    mask = torch.tensor([[True, True, False, False]])
    assert ns3l_loss(logits, mask).item() == pytest.approx(math.log(2))


def test_hand_worked_value_and_batch_mean():
    # p = softmax([log 6, log 3, log 1]) = (0.6, 0.3, 0.1)
    logits = torch.log(torch.tensor([[6.0, 3.0, 1.0], [6.0, 3.0, 1.0]]))
    mask = torch.tensor([[False, True, True], [False, False, True]])
    per_sample = [-math.log(1 - 0.4), -math.log(1 - 0.1)]
    assert ns3l_loss(logits, mask).item() == pytest.approx(np.mean(per_sample))


def test_sum_is_inside_the_log_not_outside():
    logits = torch.log(torch.tensor([[6.0, 3.0, 1.0]]))
    mask = torch.tensor([[False, True, True]])
    ups_style = -(math.log(1 - 0.3) + math.log(1 - 0.1))
    assert ns3l_loss(logits, mask).item() != pytest.approx(ups_style)


def test_empty_negative_set_contributes_zero():
    logits = torch.randn(5, 10)
    assert ns3l_loss(logits, torch.zeros(5, 10, dtype=torch.bool)).item() == 0.0
    # ... and counts in the batch mean.
    mask = torch.zeros(2, 3, dtype=torch.bool)
    mask[0, 2] = True
    logits = torch.log(torch.tensor([[6.0, 3.0, 1.0], [6.0, 3.0, 1.0]]))
    assert ns3l_loss(logits, mask).item() == pytest.approx(-math.log(0.9) / 2)


def test_empty_batch_is_zero_and_differentiable():
    logits = torch.zeros(0, 3, requires_grad=True)
    loss = ns3l_loss(logits, torch.zeros(0, 3, dtype=torch.bool))
    loss.backward()
    assert loss.item() == 0.0


def test_gradient_lowers_the_probability_of_negative_classes():
    logits = torch.randn(8, 5, generator=torch.Generator().manual_seed(0))
    logits.requires_grad_(True)
    mask = torch.zeros(8, 5, dtype=torch.bool)
    mask[:, 1] = True
    mask[:4, 3] = True
    ns3l_loss(logits, mask).backward()
    stepped = logits.detach() - 0.1 * logits.grad
    before = torch.softmax(logits.detach(), 1)[mask]
    after = torch.softmax(stepped, 1)[mask]
    assert torch.all(after < before)


def test_finite_when_negatives_hold_almost_all_the_mass():
    logits = torch.tensor([[-40.0, 40.0, 40.0]], requires_grad=True)
    mask = torch.tensor([[False, True, True]])
    loss = ns3l_loss(logits, mask)
    loss.backward()
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(-math.log(1e-8))  # the clamp
    assert torch.all(torch.isfinite(logits.grad))


def test_every_class_negative_gives_the_clamp_value_and_finite_gradient():
    logits = torch.randn(3, 4, requires_grad=True)
    loss = ns3l_loss(logits, torch.ones(3, 4, dtype=torch.bool))
    loss.backward()
    assert loss.item() == pytest.approx(-math.log(1e-8))
    assert torch.all(torch.isfinite(logits.grad))


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="same shape"):
        ns3l_loss(torch.zeros(2, 3), torch.zeros(2, 4, dtype=torch.bool))


@settings(max_examples=60, deadline=None)
@given(
    logits=arrays(np.float32, (4, 5), elements=st.floats(-60, 60, width=32)),
    mask=arrays(np.bool_, (4, 5)),
)
def test_matches_the_clamped_formula_and_stays_finite(logits, mask):
    t_logits = torch.from_numpy(logits).double().requires_grad_(True)
    loss = ns3l_loss(t_logits, torch.from_numpy(mask))
    loss.backward()
    p = torch.softmax(t_logits.detach(), 1).numpy()
    expected = -np.log(np.clip(1 - (p * mask).sum(1), 1e-8, 1)).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert np.all(np.isfinite(t_logits.grad.numpy()))


def _closed_form(logits, mask):
    """-log(1 - sum_N p), the plain formula in float64: the reference gradient."""
    p = torch.softmax(logits, 1)
    return -torch.log(1 - (p * mask).sum(1)).mean()


@settings(max_examples=60, deadline=None)
@given(
    # Logits in [-5, 5] over at most 8 classes: the rows' non-negative mass
    # stays far above the 1e-8 clamp, where the closed form is exact.
    logits=arrays(np.float64, (6, 8), elements=st.floats(-5, 5)),
    mask=arrays(np.bool_, (6, 8)),
)
def test_gradient_is_the_closed_forms_and_the_analytic_one(logits, mask):
    """The value alone does not pin the gradient: compare the gradient itself."""
    mask[:, 0] = False  # every row keeps a class (all-negative rows: see below)
    t_logits = torch.from_numpy(logits).requires_grad_(True)
    ns3l_loss(t_logits, torch.from_numpy(mask)).backward()
    reference = torch.from_numpy(logits).requires_grad_(True)
    _closed_form(reference, torch.from_numpy(mask).double()).backward()
    np.testing.assert_allclose(t_logits.grad, reference.grad, rtol=1e-9, atol=1e-12)
    # Analytic: d/dz of -log(sum_{k not in N} e^z_k) + logsumexp(z) is
    # p - q, q the softmax over the row's non-negative classes alone.
    p = torch.softmax(torch.from_numpy(logits), 1).numpy()
    kept = np.where(mask, 0.0, np.exp(logits - logits.max(1, keepdims=True)))
    q = kept / kept.sum(1, keepdims=True)
    np.testing.assert_allclose(
        t_logits.grad, (p - q) / len(logits), rtol=1e-9, atol=1e-12
    )


def test_gradient_of_a_hand_worked_row():
    # p = (0.6, 0.3, 0.1), N = {1}: d/dz = p - (0.6, 0, 0.1) / 0.7.
    logits = torch.log(torch.tensor([[6.0, 3.0, 1.0]], dtype=torch.float64))
    logits.requires_grad_(True)
    ns3l_loss(logits, torch.tensor([[False, True, False]])).backward()
    expected = [0.6 - 6 / 7, 0.3, 0.1 - 1 / 7]
    np.testing.assert_allclose(logits.grad[0], expected, rtol=1e-12)
    # A row with no negatives or all of them (the clamp) pulls on nothing.
    for mask in ([[False] * 3], [[True] * 3]):
        logits.grad = None
        ns3l_loss(logits, torch.tensor(mask)).backward()
        assert torch.count_nonzero(logits.grad) == 0


def test_rampup_rises_from_exp_minus_5_to_one():
    assert rampup_weight(0, 10) == pytest.approx(math.exp(-5))
    assert rampup_weight(5, 10) == pytest.approx(math.exp(-1.25))
    assert rampup_weight(10, 10) == 1.0
    assert rampup_weight(50, 10) == 1.0
    assert rampup_weight(0, 0) == 1.0
