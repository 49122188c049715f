import numpy as np


def normalise(X):
    # divide every column by its largest value so everything is between 0 and 1
    col_max = X.max(axis=0, keepdims=True)  # (1, n)
    return X / col_max
