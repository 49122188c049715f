import numpy as np


def forward(X, theta, inhibitory=None):
    if inhibitory is None:
        inhibitory = np.zeros(X.shape[1], dtype=bool)
    inhibitory = np.asarray(inhibitory, dtype=bool)
    z = np.sum(X[:, ~inhibitory], axis=1, keepdims=True)
    off = np.any(X[:, inhibitory] == 1, axis=1, keepdims=True)
    return ((z > theta) & ~off).astype(int)
