"""Sigmoid neuron with stochastic gradient descent: a new random order of the rows every epoch."""

import numpy as np

rng = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = sigmoid(Z)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def train(X, Y, params, lr, steps):
    m = X.shape[0]
    W, b = params["W"], params["b"]
    losses = [loss(forward(X, params)[0], Y)]
    for epoch in range(steps):
        order = rng.permutation(m)  # same order for X and Y
        X_epoch, Y_epoch = X[order], Y[order]
        for i in range(m):
            x, y = X_epoch[i : i + 1], Y_epoch[i : i + 1]  # (1, n), (1, 1)
            dz = sigmoid(x @ W + b) - y
            W = W - lr * x.T @ dz
            b = b - lr * dz
        losses.append(loss(forward(X, {"W": W, "b": b})[0], Y))
    return {"W": W, "b": b}, losses
