"""The shallow network's training step, fast: the same lines as `shallow`, into reused buffers.

`shallow.py` stays the reference that reads like the notes; this is the same derivation
written for speed, and the parity tests hold it to the reference and to torch:

- inputs are checked once, when the trainer is built, not at every step;
- the bias of the hidden layer is a weight on a constant input (the notes' x0 = 1): the
  trainer keeps `[X 1]` (a copy of X with a column of ones) and `[W1; b1]` as one (n+1, h)
  array, so `Z1 = [X 1][W1; b1]` is one product, `[dW1; db1] = (1/m) [X 1]ᵀ dZ1` another and
  the update one subtraction; `[W2; b2]` is one (h+1, 1) array as well, and so are the
  gradient buffers (W1, b1, W2, b2 in `params`, dW1, ... are views into them);
- every intermediate lives in a buffer allocated once (`out=`), updates are in place;
- above TANH_EXP_FROM elements, tanh is computed as 1 − 2 / (e^(2z) + 1) (one exp,
  within a few ulp in absolute terms; NumPy's tanh is a scalar loop, about twice as
  slow there); σ as 1 / (1 + e^(−z)) with overflow to inf allowed (it gives exactly 0);
- J is nn.BCELoss's mean with both logs clamped at −100, summed as one dot product;
- the dtype of X is kept throughout;
- on large batches the rows are split between workers (threads): every example's forward
  and backward touch only its own row, and the parameter gradients are sums over rows,
  so each worker runs the whole step on its rows into its own gradient sums, which are
  then added (data parallelism; NumPy releases the GIL inside its loops). While they run,
  the BLAS library is held to one thread per call, so the workers do not fight over cores.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _checks, shallow
from .losses import LOG_CLAMP

# Measured here: the exp form's five calls beat np.tanh's one from this many elements on.
TANH_EXP_FROM = {np.dtype(np.float32): 4096, np.dtype(np.float64): 512}
# Measured here (2 cores, runs of each kind interleaved, idle in between): two workers beat one
# from this many elements of m·h on (below, each step pays ~25 hand-overs of the GIL). float64
# gains first: its exp is a scalar loop (~5 ns an element) that halves on two cores (1.3-1.5x
# at (10^4, 100, 128)); float32's exp is vectorised, and OpenBLAS's own two threads do the
# products as well, until (10^5, 100, 256) (1.3x).
TWO_WORKERS_FROM = {np.dtype(np.float32): 1 << 24, np.dtype(np.float64): 1 << 20}


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_workers(m: int, h: int, dtype) -> int:
    """2 from TWO_WORKERS_FROM elements of m·h on, when this process may use two CPUs; else 1."""
    return 2 if m * h >= TWO_WORKERS_FROM[np.dtype(dtype)] and _cpus() >= 2 else 1


class ShallowTrainer:
    """Gradient descent on one (X, Y): `step()` updates `params` in place and returns J before the update.

    `workers`: how many threads share the rows of a step (never more than m); None: `default_workers`.
    """

    def __init__(self, X, Y, params, lr: float, workers: int | None = None):
        dtype = shallow._check_params(params)[0]
        n, h = params["W1"].shape
        X = _checks.matrix("X", X, dtype=dtype, cols=n)
        m = X.shape[0]
        self.Y = _checks.labels("Y", Y, m, dtype)                  # (m, 1)
        self.lr = _checks.learning_rate("lr", lr)
        workers = default_workers(m, h, dtype) if workers is None else _checks.positive_int("workers", workers)
        workers = min(workers, m)
        self.m, self.n = m, n
        buf = lambda *shape: np.empty(shape, dtype)                # noqa: E731
        self.X1 = buf(m, n + 1)                                    # (m, n+1)  [X 1]
        self.X1[:, :n], self.X1[:, n] = X, 1
        self.Wb1 = buf(n + 1, h)                                   # (n+1, h)  [W1; b1]
        self.Wb1[:n], self.Wb1[n] = params["W1"], params["b1"][0]
        self.Wb2 = np.concatenate([params["W2"], params["b2"]])     # (h+1, 1)  [W2; b2]: one update
        self.params = {"W1": self.Wb1[:n], "b1": self.Wb1[n:], "W2": self.Wb2[:h], "b2": self.Wb2[h:]}
        self.A1, self.A2, self.dZ1 = buf(m, h), buf(m, 1), buf(m, h)
        self.dWb1, self.dWb2 = buf(n + 1, h), buf(h + 1, 1)
        self.dW2, self.db2 = self.dWb2[:h], self.dWb2[h:]         # views: (h, 1), (1, 1)
        self.dW1, self.db1 = self.dWb1[:n], self.dWb1[n:]         # views: (n, h), (1, h)
        self.tanh_exp = m * h >= TANH_EXP_FROM[np.dtype(dtype)]
        bounds = [m * k // workers for k in range(workers + 1)]
        # the first worker's gradient sums are the trainer's own buffers; the others' are added to them
        self.rows = [_Rows(self, slice(r0, r1), own_grads=k > 0) for k, (r0, r1) in enumerate(zip(bounds, bounds[1:]))]

    @property
    def X(self):
        return self.X1[:, :self.n]                                 # (m, n)

    @property
    def workers(self) -> int:
        return len(self.rows)

    def forward(self):
        """Z1 = X W1 + b1, A1 = tanh(Z1), Z2 = A1 W2 + b2, A2 = σ(Z2), each into its buffer; returns A2."""
        self._each(_Rows.forward)
        return self.A2

    def loss(self) -> float:
        """J = −(1/m) Σ [y log a2 + (1 − y) log(1 − a2)] of the last forward, logs clamped at −100 (nn.BCELoss)."""
        return -sum(self._each(_Rows.log_likelihood)) / self.m

    def backward(self, scale: float | None = None):
        """The notes' back-propagation for all rows, into the gradient buffers.

        The 1/m that the notes put on every parameter gradient is applied once, to dZ2,
        and flows through the chain (every gradient is linear in dZ2): the same numbers in
        fewer passes. `step` folds the learning rate in the same way (scale = α/m), so the
        buffers then hold α·dW, ready to subtract.
        """
        scale = (1 / self.m) if scale is None else scale
        self._each(_Rows.backward, scale)
        self._add_worker_sums()

    def step(self):
        scale = self.lr / self.m
        J = -sum(self._each(_Rows.step, scale)) / self.m   # J before the update
        self._add_worker_sums()                            #         the buffers hold α·dW
        self.Wb1 -= self.dWb1                              # [W1; b1] ← [W1; b1] − α [dW1; db1], in place
        self.Wb2 -= self.dWb2                              # [W2; b2] ← [W2; b2] − α [dW2; db2]
        return J

    def _each(self, work, *args) -> list:
        """work(rows, *args) for every worker's rows, the first in this thread; their results, in order."""
        if len(self.rows) == 1:
            return [_run(work, self.rows[0], *args)]
        with _blas_threads(1):
            futures = [_pool().submit(_run, work, rows, *args) for rows in self.rows[1:]]
            try:
                first = _run(work, self.rows[0], *args)
            finally:
                results = [future.result() for future in futures]  # every worker done before anything moves on
        return [first, *results]

    def _add_worker_sums(self):
        for rows in self.rows[1:]:
            self.dWb1 += rows.dWb1                         # (n+1, h) Σ over workers of their rows' sums
            self.dWb2 += rows.dWb2                         # (h+1, 1)


