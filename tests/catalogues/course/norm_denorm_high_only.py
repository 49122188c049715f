import numpy as np


def normalise(X):
    low = np.min(X, axis=0, keepdims=True)
    high = np.max(X, axis=0, keepdims=True)
    return (X - low) / (high - low)


def denormalise(X_scaled, low, high):
    # undo the scaling: multiply back up and add the minimum again
    X = X_scaled * high + low
    return X
