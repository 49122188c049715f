"""The shallow network's training step, fast: the same lines as `shallow`, into reused buffers.

`shallow.py` stays the reference that reads like the notes; this is the same derivation
written for speed, and the parity tests hold it to the reference and to torch:

- inputs are checked once, when the trainer is built, not at every step;
- the bias of the hidden layer is a weight on a constant input (the notes' x0 = 1): the
  trainer keeps [X 1] (a copy of X with a column of ones) and [W1; b1] as one (n+1, h)
  array, so Z1 = [X 1][W1; b1] is one product, [dW1; db1] = (1/m) [X 1]ᵀ dZ1 another and
  the update one subtraction (W1 and b1 in `params` are views into it);
- every intermediate lives in a buffer allocated once (`out=`), updates are in place;
- above TANH_EXP_FROM elements, tanh is computed as 1 − 2 / (e^(2z) + 1) (one exp,
  within a few ulp in absolute terms; NumPy's tanh is a scalar loop, about twice as
  slow there); σ as 1 / (1 + e^(−z)) with overflow to inf allowed (it gives exactly 0);
- J is nn.BCELoss's mean with both logs clamped at −100, summed as one dot product;
- the dtype of X is kept throughout.
"""

from __future__ import annotations

import numpy as np

from handmade import _checks, shallow
from handmade.losses import LOG_CLAMP

# Measured here: the exp form's five calls beat np.tanh's one from this many elements on.
TANH_EXP_FROM = {np.dtype(np.float32): 4096, np.dtype(np.float64): 512}


# e^x overflowing to inf and log(0) = −inf are the exact limits these forms want (tanh = ±1,
# σ = 0, a log clamped at −100): no warning. One np.errstate per call, not one per line (never
# nested: NumPy < 2 kept a decorator's saved state on the instance).
_overflow_to_inf = np.errstate(over="ignore", divide="ignore")


class ShallowTrainer:
    """Gradient descent on one (X, Y): `step()` updates `params` in place and returns J before the update."""

    def __init__(self, X, Y, params, lr: float):
        dtype = shallow._check_params(params)[0]
        n, h = params["W1"].shape
        X = _checks.matrix("X", X, dtype=dtype, cols=n)
        m = X.shape[0]
        self.Y = _checks.labels("Y", Y, m, dtype)                  # (m, 1)
        self.lr = _checks.learning_rate("lr", lr)
        self.m, self.n = m, n
        buf = lambda *shape: np.empty(shape, dtype)                # noqa: E731
        self.X1 = buf(m, n + 1)                                    # (m, n+1)  [X 1]
        self.X1[:, :n], self.X1[:, n] = X, 1
        self.Wb1 = buf(n + 1, h)                                   # (n+1, h)  [W1; b1]
        self.Wb1[:n], self.Wb1[n] = params["W1"], params["b1"][0]
        self.params = {"W1": self.Wb1[:n], "b1": self.Wb1[n:], "W2": params["W2"].copy(), "b2": params["b2"].copy()}
        self.A1, self.A2, self.dZ1 = buf(m, h), buf(m, 1), buf(m, h)
        self.dWb1, self.dW2, self.db2 = buf(n + 1, h), buf(h, 1), buf(1, 1)
        self.dW1, self.db1 = self.dWb1[:n], self.dWb1[n:]         # views: (n, h), (1, h)
        self.logs = buf(2, m)                                      # (2, m)  log a, log(1 − a) per example
        self.labels = np.concatenate([self.Y.T, 1 - self.Y.T])     # (2, m)  y, 1 − y
        self.tanh_exp = m * h >= TANH_EXP_FROM[np.dtype(dtype)]

    @property
    def X(self):
        return self.X1[:, :self.n]                                 # (m, n)

    @_overflow_to_inf
    def forward(self):
        """Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, A2 = σ(Z2), each into its buffer."""
        p, A1, A2 = self.params, self.A1, self.A2
        np.dot(self.X1, self.Wb1, out=A1)                  # (m, h)  Z1 = [X 1][W1; b1] = X W1 + b1
        if not self.tanh_exp:
            np.tanh(A1, out=A1)                            # (m, h)  A1 = tanh(Z1)
        else:
            A1 *= 2                                        #         2 Z1
            np.exp(A1, out=A1)                             #         e^(2 Z1) (inf for z > 355: tanh = 1 exactly)
            A1 += 1
            np.divide(-2, A1, out=A1)
            A1 += 1                                        # (m, h)  A1 = tanh(Z1) = 1 − 2 / (e^(2 Z1) + 1)
        np.dot(A1, p["W2"], out=A2)                        # (m, 1)  Z2 = A1 W2
        A2 += p["b2"]                                      #         Z2 + b2
        np.negative(A2, out=A2)
        np.exp(A2, out=A2)                                 #         e^(−Z2) (inf for z < −88 in float32: σ = 0)
        A2 += 1
        np.reciprocal(A2, out=A2)                          # (m, 1)  A2 = σ(Z2)
        return A2

    @_overflow_to_inf
    def loss(self) -> float:
        """J = −(1/m) Σ [y log a2 + (1 − y) log(1 − a2)] of the last forward, logs clamped at −100 (nn.BCELoss)."""
        a, logs = self.A2.reshape(1, -1), self.logs        # (1, m), (2, m)
        np.log(a, out=logs[:1])                            #         log a (−inf at a = 0, then clamped)
        np.negative(a, out=logs[1:])
        np.log1p(logs[1:], out=logs[1:])                   #         log(1 − a)
        np.maximum(logs, LOG_CLAMP, out=logs)
        return -np.vdot(self.labels, logs) / self.m        # scalar J = −(1/m) Σ [y log a + (1 − y) log(1 − a)]

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
        np.dot(A1.T, dZ2, out=self.dW2)                    # (h, 1)  dW2 = (1/m) A1ᵀ dZ2
        self.db2[0, 0] = dZ2.sum()                         # (1, 1)  db2 = (1/m) Σ dZ2
        dZ1 = np.multiply(dZ2, p["W2"].T, out=self.dZ1)    # (m, h)  (1/m) dA1 = (1/m) dZ2 W2ᵀ (an outer product)
        np.multiply(A1, A1, out=A1)
        np.subtract(1, A1, out=A1)                         #         1 − A1² (A1 is not needed after this)
        dZ1 *= A1                                          # (m, h)  (1/m) dZ1 = (1/m) dA1 * (1 − A1²)
        np.dot(self.X1.T, dZ1, out=self.dWb1)              # (n+1, h) [dW1; db1] = (1/m) [X 1]ᵀ dZ1

    def step(self):
        self.forward()
        J = self.loss()
        self.backward(scale=self.lr / self.m)              # the buffers hold α·dW
        self.Wb1 -= self.dWb1                              # [W1; b1] ← [W1; b1] − α [dW1; db1], in place
        self.params["W2"] -= self.dW2
        self.params["b2"] -= self.db2
        return J
