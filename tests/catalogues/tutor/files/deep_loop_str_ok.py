import numpy as np


def forward(X, params):
    L = len(params) // 2
    cache = {}
    A = X
    for l in range(1, L):
        Z = A @ params["W" + str(l)] + params["b" + str(l)]
        A = np.tanh(Z)
        cache["Z" + str(l)], cache["A" + str(l)] = Z, A
    Z = A @ params["W" + str(L)] + params["b" + str(L)]
    A = 1 / (1 + np.exp(-Z))
    cache["Z" + str(L)], cache["A" + str(L)] = Z, A
    return A, cache


def backward(X, Y, params, cache):
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dA = None
    for l in range(L, 0, -1):
        A = cache["A" + str(l)]
        A_prev = X if l == 1 else cache["A" + str(l - 1)]
        if l == L:
            dZ = A - Y
        else:
            dZ = dA * (1 - A ** 2)
        grads["dW" + str(l)] = A_prev.T @ dZ / m
        grads["db" + str(l)] = np.sum(dZ, axis=0, keepdims=True) / m
        dA = dZ @ params["W" + str(l)].T
    return grads
