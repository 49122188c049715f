"""My notebook's cells, as a module: data first, then the functions."""
import numpy as np

rng = np.random.default_rng(0)
X_train = rng.normal(size=(400, 2))
Y_train = (X_train[:, :1] * X_train[:, 1:] > 0).astype(float)
m = X_train.shape[0]


def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X, Y, params, cache):
    A1, A2 = cache["A1"], cache["A2"]
    m_inv = 1.0 / m
    dZ2 = A2 - Y
    dW2 = m_inv * A1.T @ dZ2
    db2 = m_inv * np.sum(dZ2, axis=0, keepdims=True)
    dA1 = dZ2 @ params["W2"].T
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = m_inv * X.T @ dZ1
    db1 = m_inv * np.sum(dZ1, axis=0, keepdims=True)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
