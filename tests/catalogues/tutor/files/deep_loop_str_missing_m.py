import numpy as np


def forward(X, params):
    L = len(params) // 2
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = A @ params["W" + str(l)] + params["b" + str(l)]
        if l == L:
            A = 1 / (1 + np.exp(-Z))
        else:
            A = np.tanh(Z)
        cache["Z" + str(l)] = Z
        cache["A" + str(l)] = A
    return A, cache


def backward(X, Y, params, cache):
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dZ = cache["A" + str(L)] - Y
    for l in reversed(range(1, L + 1)):
        A_prev = cache["A" + str(l - 1)]
        grads["dW" + str(l)] = A_prev.T @ dZ
        grads["db" + str(l)] = np.sum(dZ, axis=0, keepdims=True) / m
        if l > 1:
            dA_prev = dZ @ params["W" + str(l)].T
            dZ = dA_prev * (1 - A_prev ** 2)
    return grads
