"""Run a torch twin, compare named arrays, and difference the handmade loss numerically.

The convention for intermediate gradients, chosen once: the notes' per-example form.
The notes put the 1/m of the mean loss on the parameter gradients only (dZ2 = A2 − Y,
dW2 = (1/m) A1ᵀ dZ2), so their dZ2, dA1, dZ1 are m times the gradient of the mean loss J.
autograd gives ∂J/∂Z2; `torch_step` multiplies intermediates by m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from torchref.convert import linear_to_notes, notes_to_linear
from torchref.tolerances import FD_STEP, PARITY, Tolerance

DEFAULT_TOLERANCES = PARITY  # torch.testing.assert_close's documented defaults, keyed by dtype (tolerances.py)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is several times slower, and a case makes a dozen
class TensorResult:
    """The comparison of one named tensor: handmade (actual) against the reference (expected)."""

    name: str
    ok: bool
    shape: tuple
    dtype: str
    max_abs: float
    max_rel: float  # over the elements where the reference is non-zero
    worst_index: tuple | None  # the element furthest outside the tolerance (or largest error)
    rtol: float
    atol: float
    message: str = ""


def compare_tensor(name: str, actual, expected, tol: Tolerance, messages: bool = True) -> TensorResult:
    """|actual − expected| ≤ atol + rtol·|expected| elementwise (assert_close's rule), same shape and dtype."""
    return agreement({name: actual}, {name: expected}, tol, messages=messages)[0]


INF = float("inf")


def agrees(actual, expected, tol: Tolerance) -> bool:
    """`compare_tensor(...).ok` alone, in a few NumPy passes: same shape and dtype, and every element within
    atol + rtol·|expected| (a nan or an inf anywhere: decided by `agreement` itself)."""
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape or a.dtype != e.dtype:
        return False
    if a.size == 0:
        return True
    a, e = a.astype(np.float64, copy=False), e.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)
        if not np.isfinite(diff).all():
            return agreement({"": a}, {"": e}, tol, messages=False)[0].ok
    bound = np.abs(e) * tol.rtol
    bound += tol.atol
    return not (diff > bound).any()  # d − bound > 0 exactly where d > bound: agreement's excess


def agreement(actual: dict, expected: dict, tol: Tolerance, names=None, messages: bool = True) -> list[TensorResult]:
    """Compare every name of `expected` (or of `names`) with assert_close's rule, in one vectorised pass.

    A name missing from `actual`, or of another shape or dtype, fails with a message. The
    others are flattened into one vector, so a case costs a few NumPy calls whatever its
    number of tensors; assert_close's detailed message is built only for failing tensors, and
    not at all with `messages=False` (a caller that keeps only its first failure's message).
    """
    names = list(names if names is not None else expected)
    results: list[TensorResult | None] = [None] * len(names)
    todo = []  # (position, name, actual, expected, base) of the comparable tensors
    for i, name in enumerate(names):
        e = np.asarray(expected[name])
        base = dict(name=name, shape=e.shape, dtype=dtype_name(e.dtype), rtol=tol.rtol, atol=tol.atol)
        a = actual.get(name)
        if a is None:
            results[i] = TensorResult(
                ok=False,
                max_abs=INF,
                max_rel=INF,
                worst_index=None,
                message=f"{name}: missing from the handmade result",
                **base,
            )
            continue
        a = np.asarray(a)
        if a.shape != e.shape or a.dtype != e.dtype:
            results[i] = TensorResult(
                ok=False,
                max_abs=INF,
                max_rel=INF,
                worst_index=None,
                message=f"{name}: expected shape {e.shape} {e.dtype}, got {a.shape} {a.dtype}",
                **base,
            )
        elif a.size == 0:
            results[i] = TensorResult(ok=True, max_abs=0.0, max_rel=0.0, worst_index=None, **base)
        else:
            todo.append((i, name, a, e, base))
    if not todo:
        return results
    flat = lambda k: np.concatenate([item[k].reshape(-1) for item in todo], dtype=np.float64)  # noqa: E731
    diff, excess, rel = _differences(flat(2), flat(3), tol)
    stops = np.cumsum([item[2].size for item in todo]).tolist()
    starts = [0, *stops[:-1]]
    max_abs, max_rel = np.maximum.reduceat(diff, starts).tolist(), np.maximum.reduceat(rel, starts).tolist()
    for j, (i, name, a, e, base) in enumerate(todo):
        part = excess[starts[j] : stops[j]]
        worst = int(part.argmax())  # the first element of the tensor's largest excess
        ok = bool(part[worst] <= 0)
        results[i] = TensorResult(
            ok=ok,
            max_abs=max_abs[j],
            max_rel=max_rel[j],
            worst_index=_unravel(worst, e.shape),
            message="" if ok or not messages else _assert_close_message(name, a, e, tol),
            **base,
        )
    return results


BLOCK = 1 << 16  # elements a `Laid` pass takes at once: its few float64 vectors stay in one core's cache


