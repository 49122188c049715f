import numpy as np


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def forward(X, params):
    L = len(params) // 2
    A = X
    cache = {}
    for l in range(1, L + 1):
        Z = np.einsum("ij,jk->ik", A, params[f"W{l}"]) + params[f"b{l}"]
        A = np.tanh(Z) if l < L else softmax(Z)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache


def backward(X, Y, params, cache):
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dZ = cache[f"A{L}"] - Y  # softmax with cross-entropy
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l - 1}"] if l > 1 else X
        grads[f"dW{l}"] = np.einsum("ij,ik->jk", A_prev, dZ) / m
        grads[f"db{l}"] = dZ.sum(axis=0, keepdims=True) / m
        if l > 1:
            dZ = np.einsum("ik,jk->ij", dZ, params[f"W{l}"]) * (1 - A_prev**2)
    return grads
