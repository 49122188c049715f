import numpy as np


def backward(X, Y, params, cache):
    # written with loops first, to understand every index
    m, n = X.shape
    h = params["W1"].shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    W2 = params["W2"]
    dZ2 = A2 - Y
    dW2 = np.zeros((h, 1))
    for i in range(m):
        for j in range(h):
            dW2[j, 0] += A1[i, j] * dZ2[i, 0] / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = X.T @ dZ1 / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
