# MP neuron - forward pass only
# z = sum of the inputs, y_hat = 1 if z >= theta else 0

import numpy as np


def forward(X, theta, inhibitory=None):
    # X: (m, n) boolean inputs
    z = np.sum(X, axis=1, keepdims=True)  # (m, 1)
    y_hat = np.where(z >= theta, 1, 0)  # step at the threshold
    return y_hat
