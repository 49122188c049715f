"""One gradient-descent loop for every trainable handmade model.

A model is anything with `forward(X, params) -> (A, cache)`, `loss(A, Y) -> J` and
`backward(X, Y, params, cache) -> grads` naming each parameter P's gradient `dP`: the
modules logistic, shallow and perceptron, and deep.model(...).
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _checks


class DivergenceError(FloatingPointError):
    """The loss or a parameter became NaN or inf; `.params` are the last parameters with a finite loss."""

    def __init__(self, step: int, last_loss, params):
        super().__init__(f"loss or parameters are not finite at step {step}; last finite loss {last_loss}")
        self.step, self.last_loss, self.params = step, last_loss, params


def descend(model, X, Y, params, lr: float):
    """Yield (t, (J, params)) for t = 0, 1, ...: the loss of `params` and `params` themselves,
    then step W ← W − α dW for every parameter W. `params` is not modified. Stops with
    DivergenceError when J or a parameter is not finite (its `.params` are the last good ones).
    """
    lr = _checks.learning_rate("lr", lr)
    params = {key: value.copy() for key, value in params.items()}
    last, last_params = None, params
    for t in itertools.count():
        # Overflow is this loop's to detect: it is reported below as a DivergenceError.
        with np.errstate(over="ignore", invalid="ignore"):
            finite = all(np.isfinite(value).all() for value in params.values())
            if finite:
                A, cache = model.forward(X, params)
                J = model.loss(A, Y)
        if not (finite and np.isfinite(J)):
            raise DivergenceError(t, last, last_params)
        yield t, (J, params)
        last, last_params = J, params
        grads = model.backward(X, Y, params, cache)
        with np.errstate(over="ignore", invalid="ignore"):
            params = {key: value - lr * grads["d" + key] for key, value in params.items()}


def gradient_descent(model, X, Y, params, lr: float, steps: int):
    """Run `steps` updates W ← W − α dW from `params` (not modified).

    Returns (params, losses): the final parameters and the loss J before each update
    followed by the loss of the final parameters (steps + 1 values).
    """
    steps = _checks.positive_int("steps", steps)
    losses = []
    for t, (J, current) in descend(model, X, Y, params, lr):
        losses.append(J)
        if t == steps:
            return current, np.array(losses)


def update(params, grads, lr: float):
    """One step W ← W − α dW for every parameter W (the contract's `update`); `params` is not modified."""
    lr = _checks.learning_rate("lr", lr)
    return {key: value - np.asarray(lr, value.dtype) * grads["d" + key] for key, value in params.items()}


def trainer(model):
    """The contract's `train(X, Y, params, lr, steps) -> (params, losses)` of a model: `gradient_descent` bound."""

    def train(X, Y, params, lr: float, steps: int):
        """`steps` updates from `params`: (the final parameters, J before each update then the final J)."""
        return gradient_descent(model, X, Y, params, lr, steps)

    return train
