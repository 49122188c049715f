"""Homework: scale the inputs to [0, 1] before training the perceptron.

Rain is 0-20 mm and rent is 500-3000, so without scaling the rent dominates.
x' = (x - min) / (max - min)
"""

import numpy as np


def normalise(X):
    X_min = np.min(X)
    X_max = np.max(X)
    X_scaled = (X - X_min) / (X_max - X_min)
    return X_scaled


if __name__ == "__main__":
    data = np.array([[0.0, 500.0], [10.0, 1750.0], [20.0, 3000.0]])  # rain (mm), rent
    print(normalise(data))
