"""The course's known mistakes in the pieces other than the backward: each a transform of the reference.

A mistake names the piece it is made in, the sentence the learner reads, how to compute
what a file with that mistake returns on a case (`reproduce`: the reference computation
transformed, from the case's arguments and, where a mistake has a free number such as the
factor of a learning-rate schedule, that number fitted to the learner's values), and where
it is written (`where`, a locator of `torchref.checker.pieces.where`). The judge states a cause
only when the reproduction gives the learner's values on every failing case; `mechanism`
mistakes are stated only when their construct is in the learner's code too. Mistakes of
the training loop are in `torchref.checker.pieces.loops`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np

from torchref.checker.pieces import where
from torchref.checker.pieces.cases import Case, Values, mp_fit, mp_forward, scaled

if TYPE_CHECKING:
    from torchref.checker.sandbox.protocol import Array, Error

    # (case, the learner's values) -> the values a file with the mistake returns, "_detail" and "_key" besides
    Reproduce = Callable[[Case, Values], Values | None]
    Locate = Callable[[where.Code], int | None]  # the line where the construct is written, or None
    Raises = Callable[[Case, Error], bool]  # a case where the mistake makes the code raise

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True)
class Mistake:
    name: str  # "loss-missing-minus"
    piece: str  # the contract function it is made in
    cause: str  # the sentence; {detail} is filled by the reproduction's "_detail"
    reproduce: Reproduce  # (case, values) -> {name: value, "_detail": str, "_key": ...} or None
    where: Locate | None = None  # (Code) -> line or None
    mechanism: bool = False  # stated only when `where` finds its construct in the learner's code
    only: tuple[str, ...] = ()  # the contracts (by their function names) it applies to; () for any
    raises: Raises | None = None  # (case, error) -> bool: a case where this mistake makes the code raise


def _nan_safe(f: Callable[_P, _R]) -> Callable[_P, _R]:
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with np.errstate(all="ignore"):
            return f(*args, **kwargs)

    return run


# --- the McCulloch–Pitts neuron -------------------------------------------------------------------------


def _mp(case: Case) -> tuple[Array, int | None, Array]:
    X, theta, mask = case.args["X"], case.args.get("theta"), case.args.get("inhibitory")
    inh = np.zeros(X.shape[1], bool) if mask is None else np.asarray(mask).astype(bool)
    return X, theta, inh


def _mp_ignored(case: Case, values: Values) -> Values:
    X, theta, _ = _mp(case)
    return {"A": (X.sum(axis=1, keepdims=True) >= theta).astype(np.int64)}


def _mp_subtracted(case: Case, values: Values) -> Values:
    X, theta, inh = _mp(case)
    z = X[:, ~inh].sum(axis=1, keepdims=True) - X[:, inh].sum(axis=1, keepdims=True)
    return {"A": (z >= theta).astype(np.int64)}


def _mp_all_inhibitory(case: Case, values: Values) -> Values | None:
    X, theta, inh = _mp(case)
    if inh.sum() < 2:
        return None  # with one inhibitory input, all and any are the same veto
    vetoed = X[:, inh].all(axis=1, keepdims=True)
    return {"A": ((X[:, ~inh].sum(axis=1, keepdims=True) >= theta) & ~vetoed).astype(np.int64)}


def _largest(case: Case, values: Values) -> Values:
    X, Y, mask = case.args["X"], case.args["Y"], case.args.get("inhibitory")
    fits = [t for t in range(X.shape[1] + 2) if np.array_equal(mp_forward(X, t, mask), Y)]
    return {"theta": fits[-1] if fits else None}


def _one_low(case: Case, values: Values) -> Values | None:
    theta = case.expected["theta"]
    return None if theta is None else {"theta": theta - 1, "_detail": str(theta)}


def _never_none(case: Case, values: Values) -> Values | None:
    if case.expected["theta"] is not None or values.get("theta") is None:
        return None
    return {"theta": values["theta"], "_detail": f"θ = {values['theta']}"}


MP = [
    Mistake("mp-strict-threshold", "forward",
            "forward fires only when z > θ; the neuron fires when z ≥ θ (at least θ excitatory inputs on)",
            lambda c, v: {"A": mp_forward(c.args["X"], c.args["theta"] + 1, c.args.get("inhibitory"))},
            where.compare_strict, mechanism=True, only=("fit",)),
    Mistake("mp-inhibitory-ignored", "forward",
            "forward ignores the inhibitory inputs: they are added to z like excitatory ones, where an inhibitory "
            "input that is on forces the output to 0",
            _mp_ignored, where.sum_of_inputs, only=("fit",)),
    Mistake("mp-inhibitory-all", "forward",
            "forward vetoes only when every inhibitory input is on (all); in the notes any one inhibitory input that "
            "is on forces the output to 0 (any)",
            _mp_all_inhibitory, where.all_of, mechanism=True, only=("fit",)),
    Mistake("mp-inhibitory-subtracted", "forward",
            "an inhibitory input is subtracted from z (a weight of −1); in the notes an inhibitory input that is on "
            "forces the output to 0 whatever the sum",
            _mp_subtracted, where.subtraction, only=("fit",)),
    Mistake("mp-flat-output", "forward",
            "forward returns an (m,) array; the contract's A is an (m, 1) column (sum with keepdims=True, or "
            "reshape(-1, 1))",
            lambda c, v: {"A": c.expected["A"].ravel()}, where.sum_without_keepdims, only=("fit",)),
    Mistake("mp-theta-off-by-one", "forward", "forward fires from z ≥ θ + 1: the threshold is off by one",
            lambda c, v: {"A": mp_forward(c.args["X"], c.args["theta"] + 1, c.args.get("inhibitory"))},
            only=("fit",)),
    Mistake("mp-fit-theta-one-low", "fit",
            "fit returns θ one too small: the smallest θ that reproduces Y is {detail} here, one more than the "
            "largest sum that must stay 0",
            _one_low, where.defining, only=("fit",)),
    Mistake("mp-fit-largest-theta", "fit",
            "fit returns the largest θ that reproduces Y; the contract asks for the smallest (return the first θ "
            "that works)",
            _largest, where.defining, only=("fit",)),
    Mistake("mp-fit-never-none", "fit",
            "fit returns {detail} where no θ reproduces Y (as for XOR): it must return None when no threshold "
            "reproduces Y",
            _never_none, where.last_return, only=("fit",)),
    Mistake("mp-fit-inhibitory-ignored", "fit",
            "fit searches θ without the inhibitory inputs it was given (forward is called without the mask)",
            lambda c, v: {"theta": mp_fit(c.args["X"], c.args["Y"], None)}, where.call_without_mask, only=("fit",)),
    Mistake("mp-fit-never-tries-zero", "fit",
            "fit never tries θ = 0: the search starts at 1, so a neuron that fires unless inhibited (θ = 0) is not "
            "found",
            lambda c, v: {"theta": mp_fit(c.args["X"], c.args["Y"], c.args.get("inhibitory"), start=1)},
            where.loop_range, only=("fit",)),
]  # fmt: skip


# --- the loss ---------------------------------------------------------------------------------------------


@_nan_safe
def _terms(case: Case) -> tuple[Array, Array, int]:
    A, Y = (np.asarray(case.args[k], np.float64) for k in ("A", "Y"))
    return Y * np.log(A), (1 - Y) * np.log(1 - A), A.shape[0]


LOSS = [
    Mistake("loss-missing-minus", "loss",
            "J has the wrong sign: the minus of J = −(1/m) Σ [y log a + (1 − y) log(1 − a)] is missing, so J is "
            "negative and minimising it maximises the error",
            lambda c, v: {"J": -np.asarray(c.expected["J"])}, where.defining, only=("backward",)),
    Mistake("loss-sum-for-mean", "loss",
            "J is the sum of the per-row losses, m times the notes' mean J = −(1/m) Σ [...]: divide by m",
            lambda c, v: {"J": c.m * np.asarray(c.expected["J"], np.float64)}, where.defining, only=("backward",)),
    Mistake("loss-only-y-log-a", "loss",
            "J keeps only the y log a term: the (1 − y) log(1 − a) term of the rows with y = 0 is missing",
            lambda c, v: {"J": -_terms(c)[0].sum() / c.m}, where.defining, only=("backward",)),
    Mistake("loss-minus-on-first-term", "loss",
            "the minus covers only the first term: J = (1/m) Σ [−y log a + (1 − y) log(1 − a)], where the notes "
            "negate the whole bracket −[y log a + (1 − y) log(1 − a)]",
            lambda c, v: {"J": (-_terms(c)[0] + _terms(c)[1]).sum() / c.m}, where.defining, only=("backward",)),
]  # fmt: skip


# --- the perceptron's rule (a backward without a gradient: judged as a piece) ------------------------------


def _rule(case: Case, dZ: Array | None = None, sums: bool = False, db_with_x: bool = False) -> Values:
    X, m = case.args["X"], case.extra["m"]
    dZ = case.expected["dZ"] if dZ is None else dZ
    scale = 1 if sums else 1 / m
    db = np.sum(X * dZ if db_with_x else dZ, axis=0, keepdims=True) * scale
    return {"dZ": dZ, "dW": (X.T @ dZ) * scale, "db": db}


def _strict_step(case: Case, values: Values) -> Values | None:
    """The perceptron's forward with a = 1 if z > 0: only a z of exactly 0 (w = 0, b = 0) shows it."""
    A = case.expected.get("A")
    if A is None or "Z" not in case.expected or not np.isin(A, (0, 1)).all():
        return None  # not a step's output (a sigmoid neuron's forward)
    Z = case.expected["Z"]
    return {"Z": Z, "A": (Z > 0).astype(A.dtype)}


