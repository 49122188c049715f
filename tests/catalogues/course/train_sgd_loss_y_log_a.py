"""Assignment A02.

Changes: - sigmoid activation function
         - Loss = row[-1] * log(a)
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def epoch_loss(data, W, b):
    total = 0.0
    for row in data:
        a = sigmoid(row[:-1] @ W + b)
        total += -row[-1] * np.log(a)  # Loss = row[-1] * log(a)
    return total / len(data)


def train(X, Y, params, lr, steps):
    data = np.hstack((X, Y))  # label in the last column
    W, b = params["W"].copy(), params["b"].copy()
    losses = []
    for epoch in range(steps):
        losses.append(epoch_loss(data, W, b))
        for row in data:
            x = row[:-1].reshape(1, -1)  # (1, n)
            dz = sigmoid(x @ W + b) - row[-1]  # (1, 1)
            W -= lr * x.T @ dz
            b -= lr * dz
    losses.append(epoch_loss(data, W, b))
    return {"W": W, "b": b}, losses
