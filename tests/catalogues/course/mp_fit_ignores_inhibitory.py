import numpy as np


def forward(X, theta, inhibitory=None):
    """Output (m, 1): fire if at least theta excitatory inputs are on and no inhibitory one is."""
    if inhibitory is None:
        inhibitory = np.zeros(X.shape[1], dtype=int)
    inhibitory = np.asarray(inhibitory).astype(bool)
    z = np.sum(X[:, ~inhibitory], axis=1, keepdims=True)
    vetoed = np.sum(X[:, inhibitory], axis=1, keepdims=True) > 0
    return np.where(vetoed, 0, (z >= theta).astype(int))


def fit(X, Y, inhibitory=None):
    """Smallest theta that reproduces the truth table, or None."""
    for theta in range(X.shape[1] + 2):
        out = forward(X, theta)
        if np.array_equal(out, Y):
            return theta
    return None