RULE = [
    Mistake("forward-strict-step", "forward",
            "the step fires only when z > 0; the notes' step is a = 1 if z ≥ 0, so a z of exactly 0 (as from w = 0, "
            "b = 0) gives 1",
            _strict_step, where.compare_strict, mechanism=True, only=("backward",)),
    Mistake("backward-missing-one-over-m", "backward",
            "dW and db are the sums over the rows, m times the notes' average: dW = (1/m) Xᵀ dZ, db = (1/m) Σ dZ",
            lambda c, v: _rule(c, sums=True), lambda code: where.defining(code, "dW"), only=("backward",)),
    Mistake("backward-b-with-x", "backward",
            "db multiplies dZ by the inputs X like a weight's gradient: b (w0) has a constant input 1, so "
            "db = (1/m) Σ dZ",
            lambda c, v: _rule(c, db_with_x=True), lambda code: where.defining(code, "db"), only=("backward",)),
    Mistake("backward-z-for-a", "backward",
            "dZ = Z − Y takes the pre-activation Z where the rule takes the step's output: dZ = A − Y",
            lambda c, v: _rule(c, dZ=c.args["cache"]["Z"] - c.args["Y"]), lambda code: where.defining(code, "dZ"),
            only=("backward",)),
]  # fmt: skip


