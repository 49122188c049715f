import numpy as np


def forward(X, params):
    Z = np.dot(X, params["W"]) + params["b"]
    A = 1 / (1 + np.exp(-Z))
    return A, {"Z": Z, "A": A}


def backward(X, Y, params, cache):
    m = Y.shape[0]  # one label per example
    dZ = cache["A"] - Y
    dW = np.dot(X.T, dZ) / m
    db = np.mean(dZ, axis=0, keepdims=True)
    return {"dZ": dZ, "dW": dW, "db": db}
