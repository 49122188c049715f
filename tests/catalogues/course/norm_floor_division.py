# Min-max normalisation of the rain / rent data from the lecture

import numpy as np


def normalise(X):
    low = X.min(axis=0, keepdims=True)  # (1, n)
    high = X.max(axis=0, keepdims=True)  # (1, n)
    X_scaled = (X - low) // (high - low)
    return X_scaled
