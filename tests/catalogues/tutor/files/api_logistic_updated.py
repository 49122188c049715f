import numpy as np

alpha = 0.1


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = np.dot(X, params["W"]) + params["b"]
    return sigmoid(Z), {"Z": Z, "A": sigmoid(Z)}


def backward(X, Y, params, cache):
    W, b = params["W"], params["b"]
    m = X.shape[0]
    dZ = cache["A"] - Y
    dW = np.dot(X.T, dZ) / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    # gradient descent step
    dW = W - alpha * dW
    db = b - alpha * db
    return {"dW": dW, "db": db}
