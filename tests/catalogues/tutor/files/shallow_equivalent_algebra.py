import numpy as np


def backward(X, Y, params, cache):
    m = Y.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = -(Y - A2)
    dW2 = (dZ2.T @ A1).T / m
    db2 = dZ2.mean(axis=0, keepdims=True)
    dA1 = dZ2 * params["W2"].T  # (m, 1) * (1, h): the outer product, h columns
    dZ1 = dA1 * (1 - A1) * (1 + A1)  # 1 - a^2 = (1 - a)(1 + a)
    dW1 = np.dot(dZ1.T, X).T / m
    db1 = dZ1.mean(axis=0).reshape(1, -1)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
