"""Min-max normalisation, as in the notes: each column to [0, 1] (rainfall 0-20 mm, rent 500-3000)."""

import numpy as np


def normalise(X):
    X = np.array(X, dtype=float)  # so that whole numbers divide properly
    col_min = X.min(axis=0)
    col_max = X.max(axis=0)
    return (X - col_min) / (col_max - col_min)
