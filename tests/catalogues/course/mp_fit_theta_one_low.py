"""MP neuron: forward, and fit by reading theta off the truth table (no search needed)."""

import numpy as np


def split(X, inhibitory):
    """Excitatory sum z (m,) and whether an inhibitory input is on (m,)."""
    if inhibitory is None:
        inhibitory = np.zeros(X.shape[1], dtype=bool)
    inh = np.asarray(inhibitory, dtype=bool)
    return X[:, ~inh].sum(axis=1), X[:, inh].any(axis=1)


def forward(X, theta, inhibitory=None):
    z, blocked = split(X, inhibitory)
    A = (z >= theta) & ~blocked
    return A.astype(int).reshape(-1, 1)  # (m, 1)


def fit(X, Y, inhibitory=None):
    """The smallest theta: just above every row that has to stay at 0."""
    z, blocked = split(X, inhibitory)
    y = np.asarray(Y).ravel()
    if blocked[y == 1].any():
        return None  # a row fires although an inhibitory input is on
    quiet = z[(y == 0) & ~blocked]  # sums that must NOT fire
    loud = z[y == 1]  # sums that must fire
    if quiet.size and loud.size and loud.min() <= quiet.max():
        return None  # not separable by a threshold (XOR)
    theta = int(quiet.max()) if quiet.size else 0
    return theta
