# cost for the sigmoid neuron, vectorised with dot products
# J = -(1/m) * ( y.T log(a) + (1-y).T log(1-a) )   -> a (1, 1) array

import numpy as np


def compute_cost(A, Y):
    m = Y.shape[0]
    J = -(1 / m) * (np.dot(Y.T, np.log(A)) + np.dot((1 - Y).T, np.log(1 - A)))
    return J  # (1, 1)
