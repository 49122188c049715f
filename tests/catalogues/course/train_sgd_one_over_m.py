"""A02: train on one row at a time, the label is row[-1].

Update from the notes:  w = w - (1/m) (alpha * dw)
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def train(X, Y, params, lr, steps):
    data = np.concatenate([X, Y], axis=1)
    m = data.shape[0]
    W, b = params["W"].copy(), params["b"].copy()
    losses = [loss(sigmoid(X @ W + b), Y)]
    for epoch in range(steps):
        for row in data:
            x = row[:-1].reshape(1, -1)
            a = sigmoid(x @ W + b)
            dz = a - row[-1]
            W = W - (1 / m) * (lr * x.T @ dz)
            b = b - (1 / m) * (lr * dz)
        losses.append(loss(sigmoid(X @ W + b), Y))
    return {"W": W, "b": b}, losses
