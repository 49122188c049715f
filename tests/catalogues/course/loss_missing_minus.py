"""Assignment A02: the sigmoid neuron.

Changes from the perceptron: sigmoid activation, and the log loss
    Loss = -[y log(a) + (1 - y) log(1 - a)]
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = sigmoid(Z)  # (m, 1)
    return A, {"Z": Z, "A": A}


def compute_cost(A, Y):
    m = Y.shape[0]
    cost = (1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    return cost


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * X.T @ dZ  # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}
