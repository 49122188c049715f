import numpy as np


def normalise(X):
    """min-max scaling: x' = (x - min) / (max - min)"""
    lo = X.min(axis=1, keepdims=True)
    hi = X.max(axis=1, keepdims=True)
    return (X - lo) / (hi - lo)
