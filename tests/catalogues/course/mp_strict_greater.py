"""McCulloch-Pitts neuron (week 1 homework).

The neuron adds up its boolean inputs and fires when the sum reaches the threshold theta.
Inhibitory inputs veto the output: if any of them is on, the neuron outputs 0.
"""

import numpy as np


def forward(X, theta, inhibitory=None):
    """X is (m, n) of 0/1, returns the output for every row as a (m, 1) column."""
    n = X.shape[1]
    if inhibitory is None:
        inhibitory = np.zeros(n, dtype=bool)
    inhibitory = np.asarray(inhibitory, dtype=bool)
    z = np.sum(X[:, ~inhibitory], axis=1, keepdims=True)  # number of excitatory inputs that are on
    vetoed = np.any(X[:, inhibitory] == 1, axis=1, keepdims=True)
    fires = z > theta  # fire when the sum is above the threshold
    return (fires & ~vetoed).astype(int)


def fit(X, Y, inhibitory=None):
    """Try every threshold from 0 to n+1 and keep the first one that gives Y."""
    n = X.shape[1]
    for theta in range(n + 2):
        if np.array_equal(forward(X, theta, inhibitory), Y):
            return theta
    return None  # no threshold works (e.g. XOR)


if __name__ == "__main__":
    AND = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    print(forward(AND, 2).ravel())
    print(fit(AND, np.array([[0], [0], [0], [1]])))
