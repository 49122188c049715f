"""One hidden layer: tanh → σ, the notes' "Neural Network" (worked example n = 2, h = 4).

    Z1 = X W1 + b1        (m, h) = (m, n)(n, h) + (1, h)
    A1 = tanh(Z1)         (m, h)
    Z2 = A1 W2 + b2       (m, 1) = (m, h)(h, 1) + (1, 1)
    A2 = σ(Z2)            (m, 1) = ŷ
    J  = −(1/m) Σ [y log a2 + (1 − y) log(1 − a2)]

Back-propagation for all rows (intermediates are per-example: dZ2 = m · ∂J/∂Z2):

    dZ2 = A2 − Y
    dW2 = (1/m) A1ᵀ dZ2
    db2 = (1/m) Σ_rows dZ2
    dA1 = dZ2 W2ᵀ
    dZ1 = dA1 * (1 − A1²)
    dW1 = (1/m) Xᵀ dZ1
    db1 = (1/m) Σ_rows dZ1
"""

from __future__ import annotations

import sys

import numpy as np

from . import _checks
from . import train as _train
from .activations import sigmoid
from .losses import bce


def param_shapes(n: int, h: int) -> dict[str, tuple[int, int]]:
    return {"W1": (n, h), "b1": (1, h), "W2": (h, 1), "b2": (1, 1)}


def init_params(n: int, h: int, rng: np.random.Generator | None = None, dtype=np.float64, scale: float = 0.01):
    """W ~ scale · N(0, 1), b = 0 (the classic assignment's initialisation)."""
    n, h = _checks.positive_int("n", n), _checks.positive_int("h", h)
    dtype = _checks.float_dtype("dtype", dtype)
    rng = np.random.default_rng(rng)
    return {
        "W1": (scale * rng.standard_normal((n, h))).astype(dtype),
        "b1": np.zeros((1, h), dtype),
        "W2": (scale * rng.standard_normal((h, 1))).astype(dtype),
        "b2": np.zeros((1, 1), dtype),
    }


def _check_params(params):
    W1 = params.get("W1") if isinstance(params, dict) else None
    n, h = W1.shape if isinstance(W1, np.ndarray) and W1.ndim == 2 else (1, 1)
    return _checks.params("params", params, param_shapes(n, h)), n


def forward(X, params):
    """(A2, cache) with cache = {Z1, A1, Z2, A2}."""
    dtype, n = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z1 = X @ W1 + b1                                       # (m, h)
    A1 = np.tanh(Z1)                                       # (m, h)
    Z2 = A1 @ W2 + b2                                      # (m, 1)
    A2 = sigmoid(Z2)                                       # (m, 1)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def loss(A2, Y):
    """Mean binary cross-entropy, as nn.BCELoss."""
    return bce(A2, _checks.labels("Y", Y, A2.shape[0], A2.dtype))


def backward(X, Y, params, cache):
    """dW1, db1, dW2, db2 and the intermediates dZ2, dA1, dZ1."""
    dtype, n = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    m = X.shape[0]
    Y = _checks.labels("Y", Y, m, dtype)
    W2 = params["W2"]                                      # (h, 1)
    A1, A2 = cache["A1"], cache["A2"]                      # (m, h), (m, 1)
    dZ2 = A2 - Y                                           # (m, 1)
    dW2 = (1 / m) * (A1.T @ dZ2)                           # (h, 1)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)     # (1, 1)
    dA1 = dZ2 @ W2.T                                       # (m, h)
    dZ1 = dA1 * (1 - A1**2)                                # (m, h)
    dW1 = (1 / m) * (X.T @ dZ1)                            # (n, h)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)     # (1, h)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


# the contract's update and training loop (torchref check judges a learner's against these)
update = _train.update
train = _train.trainer(sys.modules[__name__])
