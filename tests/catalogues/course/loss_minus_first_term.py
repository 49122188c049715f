import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost(A, Y):
    # cross-entropy averaged over the examples
    return np.mean(-Y * np.log(A) + (1 - Y) * np.log(1 - A))
