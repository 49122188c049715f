import numpy as np


def backward(X, Y, params, cache):
    m = len(X)
    A = cache["A"]
    dZ = A - Y
    # dw_i = x_i o dz, summed over the examples (notes: dw1 = x1 o dz)
    dW = np.sum(X * dZ) / m
    db = np.sum(dZ) / m
    return {"dW": dW, "db": db}
