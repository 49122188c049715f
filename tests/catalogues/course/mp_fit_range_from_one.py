"""Fitting an MP neuron: search the threshold.

A threshold of 0 would make the neuron fire on everything, so start at 1.
"""

import numpy as np


def forward(X, theta, inhibitory=None):
    inh = np.zeros(X.shape[1], bool) if inhibitory is None else np.array(inhibitory, dtype=bool)
    z = X[:, ~inh].sum(axis=1).reshape(-1, 1)  # (m, 1)
    inhibited = X[:, inh].any(axis=1).reshape(-1, 1)  # (m, 1)
    return np.where(inhibited, 0, np.where(z >= theta, 1, 0))


def fit(X, Y, inhibitory=None):
    n = X.shape[1]
    for theta in range(1, n + 2):
        if np.all(forward(X, theta, inhibitory) == Y):
            return theta
    return None
