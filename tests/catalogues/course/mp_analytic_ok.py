"""MP neuron with the threshold read off the data.

Sums are whole numbers, so "z >= theta" is the same as "z > theta - 1".
"""

import numpy as np


def sums(X, inhibitory):
    inh = np.zeros(X.shape[1], dtype=bool) if inhibitory is None else np.asarray(inhibitory, dtype=bool)
    z = X[:, ~inh].sum(axis=1)  # (m,)
    blocked = X[:, inh].any(axis=1)  # (m,)
    return z, blocked


def forward(X, theta, inhibitory=None):
    z, blocked = sums(X, inhibitory)
    a = (z > theta - 1) & ~blocked
    return a.astype(int)[:, None]  # (m, 1)


def fit(X, Y, inhibitory=None):
    z, blocked = sums(X, inhibitory)
    y = np.asarray(Y).reshape(-1)
    if blocked[y == 1].any():
        return None
    quiet = z[(y == 0) & ~blocked]  # must stay 0
    loud = z[y == 1]  # must fire
    if quiet.size and loud.size and loud.min() <= quiet.max():
        return None  # XOR and friends
    return int(quiet.max()) + 1 if quiet.size else 0
