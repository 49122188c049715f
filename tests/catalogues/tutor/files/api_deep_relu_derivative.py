import numpy as np


def relu(Z):
    return np.maximum(0, Z)


def relu_derivative(Z):
    return np.maximum(Z, 0)


def forward(X, params):
    L = len(params) // 2
    A = X
    cache = {}
    for l in range(1, L + 1):
        Z = A @ params["W%d" % l] + params["b%d" % l]
        A = relu(Z) if l < L else 1 / (1 + np.exp(-Z))
        cache["Z%d" % l] = Z
        cache["A%d" % l] = A
    return A, cache


def backward(X, Y, params, cache):
    L = len(params) // 2
    m = X.shape[0]
    grads = {}
    dZ = cache["A%d" % L] - Y
    for l in range(L, 0, -1):
        A_prev = cache["A%d" % (l - 1)] if l > 1 else X
        grads["dW%d" % l] = A_prev.T @ dZ / m
        grads["db%d" % l] = dZ.sum(axis=0, keepdims=True) / m
        if l > 1:
            dA = dZ @ params["W%d" % l].T
            dZ = dA * relu_derivative(cache["Z%d" % (l - 1)])
    return grads
