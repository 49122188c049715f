import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(X, Y, params, lr, steps):
    W = params["W"]
    b = params["b"]
    m = X.shape[0]
    costs = []
    for i in range(steps + 1):
        A = sigmoid(X @ W + b)
        J = (1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
        costs.append(J)
        if i < steps:
            dZ = A - Y
            W = W - lr * (1 / m) * X.T @ dZ
            b = b - lr * (1 / m) * np.sum(dZ, axis=0, keepdims=True)
    return {"W": W, "b": b}, costs
