"""Planar data classification with one hidden layer (tanh -> sigmoid).

Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, A2 = sigmoid(Z2)
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]  # (m, h)
    A1 = np.tanh(Z1)  # (m, h)
    Z2 = A1 @ params["W2"] + params["b2"]  # (m, 1)
    A2 = sigmoid(Z2)  # (m, 1)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    m = Y.shape[0]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return -np.sum(logprobs) / m


def backprop(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y  # (m, 1)
    dW2 = (1 / m) * A1.T @ dZ2  # (h, 1)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)  # (1, 1)
    dA1 = dZ2 @ params["W2"].T  # (m, h)
    dZ1 = dA1 * (1 - np.power(A1, 2))  # (m, h)
    dW1 = (1 / m) * X.T @ dZ1  # (n, h)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)  # (1, h)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def update_parameters(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads["d" + key] for key in params}


def train(X, Y, params, lr, steps):
    costs = []
    for i in range(steps + 1):
        A2, cache = forward(X, params)
        costs.append(compute_cost(A2, Y))
        if i < steps:
            grads = backprop(X, Y, params, cache)
            params = update_parameters(params, grads, lr)
    return params, costs
