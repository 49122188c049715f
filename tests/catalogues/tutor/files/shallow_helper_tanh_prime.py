import numpy as np


def tanh_prime(A):
    # d/dz tanh(z) = 1 - tanh(z)^2, and A = tanh(Z)
    return 1 - A


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    W2 = params["W2"]
    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2 / m
    db2 = dZ2.sum(axis=0, keepdims=True) / m
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * tanh_prime(A1)
    dW1 = X.T @ dZ1 / m
    db1 = dZ1.sum(axis=0, keepdims=True) / m
    return {"dZ1": dZ1, "dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
