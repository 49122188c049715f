"""The McCulloch–Pitts neuron.

    z = Σ_i x_i   over the excitatory inputs              (m, 1)
    a = 1 if z ≥ θ and no inhibitory input is on, else 0  (m, 1)

Inputs are boolean. The neuron has no gradient: it is "fitted" by choosing θ (and, when
not given, which inputs are inhibitory) by exhaustive search on a truth table.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _checks

MAX_SEARCH_INPUTS = 12  # the mask search visits 2**n masks


def boolean_inputs(name: str, X) -> np.ndarray:
    """X as a (m, n) bool array; values must be 0/1 (or bool)."""
    X = _checks.matrix(name, X)
    if not np.isin(X, (0, 1)).all():
        raise ValueError(f"{name} must be boolean (0/1 values), got values {np.unique(X)[:6]}")
    return X.astype(bool)


def _inhibitory(inhibitory, n: int) -> np.ndarray:
    if inhibitory is None:
        return np.zeros(n, bool)
    mask = np.asarray(inhibitory)
    if mask.shape != (n,) or mask.dtype.kind not in "bui" or not np.isin(mask, (0, 1)).all():
        raise ValueError(f"inhibitory must be a 0/1 mask of shape ({n},), got {mask!r}")
    return mask.astype(bool)


def forward(X, theta: int, inhibitory=None) -> np.ndarray:
    """A (m, 1) of 0/1 as int8."""
    X = boolean_inputs("X", X)                             # (m, n) bool
    inh = _inhibitory(inhibitory, X.shape[1])              # (n,) bool
    if isinstance(theta, bool) or not isinstance(theta, (int, np.integer)):
        raise TypeError(f"theta must be an integer threshold, got {theta!r}")
    z = X[:, ~inh].sum(axis=1, keepdims=True)              # (m, 1) excitatory count
    blocked = X[:, inh].any(axis=1, keepdims=True)         # (m, 1) an inhibitory input is on
    return ((z >= theta) & ~blocked).astype(np.int8)       # (m, 1)


def search(X, Y, inhibitory=None):
    """The threshold θ (and mask) that reproduce Y exactly.

    With `inhibitory` given, θ is searched over 0..n+1; otherwise every mask is tried too,
    fewest inhibitory inputs first, then the smallest θ. Returns (theta, inhibitory mask).
    Raises ValueError when no MP neuron computes Y (XOR, for instance).
    """
    X = boolean_inputs("X", X)
    m, n = X.shape
    Y = _checks.labels("Y", Y, m, np.float64)
    if not np.isin(Y, (0, 1)).all():
        raise ValueError("Y must be 0/1 for an MP neuron")
    if inhibitory is not None:
        masks = [_inhibitory(inhibitory, n)]
    else:
        if n > MAX_SEARCH_INPUTS:
            raise ValueError(f"X has {n} inputs; the mask search handles at most {MAX_SEARCH_INPUTS}, pass inhibitory=")
        masks = [np.isin(np.arange(n), c) for r in range(n + 1) for c in itertools.combinations(range(n), r)]
    for mask in masks:
        for theta in range(n + 2):
            if np.array_equal(forward(X, theta, mask), Y):
                return theta, mask
    raise ValueError("no threshold and inhibitory mask of an MP neuron reproduce Y (not linearly separable?)")


def fit(X, Y, inhibitory=None):
    """The contract's fit: the smallest θ that reproduces Y with these inhibitory inputs (None: none), or None.

    Unlike `search`, the mask is given, never searched, and no θ (XOR) is None, not an error.
    """
    X = boolean_inputs("X", X)
    try:
        return search(X, Y, np.zeros(X.shape[1], int) if inhibitory is None else inhibitory)[0]
    except ValueError as exc:
        if "no threshold" in str(exc):
            return None
        raise
