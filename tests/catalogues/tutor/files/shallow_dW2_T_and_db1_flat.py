import numpy as np

# Neural network with one hidden layer, vectorised backprop


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1 = cache["A1"]
    A2 = cache["A2"]
    W2 = params["W2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2.T, A1)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)
    dA1 = np.dot(dZ2, W2.T)
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = (1 / m) * np.dot(X.T, dZ1)
    db1 = (1 / m) * np.sum(dZ1, axis=0)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
