"""Perceptron trained with the batch rule; losses are the error rates."""

import numpy as np


def step(Z):
    return np.heaviside(Z, 1).astype(Z.dtype)  # 1 at z = 0, as the notes (z >= 0)


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = step(Z)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return float(np.mean(np.abs(A - Y)))


def backward(X, Y, params, cache):
    m = len(X)
    dZ = cache["A"] - Y
    dW = (1 / m) * (X.T @ dZ)
    db = (1 / m) * dZ.sum(axis=0, keepdims=True)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}


def train(X, Y, params, lr, steps):
    losses = []
    for t in range(steps + 1):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        if t == steps:
            break
        grads = backward(X, Y, params, cache)
        params = update(params, grads, lr)
    return params, np.array(losses)
