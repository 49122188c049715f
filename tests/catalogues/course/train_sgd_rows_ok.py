"""Assignment A02: sigmoid neuron, trained one row at a time.

The data has the label in its last column (row[-1]), as in the assignment.
For each row:  a = sigmoid(x w + b),  dz = a - y,  w = w - alpha * x^T dz,  b = b - alpha * dz
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = sigmoid(Z)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def train(X, Y, params, lr, steps):
    data = np.hstack([X, Y])  # (m, n + 1), label in the last column
    W, b = params["W"].copy(), params["b"].copy()
    losses = []
    for epoch in range(steps):
        losses.append(loss(forward(X, {"W": W, "b": b})[0], Y))
        for row in data:
            x = row[:-1].reshape(1, -1)  # (1, n)
            y = row[-1]
            a = sigmoid(x @ W + b)  # (1, 1)
            dz = a - y  # (1, 1)
            W = W - lr * (x.T @ dz)  # (n, 1)
            b = b - lr * dz  # (1, 1)
    losses.append(loss(forward(X, {"W": W, "b": b})[0], Y))
    return {"W": W, "b": b}, losses
