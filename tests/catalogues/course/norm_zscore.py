"""Normalising the features (rain in mm, rent)."""

import numpy as np


def normalise(X):
    mu = np.mean(X, axis=0, keepdims=True)  # (1, n)
    sigma = np.std(X, axis=0, keepdims=True)  # (1, n)
    X_scaled = (X - mu) / sigma
    return X_scaled


def denormalise(X_scaled, low, high):
    return X_scaled * (high - low) + low
