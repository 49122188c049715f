import numpy as np


def backward(X, Y, params, cache):
    """dW and db of every layer; each layer's sums written out over the examples."""
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dZ = cache["A%d" % L] - Y
    for l in range(L, 0, -1):
        A_prev = cache["A%d" % (l - 1)] if l > 1 else X
        dW = np.zeros(params["W%d" % l].shape, dtype=X.dtype)
        db = np.zeros(params["b%d" % l].shape, dtype=X.dtype)
        for i in range(m):
            dW += np.outer(A_prev[i], dZ[i]).astype(X.dtype)
            db += dZ[i]
        grads["dW%d" % l] = dW / m
        grads["db%d" % l] = db / m
        if l > 1:
            dZ = (dZ @ params["W%d" % l].T) * (1 - A_prev**2)
    return grads
