"""Min–max normalisation, as the notes scale rainfall (0–20 mm) and rent (500–3000) to [0, 1].

    x' = (x − min) / (max − min)      per column, min and max fitted on training data
    x  = x' (max − min) + min         inverse
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks


@dataclass(frozen=True)
class MinMax:
    low: np.ndarray   # (1, n) column minima
    high: np.ndarray  # (1, n) column maxima

    @classmethod
    def fit(cls, X) -> MinMax:
        """Column minima and maxima of the training data X (m, n). A constant column is refused."""
        X = _checks.matrix("X", X)
        low, high = X.min(axis=0, keepdims=True), X.max(axis=0, keepdims=True)  # (1, n)
        constant = np.flatnonzero(high == low)
        if constant.size:
            raise ValueError(f"X has constant columns {constant.tolist()}: min–max scaling divides by max − min = 0")
        return cls(low, high)

    def _x(self, X):
        return _checks.matrix("X", X, dtype=self.low.dtype, cols=self.low.shape[1])

    def transform(self, X):
        X = self._x(X)
        return (X - self.low) / (self.high - self.low)     # (m, n), training rows in [0, 1]

    def inverse(self, X_scaled):
        X_scaled = self._x(X_scaled)
        return X_scaled * (self.high - self.low) + self.low  # (m, n)


def normalise(X):
    """The contract's normalise: X (m, n) min–max scaled per column with its own minima and maxima."""
    X = _checks.matrix("X", X)
    return MinMax.fit(X).transform(X)


def denormalise(X_scaled, low, high):
    """The contract's denormalise: x = x' (high − low) + low, with low and high (1, n) of the training data."""
    low = _checks.matrix("low", low, rows=1)
    return MinMax(low, _checks.matrix("high", high, dtype=low.dtype, rows=1, cols=low.shape[1])).inverse(X_scaled)