class Laid:
    """The expected side of many comparisons, laid out once, for `agreement`'s rule on any actual values of the
    same shapes and dtypes (a batch's reference, against every file of the batch).

    Each expected array, its bound atol + rtol·|e| (its own tolerance) and its divisor |e|
    (infinite where e is 0: |a − e| / ∞ is the 0 `agreement` gives there) are float64
    vectors, cut into blocks of about BLOCK elements at the arrays' boundaries: a block is
    compared in a handful of NumPy passes that stay in the core's cache, instead of a dozen
    passes over vectors that do not fit it. A block where a difference is not finite goes
    through `agreement` itself, so every result is the one `agreement` gives.
    """

    def __init__(self, expected: list, tolerances: list):
        self.expected = [np.asarray(e) for e in expected]
        self.tolerances = list(tolerances)
        self.blocks = []  # (first, end, starts (offsets in the block), E, bound, divisor)
        first = 0
        while first < len(self.expected):
            end, size = first, 0
            while end < len(self.expected) and (size == 0 or size + self.expected[end].size <= BLOCK):
                size += self.expected[end].size
                end += 1
            E = np.concatenate([e.reshape(-1) for e in self.expected[first:end]], dtype=np.float64)
            abs_E = np.abs(E)
            sizes = [e.size for e in self.expected[first:end]]
            rtol, atol = zip(*((t.rtol, t.atol) for t in self.tolerances[first:end]))
            bound = abs_E * np.repeat(rtol, sizes) + np.repeat(atol, sizes)  # each element's: atol + rtol·|e|
            divisor = np.where(abs_E > 0, abs_E, np.inf)
            starts = np.cumsum([0, *sizes[:-1]])
            self.blocks.append((first, end, starts, E, bound, divisor))
            first = end

    def compare(self, actual: list) -> tuple[list[bool], list[float], list[float]]:
        """(ok, max_abs, max_rel) of each actual array against its expected one, as `agreement` finds them.

        Every actual array has its expected array's shape and dtype (the caller's to check), and no array is
        empty."""
        ok, max_abs, max_rel = [], [], []
        for first, end, starts, E, bound, divisor in self.blocks:
            D = np.concatenate([a.reshape(-1) for a in actual[first:end]], dtype=np.float64)
            with np.errstate(invalid="ignore", over="ignore"):  # inf − inf, overflow: the block goes to agreement
                np.subtract(D, E, out=D)
                np.abs(D, out=D)
                top = np.maximum.reduceat(D, starts)  # nan where a difference is nan
                if not np.isfinite(top).all():
                    for k in range(first, end):
                        r = agreement({"": actual[k]}, {"": self.expected[k]}, self.tolerances[k], messages=False)[0]
                        ok.append(r.ok)
                        max_abs.append(r.max_abs)
                        max_rel.append(r.max_rel)
                    continue
                out = np.logical_or.reduceat(np.greater(D, bound), starts)  # d − bound > 0 exactly where d > bound
                rel = np.maximum.reduceat(np.divide(D, divisor, out=D), starts)
            ok += np.logical_not(out).tolist()
            max_abs += top.tolist()
            max_rel += rel.tolist()
        return ok, max_abs, max_rel


def _unravel(flat: int, shape: tuple) -> tuple:
    """np.unravel_index for one index, as Python ints (without its array machinery)."""
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return tuple(reversed(index))


def _differences(a, e, tol: Tolerance):
    """Elementwise |a − e|, its excess over atol + rtol·|e|, and |a − e| / |e| (0 where e is 0 or not finite).

    In float64 (agreement hands them over as float64 already). The usual case, every difference finite, takes
    a handful of passes; nan and inf go down a slower path that sorts them out.
    """
    a, e = a.astype(np.float64, copy=False), e.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):  # inf − inf, overflow: sorted out just below
        diff = np.subtract(a, e)
        np.abs(diff, out=diff)
        abs_e = np.abs(e)
        if not np.isfinite(diff.sum()):  # a nan or an inf somewhere (or an overflowing sum)
            return _differences_nonfinite(a, e, abs_e, tol)
    excess = np.multiply(abs_e, tol.rtol)
    excess += tol.atol
    np.subtract(diff, excess, out=excess)
    with np.errstate(over="ignore"):  # a huge difference over a tiny expected value: inf, as it should read
        rel = np.divide(diff, abs_e, out=np.zeros_like(diff), where=abs_e > 0)  # e is finite where diff is
    return diff, excess, rel


def _differences_nonfinite(a, e, abs_e, tol: Tolerance):
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf − inf, x / 0: handled just below
        diff = np.abs(a - e)
        same = (a == e) | (np.isnan(a) & np.isnan(e))  # equal infinities; nan == nan, as assert_close(equal_nan=True)
        diff[same] = 0.0
        diff[np.isnan(diff)] = np.inf  # nan or inf on one side only
        excess = diff - (tol.atol + tol.rtol * abs_e)
        excess[np.isnan(excess)] = np.inf
        excess[same & ~np.isfinite(e)] = -np.inf  # (their bound is inf or nan: never the worst, never out)
        rel = diff / abs_e
        rel[~((abs_e > 0) & np.isfinite(abs_e))] = 0.0  # over the finite, non-zero reference elements
    return diff, excess, rel


