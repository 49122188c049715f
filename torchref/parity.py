"""Run a torch twin, compare named arrays, and difference the handmade loss numerically.

The convention for intermediate gradients, chosen once: the notes' per-example form.
The notes put the 1/m of the mean loss on the parameter gradients only (dZ2 = A2 − Y,
dW2 = (1/m) A1ᵀ dZ2), so their dZ2, dA1, dZ1 are m times the gradient of the mean loss J.
autograd keeps ∂J/∂Z2 on `Z2.grad`; `torch_step` multiplies intermediates by m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from torchref.convert import read_grads


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    reason: str = "torch.testing.assert_close default for the dtype"


# torch.testing.assert_close's documented defaults, keyed by dtype.
DEFAULT_TOLERANCES = {
    "float32": Tolerance(1.3e-6, 1e-5),
    "float64": Tolerance(1e-7, 1e-7),
}


@dataclass(frozen=True)
class TensorResult:
    """The comparison of one named tensor: handmade (actual) against the reference (expected)."""

    name: str
    ok: bool
    shape: tuple
    dtype: str
    max_abs: float
    max_rel: float            # over the elements where the reference is non-zero
    worst_index: tuple | None  # the element furthest outside the tolerance (or largest error)
    rtol: float
    atol: float
    message: str = ""


def compare_tensor(name: str, actual, expected, tol: Tolerance) -> TensorResult:
    """|actual − expected| ≤ atol + rtol·|expected| elementwise (assert_close's rule), same shape and dtype."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    base = dict(name=name, shape=expected.shape, dtype=expected.dtype.name, rtol=tol.rtol, atol=tol.atol)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        msg = f"{name}: expected shape {expected.shape} {expected.dtype}, got {actual.shape} {actual.dtype}"
        return TensorResult(ok=False, max_abs=float("inf"), max_rel=float("inf"), worst_index=None, message=msg, **base)
    if actual.size == 0:
        return TensorResult(ok=True, max_abs=0.0, max_rel=0.0, worst_index=None, **base)
    a = actual.astype(np.float64, copy=False).reshape(-1)
    e = expected.astype(np.float64, copy=False).reshape(-1)
    abs_e = np.abs(e)
    with np.errstate(invalid="ignore", divide="ignore"):  # inf − inf, x / 0: handled just below
        diff = np.abs(a - e)
        if not np.isfinite(diff).all():                    # the slow path only for nan and inf
            diff[a == e] = 0.0                             # equal infinities
            diff[np.isnan(a) & np.isnan(e)] = 0.0          # nan == nan, as assert_close(equal_nan=True)
            diff[np.isnan(diff)] = np.inf                  # nan or inf on one side only
        excess = diff - (tol.atol + tol.rtol * abs_e)
        excess[np.isnan(excess)] = np.inf
        rel = diff / abs_e
        rel[~((abs_e > 0) & np.isfinite(abs_e))] = 0.0     # over the finite, non-zero reference elements
        max_rel = float(rel.max())
    worst = np.unravel_index(int(np.argmax(excess)), expected.shape)
    ok = bool((excess <= 0).all())
    message = ""
    if not ok:
        try:
            torch.testing.assert_close(
                torch.from_numpy(actual), torch.from_numpy(expected), rtol=tol.rtol, atol=tol.atol, equal_nan=True
            )
        except AssertionError as exc:
            message = f"{name}: {exc}"
    return TensorResult(
        ok=ok, max_abs=float(diff.max()), max_rel=max_rel, worst_index=tuple(int(i) for i in worst),
        message=message, **base,
    )


def compare(actual: dict, expected: dict, tol: Tolerance, names=None) -> list[TensorResult]:
    """Compare every name of `expected` (or of `names`); a name missing from `actual` fails."""
    results = []
    for name in names if names is not None else expected:
        if name not in actual:
            results.append(TensorResult(name, False, np.shape(expected[name]), str(np.asarray(expected[name]).dtype),
                                        float("inf"), float("inf"), None, tol.rtol, tol.atol,
                                        f"{name}: missing from the handmade result"))
        else:
            results.append(compare_tensor(name, actual[name], expected[name], tol))
    return results


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def torch_step(twin, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """One forward, loss and backward of a differentiable twin, in the notes' names and layout.

    Returns every cached tensor (Z1, A1, ...), J, every parameter gradient (dW1, db1, ...)
    and every intermediate gradient (dZ1, dA1, ...) in the per-example convention.
    """
    m = X.shape[0]
    X_t, Y_t = torch.from_numpy(X), torch.from_numpy(Y)
    twin.zero_grad(set_to_none=True)
    cache = twin.trace(X_t)
    for tensor in cache.values():
        tensor.retain_grad()
    J = twin.loss(cache, Y_t)
    J.backward()
    out = {name: _numpy(tensor) for name, tensor in cache.items()}
    out["J"] = _numpy(J)
    out.update(read_grads(twin.layers))
    for name, tensor in cache.items():
        if tensor.grad is not None:
            out[f"d{name}"] = _numpy(tensor.grad) * m      # per-example: m · ∂J/∂(name)
    return out


def finite_differences(loss_of_params, params: dict[str, np.ndarray], eps: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences (J(p + ε) − J(p − ε)) / 2ε for every element of every parameter, in float64."""
    params = {key: value.astype(np.float64) for key, value in params.items()}
    grads = {}
    for key, value in params.items():
        g = np.empty_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            J_plus = loss_of_params(params)
            value[idx] = old - eps
            J_minus = loss_of_params(params)
            value[idx] = old
            g[idx] = (J_plus - J_minus) / (2 * eps)
        grads["d" + key] = g
    return grads
