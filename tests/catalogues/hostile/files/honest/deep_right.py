"""My derivation of deep_tanh_sigmoid: deep network: tanh hidden layers, σ + BCE.

Check it with:  torchref check hw4.py --model deep_tanh_sigmoid

The checker calls forward(X, params) (optional: delete it and the checker's own forward
supplies the cache) and backward(X, Y, params, cache). Every array keeps the dtype of X.
X is (m, n), Y is (m, 1), 0 or 1; layer sizes n = 2, h1 = 4, h2 = 3 in `torchref explain deep_tanh_sigmoid`.
The intermediates (dZ, dA) are per example, without 1/m; returning them is optional, but
it lets the checker point at the first wrong line.
"""

import numpy as np
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(a):
    return a * (1 - a)


tanh = np.tanh


def tanh_prime(a):
    return 1 - a**2


def relu(z):
    return np.maximum(z, 0)


def relu_prime(a):
    return (a > 0).astype(a.dtype)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)




def forward(X, params):
    W1, b1, W2, b2, W3, b3 = params["W1"], params["b1"], params["W2"], params["b2"], params["W3"], params["b3"]
    Z1 = (X @ W1) + b1                                            # (m, h1)
    A1 = tanh(Z1)                                            # (m, h1)
    Z2 = (A1 @ W2) + b2                                            # (m, h2)
    A2 = tanh(Z2)                                            # (m, h2)
    Z3 = (A2 @ W3) + b3                                            # (m, 1)
    A3 = sigmoid(Z3)                                            # (m, 1)
    return A3, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "Z3": Z3, "A3": A3}


def backward(X, Y, params, cache):
    m = X.shape[0]
    W1, W2, W3 = params["W1"], params["W2"], params["W3"]
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]
    dZ3 = A3 - Y                                           # (m, 1)
    dW3 = (A2.T @ dZ3) / m                                           # (h2, 1)
    db3 = np.sum(dZ3, axis=0, keepdims=True) / m                                           # (1, 1)
    dA2 = dZ3 @ W3.T                                           # (m, h2)
    dZ2 = dA2 * tanh_prime(A2)                                           # (m, h2)
    dW2 = (A1.T @ dZ2) / m                                           # (h1, h2)
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m                                           # (1, h2)
    dA1 = dZ2 @ W2.T                                           # (m, h1)
    dZ1 = dA1 * tanh_prime(A1)                                           # (m, h1)
    dW1 = (X.T @ dZ1) / m                                           # (n, h1)
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m                                           # (1, h1)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
