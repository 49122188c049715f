"""Min-max normalisation, one column at a time (easier to follow than broadcasting)."""

import numpy as np


def normalise(X):
    X_scaled = np.zeros_like(X)
    for j in range(X.shape[1]):
        column = X[:, j]
        smallest, largest = column.min(), column.max()
        X_scaled[:, j] = (column - smallest) / (largest - smallest)
    return X_scaled


def denormalise(X_scaled, low, high):
    return X_scaled * (high - low) + low
