import numpy as np


class ShallowNet:
    def __init__(self, hidden_activation=np.tanh):
        self.g = hidden_activation

    @staticmethod
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def forward(self, X, params):
        Z1 = X @ params["W1"] + params["b1"]
        A1 = self.g(Z1)
        Z2 = A1 @ params["W2"] + params["b2"]
        A2 = self.sigmoid(Z2)
        return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

    def backward(self, X, Y, params, cache):
        m = X.shape[0]
        A1, A2 = cache["A1"], cache["A2"]
        dZ2 = A2 - Y
        dW2 = A1.T @ dZ2 / m
        db2 = dZ2.sum(axis=0, keepdims=True) / m
        dA1 = dZ2 @ params["W2"].T
        dZ1 = dA1 * (1 - A1**2)
        dW1 = X.T @ dZ1 / m
        db1 = dZ1.sum(axis=0, keepdims=True) / m
        return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


_net = ShallowNet()
forward = _net.forward
backward = _net.backward
