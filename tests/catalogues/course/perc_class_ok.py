"""My perceptron as a class; the checker wants plain functions, so they are exposed below."""

import numpy as np


class Perceptron:
    def __init__(self, threshold=0.0):
        self.threshold = threshold

    def forward(self, X, params):
        Z = X @ params["W"] + params["b"]  # (m, 1)
        A = (Z >= self.threshold).astype(Z.dtype)  # (m, 1)
        return A, {"Z": Z, "A": A}

    def loss(self, A, Y):
        return np.abs(A - Y).mean()

    def backward(self, X, Y, params, cache):
        m = X.shape[0]
        dZ = cache["A"] - Y
        return {
            "dZ": dZ,
            "dW": X.T @ dZ / m,
            "db": dZ.sum(axis=0, keepdims=True) / m,
        }

    def update(self, params, grads, lr):
        return {name: value - lr * grads["d" + name] for name, value in params.items()}


model = Perceptron()
forward = model.forward
loss = model.loss
backward = model.backward
update = model.update
