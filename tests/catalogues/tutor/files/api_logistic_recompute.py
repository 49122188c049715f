"""Logistic regression, written in a notebook and checked with torchref.check(backward=backward)."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backward(X, Y, params, cache):
    W, b = params["W"], params["b"]
    m = X.shape[0]
    A = sigmoid(X @ W)  # recompute the prediction
    dZ = A - Y
    dW = (X.T @ dZ) / m
    db = dZ.sum(axis=0, keepdims=True) / m
    return {"dZ": dZ, "dW": dW, "db": db}
