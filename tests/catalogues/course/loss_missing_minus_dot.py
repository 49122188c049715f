# One hidden layer network - cost function
# J = -(1/m) * sum( y*log(a2) + (1-y)*log(1-a2) )

import numpy as np


def compute_cost(A2, Y):
    m = Y.shape[0]
    logprobs = np.dot(Y.T, np.log(A2)) + np.dot((1 - Y).T, np.log(1 - A2))  # (1, 1)
    cost = logprobs / m
    cost = float(np.squeeze(cost))
    return cost
