"""The shallow network's training step, fast: the same lines as `shallow`, into reused buffers.

`shallow.py` stays the reference that reads like the notes; this is the same derivation
written for speed, and the parity tests hold it to the reference and to torch:

- inputs are checked once, when the trainer is built, not at every step;
- every intermediate lives in a buffer allocated once (`out=`), updates are in place;
- for more than SMALL hidden activations, tanh is computed as 1 − 2 / (e^(2z) + 1) (one
  exp, within a few ulp in absolute terms; NumPy's tanh is a slow scalar loop on this
  machine); σ as 1 / (1 + e^(−z)) with overflow to inf allowed
  (it gives exactly 0, as it should);
- the dtype of X is kept throughout.
"""

from __future__ import annotations

import numpy as np

from handmade import _checks, shallow
from handmade.losses import bce_unchecked

SMALL = 256  # below this many hidden activations, np.tanh's single call beats the five of the exp form


class ShallowTrainer:
    """Gradient descent on one (X, Y): `step()` updates `params` in place and returns J before the update."""

    def __init__(self, X, Y, params, lr: float):
        dtype = shallow._check_params(params)[0]
        n, h = params["W1"].shape
        self.X = _checks.matrix("X", X, dtype=dtype, cols=n)
        m = self.X.shape[0]
        self.Y = _checks.labels("Y", Y, m, dtype)
        self.lr = _checks.learning_rate("lr", lr)
        self.params = {key: value.copy() for key, value in params.items()}
        buf = lambda *shape: np.empty(shape, dtype)        # noqa: E731
        self.A1, self.A2, self.dZ1 = buf(m, h), buf(m, 1), buf(m, h)
        self.dW1, self.db1, self.dW2, self.db2 = buf(n, h), buf(1, h), buf(h, 1), buf(1, 1)
        self.m = m

    def forward(self):
        """Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, A2 = σ(Z2), each into its buffer."""
        p, A1, A2 = self.params, self.A1, self.A2
        np.matmul(self.X, p["W1"], out=A1)                # (m, h)  Z1 = X W1
        A1 += p["b1"]                                      #         Z1 + b1
        if A1.size < SMALL:                                # few elements: one call beats five
            np.tanh(A1, out=A1)                            # (m, h)  A1 = tanh(Z1)
        else:
            A1 *= 2                                        #         2 Z1
            with np.errstate(over="ignore"):               # e^(2z) = inf for z > 355 gives tanh = 1 exactly
                np.exp(A1, out=A1)                         #         e^(2 Z1)
            A1 += 1
            np.divide(-2, A1, out=A1)
            A1 += 1                                        # (m, h)  A1 = tanh(Z1) = 1 − 2 / (e^(2 Z1) + 1)
        np.matmul(A1, p["W2"], out=A2)                     # (m, 1)  Z2 = A1 W2
        A2 += p["b2"]                                      #         Z2 + b2
        np.negative(A2, out=A2)
        with np.errstate(over="ignore"):                   # e^(−z) = inf for z < −88 (float32) gives σ = 0
            np.exp(A2, out=A2)
        A2 += 1
        np.reciprocal(A2, out=A2)                          # (m, 1)  A2 = σ(Z2)
        return A2

    def backward(self, scale: float | None = None):
        """The notes' back-propagation for all rows, into the gradient buffers.

        The 1/m that the notes put on every parameter gradient is applied once, to dZ2,
        and flows through the chain (every gradient is linear in dZ2): the same numbers in
        fewer passes. `step` folds the learning rate in the same way (scale = α/m), so the
        buffers then hold α·dW, ready to subtract.
        """
        p, A1 = self.params, self.A1
        dZ2 = self.A2                                      # (m, 1)  A2 is not needed after this line
        dZ2 -= self.Y                                      #         dZ2 = A2 − Y
        dZ2 *= (1 / self.m) if scale is None else scale    #         (1/m) dZ2
        np.matmul(A1.T, dZ2, out=self.dW2)                 # (h, 1)  dW2 = (1/m) A1ᵀ dZ2
        np.sum(dZ2, axis=0, keepdims=True, out=self.db2)   # (1, 1)  db2 = (1/m) Σ dZ2
        dZ1 = np.matmul(dZ2, p["W2"].T, out=self.dZ1)      # (m, h)  (1/m) dA1 = (1/m) dZ2 W2ᵀ
        np.multiply(A1, A1, out=A1)
        np.subtract(1, A1, out=A1)                         #         1 − A1² (A1 is not needed after this)
        dZ1 *= A1                                          # (m, h)  (1/m) dZ1 = (1/m) dA1 * (1 − A1²)
        np.matmul(self.X.T, dZ1, out=self.dW1)             # (n, h)  dW1 = (1/m) Xᵀ dZ1
        np.sum(dZ1, axis=0, keepdims=True, out=self.db1)   # (1, h)  db1 = (1/m) Σ dZ1

    def step(self):
        J = bce_unchecked(self.forward(), self.Y)
        self.backward(scale=self.lr / self.m)              # the buffers hold α·dW
        for key, grad in (("W1", self.dW1), ("b1", self.db1), ("W2", self.dW2), ("b2", self.db2)):
            self.params[key] -= grad                       # W ← W − α dW, in place
        return J
