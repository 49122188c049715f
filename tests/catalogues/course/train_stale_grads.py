"""Sigmoid neuron, batch gradient descent. I compute the gradients first to save time."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = sigmoid(Z)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    m = Y.shape[0]
    return -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * (X.T @ dZ)  # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    W = params["W"] - lr * grads["dW"]
    b = params["b"] - lr * grads["db"]
    return {"W": W, "b": b}


def train(X, Y, params, lr, steps):
    losses = []
    A, cache = forward(X, params)
    grads = backward(X, Y, params, cache)
    for i in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        params = update(params, grads, lr)
    A, cache = forward(X, params)
    losses.append(loss(A, Y))
    return params, losses
