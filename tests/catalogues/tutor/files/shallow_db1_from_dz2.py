import numpy as np


def backward(X, Y, params, cache):
    """Back-propagation for all rows (lecture 4)."""
    m = X.shape[0]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dz2 = A2 - Y
    dw2 = (1 / m) * np.dot(A1.T, dz2)
    db2 = (1 / m) * np.sum(dz2, axis=0, keepdims=True)
    da1 = np.dot(dz2, params["W2"].T)
    dz1 = da1 * (1 - A1 ** 2)
    dw1 = (1 / m) * np.dot(X.T, dz1)
    db1 = (1 / m) * np.sum(dz2, axis=0, keepdims=True)
    return {"dW1": dw1, "db1": db1, "dW2": dw2, "db2": db2, "dZ2": dz2, "dA1": da1, "dZ1": dz1}
