"""Normalising as in the lecture: rain is 0-20 mm and rent is 500-3000."""

import numpy as np

RAIN = (0.0, 20.0)
RENT = (500.0, 3000.0)


def normalise(X):
    low = np.array([[RAIN[0], RENT[0]]])  # (1, 2)
    high = np.array([[RAIN[1], RENT[1]]])  # (1, 2)
    return (X - low) / (high - low)
