# normalize each feature to [0, 1]
# rain 0-20mm -> 0-1, rent 500-3000 -> 0-1

import numpy as np


def normalize(X):
    columns = []
    for j in range(X.shape[1]):
        col = X[:, j]
        columns.append((col - col.min()) / np.ptp(col))
    return np.column_stack(columns)
