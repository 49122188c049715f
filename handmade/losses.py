"""Losses with torch's exact semantics (mean over rows).

- `bce(A, Y)`           = nn.BCELoss():  each log term clamped at −100, then the mean.
- `bce_with_logits(Z, Y)` = nn.BCEWithLogitsLoss(): the stable form on logits.
- `cross_entropy_with_logits(Z, Y)` = nn.CrossEntropyLoss() on logits with one-hot Y,
  the notes' multi-class `L = −Σ_k y_k log a_k` with a = softmax(z).
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .activations import log_softmax

LOG_CLAMP = -100.0  # nn.BCELoss clamps log(a) and log(1 − a) at −100


def _prediction_and_labels(name: str, P, Y, probabilities: bool):
    """P as a finite float (m, k) array (in [0, 1] for probabilities), Y as (m, k) labels in [0, 1]."""
    P = _checks.matrix(name, P)
    Y = np.asarray(Y)
    if Y.shape != P.shape and not (Y.ndim == 1 and P.shape[1] == 1):
        raise ValueError(f"Y must have the shape of the prediction {P.shape}, got {Y.shape}")
    Y = _checks.labels("Y", Y, P.shape[0], P.dtype, k=P.shape[1])
    if probabilities and not ((P >= 0) & (P <= 1)).all():
        raise ValueError(f"{name} must lie in [0, 1] (probabilities), got values from {P.min()} to {P.max()}")
    return P, Y


def bce(A, Y):
    """J = −(1/m) Σ [y log a + (1 − y) log(1 − a)], logs clamped at −100 (nn.BCELoss)."""
    A, Y = _prediction_and_labels("A", A, Y, probabilities=True)
    with np.errstate(divide="ignore"):                     # log(0) = −inf, then clamped
        log_a = np.maximum(np.log(A), LOG_CLAMP)            # (m, 1)
        log_1_a = np.maximum(np.log1p(-A), LOG_CLAMP)       # (m, 1)
    L = -(Y * log_a + (1 - Y) * log_1_a)                   # (m, 1) per-example loss
    return L.mean(dtype=A.dtype)                           # scalar J


def bce_with_logits(Z, Y):
    """J = (1/m) Σ [max(z, 0) − z y + log(1 + e^(−|z|))], = −[y log σ(z) + (1−y) log(1−σ(z))]."""
    Z, Y = _prediction_and_labels("Z", Z, Y, probabilities=False)
    L = np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))  # (m, 1)
    return L.mean(dtype=Z.dtype)                                   # scalar J


def cross_entropy_with_logits(Z, Y):
    """J = −(1/m) Σ_i Σ_k y_ik log softmax(z_i)_k, Y one-hot (m, K)."""
    Z, Y = _prediction_and_labels("Z", Z, Y, probabilities=False)
    L = -(Y * log_softmax(Z)).sum(axis=1)                  # (m,)
    return L.mean(dtype=Z.dtype)                           # scalar J