# --- the update ---------------------------------------------------------------------------------------------


def _step(case: Case, factor: Callable[[float, int], float] | None = None, sign: float = -1.0) -> Values:
    lr, m = case.args["lr"], case.extra.get("m", 1)
    a = lr if factor is None else factor(lr, m)
    grads = case.args["grads"]
    return {k: v + sign * np.asarray(a, v.dtype) * grads["d" + k] for k, v in case.args["params"].items()}


def _left_out(case: Case, values: Values) -> Values | None:
    old = case.args["params"]
    unchanged = sorted(k for k in old if k in values and np.array_equal(values[k], old[k]))
    if not unchanged:
        return None
    out = {k: (old[k] if k in unchanged else v) for k, v in case.expected.items()}
    return {**out, "_detail": ", ".join(unchanged), "_key": tuple(unchanged)}


UPDATE = [
    Mistake("update-plus-for-minus", "update",
            "update adds α dW: the step goes uphill, where the notes subtract it: W ← W − α dW",
            lambda c, v: _step(c, sign=1.0), where.plus_on_gradient, only=("backward",)),
    Mistake("update-one-over-m-twice", "update",
            "update divides by m again: the gradients from backward already carry the 1/m (dW = (1/m) Xᵀ dZ), so "
            "the step is m times too small",
            lambda c, v: _step(c, lambda lr, m: lr / m), where.defining, only=("backward",)),
    Mistake("update-alpha-twice", "update",
            "α is applied twice: the step is α² dW (α times the gradient, then times α again); the notes take "
            "W ← W − α dW",
            lambda c, v: _step(c, lambda lr, m: lr * lr), where.defining, only=("backward",)),
    Mistake("update-parameter-left-out", "update",
            "update leaves {detail} unchanged: every parameter takes its step W ← W − α dW",
            _left_out, where.loop_range, only=("backward",)),
]  # fmt: skip


# --- normalisation ---------------------------------------------------------------------------------------


