"""Assignment A02: the sigmoid neuron trained one row at a time (label in the last column).

For each row: a = sigmoid(x w + b), dz = a - y, then move w and b by alpha times the gradient.
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(X, Y, params, lr, steps):
    data = np.hstack([X, Y])  # label in the last column
    W = params["W"].copy()
    b = params["b"].copy()
    losses = []
    for epoch in range(steps + 1):
        A = sigmoid(X @ W + b)
        losses.append(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
        if epoch == steps:
            break
        for row in data:
            x = row[:-1].reshape(1, -1)  # (1, n)
            a = sigmoid(x @ W + b)  # (1, 1)
            dz = a - row[-1]
            W = W + lr * x.T @ dz  # (n, 1)
            b = b + lr * dz
    return {"W": W, "b": b}, losses
