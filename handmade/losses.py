"""Losses with torch's exact semantics (mean over rows).

- `bce(A, Y)`           = nn.BCELoss():  each log term clamped at −100, then the mean.
- `bce_with_logits(Z, Y)` = nn.BCEWithLogitsLoss(): the stable form on logits.
- `cross_entropy_with_logits(Z, Y)` = nn.CrossEntropyLoss() on logits with one-hot Y,
  the notes' multi-class `L = −Σ_k y_k log a_k` with a = softmax(z).
"""

from __future__ import annotations

import numpy as np

from handmade.activations import log_softmax

LOG_CLAMP = -100.0  # nn.BCELoss clamps log(a) and log(1 − a) at −100


def _same_shape(A, Y):
    if A.shape != Y.shape:
        raise ValueError(f"Y must have the shape of the prediction {A.shape}, got {Y.shape}")


def bce(A, Y):
    """J = −(1/m) Σ [y log a + (1 − y) log(1 − a)], logs clamped at −100 (nn.BCELoss)."""
    _same_shape(A, Y)
    with np.errstate(divide="ignore"):                     # log(0) = −inf, then clamped
        log_a = np.maximum(np.log(A), LOG_CLAMP)            # (m, 1)
        log_1_a = np.maximum(np.log1p(-A), LOG_CLAMP)       # (m, 1)
    L = -(Y * log_a + (1 - Y) * log_1_a)                   # (m, 1) per-example loss
    return L.mean(dtype=A.dtype)                           # scalar J


def bce_with_logits(Z, Y):
    """J = (1/m) Σ [max(z, 0) − z y + log(1 + e^(−|z|))], = −[y log σ(z) + (1−y) log(1−σ(z))]."""
    _same_shape(Z, Y)
    L = np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))  # (m, 1)
    return L.mean(dtype=Z.dtype)                                   # scalar J


def cross_entropy_with_logits(Z, Y):
    """J = −(1/m) Σ_i Σ_k y_ik log softmax(z_i)_k, Y one-hot (m, K)."""
    _same_shape(Z, Y)
    L = -(Y * log_softmax(Z)).sum(axis=1)                  # (m,)
    return L.mean(dtype=Z.dtype)                           # scalar J
