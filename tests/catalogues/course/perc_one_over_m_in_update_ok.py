"""Perceptron, the rule exactly as the notes write it.

backward gives the summed gradients  dw = sum over rows of x * dz,  dw0 = sum of dz
update applies                      w = w - (1/m) (alpha * dw)
"""

import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = (Z >= 0).astype(Z.dtype)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return np.mean(np.abs(A - Y))


def backward(X, Y, params, cache):
    dZ = cache["A"] - Y  # (m, 1)
    dW = X.T @ dZ  # (n, 1) summed over the rows
    db = np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    m = grads["dZ"].shape[0]
    W = params["W"] - (1 / m) * (lr * grads["dW"])
    b = params["b"] - (1 / m) * (lr * grads["db"])
    return {"W": W, "b": b}


def train(X, Y, params, lr, steps):
    losses = []
    for _ in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        params = update(params, backward(X, Y, params, cache), lr)
    losses.append(loss(forward(X, params)[0], Y))
    return params, losses
