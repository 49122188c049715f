import numpy as np


def step(z):
    """1 if z >= 0 else 0"""
    return (z >= 0) * 1.0


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = step(Z).astype(Z.dtype)  # (m, 1)
    return A, {"Z": Z, "A": A}


def backward(X, Y, params, cache):
    m = X.shape[0]
    Z = cache["Z"]
    dZ = Z - Y  # dz = a - y
    dW = X.T @ dZ / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    return {"dZ": dZ, "dW": dW, "db": db}
