import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1 = cache["A1"]
    A2 = cache["A2"]
    W2 = params["W2"]

    dZ2 = A2 - Y
    dW2 = (1 / m) * A1.T @ dZ2
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)

    dA1 = dZ2 @ W2.T
    dZ1 = dA1
    dW1 = (1 / m) * X.T @ dZ1
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)

    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
