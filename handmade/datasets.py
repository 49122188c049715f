"""Datasets made in code, from a seed: nothing is downloaded.

Every function returns (X, Y) with X (m, n) float64 and Y (m, 1) of 0/1 labels.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .normalise import MinMax

GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "nor": [1, 0, 0, 0],
    "xor": [0, 1, 1, 0],
}


def gate(name: str):
    """The truth table of a two-input logic gate: X (4, 2) of 0/1, Y (4, 1)."""
    if name not in GATES:
        raise ValueError(f"gate must be one of {sorted(GATES)}, got {name!r}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array(GATES[name], dtype=np.float64).reshape(4, 1)


def rain_rent(m: int = 200, seed: int = 0):
    """The notes' example: rainfall 0–20 mm and rent 500–3000, min–max scaled to [0, 1].

    The label (say, "stay in") is 1 when the scaled rainfall plus the scaled rent exceeds
    1: high rain or a high rent keeps one home. Returns (X scaled, Y, the fitted MinMax),
    so that `scaler.inverse(X)` gives the raw millimetres and currency back.
    """
    m = _checks.positive_int("m", m)
    rng = np.random.default_rng(seed)
    raw = np.column_stack([rng.uniform(0, 20, m), rng.uniform(500, 3000, m)])   # (m, 2) mm, rent
    scaler = MinMax.fit(raw)
    X = scaler.transform(raw)                                                  # (m, 2) in [0, 1]
    Y = (X.sum(axis=1, keepdims=True) > 1).astype(np.float64)                  # (m, 1)
    return X, Y, scaler


def flower(m: int = 400, seed: int = 0):
    """The planar "flower" of the classic one-hidden-layer assignment: two classes of
    petals of radius up to 4 (r = 4 sin 4t, with noise), m/2 points each."""
    m = _checks.positive_int("m", m)
    rng = np.random.default_rng(seed)
    half = m // 2
    X, Y = np.zeros((2 * half, 2)), np.zeros((2 * half, 1))
    for j in range(2):
        rows = slice(half * j, half * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, half) + rng.standard_normal(half) * 0.2   # angle
        r = 4 * np.sin(4 * t) + rng.standard_normal(half) * 0.2                             # radius
        X[rows] = np.column_stack([r * np.sin(t), r * np.cos(t)])
        Y[rows] = j
    return X, Y


def moons(m: int = 400, noise: float = 0.15, seed: int = 0):
    """Two interleaving half circles."""
    m = _checks.positive_int("m", m)
    rng = np.random.default_rng(seed)
    half = m // 2
    t = np.pi * rng.random(2 * half)
    upper = np.column_stack([np.cos(t[:half]), np.sin(t[:half])])
    lower = np.column_stack([1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])])
    X = np.vstack([upper, lower]) + rng.standard_normal((2 * half, 2)) * noise
    return X, np.repeat([[0.0], [1.0]], half, axis=0)


def circles(m: int = 400, noise: float = 0.08, factor: float = 0.5, seed: int = 0):
    """A circle inside another (the inner one scaled by `factor`)."""
    m = _checks.positive_int("m", m)
    rng = np.random.default_rng(seed)
    half = m // 2
    t = 2 * np.pi * rng.random(2 * half)
    radius = np.where(np.arange(2 * half) < half, 1.0, factor)
    X = np.column_stack([radius * np.cos(t), radius * np.sin(t)]) + rng.standard_normal((2 * half, 2)) * noise
    return X, np.repeat([[0.0], [1.0]], half, axis=0)


def load(name: str, seed: int = 0):
    """(X, Y) of any dataset above by name: and, or, nand, nor, xor, rain_rent, flower, moons, circles."""
    if name in GATES:
        return gate(name)
    if name == "rain_rent":
        return rain_rent(seed=seed)[:2]
    makers = {"flower": flower, "moons": moons, "circles": circles}
    if name not in makers:
        raise ValueError(f"data must be one of {NAMES}, got {name!r}")
    return makers[name](seed=seed)


NAMES = [*GATES, "rain_rent", "flower", "moons", "circles"]
