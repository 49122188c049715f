import numpy as np


def normalise(X):
    low = X.min()
    high = X.max()
    return (X - low) / (high - low)


def denormalise(X_scaled, low, high):
    return X_scaled * (high - low) + low
