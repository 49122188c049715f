import numpy as np


def forward(X, theta, inhibitory=None):
    """McCulloch-Pitts neuron: 1 if sum(x) >= theta and no inhibitory input is on."""
    X = np.asarray(X)
    if inhibitory is None:
        inhibitory = np.zeros(X.shape[1])
    inhibitory = np.asarray(inhibitory, dtype=bool)

    z = X[:, ~inhibitory].sum(axis=1)  # one sum per row
    blocked = X[:, inhibitory].sum(axis=1) > 0
    y_hat = np.logical_and(z >= theta, ~blocked).astype(int)
    return y_hat
