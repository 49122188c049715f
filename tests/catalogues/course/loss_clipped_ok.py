import numpy as np

EPS = 1e-7  # keeps log() away from 0


def loss(A, Y):
    """Mean binary cross-entropy, with a clipped so that log never sees 0."""
    A = np.clip(A, EPS, 1 - EPS)
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
