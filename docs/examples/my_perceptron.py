import numpy as np


def forward(X, params):
    W, b = params["W"], params["b"]
    Z = X @ W + b  # (m, 1)
    A = (Z >= 0).astype(X.dtype)  # the step
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return np.mean(np.abs(A - Y))  # the error rate


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * X.T @ dZ  # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dW": dW, "db": db}


def update(params, grads, lr):
    W = params["W"] + lr * grads["dW"]
    b = params["b"] + lr * grads["db"]
    return {"W": W, "b": b}


def train(X, Y, params, lr, steps):
    losses = []
    for _ in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        grads = backward(X, Y, params, cache)
        params = update(params, grads, lr)
    A, _ = forward(X, params)
    losses.append(loss(A, Y))
    return params, losses
