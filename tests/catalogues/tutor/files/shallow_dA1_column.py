import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    W2 = params["W2"]                         # (h, 1)
    A1 = cache["A1"]                          # (m, h)
    A2 = cache["A2"]                          # (m, 1)
    dZ2 = A2 - Y                              # (m, 1)
    dW2 = A1.T @ dZ2 / m                      # (h, 1)
    db2 = dZ2.sum(axis=0, keepdims=True) / m  # (1, 1)
    dA1 = W2 @ dZ2.T                          # (m, h)
    dZ1 = dA1 * (1 - A1 ** 2)                 # (m, h)
    dW1 = X.T @ dZ1 / m                       # (n, h)
    db1 = dZ1.sum(axis=0, keepdims=True) / m  # (1, h)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
