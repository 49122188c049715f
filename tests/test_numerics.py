"""Activations and losses against torch's semantics, at ordinary and extreme values."""

import numpy as np
import pytest
import torch
from torch import nn

from torchref_handmade import activations, losses

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=1.3e-6, atol=1e-5), "float64": dict(rtol=1e-7, atol=1e-7)}


def _t(x):
    return torch.from_numpy(np.array(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_stable_and_equals_torch(dtype):
    Z = np.array([[-1000.0], [-80.0], [-1.5], [0.0], [2.0], [80.0], [1000.0]], dtype)
    A = activations.sigmoid(Z)  # filterwarnings=error: no overflow warning
    assert A.dtype == Z.dtype
    torch.testing.assert_close(_t(A), torch.sigmoid(_t(Z)), **TOL[dtype])
    assert A[0, 0] == 0.0 and A[-1, 0] == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_and_equals_torch(dtype):
    Z = np.array([[1000.0, -1000.0, 0.0], [1.0, 2.0, 3.0], [-1000.0, -1000.0, -999.0]], dtype)
    A = activations.softmax(Z)
    torch.testing.assert_close(_t(A), torch.softmax(_t(Z), dim=1), **TOL[dtype])
    torch.testing.assert_close(_t(activations.log_softmax(Z)), torch.log_softmax(_t(Z), dim=1), **TOL[dtype])


@pytest.mark.parametrize("name, torch_fn", [("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu)])
def test_hidden_derivatives_equal_autograd(name, torch_fn):
    g, g_prime = activations.HIDDEN[name]
    Z = np.array([[-3.0, -0.5, 0.0, 0.25, 4.0]])
    Z_t = _t(Z).requires_grad_()
    torch_fn(Z_t).sum().backward()
    torch.testing.assert_close(_t(g_prime(g(Z))), Z_t.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_equals_bceloss_including_a_at_0_and_1(dtype):
    A = np.array([[0.0], [1.0], [0.0], [1.0], [1e-30], [0.3], [0.999]], dtype)
    Y = np.array([[1.0], [0.0], [0.0], [1.0], [1.0], [0.0], [0.25]], dtype)
    expected = nn.BCELoss()(_t(A), _t(Y))
    J = losses.bce(A, Y)
    assert J.dtype == A.dtype and np.isfinite(J)
    torch.testing.assert_close(_t(np.asarray(J)), expected, **TOL[dtype])
    # a = 0 with y = 1 costs exactly the clamp, 100, not inf
    assert losses.bce(np.zeros((1, 1), dtype), np.ones((1, 1), dtype)) == 100


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_equals_torch_up_to_1e4(dtype):
    Z = np.array([[-1e4], [-50.0], [-1.0], [0.0], [1.0], [50.0], [1e4]], dtype)
    Y = np.array([[1.0], [0.0], [0.3], [1.0], [0.0], [1.0], [0.0]], dtype)
    J = losses.bce_with_logits(Z, Y)
    torch.testing.assert_close(_t(np.asarray(J)), nn.BCEWithLogitsLoss()(_t(Z), _t(Y)), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_logits_equals_torch(dtype):
    rng = np.random.default_rng(0)
    Z = (rng.standard_normal((6, 4)) * 30).astype(dtype)
    labels = rng.integers(0, 4, 6)
    Y = np.eye(4, dtype=dtype)[labels]
    J = losses.cross_entropy_with_logits(Z, Y)
    torch.testing.assert_close(_t(np.asarray(J)), nn.CrossEntropyLoss()(_t(Z), torch.from_numpy(labels)), **TOL[dtype])


def test_losses_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match=r"Y must have the shape of the prediction \(3, 1\), got \(3, 2\)"):
        losses.bce(np.full((3, 1), 0.5), np.ones((3, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_saturated_sigmoid_gradient(dtype):
    """Where σ saturates, the notes' dZ = a − y is the exact gradient; nn.BCELoss's is not.

    nn.BCELoss's backward divides by max(a(1 − a), 1e-12) and the sigmoid's multiplies by
    a(1 − a): once a rounds to 1 (z ≳ 17 in float32) that product is 0 and the gradient
    vanishes. nn.BCEWithLogitsLoss differentiates the logits form and keeps σ(z) − y. The
    parity samples stay where the two torch forms agree.
    """
    from torchref_handmade import logistic

    X = np.array([[40.0], [-40.0], [1.0]], dtype)
    Y = np.array([[0.0], [1.0], [1.0]], dtype)
    params = {"W": np.ones((1, 1), dtype), "b": np.zeros((1, 1), dtype)}
    A, cache = logistic.forward(X, params)
    dZ = logistic.backward(X, Y, params, cache)["dZ"]
    np.testing.assert_array_equal(dZ[:2], [[1.0], [-1.0]])  # a − y at |z| = 40
    Z_t = _t(cache["Z"]).requires_grad_()
    nn.BCEWithLogitsLoss()(Z_t, _t(Y)).backward()
    torch.testing.assert_close(_t(dZ), Z_t.grad * 3, **TOL[dtype])
    Z_t = _t(cache["Z"]).requires_grad_()
    nn.BCELoss()(torch.sigmoid(Z_t), _t(Y)).backward()
    assert Z_t.grad[0, 0] == 0 and Z_t.grad[2, 0] != 0  # vanished where saturated, only there
