"""Sigmoid neuron / logistic regression: the notes' "Assignment A02".

    Z = X W + b                     forward
    A = σ(Z)
    J = −(1/m) Σ [y log a + (1 − y) log(1 − a)]
    dZ = A − Y                      backward: (−y/a + (1−y)/(1−a)) · a(1 − a) = a − y
    dW = (1/m) Xᵀ dZ
    db = (1/m) Σ_rows dZ
"""

from __future__ import annotations

import sys

import numpy as np

from . import _checks
from . import train as _train
from .activations import sigmoid
from .losses import bce


def param_shapes(n: int) -> dict[str, tuple[int, int]]:
    return {"W": (n, 1), "b": (1, 1)}


def init_params(n: int, rng: np.random.Generator | None = None, dtype=np.float64, scale: float = 0.01):
    """W ~ scale · N(0, 1), b = 0."""
    n = _checks.positive_int("n", n)
    dtype = _checks.float_dtype("dtype", dtype)
    rng = np.random.default_rng(rng)
    return {"W": (scale * rng.standard_normal((n, 1))).astype(dtype), "b": np.zeros((1, 1), dtype)}


def _check_params(params):
    W = params.get("W") if isinstance(params, dict) else None
    n = W.shape[0] if isinstance(W, np.ndarray) and W.ndim == 2 else 1
    return _checks.params("params", params, param_shapes(n)), n


def forward(X, params):
    """(A, cache) with cache = {Z, A}."""
    dtype, n = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    W, b = params["W"], params["b"]
    Z = X @ W + b                                          # (m, 1)
    A = sigmoid(Z)                                         # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    """Mean binary cross-entropy, as nn.BCELoss."""
    return bce(A, _checks.labels("Y", Y, A.shape[0], A.dtype))


def backward(X, Y, params, cache):
    """Gradients of the mean loss J: dW, db, and the intermediate dZ (= m · ∂J/∂Z)."""
    dtype, n = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    m = X.shape[0]
    Y = _checks.labels("Y", Y, m, dtype)
    A = cache["A"]                                         # (m, 1)
    dZ = A - Y                                             # (m, 1)
    dW = (1 / m) * (X.T @ dZ)                              # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)       # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


# the contract's update and training loop (torchref check judges a learner's against these)
update = _train.update
train = _train.trainer(sys.modules[__name__])
