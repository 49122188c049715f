import numpy as np


def forward(X, params):
    Z1 = np.dot(X, params["W1"]) + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(A1, params["W2"]) + params["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(A1.T, dZ2) / m
    db2 = np.sum(dZ2, keepdims=True) / m
    dA1 = np.dot(dZ2, params["W2"].T)
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = np.dot(X.T, dZ1) / m
    db1 = np.sum(dZ1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
