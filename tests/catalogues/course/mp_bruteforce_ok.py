"""McCulloch-Pitts neuron.

    z = sum of the excitatory inputs
    y_hat = 1 if z >= theta and no inhibitory input is on, else 0

fit() tries every threshold, smallest first; None when no threshold reproduces Y (XOR).
"""

import numpy as np


def _mask(inhibitory, n):
    if inhibitory is None:
        return np.zeros(n, dtype=bool)
    return np.asarray(inhibitory, dtype=bool)


def forward(X, theta, inhibitory=None):
    inh = _mask(inhibitory, X.shape[1])
    z = X[:, ~inh].sum(axis=1, keepdims=True)  # (m, 1)
    blocked = X[:, inh].any(axis=1, keepdims=True)  # (m, 1)
    return ((z >= theta) & ~blocked).astype(np.int64)  # (m, 1)


def fit(X, Y, inhibitory=None):
    n = X.shape[1]
    for theta in range(0, n + 2):  # theta = n + 1 never fires
        if np.array_equal(forward(X, theta, inhibitory), Y):
            return theta
    return None


if __name__ == "__main__":
    rows = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    print("AND", fit(rows, np.array([[0], [0], [0], [1]])))
    print("OR ", fit(rows, np.array([[0], [1], [1], [1]])))
    print("XOR", fit(rows, np.array([[0], [1], [1], [0]])))
