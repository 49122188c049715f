"""Training the sigmoid neuron with batch gradient descent."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]
    A = sigmoid(Z)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y
    return {"dZ": dZ, "dW": X.T @ dZ / m, "db": np.sum(dZ, axis=0, keepdims=True) / m}


def update(params, grads, lr):
    return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}


def train(X, Y, params, lr, steps):
    losses = []
    for i in range(steps):
        A, cache = forward(X, params)
        grads = backward(X, Y, params, cache)
        params = update(params, grads, lr)
        losses.append(loss(forward(X, params)[0], Y))  # cost after this step
    return params, losses
