"""Sigmoid neuron with stochastic gradient descent (shuffle the data every epoch)."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = sigmoid(Z)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def train(X, Y, params, lr, steps):
    W, b = params["W"], params["b"]
    losses = [loss(forward(X, params)[0], Y)]
    for epoch in range(steps):
        np.random.shuffle(X)
        np.random.shuffle(Y)
        for i in range(X.shape[0]):
            x, y = X[i : i + 1], Y[i : i + 1]
            dz = sigmoid(x @ W + b) - y
            W = W - lr * x.T @ dz
            b = b - lr * dz
        losses.append(loss(forward(X, {"W": W, "b": b})[0], Y))
    return {"W": W, "b": b}, losses
