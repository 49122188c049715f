import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    """3 classes: tanh hidden layers, then the output layer."""
    L = len(params) // 2
    caches = {}
    A = X
    for l in range(1, L + 1):
        Z = np.dot(A, params["W" + str(l)]) + params["b" + str(l)]
        if l < L:
            A = np.tanh(Z)
        else:
            A = sigmoid(Z)
        caches["A" + str(l)] = A
    return A, caches


def backward(X, Y, params, cache):
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dZ = cache["A" + str(L)] - Y  # softmax + cross-entropy: dZ = A - Y
    for l in range(L, 0, -1):
        A_prev = X if l == 1 else cache["A" + str(l - 1)]
        grads["dW" + str(l)] = np.dot(A_prev.T, dZ) / m
        grads["db" + str(l)] = np.sum(dZ, axis=0, keepdims=True) / m
        if l > 1:
            dA = np.dot(dZ, params["W" + str(l)].T)
            dZ = dA * (1 - A_prev ** 2)
    return grads
