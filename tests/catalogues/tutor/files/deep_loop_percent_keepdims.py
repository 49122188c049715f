import numpy as np

# L-layer network, tanh in the hidden layers, sigmoid at the output


def backward(X, Y, params, cache):
    L = len(params) // 2
    m = Y.shape[0]
    grads = {}
    dZ = cache["A%d" % L] - Y
    for l in range(L, 0, -1):
        if l > 1:
            A_prev = cache["A%d" % (l - 1)]
        else:
            A_prev = X
        grads["dW%d" % l] = np.dot(A_prev.T, dZ) / m
        grads["db%d" % l] = np.sum(dZ, axis=0) / m
        if l > 1:
            dA = np.dot(dZ, params["W%d" % l].T)
            dZ = dA * (1 - np.square(A_prev))
    return grads
