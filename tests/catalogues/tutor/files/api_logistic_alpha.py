import numpy as np

learning_rate = 0.01


def backward(X, Y, params, cache):
    m = X.shape[0]
    A = cache["A"]
    dZ = A - Y
    # step size already in here, so the update is just W - dW
    dW = learning_rate * (X.T @ dZ) / m
    db = learning_rate * np.sum(dZ, axis=0, keepdims=True) / m
    return {"dZ": dZ, "dW": dW, "db": db}