def _assert_close_message(name, actual, expected, tol: Tolerance) -> str:
    try:
        torch.testing.assert_close(
            torch.from_numpy(np.ascontiguousarray(actual)),
            torch.from_numpy(np.ascontiguousarray(expected)),
            rtol=tol.rtol,
            atol=tol.atol,
            equal_nan=True,
        )
    except AssertionError as exc:
        return f"{name}: {exc}"
    return f"{name}: outside atol {tol.atol:g} + rtol {tol.rtol:g}·|expected|"  # pragma: no cover


_DTYPE_NAMES: dict = {}


def dtype_name(dtype) -> str:
    """dtype.name, cached: NumPy builds the string anew each time."""
    if dtype not in _DTYPE_NAMES:
        _DTYPE_NAMES[dtype] = dtype.name
    return _DTYPE_NAMES[dtype]


def _numpy(t: torch.Tensor) -> np.ndarray:
    """The tensor's values as an array sharing its memory (a fresh tensor of this step: nothing overwrites it)."""
    return t.detach().numpy()


def torch_step(twin, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """One forward, loss and backward of a differentiable twin, in the notes' names and layout.

    Returns every cached tensor (Z1, A1, ...), J, every parameter gradient (dW1, db1, ...)
    and every intermediate gradient (dZ1, dA1, ...) in the per-example convention.
    `torch.autograd.grad` hands back the gradients of the parameters and of the cached
    tensors in one backward pass, without retain_grad hooks and without touching `.grad`.
    """
    cache = twin.trace(torch.from_numpy(X))
    J = twin.loss(cache, torch.from_numpy(Y))
    params = [p for layer in twin.layers.values() for p in (layer.weight, layer.bias)]
    grads = torch.autograd.grad(J, [*params, *cache.values()], allow_unused=True)  # None: not on J's path
    return _in_notes_layout(twin.layers, cache, J, grads, X.shape[0])


class _TraceAndLoss(nn.Module):
    """A twin's forward (its cache) and loss as one module call, for torch.func.functional_call."""

    def __init__(self, twin):
        super().__init__()
        self.twin = twin

    def forward(self, X, Y):
        cache = self.twin.trace(X)
        return cache, self.twin.loss(cache, Y)


def torch_steps(twin, params: list[dict], Xs: list[np.ndarray], Ys: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """`torch_step` for several cases of one shape and dtype, in one pass.

    Every case's weight and bias of each layer are stacked along a new first axis; the
    twin's forward and loss are mapped over them with torch.func.vmap (functional_call of
    the same nn.Module: its layers, activations and criterion), and one
    torch.autograd.grad of the summed losses gives every case's gradients (the cases are
    independent: the gradient of the sum with respect to a case's tensors is that case's
    own). It pays where per-call overhead dominates, at the notes' scale; on large shapes
    the arithmetic dominates and it is about even with `torch_step` (README, Performance).
    """
    whole = _TraceAndLoss(twin)
    names = {id(p): name for name, p in whole.named_parameters()}
    stacked = {}  # functional_call's name -> (B, ...) leaf
    for s, layer in twin.layers.items():
        weights, biases = zip(*(notes_to_linear(p[f"W{s}"], p[f"b{s}"]) for p in params))
        stacked[names[id(layer.weight)]] = torch.stack(weights).requires_grad_()  # (B, n_out, n_in)
        stacked[names[id(layer.bias)]] = torch.stack(biases).requires_grad_()  # (B, n_out)
    X, Y = torch.from_numpy(np.stack(Xs)), torch.from_numpy(np.stack(Ys))  # (B, m, n), (B, m, k)
    cache, J = torch.func.vmap(lambda p, x, y: torch.func.functional_call(whole, p, (x, y)))(stacked, X, Y)
    grads = torch.autograd.grad(J.sum(), [*stacked.values(), *cache.values()], allow_unused=True)
    return [
        _in_notes_layout(
            twin.layers,
            {name: value[i] for name, value in cache.items()},
            J[i],
            [None if g is None else g[i] for g in grads],
            X.shape[1],
        )
        for i in range(len(params))
    ]


def _in_notes_layout(layers, cache, J, grads, m: int) -> dict[str, np.ndarray]:
    """The cache, J, and the gradients (weight, bias of each layer, then each cached tensor) in the notes' names."""
    out = {name: _numpy(tensor) for name, tensor in cache.items()}
    out["J"] = _numpy(J)
    for i, s in enumerate(layers):
        out[f"dW{s}"], out[f"db{s}"] = linear_to_notes(grads[2 * i], grads[2 * i + 1])
    for name, grad in zip(cache, grads[2 * len(layers) :]):
        if grad is not None:
            out[f"d{name}"] = (
                _numpy(grad) * m
            )  # per-example: m · ∂J/∂(name), in NumPy (cheaper than a torch op on small arrays)
    return out


def finite_differences(loss_of_params, params: dict[str, np.ndarray], eps: float = FD_STEP) -> dict[str, np.ndarray]:
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
