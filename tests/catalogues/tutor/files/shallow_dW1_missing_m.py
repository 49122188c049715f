import numpy as np

# 2-layer net: X -> tanh -> sigmoid
# shapes: X (m, n), W1 (n, h), b1 (1, h), W2 (h, 1), b2 (1, 1)


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1 = cache["A1"]
    A2 = cache["A2"]
    W2 = params["W2"]
    # output layer
    dZ2 = A2 - Y
    dW2 = np.dot(A1.T, dZ2) / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    # hidden layer
    dA1 = np.dot(dZ2, W2.T)
    dZ1 = dA1 * (1 - np.power(A1, 2))
    dW1 = np.dot(X.T, dZ1)
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    return grads
