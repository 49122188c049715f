"""Min-max scaling and its inverse."""

import numpy as np


def min_max(X):
    """Column minima and maxima, each (1, n)."""
    return X.min(axis=0, keepdims=True), X.max(axis=0, keepdims=True)


def normalise(X):
    low, high = min_max(X)
    return (X - low) / (high - low)


def denormalise(X_scaled, low, high):
    low, high = min_max(X_scaled)
    return X_scaled * (high - low) + low
