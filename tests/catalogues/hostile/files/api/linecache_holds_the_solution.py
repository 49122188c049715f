"""backward is compiled from text that returns zeros, under a cell's name whose linecache entry holds the right
derivation at the same lines: inspect.getsource reads the cache, not what was compiled."""

import linecache

import numpy as np

RIGHT = '''def backward(X, Y, params, cache):
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
'''
ZEROS = '''def backward(X, Y, params, cache):
    return {k: np.zeros_like(params[k[1:]]) for k in ("dW1", "db1", "dW2", "db2")}
'''
CELL = "<ipython-input-7-3f2a9c>"
_namespace = {"np": np}
exec(compile(ZEROS, CELL, "exec"), _namespace)
linecache.cache[CELL] = (len(RIGHT), None, RIGHT.splitlines(True), CELL)
backward = _namespace["backward"]
