"""Divergence after some good steps: the step named, the last finite loss, the last good parameters."""

import types

import numpy as np
import pytest

from torchref_handmade.train import DivergenceError, descend, gradient_descent


def _walker(blow_up_at: float, growth=None):
    """A model with one parameter w that gradient descent moves by +1 a step (dw = −1, lr = 1).

    Its loss is 1/(1 + w) until w reaches `blow_up_at`, then inf (a non-finite loss with finite
    parameters). With `growth`, dw = −growth·w instead: w is multiplied by 1 + growth each step
    with lr = growth, w is multiplied by 1 + growth each step until it overflows to inf (non-finite
    parameters; the overflow happens in the update W − α dW, not in the model).
    """

    def forward(X, params):
        return params["w"], {}

    def loss(A, Y):
        w = float(A[0, 0])
        return np.float64(np.inf if w >= blow_up_at else 1 / (1 + w))

    def backward(X, Y, params, cache):
        dw = -params["w"] if growth else -np.ones_like(params["w"])
        return {"dw": dw}

    return types.SimpleNamespace(forward=forward, loss=loss, backward=backward)


def test_a_non_finite_loss_with_finite_parameters_is_reported_at_its_own_step():
    model = _walker(blow_up_at=3)
    start = {"w": np.zeros((1, 1))}
    with pytest.raises(DivergenceError, match=r"not finite at step 3; last finite loss 0\.333") as info:
        gradient_descent(model, None, None, start, lr=1.0, steps=10)
    err = info.value
    assert err.step == 3 and err.last_loss == pytest.approx(1 / 3)
    assert err.params["w"][0, 0] == 2.0, "the parameters of the last step with a finite loss (step 2)"
    assert start["w"][0, 0] == 0.0, "the caller's parameters are not modified"


def test_parameters_that_overflow_at_a_later_step_keep_the_last_finite_ones():
    model = _walker(blow_up_at=np.inf, growth=1e100)  # w: 1, 1e100, 1e200, 1e300, inf
    with pytest.raises(DivergenceError, match=r"not finite at step 4") as info:  # no overflow warning escapes
        gradient_descent(model, None, None, {"w": np.ones((1, 1))}, lr=1e100, steps=10)
    err = info.value
    assert err.step == 4
    assert err.params["w"][0, 0] == pytest.approx((1 + 1e100) ** 3)
    assert err.last_loss == pytest.approx(1 / (1 + (1 + 1e100) ** 3))


def test_descend_yields_every_good_step_before_it_stops():
    model = _walker(blow_up_at=4)
    seen = []
    with pytest.raises(DivergenceError) as info:
        for t, (J, params) in descend(model, None, None, {"w": np.zeros((1, 1))}, lr=1.0):
            seen.append((t, J, params["w"][0, 0]))
    assert seen == [(0, 1.0, 0.0), (1, 0.5, 1.0), (2, pytest.approx(1 / 3), 2.0), (3, 0.25, 3.0)]
    assert info.value.step == 4 and info.value.params["w"][0, 0] == 3.0


def test_gradient_descent_returns_steps_plus_one_losses_and_the_final_parameters():
    model = _walker(blow_up_at=np.inf)
    params, losses = gradient_descent(model, None, None, {"w": np.zeros((1, 1))}, lr=1.0, steps=4)
    assert params["w"][0, 0] == 4.0
    np.testing.assert_allclose(losses, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])


def test_an_overflow_inside_the_models_forward_is_divergence_not_a_warning():
    """The forward's own overflow (e^(big)) is held by descend and reported as DivergenceError."""
    model = _walker(blow_up_at=np.inf)
    model.forward = lambda X, params: (np.exp(params["w"] * 1000.0), {})
    with pytest.raises(DivergenceError, match="not finite at step 1") as info:
        gradient_descent(model, None, None, {"w": np.zeros((1, 1))}, lr=1.0, steps=5)
    assert info.value.params["w"][0, 0] == 0.0


def test_an_invalid_operation_inside_the_models_forward_is_divergence_not_a_warning():
    """inf − inf in the forward gives NaN: held by descend (no RuntimeWarning) and reported at its step."""
    model = _walker(blow_up_at=np.inf)
    model.forward = lambda X, params: (np.exp(params["w"] * 1000.0) - np.exp(params["w"] * 1000.0), {})
    with pytest.raises(DivergenceError, match="not finite at step 1"):
        gradient_descent(model, None, None, {"w": np.zeros((1, 1))}, lr=1.0, steps=5)
