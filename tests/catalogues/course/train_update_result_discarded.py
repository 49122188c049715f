import numpy as np


def forward(X, params):
    Z1 = np.dot(X, params["W1"]) + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(A1, params["W2"]) + params["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def loss(A, Y):
    return float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(A1.T, dZ2) / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dA1 = np.dot(dZ2, params["W2"].T)
    dZ1 = dA1 * (1 - np.power(A1, 2))
    dW1 = np.dot(X.T, dZ1) / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def update(params, grads, lr):
    W1 = params["W1"] - lr * grads["dW1"]
    b1 = params["b1"] - lr * grads["db1"]
    W2 = params["W2"] - lr * grads["dW2"]
    b2 = params["b2"] - lr * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def train(X, Y, params, lr, steps):
    losses = []
    for step in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        grads = backward(X, Y, params, cache)
        update(params, grads, lr)
    A, cache = forward(X, params)
    losses.append(loss(A, Y))
    return params, losses
