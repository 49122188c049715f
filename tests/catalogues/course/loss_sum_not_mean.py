import numpy as np


def loss(A, Y):
    """Binary cross-entropy: L = -[y log a + (1 - y) log(1 - a)], added up over the rows."""
    L = -(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # (m, 1) loss of each row
    J = np.sum(L)
    return J
