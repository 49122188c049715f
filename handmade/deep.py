"""An L-layer network: the notes' chain, repeated for every layer.

Layer l = 1..L, with A0 = X and g the hidden activation (tanh, sigmoid or relu):

    Zl = A(l−1) Wl + bl                (m, n_l)
    Al = g(Zl)            for l < L
    AL = σ(ZL)            binary output, J = mean BCE                 (nn.BCELoss)
    AL = softmax(ZL)      multi-class,  J = −(1/m) Σ Σ y log a, Y one-hot (nn.CrossEntropyLoss)

Both heads give the same first line of the backward pass, then each layer repeats it:

    dZL = AL − Y
    dWl = (1/m) A(l−1)ᵀ dZl
    dbl = (1/m) Σ_rows dZl
    dA(l−1) = dZl Wlᵀ
    dZ(l−1) = dA(l−1) * g′(A(l−1))
"""

from __future__ import annotations

import types
from functools import partial

import numpy as np

from . import _checks
from . import train as _train
from .activations import HIDDEN, sigmoid, softmax
from .losses import LOG_CLAMP, bce

OUTPUTS = ("sigmoid", "softmax")


def _config(activation: str, output: str):
    if activation not in HIDDEN:
        raise ValueError(f"activation must be one of {sorted(HIDDEN)}, got {activation!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {list(OUTPUTS)}, got {output!r}")
    return HIDDEN[activation]


def param_shapes(n: int, hidden, k: int = 1) -> dict[str, tuple[int, int]]:
    sizes = [n, *hidden, k]                                # n_0 = n, ..., n_L = k
    shapes = {}
    for l in range(1, len(sizes)):
        shapes[f"W{l}"] = (sizes[l - 1], sizes[l])
        shapes[f"b{l}"] = (1, sizes[l])
    return shapes


def init_params(n: int, hidden, k: int = 1, rng: np.random.Generator | None = None, dtype=np.float64):
    """Wl ~ N(0, 1/n_(l−1)) (keeps activations O(1) at any depth), bl = 0."""
    n, k = _checks.positive_int("n", n), _checks.positive_int("k", k)
    hidden = [_checks.positive_int(f"hidden[{i}]", h) for i, h in enumerate(hidden)]
    dtype = _checks.float_dtype("dtype", dtype)
    rng = np.random.default_rng(rng)
    params = {}
    for name, shape in param_shapes(n, hidden, k).items():
        if name.startswith("W"):
            params[name] = (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(dtype)
        else:
            params[name] = np.zeros(shape, dtype)
    return params


def n_layers(params) -> int:
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    if L == 0:
        raise ValueError(f"params must hold W1, b1, ..., WL, bL; got keys {sorted(params)}")
    return L


def _check_params(params):
    L = n_layers(params)
    shapes = {}
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        rows_cols = W.shape if isinstance(W, np.ndarray) and W.ndim == 2 else (0, 0)
        shapes[f"W{l}"] = (shapes[f"W{l-1}"][1], rows_cols[1]) if l > 1 else rows_cols
        shapes[f"b{l}"] = (1, shapes[f"W{l}"][1])
    dtype = _checks.params("params", params, shapes)
    return dtype, L, shapes["W1"][0], shapes[f"W{L}"][1]


def forward(X, params, activation: str = "tanh", output: str = "sigmoid"):
    """(AL, cache) with cache = {Z1, A1, ..., ZL, AL}."""
    g, _ = _config(activation, output)
    dtype, L, n, _k = _check_params(params)
    A = _checks.matrix("X", X, dtype=dtype, cols=n)        # A0 = X, (m, n)
    cache = {}
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]          # (m, n_l)
        if l < L:
            A = g(Z)                                       # (m, n_l)
        else:
            A = sigmoid(Z) if output == "sigmoid" else softmax(Z)  # (m, k)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


def loss(AL, Y, output: str = "sigmoid"):
    """Mean BCE for the sigmoid head; mean categorical cross-entropy for softmax."""
    _config("tanh", output)
    m, k = AL.shape
    if output == "sigmoid":
        return bce(AL, _checks.labels("Y", Y, m, AL.dtype, k=k))
    Y = _checks.labels("Y", Y, m, AL.dtype, k=k, one_hot=True)
    with np.errstate(divide="ignore"):
        log_a = np.maximum(np.log(AL), LOG_CLAMP)          # (m, k), a = 0 costs 100, not inf
    return -(Y * log_a).sum(axis=1).mean(dtype=AL.dtype)  # scalar J


def backward(X, Y, params, cache, activation: str = "tanh", output: str = "sigmoid"):
    """dWl, dbl for every layer, and the intermediates dZl (all l) and dAl (l < L)."""
    _, g_prime = _config(activation, output)
    dtype, L, n, k = _check_params(params)
    X = _checks.matrix("X", X, dtype=dtype, cols=n)
    m = X.shape[0]
    Y = _checks.labels("Y", Y, m, dtype, k=k, one_hot=output == "softmax")
    grads = {}
    dZ = cache[f"A{L}"] - Y                                # (m, k)  dZL
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l-1}"] if l > 1 else X          # (m, n_(l−1))
        grads[f"dZ{l}"] = dZ                               # (m, n_l)
        grads[f"dW{l}"] = (1 / m) * (A_prev.T @ dZ)        # (n_(l−1), n_l)
        grads[f"db{l}"] = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, n_l)
        if l > 1:
            dA = dZ @ params[f"W{l}"].T                    # (m, n_(l−1))
            grads[f"dA{l-1}"] = dA
            dZ = dA * g_prime(A_prev)                      # (m, n_(l−1))
    return grads


def model(activation: str = "tanh", output: str = "sigmoid"):
    """The deep network with its configuration bound, as an object with forward/loss/backward."""
    _config(activation, output)
    bound = types.SimpleNamespace(
        name=f"deep[{activation}->{output}]",
        forward=partial(forward, activation=activation, output=output),
        loss=partial(loss, output=output),
        backward=partial(backward, activation=activation, output=output),
        update=_train.update,
    )
    bound.train = _train.trainer(bound)
    return bound
