import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def tanh_grad(a):
    return 1 - a ** 2


def mean_rows(M):
    return np.sum(M, axis=1, keepdims=True) / M.shape[0]


def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2 / m
    db2 = mean_rows(dZ2)
    dA1 = dZ2 @ params["W2"].T
    dZ1 = dA1 * tanh_grad(A1)
    dW1 = X.T @ dZ1 / m
    db1 = mean_rows(dZ1)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
