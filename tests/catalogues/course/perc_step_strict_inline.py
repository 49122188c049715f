import numpy as np


def step(z):
    return (z > 0).astype(z.dtype)


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = (Z > 0).astype(X.dtype)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return np.mean(np.abs(A - Y))


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y
    dW = X.T @ dZ / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}


def train(X, Y, params, lr, steps):
    losses = []
    for step_i in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        grads = backward(X, Y, params, cache)
        params = update(params, grads, lr)
    A, cache = forward(X, params)
    losses.append(loss(A, Y))
    return params, losses
