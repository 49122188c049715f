import numpy as np

# logistic regression: gradient of J = -(1/m) sum [y log a + (1-y) log(1-a)]


def backward(X, Y, params, cache):
    m = X.shape[0]
    A = cache["A"]                          # (m, 1)
    dZ = A - Y                              # (m, 1)
    dW = X.T.dot(dZ) / m                    # (n, 1)
    db = np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}
