"""Perceptron backward pass (notes: dz = a - y, dw_i = x_i o dz)."""

import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = (Z >= 0).astype(Z.dtype)
    return A, {"Z": Z, "A": A}


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * (X.T @ dZ)  # (n, 1)
    db = (1 / m) * np.sum(X * dZ, axis=0, keepdims=True)  # w0 is a weight like the others
    return {"dZ": dZ, "dW": dW, "db": db}
