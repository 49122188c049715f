"""Activations and losses against torch's semantics, at ordinary and extreme values."""

import numpy as np
import pytest
import torch
from torch import nn

from torchref.tolerances import PARITY
from torchref_handmade import activations, deep, losses, shallow
from torchref_handmade.shallow_fast import TANH_EXP_FROM, ShallowTrainer

DTYPES = ["float32", "float64"]
TOL = {dtype: dict(rtol=t.rtol, atol=t.atol) for dtype, t in PARITY.items()}  # torchref/tolerances.py


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


# ----------------------------------------------------------------------------------------
# Paths no random sample reaches: every −100 clamp saturated on purpose, overflow, the initialisation's law.


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_head_loss_clamps_a_zero_probability_at_100(dtype):
    """deep.loss for softmax: log a clamped at −100, so a true class of probability 0 costs 100, not inf."""
    A = np.array([[0.0, 1.0, 0.0], [0.25, 0.25, 0.5]], dtype)  # (m, k) rows of a softmax
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype)
    J = deep.loss(A, Y, output="softmax")
    assert J.dtype == A.dtype
    np.testing.assert_allclose(J, (100 - np.log(0.5)) / 2, rtol=1e-6)
    # a probability that underflowed in the model: the logits 200 apart, float32 and float64 alike
    Z = np.array([[-100.0, 100.0, 0.0]], dtype)
    AL = activations.softmax(Z)
    assert AL[0, 0] < 1e-80 or AL[0, 0] == 0
    J = deep.loss(AL, np.array([[1.0, 0.0, 0.0]], dtype), output="softmax")
    expected = min(100.0, -float(np.log(np.float64(AL[0, 0])))) if AL[0, 0] > 0 else 100.0
    np.testing.assert_allclose(J, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_head_loss_equals_cross_entropy_below_the_clamp(dtype):
    """Below the clamp the softmax head's loss is nn.CrossEntropyLoss of the logits (−log a is not clamped)."""
    Z = np.array([[30.0, -30.0, 0.0], [1.0, 2.0, 3.0]], dtype)  # −log a reaches 60: near, not at, the clamp
    labels = np.array([1, 0])
    Y = np.eye(3, dtype=dtype)[labels]
    J = deep.loss(activations.softmax(Z), Y, output="softmax")
    expected = nn.CrossEntropyLoss()(_t(Z), torch.from_numpy(labels))
    torch.testing.assert_close(_t(np.asarray(J)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_clamps_both_logs(dtype):
    """log a and log(1 − a) are each clamped: a = 1 with y = 0 costs 100 too, and a mix is averaged."""
    A = np.array([[1.0], [0.0], [1.0]], dtype)
    Y = np.array([[0.0], [1.0], [1.0]], dtype)
    assert losses.bce(A, Y) == pytest.approx(200 / 3)
    torch.testing.assert_close(_t(np.asarray(losses.bce(A, Y))), nn.BCELoss()(_t(A), _t(Y)))


def _saturating(dtype, m: int, h: int, z2: float):
    """A shallow network whose output is σ(±z2) exactly 0 or 1 on every row (tanh saturated at 1)."""
    X = np.ones((m, 1), dtype)
    params = {
        "W1": np.full((1, h), 50.0, dtype),  # Z1 = 50: tanh = 1
        "b1": np.zeros((1, h), dtype),
        "W2": np.full((h, 1), z2 / h, dtype),  # Z2 = z2
        "b2": np.zeros((1, 1), dtype),
    }
    return X, params


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("big", [False, True], ids=["np-tanh", "exp-tanh"])
@pytest.mark.parametrize("z2", [1000.0, -1000.0])
def test_fast_trainer_log_likelihood_clamps_at_minus_100(dtype, workers, big, z2):
    """a2 rounds to exactly 1 (z2 = 1000) or 0 (z2 = −1000); the wrong label costs 100, as nn.BCELoss and bce."""
    h = 8
    m = TANH_EXP_FROM[np.dtype(dtype)] // h + 2 if big else 4
    X, params = _saturating(dtype, m, h, z2)
    Y = np.zeros((m, 1), dtype)
    Y[: m // 2] = 1  # half the rows are labelled against the saturated output
    trainer = ShallowTrainer(X, Y, params, lr=0.1, workers=workers)
    assert trainer.tanh_exp is big and trainer.workers == workers
    A2 = trainer.forward().copy()
    assert set(np.unique(A2)) == {1.0 if z2 > 0 else 0.0}
    J = trainer.loss()
    wrong = (m - m // 2) if z2 > 0 else m // 2
    assert np.isfinite(J) and pytest.approx(100 * wrong / m, rel=1e-6) == J
    assert pytest.approx(float(losses.bce(A2, Y)), rel=1e-6) == J
    assert pytest.approx(float(nn.BCELoss()(_t(A2), _t(Y))), rel=1e-6) == J
    step = ShallowTrainer(X, Y, params, lr=0.1, workers=workers).step()  # the step's J: the same sum
    assert step == pytest.approx(J, rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fast_trainer_exp_tanh_overflows_to_exactly_one(dtype):
    """Above the switch tanh is 1 − 2/(e^(2z) + 1): e^(2z) overflows to inf at z = ±400, giving ±1 exactly, no NaN."""
    h = 8
    m = TANH_EXP_FROM[np.dtype(dtype)] // h
    X = np.linspace(-1, 1, m, dtype=dtype).reshape(m, 1)
    params = {
        "W1": np.linspace(-400, 400, h, dtype=dtype).reshape(1, h),
        "b1": np.zeros((1, h), dtype),
        "W2": np.ones((h, 1), dtype),
        "b2": np.zeros((1, 1), dtype),
    }
    trainer = ShallowTrainer(X, np.ones((m, 1), dtype), params, lr=0.1, workers=1)
    assert trainer.tanh_exp
    trainer.forward()
    A1 = trainer.A1
    assert np.isfinite(A1).all()
    np.testing.assert_allclose(A1, np.tanh(X @ params["W1"]), atol=4 * np.finfo(dtype).eps)
    assert A1.max() == 1.0 and A1.min() == -1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_of_huge_logits_is_exact_at_both_ends(dtype):
    Z = np.array([[-1e4], [-100.0], [100.0], [1e4]], dtype)
    A = activations.sigmoid(Z)
    assert A[0, 0] == 0.0 and A[-1, 0] == 1.0
    torch.testing.assert_close(_t(A), torch.sigmoid(_t(Z)))


@pytest.mark.parametrize("n, hidden", [(400, [300, 200]), (50, [800])])
def test_deep_initialisation_is_normal_with_variance_one_over_fan_in(n, hidden):
    """Wl ~ N(0, 1/n_(l−1)): mean 0 and variance 1/n_(l−1) within 5 standard errors; bl = 0."""
    params = deep.init_params(n, hidden, k=1, rng=0)
    sizes = [n, *hidden, 1]
    for l in range(1, len(sizes)):
        W = params[f"W{l}"]
        assert W.shape == (sizes[l - 1], sizes[l]) and W.dtype == np.float64
        count = W.size
        var = 1 / sizes[l - 1]
        assert abs(W.mean()) < 5 * np.sqrt(var / count)
        assert abs(W.var() - var) < 5 * var * np.sqrt(2 / count)  # the variance's standard error for a normal
        kurtosis = ((W - W.mean()) ** 4).mean() / W.var() ** 2
        if count > 1000:
            assert abs(kurtosis - 3) < 0.5  # normal, not uniform (1.8)
        np.testing.assert_array_equal(params[f"b{l}"], 0)


def test_deep_initialisation_keeps_activations_of_order_one_at_depth():
    """The point of 1/n: a ten-layer tanh net's last hidden layer neither vanishes nor saturates."""
    params = deep.init_params(200, [200] * 10, rng=1)
    X = np.random.default_rng(2).standard_normal((256, 200))
    _, cache = deep.forward(X, params, "tanh")
    assert 0.05 < cache["A10"].std() < 0.95


def test_shallow_and_deep_initialisation_take_the_dtype_and_the_scale():
    params = shallow.init_params(300, 200, rng=0, dtype=np.float32, scale=0.01)
    assert params["W1"].dtype == np.float32 and abs(params["W1"].std() - 0.01) < 0.0005
    np.testing.assert_array_equal(params["b1"], 0)
    assert deep.init_params(3, [4], rng=0, dtype=np.float32)["W1"].dtype == np.float32


def test_losses_take_labels_as_a_column_or_flat_and_refuse_other_shapes():
    A = np.array([[0.2], [0.9], [0.5]])
    y = np.array([0.0, 1.0, 1.0])
    assert losses.bce(A, y) == losses.bce(A, y.reshape(-1, 1))
    assert losses.bce_with_logits(A, y) == losses.bce_with_logits(A, y.reshape(-1, 1))
    with pytest.raises(ValueError, match=r"^Y must have the shape of the prediction \(3, 2\), got \(3,\)"):
        losses.cross_entropy_with_logits(np.zeros((3, 2)), y)
    with pytest.raises(ValueError, match=r"^Y must have the shape of the prediction \(3, 1\), got \(1, 3\)"):
        losses.bce(A, y.reshape(1, -1))
