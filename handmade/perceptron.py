"""The perceptron, with the notes' batch rule.

    z = w0 + Σ_i w_i x_i          Z = X W + b   (b is the notes' w0)   (m, 1)
    a = 1 if z ≥ 0 else 0         A = step(Z)                          (m, 1)
    ∂z = a − y                    dZ = A − Y                           (m, 1)
    ∂w0 = ∂z, ∂w_i = x_i ∘ ∂z     summed over rows and scaled by 1/m:
                                  db = (1/m) Σ_rows dZ,  dW = (1/m) Xᵀ dZ
    w ← w − (α/m) Σ ∂w            W ← W − α dW,  b ← b − α db

The step has no useful derivative: this is the perceptron rule, not a gradient, and
its "loss" is the error rate mean |a − y| (what the rule drives to 0 when it can).
"""

from __future__ import annotations

import sys

import numpy as np

from . import _checks
from . import train as _train
from .activations import step


def param_shapes(n: int) -> dict[str, tuple[int, int]]:
    return {"W": (n, 1), "b": (1, 1)}


def init_params(n: int, dtype=np.float64):
    """W = 0, b = 0: the rule needs no random start."""
    n = _checks.positive_int("n", n)
    dtype = _checks.float_dtype("dtype", dtype)
    return {"W": np.zeros((n, 1), dtype), "b": np.zeros((1, 1), dtype)}


def _check_params(params):
    W = params.get("W") if isinstance(params, dict) else None
    n = W.shape[0] if isinstance(W, np.ndarray) and W.ndim == 2 else 1
    return _checks.params("params", params, param_shapes(n)), n


def forward(X, params):
    """(A, cache) with cache = {Z, A}."""
    dtype, n = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    Z = X @ params["W"] + params["b"]                      # (m, 1)
    A = step(Z)                                            # (m, 1), 0 or 1
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    """Error rate mean |a − y| (for 0/1 labels: the fraction misclassified)."""
    Y = _checks.labels("Y", Y, A.shape[0], A.dtype)
    return np.abs(A - Y).mean(dtype=A.dtype)


def backward(X, Y, params, cache):
    """The perceptron rule's dW, db and dZ = A − Y."""
    dtype, n = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    m = X.shape[0]
    Y = _checks.labels("Y", Y, m, dtype)
    dZ = cache["A"] - Y                                    # (m, 1)
    dW = (1 / m) * (X.T @ dZ)                              # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)       # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


# the contract's update and training loop (torchref check judges a learner's against these)
update = _train.update
train = _train.trainer(sys.modules[__name__])
