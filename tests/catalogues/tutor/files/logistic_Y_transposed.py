import numpy as np


def backward(X, Y, params, cache):
    # vectorised over all m examples
    m = X.shape[0]
    A = cache["A"]
    dZ = A - Y.T
    dW = (1 / m) * (X.T @ dZ)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)
    return {"dZ": dZ, "dW": dW, "db": db}
