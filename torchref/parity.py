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
    return compare({name: actual}, {name: expected}, tol)[0]


def compare(actual: dict, expected: dict, tol: Tolerance, names=None) -> list[TensorResult]:
    """Compare every name of `expected` (or of `names`) with assert_close's rule, in one vectorised pass.

    A name missing from `actual`, or of another shape or dtype, fails with a message. The
    others are flattened into one vector, so a case costs a few NumPy calls whatever its
    number of tensors; assert_close's detailed message is built only for failing tensors.
    """
    names = list(names if names is not None else expected)
    results: list[TensorResult | None] = [None] * len(names)
    todo = []  # (position, name, actual, expected) of the comparable tensors
    for i, name in enumerate(names):
        e = np.asarray(expected[name])
        base = dict(name=name, shape=e.shape, dtype=_dtype_name(e.dtype), rtol=tol.rtol, atol=tol.atol)
        if name not in actual:
            results[i] = TensorResult(ok=False, max_abs=float("inf"), max_rel=float("inf"), worst_index=None,
                                      message=f"{name}: missing from the handmade result", **base)
            continue
        a = np.asarray(actual[name])
        if a.shape != e.shape or a.dtype != e.dtype:
            msg = f"{name}: expected shape {e.shape} {e.dtype}, got {a.shape} {a.dtype}"
            results[i] = TensorResult(ok=False, max_abs=float("inf"), max_rel=float("inf"), worst_index=None,
                                      message=msg, **base)
        elif a.size == 0:
            results[i] = TensorResult(ok=True, max_abs=0.0, max_rel=0.0, worst_index=None, **base)
        else:
            todo.append((i, name, a, e, base))
    if todo:
        diff, excess, rel = _differences(np.concatenate([a.reshape(-1) for _, _, a, _, _ in todo]),
                                         np.concatenate([e.reshape(-1) for _, _, _, e, _ in todo]), tol)
        starts = np.cumsum([0] + [a.size for _, _, a, _, _ in todo[:-1]])
        max_abs, max_rel = np.maximum.reduceat(diff, starts), np.maximum.reduceat(rel, starts)
        max_excess = np.maximum.reduceat(excess, starts)
        for j, (i, name, a, e, base) in enumerate(todo):
            ok = bool(max_excess[j] <= 0)
            segment = excess[starts[j]:starts[j] + a.size]
            worst = tuple(int(k) for k in np.unravel_index(int(np.argmax(segment)), e.shape))
            results[i] = TensorResult(ok=ok, max_abs=float(max_abs[j]), max_rel=float(max_rel[j]), worst_index=worst,
                                      message="" if ok else _assert_close_message(name, a, e, tol), **base)
    return results


def _differences(a, e, tol: Tolerance):
    """Elementwise |a − e|, its excess over atol + rtol·|e|, and |a − e| / |e| (0 where e is 0 or not finite)."""
    a, e = a.astype(np.float64, copy=False), e.astype(np.float64, copy=False)
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
    return diff, excess, rel


def _assert_close_message(name, actual, expected, tol: Tolerance) -> str:
    try:
        torch.testing.assert_close(torch.from_numpy(np.ascontiguousarray(actual)),
                                   torch.from_numpy(np.ascontiguousarray(expected)),
                                   rtol=tol.rtol, atol=tol.atol, equal_nan=True)
    except AssertionError as exc:
        return f"{name}: {exc}"
    return f"{name}: outside atol {tol.atol:g} + rtol {tol.rtol:g}·|expected|"  # pragma: no cover


_DTYPE_NAMES: dict = {}


def _dtype_name(dtype) -> str:
    """dtype.name, cached: NumPy builds the string anew each time (~10 µs)."""
    if dtype not in _DTYPE_NAMES:
        _DTYPE_NAMES[dtype] = dtype.name
    return _DTYPE_NAMES[dtype]


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
