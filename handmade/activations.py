"""Activations, each beside its derivative (numpy-ml style).

The derivative is written in terms of the activation's own output A wherever the notes
do so (`1 − A1²` for tanh), because that is what the cache holds after forward.
Every function keeps the input dtype and never overflows (no RuntimeWarning at ±1000).
"""

from __future__ import annotations

import numpy as np


def step(Z):
    """Step: a = 1 if z ≥ 0 else 0 (the MP neuron and the perceptron). No useful derivative."""
    return (Z >= 0).astype(Z.dtype)


def sigmoid(Z):
    """σ(z) = 1 / (1 + e^(−z)), computed from e^(−|z|) so that it never overflows."""
    E = np.exp(-np.abs(Z))                                 # in (0, 1], no overflow
    return np.where(Z >= 0, 1 / (1 + E), E / (1 + E))      # same shape and dtype as Z


def sigmoid_prime(A):
    """σ′(z) = a (1 − a), from the output a = σ(z)."""
    return A * (1 - A)


def tanh(Z):
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))."""
    return np.tanh(Z)


def tanh_prime(A):
    """tanh′(z) = 1 − tanh(z)² = 1 − a², from the output a = tanh(z) (the notes' 1 − A1²)."""
    return 1 - A * A


def relu(Z):
    """relu(z) = max(0, z)."""
    return np.maximum(Z, 0)


def relu_prime(A):
    """relu′(z) = 1 if z > 0 else 0, read off a = relu(z) (a > 0 ⇔ z > 0); 0 at z = 0, as torch."""
    return (A > 0).astype(A.dtype)


def softmax(Z):
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j), row-wise, shifted by the row max (stable)."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))           # (m, K), entries in (0, 1]
    return E / E.sum(axis=1, keepdims=True)                # (m, K), rows sum to 1


def log_softmax(Z):
    """log softmax(z)_k = z_k − max z − log Σ_j e^(z_j − max z), row-wise."""
    S = Z - Z.max(axis=1, keepdims=True)                   # (m, K), max of each row is 0
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))  # (m, K)


# name -> (g, g′ in terms of A = g(Z)); the deep network and the registry walk this table.
HIDDEN = {
    "tanh": (tanh, tanh_prime),
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (relu, relu_prime),
}
