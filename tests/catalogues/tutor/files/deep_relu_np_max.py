import numpy as np


def relu(Z):
    return np.max(Z, 0)


def relu_backward(dA, Z):
    dZ = dA.copy()
    dZ[Z <= 0] = 0
    return dZ


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def forward(X, params):
    L = len(params) // 2
    A = X
    cache = {}
    for l in range(1, L):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        A = relu(Z)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    ZL = A @ params[f"W{L}"] + params[f"b{L}"]
    AL = sigmoid(ZL)
    cache[f"Z{L}"] = ZL
    cache[f"A{L}"] = AL
    return AL, cache


def backward(X, Y, params, cache):
    L = len(params) // 2
    m = X.shape[0]
    grads = {}
    dZ = cache[f"A{L}"] - Y
    for l in range(L, 0, -1):
        A_prev = X if l == 1 else cache[f"A{l - 1}"]
        grads[f"dW{l}"] = A_prev.T @ dZ / m
        grads[f"db{l}"] = np.sum(dZ, axis=0, keepdims=True) / m
        if l > 1:
            dA = dZ @ params[f"W{l}"].T
            dZ = relu_backward(dA, cache[f"Z{l - 1}"])
    return grads
