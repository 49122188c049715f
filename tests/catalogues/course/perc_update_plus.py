"""Perceptron with the batch rule from the notes.

forward:   z = w0 + sum(w_i x_i),  a = 1 if z >= 0 else 0
backward:  dz = a - y,  dw0 = dz,  dw_i = x_i * dz   (averaged over the m rows)
update:    w = w - alpha * dw
"""

import numpy as np


def step(Z):
    return (Z >= 0).astype(Z.dtype)


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = step(Z)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return np.mean(np.abs(A - Y))  # fraction of rows we get wrong


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * X.T @ dZ  # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    W = params["W"] + lr * grads["dW"]
    b = params["b"] + lr * grads["db"]
    return {"W": W, "b": b}


def train(X, Y, params, lr, steps):
    losses = []
    for i in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        grads = backward(X, Y, params, cache)
        params = update(params, grads, lr)
    A, _ = forward(X, params)
    losses.append(loss(A, Y))
    return params, losses
