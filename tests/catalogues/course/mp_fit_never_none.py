"""MP neuron, fitted by picking the threshold with the fewest mistakes."""

import numpy as np


def forward(X, theta, inhibitory=None):
    X = np.asarray(X)
    mask = np.zeros(X.shape[1], dtype=bool) if inhibitory is None else np.asarray(inhibitory, dtype=bool)
    z = X[:, ~mask].sum(axis=1, keepdims=True)  # (m, 1)
    veto = X[:, mask].max(axis=1, keepdims=True, initial=0)  # (m, 1), 1 if an inhibitory input is on
    return ((z >= theta) & (veto == 0)).astype(int)


def fit(X, Y, inhibitory=None):
    n = X.shape[1]
    best_theta, best_errors = 0, len(X) + 1
    for theta in range(n + 2):
        errors = int(np.sum(forward(X, theta, inhibitory) != Y))
        if errors < best_errors:  # keep the threshold that gets the most rows right
            best_theta, best_errors = theta, errors
    return best_theta
