"""Sigmoid neuron trained with gradient descent, everything in one loop."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def train(X, Y, params, lr, steps):
    W, b = params["W"], params["b"]
    m = X.shape[0]
    losses = []
    for i in range(steps + 1):
        Z = X @ W + b  # (m, 1)
        A = sigmoid(Z)  # (m, 1)
        J = -np.mean(Y * np.log(Z) + (1 - Y) * np.log(1 - Z))
        losses.append(J)
        if i == steps:
            break
        dZ = A - Y
        W = W - lr * (X.T @ dZ) / m
        b = b - lr * np.sum(dZ, axis=0, keepdims=True) / m
    return {"W": W, "b": b}, losses
