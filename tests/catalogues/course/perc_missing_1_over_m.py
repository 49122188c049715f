import numpy as np

# Perceptron
# dz = a - y ; dw_i = x_i o dz ; dw0 = dz


def forward(X, params):
    W, b = params["W"], params["b"]
    Z = np.dot(X, W) + b
    A = np.where(Z >= 0, 1, 0).astype(X.dtype)
    cache = {"Z": Z, "A": A}
    return A, cache


def backward(X, Y, params, cache):
    A = cache["A"]
    dZ = A - Y
    dW = np.dot(X.T, dZ)  # x o dz, summed over the rows
    db = np.sum(dZ, axis=0, keepdims=True)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}
