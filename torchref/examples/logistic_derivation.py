"""A learner's derivation of the sigmoid neuron (logistic regression, mean BCE).

Check it with:  torchref check torchref/examples/logistic_derivation.py --model logistic

Shapes: X (m, n), Y (m, 1), W (n, 1), b (1, 1); cache {Z, A}; grads dW, db (dZ optional).
"""

import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    A = cache["A"]                                          # (m, 1)
    dZ = A - Y                                              # (m, 1)
    dW = (1 / m) * (X.T @ dZ)                               # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)        # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}
