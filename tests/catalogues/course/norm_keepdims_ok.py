"""Min-max normalisation per column, and back.

    x' = (x - low) / (high - low)       low, high: column minima / maxima, (1, n)
    x  = x' (high - low) + low
"""

import numpy as np


def normalise(X):
    low = X.min(axis=0, keepdims=True)  # (1, n)
    high = X.max(axis=0, keepdims=True)  # (1, n)
    return (X - low) / (high - low)  # (m, n), every column in [0, 1]


def denormalise(X_scaled, low, high):
    return X_scaled * (high - low) + low  # (m, n)


if __name__ == "__main__":
    data = np.array([[0.0, 500.0], [5.0, 1200.0], [20.0, 3000.0]])
    low, high = data.min(axis=0, keepdims=True), data.max(axis=0, keepdims=True)
    print(np.allclose(denormalise(normalise(data), low, high), data))
