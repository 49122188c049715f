import numpy as np


def backward(X, Y, params, cache):
    """Every gradient as a sum over the examples, the way the notes write it per row."""
    m, n = X.shape
    W2 = params["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    h = A1.shape[1]
    dZ2 = A2 - Y
    dW2 = np.zeros_like(W2)
    db2 = np.zeros((1, 1), dtype=X.dtype)
    dW1 = np.zeros((n, h), dtype=X.dtype)
    db1 = np.zeros((1, h), dtype=X.dtype)
    dA1 = np.zeros_like(A1)
    dZ1 = np.zeros_like(A1)
    for i in range(m):
        a1 = A1[i : i + 1]  # (1, h)
        dz2 = dZ2[i : i + 1]  # (1, 1)
        dW2 += a1.T * dz2 / m
        db2 += dz2 / m
        dA1[i] = (dz2 @ W2.T)[0]
        dZ1[i] = dA1[i] * (1 - A1[i] ** 2)
        dW1 += X[i : i + 1].T @ dZ1[i : i + 1] / m
        db1 += dZ1[i : i + 1] / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
