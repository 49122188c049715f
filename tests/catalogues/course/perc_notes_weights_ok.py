# Perceptron - following the notes line by line
#   z = w0 + sum_i w_i * x_i
#   dz = a - y ;  dw0 = dz ;  dw_i = x_i o dz
#   w_i = w_i - (alpha/m) * sum(dw_i)

import numpy as np


def forward(X, params):
    W, b = params["W"], params["b"]
    z = b + X @ W
    a = np.zeros_like(z)
    a[z >= 0] = 1
    return a, {"Z": z, "A": a}


def backward(X, Y, params, cache):
    m, n = X.shape
    dz = cache["A"] - Y  # (m, 1)
    dW = np.zeros_like(params["W"])  # (n, 1)
    for i in range(n):
        dw_i = X[:, i : i + 1] * dz  # x_i o dz, one value per row
        dW[i, 0] = np.sum(dw_i) / m
    db = np.zeros_like(params["b"])
    db[0, 0] = np.sum(dz) / m  # dw0 = dz
    return {"dZ": dz, "dW": dW, "db": db}


def update(params, grads, lr):
    W = params["W"] - lr * grads["dW"]
    b = params["b"] - lr * grads["db"]
    return {"W": W, "b": b}
