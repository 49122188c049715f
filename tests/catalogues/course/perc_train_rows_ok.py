"""Rosenblatt's perceptron: one update per row, in the order of the data.

For each row x (1, n):  a = step(x w + w0),  dz = a - y,  w = w - alpha * x^T dz,  w0 = w0 - alpha * dz
The loss I log is the number of misclassified rows, before each pass and after the last one.
"""

import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = (Z >= 0).astype(Z.dtype)
    return A, {"Z": Z, "A": A}


def errors(X, Y, params):
    A, _ = forward(X, params)
    return int(np.sum(A != Y))


def train(X, Y, params, lr, steps):
    W = params["W"].copy()  # (n, 1)
    b = params["b"].copy()  # (1, 1)
    history = [errors(X, Y, {"W": W, "b": b})]
    for epoch in range(steps):
        for i in range(X.shape[0]):
            x = X[i : i + 1]  # (1, n)
            a = ((x @ W + b) >= 0).astype(x.dtype)  # (1, 1)
            dz = a - Y[i : i + 1]  # (1, 1)
            W = W - lr * (x.T @ dz)
            b = b - lr * dz
        history.append(errors(X, Y, {"W": W, "b": b}))
    return {"W": W, "b": b}, history
