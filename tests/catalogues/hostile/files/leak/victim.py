"""A classmate's right derivation that looks around first: whatever an earlier file left in its process (a module
attribute, a patched function, a thread, a handler, a limit, a file...) is printed as a LEAKED line."""

import builtins
import os
import resource
import signal
import sys
import threading

import numpy as np

MARK = "leaked_by_an_earlier_file"
found = []
if hasattr(np, MARK) or hasattr(builtins, MARK):
    found.append("a module attribute")
if not (isinstance(np.tanh, np.ufunc) and isinstance(np.exp, np.ufunc) and np.sum.__module__ == "numpy"):
    found.append("a patched numpy function")
if threading.active_count() > 1:
    found.append(f"{threading.active_count() - 1} thread(s)")
for place in (".", "..", "../..", os.path.expanduser("~")):
    if os.path.exists(os.path.join(place, MARK + ".txt")):
        found.append(f"a file in {place}")
if "TORCHREF_LEAKED" in os.environ:
    found.append("an environment variable")
if not os.path.exists(os.path.basename(__file__)):
    found.append(f"another working folder ({os.getcwd()})")
if any(getattr(finder, MARK, False) for finder in sys.meta_path):
    found.append("an import hook")
import colorsys  # noqa: E402

if hasattr(colorsys, MARK):
    found.append("a sys.modules entry")
if signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL or signal.getsignal(signal.SIGUSR1) is not signal.SIG_DFL:
    found.append("a signal handler")
if signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
    found.append("a running interval timer")
if signal.SIGUSR2 in signal.pthread_sigmask(signal.SIG_BLOCK, []):
    found.append("a blocked signal")
if resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 40:
    found.append("a lowered resource limit")
_umask = os.umask(0o022)
os.umask(_umask)
if _umask == 0o037:
    found.append("a umask")
try:
    os.fstat(100)
    found.append("an open file descriptor")
except OSError:
    pass
print("LEAKED: " + ", ".join(found) if found else "nothing left by an earlier file")

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
