import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def mean_over_rows(M):
    return M.mean(axis=0, keepdims=True)


def sigmoid_neuron(X, params):
    Z = X @ params["W"] + params["b"]
    A = sigmoid(Z)
    return A, {"Z": Z, "A": A}


def backprop(X, Y, params, cache):
    dZ = cache["A"] - Y
    dW = mean_over_rows(X * dZ).T
    db = mean_over_rows(dZ)
    return {"dZ": dZ, "dW": dW, "db": db}
