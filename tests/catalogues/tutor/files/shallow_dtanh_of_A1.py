import numpy as np


def dtanh(z):
    """derivative of tanh at z"""
    return 1 - np.tanh(z) ** 2


def backward(X, Y, params, cache):
    m = X.shape[0]
    Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
    W2 = params["W2"]
    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2 / m
    db2 = np.mean(dZ2, axis=0, keepdims=True)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * dtanh(A1)
    dW1 = X.T @ dZ1 / m
    db1 = np.mean(dZ1, axis=0, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dZ1": dZ1}
