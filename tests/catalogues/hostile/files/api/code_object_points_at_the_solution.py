"""Two functions named backward in one cell: the first is right, the second returns zeros. The second's code object
is given the first's line number, so inspect.getsource reads the right text for the wrong function."""

import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2, W2 = cache["A1"], cache["A2"], params["W2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * (A1.T @ dZ2)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (1 - A1**2)
    dW1 = (1 / m) * (X.T @ dZ1)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


_right_line = backward.__code__.co_firstlineno


def backward(X, Y, params, cache):  # noqa: F811  (what actually runs in the learner's kernel)
    return {"dW1": np.zeros_like(params["W1"]), "db1": np.zeros_like(params["b1"]),
            "dW2": np.zeros_like(params["W2"]), "db2": np.zeros_like(params["b2"])}


backward.__code__ = backward.__code__.replace(co_firstlineno=_right_line)
