"""The cost from the lecture, binary classification case:

    L(a, y) = -y log(a)
    J = -(1/m) sum y log(a)
"""

import numpy as np


def loss(A, Y):
    m = A.shape[0]
    J = -(1 / m) * np.sum(Y * np.log(A))
    return J
