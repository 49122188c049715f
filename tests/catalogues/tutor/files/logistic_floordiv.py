import numpy as np


def backward(X, Y, params, cache):
    """Gradients of the cost for logistic regression."""
    A = cache["A"]
    m = X.shape[0]  # number of examples
    dZ = A - Y
    dW = 1 // m * (X.T @ dZ)
    db = 1 // m * np.sum(dZ, axis=0, keepdims=True)
    return {"dW": dW, "db": db, "dZ": dZ}
