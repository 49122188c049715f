import numpy as np

learning_rate = 0.05


def backward(X, Y, params, cache):
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dZ = cache["A" + str(L)] - Y
    for l in range(L, 0, -1):
        A_prev = X if l == 1 else cache["A" + str(l - 1)]
        grads["dW" + str(l)] = learning_rate * A_prev.T @ dZ / m
        grads["db" + str(l)] = learning_rate * np.sum(dZ, axis=0, keepdims=True) / m
        if l > 1:
            dZ = (dZ @ params["W" + str(l)].T) * (1 - A_prev ** 2)
    return grads
