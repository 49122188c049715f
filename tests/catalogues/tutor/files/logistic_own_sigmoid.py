import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(z))


def forward(X, params):
    W = params["W"]
    b = params["b"]
    Z = np.dot(X, W) + b
    A = sigmoid(Z)
    cache = {"Z": Z, "A": A}
    return A, cache


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y
    dW = np.dot(X.T, dZ) / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    return {"dW": dW, "db": db}
