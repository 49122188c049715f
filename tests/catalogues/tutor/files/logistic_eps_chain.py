# Assignment A02 - sigmoid neuron, backward pass
# I follow the chain rule from the lecture: dL/dz = dL/da * da/dz
import numpy as np

eps = 1e-6  # so that I never divide by zero


def backward(X, Y, params, cache):
    m = X.shape[0]
    A = cache["A"]
    dA = -(Y / (A + eps)) + (1 - Y) / (1 - A + eps)  # dL/da
    dZ = dA * A * (1 - A)  # da/dz = a(1 - a)
    dW = (1 / m) * np.dot(X.T, dZ)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)
    return {"dZ": dZ, "dW": dW, "db": db}