class _Rows:
    """One worker's rows r0:r1: views of the trainer's per-example buffers, and its gradient sums."""

    def __init__(self, trainer: ShallowTrainer, rows: slice, own_grads: bool):
        t = trainer
        self.params, self.tanh_exp, self.Wb1 = t.params, t.tanh_exp, t.Wb1
        self.X1, self.Y, self.A1, self.A2, self.dZ1 = t.X1[rows], t.Y[rows], t.A1[rows], t.A2[rows], t.dZ1[rows]
        r = self.Y.shape[0]
        self.logs = np.empty((2, r), t.X1.dtype)                   # (2, r)  log a, log(1 − a) per example
        self.labels = np.concatenate([self.Y.T, 1 - self.Y.T])     # (2, r)  y, 1 − y
        self.dWb1, self.dWb2 = (np.empty_like(t.dWb1), np.empty_like(t.dWb2)) if own_grads else (t.dWb1, t.dWb2)
        h = t.A1.shape[1]
        self.dW2, self.db2 = self.dWb2[:h], self.dWb2[h:]         # views: (h, 1), (1, 1)

    def forward(self):
        p, A1, A2 = self.params, self.A1, self.A2
        np.dot(self.X1, self.Wb1, out=A1)                  # (r, h)  Z1 = [X 1][W1; b1] = X W1 + b1
        if not self.tanh_exp:
            np.tanh(A1, out=A1)                            # (r, h)  A1 = tanh(Z1)
        else:
            A1 *= 2                                        #         2 Z1
            np.exp(A1, out=A1)                             #         e^(2 Z1) (inf for z > 355: tanh = 1 exactly)
            A1 += 1
            np.divide(-2, A1, out=A1)
            A1 += 1                                        # (r, h)  A1 = tanh(Z1) = 1 − 2 / (e^(2 Z1) + 1)
        np.dot(A1, p["W2"], out=A2)                        # (r, 1)  Z2 = A1 W2
        A2 += p["b2"]                                      #         Z2 + b2
        np.negative(A2, out=A2)
        np.exp(A2, out=A2)                                 #         e^(−Z2) (inf for z < −88 in float32: σ = 0)
        A2 += 1
        np.reciprocal(A2, out=A2)                          # (r, 1)  A2 = σ(Z2)

    def log_likelihood(self):
        """Σ [y log a2 + (1 − y) log(1 − a2)] over these rows, logs clamped at −100 (nn.BCELoss)."""
        a, logs = self.A2.reshape(1, -1), self.logs        # (1, r), (2, r)
        np.log(a, out=logs[:1])                            #         log a (−inf at a = 0, then clamped)
        np.negative(a, out=logs[1:])
        np.log1p(logs[1:], out=logs[1:])                   #         log(1 − a)
        np.maximum(logs, LOG_CLAMP, out=logs)
        return np.vdot(self.labels, logs)                  # scalar Σ [y log a + (1 − y) log(1 − a)], in the dtype

    def backward(self, scale: float):
        p, A1 = self.params, self.A1
        dZ2 = self.A2                                      # (r, 1)  A2 is not needed after this line
        dZ2 -= self.Y                                      #         dZ2 = A2 − Y
        dZ2 *= scale                                       #         (1/m) dZ2
        np.dot(A1.T, dZ2, out=self.dW2)                    # (h, 1)  dW2 = (1/m) A1ᵀ dZ2 (these rows' part)
        self.db2[0, 0] = dZ2.sum()                         # (1, 1)  db2 = (1/m) Σ dZ2
        dZ1 = np.multiply(dZ2, p["W2"].T, out=self.dZ1)    # (r, h)  (1/m) dA1 = (1/m) dZ2 W2ᵀ (an outer product)
        np.multiply(A1, A1, out=A1)
        np.subtract(1, A1, out=A1)                         #         1 − A1² (A1 is not needed after this)
        dZ1 *= A1                                          # (r, h)  (1/m) dZ1 = (1/m) dA1 * (1 − A1²)
        np.dot(self.X1.T, dZ1, out=self.dWb1)              # (n+1, h) [dW1; db1] = (1/m) [X 1]ᵀ dZ1

    def step(self, scale: float):
        """Forward, these rows' log-likelihood (before A2 becomes dZ2), backward."""
        self.forward()
        total = self.log_likelihood()
        self.backward(scale)
        return total


def _run(work, rows: _Rows, *args):
    """work(rows, *args) with e^x overflowing to inf and log(0) = −inf allowed: the exact limits
    these forms want (tanh = ±1, σ = 0, a log clamped at −100), so no warning. A fresh errstate
    for each call: NumPy keeps it per thread, and the workers are threads."""
    with np.errstate(over="ignore", divide="ignore"):
        return work(rows, *args)


_POOL: ThreadPoolExecutor | None = None
_BLAS = None


def _pool() -> ThreadPoolExecutor:
    """The helper threads every trainer shares (created on first use; idle threads cost nothing)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max(1, _cpus() - 1), thread_name_prefix="shallow_fast")
    return _POOL


def _blas_threads(limit: int):
    """A context that holds the loaded BLAS libraries (OpenBLAS, MKL, ...) to `limit` threads per call."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController  # finds the BLAS NumPy loaded (once: it scans libraries)

        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS.limit(limits=limit)
