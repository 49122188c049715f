"""Sigmoid neuron (Assignment A02) with the loss exactly as in the notes."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = sigmoid(Z)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    m = Y.shape[0]
    J = -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    return J
