"""A right derivation whose four forks each hold 120 MiB of touched memory while it runs: each fork is under
--memory-mb 300 (NumPy's own address space included), the four together are well over it."""

import os
import time

import numpy as np

_held_r, _held_w = os.pipe()  # each fork says when it holds its memory: however slow the machine, all four do
for _ in range(4):
    if os.fork() == 0:
        try:
            _block = np.ones((120 << 20) // 8)  # touched: resident, not only reserved
            os.write(_held_w, b"1")
            time.sleep(60)
        finally:
            os._exit(0)
os.close(_held_w)
_said = b""
while len(_said) < 4 and (_more := os.read(_held_r, 4)):  # "" once every fork is gone: one could not hold it
    _said += _more

import numpy as np


def forward(X, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z1 = X @ W1 + b1                                        # (m, h)
    A1 = np.tanh(Z1)                                        # (m, h)
    Z2 = A1 @ W2 + b2                                       # (m, 1)
    A2 = 1 / (1 + np.exp(-Z2))                              # (m, 1)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2, W2 = cache["A1"], cache["A2"], params["W2"]
    dZ2 = A2 - Y                                            # (m, 1)
    dW2 = (1 / m) * (A1.T @ dZ2)                            # (h, 1)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)      # (1, 1)
    dA1 = dZ2 @ W2.T                                        # (m, h)
    dZ1 = dA1 * (1 - A1**2)                                 # (m, h)
    dW1 = (1 / m) * (X.T @ dZ1)                             # (n, h)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)      # (1, h)
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
