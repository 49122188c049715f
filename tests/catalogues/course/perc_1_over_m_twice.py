"""Perceptron, written as in the notes: w = w - (1/m)(alpha o dw)."""

import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = (Z >= 0).astype(Z.dtype)  # step
    return A, {"Z": Z, "A": A}


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * (X.T @ dZ)  # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    m = grads["dZ"].shape[0]  # number of rows
    W = params["W"] - (1 / m) * (lr * grads["dW"])
    b = params["b"] - (1 / m) * (lr * grads["db"])
    return {"W": W, "b": b}