@_nan_safe
def _float(X: Array) -> Array:
    X = np.asarray(X)
    return X.astype(np.float64) if X.dtype.kind in "biu" else X


@_nan_safe
def _fixed(case: Case, values: Values) -> Values | None:
    """Each column scaled by a range that is not the data's, the same in every case (solved from two rows)."""
    X, got = _float(case.args["X"]), np.asarray(values.get("X_scaled"), np.float64)
    if got.shape != X.shape or X.shape[0] < 2:
        return None
    span = (X[0] - X[1]) / (got[0] - got[1])  # high − low
    low = X[0] - got[0] * span
    high = low + span
    key = (X.shape[1], *np.round(low, 6), *np.round(high, 6))
    detail = f"low {np.round(low, 4).tolist()}, high {np.round(high, 4).tolist()}"
    return {"X_scaled": (X - low) / (high - low), "_detail": detail, "_key": key}


def _broadcast(case: Case, error: Error) -> bool:
    return error.get("type") == "ValueError" and "broadcast" in error.get("message", "")


@_nan_safe
def _own_stats(case: Case, values: Values) -> Values:
    Xs = case.args["X_scaled"]
    low, high = Xs.min(axis=0, keepdims=True), Xs.max(axis=0, keepdims=True)
    return {"X": Xs * (high - low) + low}


NORMALISE = [
    Mistake("normalise-global-min-max", "normalise",
            "normalise takes the min and max of the whole array, not of each column: every column is scaled by its "
            "own min and max (axis=0)",
            _nan_safe(lambda c, v: {"X_scaled": (_float(c.args["X"]) - c.args["X"].min()) / np.ptp(c.args["X"])}),
            where.min_without_axis, only=("normalise",)),
    Mistake("normalise-max-only", "normalise",
            "normalise divides each column by its max without subtracting its min: x' = (x − min) / (max − min)",
            _nan_safe(lambda c, v: {"X_scaled": _float(c.args["X"]) / _float(c.args["X"]).max(axis=0)}),
            where.defining, only=("normalise",)),
    Mistake("normalise-z-score", "normalise",
            "normalise computes z-scores (x − mean) / std; the notes' min–max scaling is (x − min) / (max − min)",
            _nan_safe(lambda c, v: {"X_scaled": (_float(c.args["X"]) - _float(c.args["X"]).mean(axis=0))
                                    / _float(c.args["X"]).std(axis=0)}),
            where.defining, only=("normalise",)),
    Mistake("normalise-rows", "normalise",
            "the min and max are taken over each row (axis=1) instead of each column (axis=0)",
            _nan_safe(lambda c, v: {"X_scaled": scaled(_float(c.args["X"]).T).T}), where.axis_one,
            only=("normalise",)),
    Mistake("normalise-floor-division", "normalise",
            "// is floor division: every scaled value is floored to 0 (1 at the max); min–max scaling divides "
            "with /",
            _nan_safe(lambda c, v: {"X_scaled": np.floor(c.expected["X_scaled"])}), where.defining,
            only=("normalise",)),
    Mistake("normalise-integer-result", "normalise",
            "the result keeps X's integer dtype: every scaled value is truncated to a whole number (0, or 1 at the "
            "max); integer input must give float64",
            lambda c, v: ({"X_scaled": c.expected["X_scaled"].astype(c.args["X"].dtype)}
                          if c.args["X"].dtype.kind in "iu" else None),
            where.like_input, only=("normalise",)),
    Mistake("normalise-fixed-ranges", "normalise",
            "normalise scales by a fixed range in every case ({detail}), not by the data's own columns: min and max "
            "come from the data, X.min(axis=0) and X.max(axis=0) (with another number of columns the fixed range "
            "does not even broadcast)",
            _fixed, where.constant_array, only=("normalise",), raises=_broadcast),
    Mistake("denormalise-own-statistics", "denormalise",
            "denormalise ignores the low and high it is given and takes the min and max of X_scaled itself: the "
            "statistics must be the training data's, passed as low and high",
            _own_stats, lambda code: where.rebinds_argument(code, 1), only=("normalise",)),
    Mistake("denormalise-high-not-range", "denormalise",
            "denormalise multiplies by high instead of high − low: x = x' (high − low) + low",
            lambda c, v: {"X": c.args["X_scaled"] * c.args["high"] + c.args["low"]}, where.defining,
            only=("normalise",)),
]  # fmt: skip
