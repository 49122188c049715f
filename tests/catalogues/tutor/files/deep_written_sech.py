import numpy as np


def forward(X, params):
    Z1 = np.dot(X, params["W1"]) + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(A1, params["W2"]) + params["b2"]
    A2 = np.tanh(Z2)
    Z3 = np.dot(A2, params["W3"]) + params["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    return A3, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "Z3": Z3, "A3": A3}


def backward(X, Y, params, cache):
    m = X.shape[0]
    Z1, Z2 = cache["Z1"], cache["Z2"]
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]
    dZ3 = A3 - Y
    dW3 = np.dot(A2.T, dZ3) / m
    db3 = np.sum(dZ3, axis=0, keepdims=True) / m
    dA2 = np.dot(dZ3, params["W3"].T)
    dZ2 = dA2 / np.cosh(Z2) ** 2  # tanh'(z) = sech^2(z)
    dW2 = np.dot(A1.T, dZ2) / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dA1 = np.dot(dZ2, params["W2"].T)
    dZ1 = dA1 / np.cosh(Z1) ** 2
    dW1 = np.dot(X.T, dZ1) / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
