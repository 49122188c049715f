"""Perceptron trained row by row, as in class: for each row, w = w - alpha * x * (a - y)."""

import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = (Z >= 0).astype(Z.dtype)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return np.mean(np.abs(A - Y))  # error rate


def train(X, Y, params, lr, steps):
    W, b = params["W"].copy(), params["b"].copy()
    m = X.shape[0]
    losses = []
    for epoch in range(steps):
        A, _ = forward(X, {"W": W, "b": b})
        losses.append(loss(A, Y))
        for i in range(m):
            dz = A[i, 0] - Y[i, 0]
            W = W - lr * X[i : i + 1].T * dz
            b = b - lr * dz
    A, _ = forward(X, {"W": W, "b": b})
    losses.append(loss(A, Y))
    return {"W": W, "b": b}, losses
