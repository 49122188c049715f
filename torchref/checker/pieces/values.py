"""What a learner's function returned, read as the contract's named values, and compared with the reference.

J may be a float, a 0-d or a (1, 1) array; `losses` a list or an array; θ an integer or
None. Every other value must have the reference's shape (an (m,) array where the contract
keeps (m, 1) is a mistake, named as such). Values are compared with assert_close's rule
for the case's dtype, NaN equal to NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from torchref.parity import DEFAULT_TOLERANCES

if TYPE_CHECKING:
    from torchref.checker.pieces.cases import Case, Values
    from torchref.checker.sandbox.protocol import Array

# the names a piece's values are compared in, before the parameters (the first wrong one is reported)
ORDER = {"forward": ("A",), "loss": ("J",), "backward": ("dZ", "dW", "db"), "train": ("losses",), "fit": ("theta",)}
# what a piece may leave out of its return: the notes' grads are dW and db (a dZ returned is compared too)
OPTIONAL = {"backward": ("dZ",)}


def read(case: Case, got: Mapping[str, Array], types: Mapping[str, str]) -> tuple[Values, str]:
    """(values, problem): the learner's return value as the named values of `case.expected`."""
    values, problem = _read(case, got, types)
    if problem and "ellipsis" in types.values():
        problem += " (a `...` of the template not filled in yet?)"
    return values, problem


def _read(case: Case, got: Mapping[str, Array], types: Mapping[str, str]) -> tuple[Values, str]:
    top = types.get("", "")
    if top == "NoneType" and case.piece != "fit":
        return {}, f"{_fn(case)} returned None: a missing `return`?"
    if case.piece == "forward" and "theta" not in case.args:
        if top != "tuple":
            return {}, f"forward must return (A, cache), got {top}"
        if "0" not in got:
            return {}, f"forward must return (A, cache) with A an array, got A of type {types.get('0', 'none')}"
        values = {"A": got["0"]}
        values.update({k: got[f"1.{k}"] for k in case.expected if k != "A" and f"1.{k}" in got})
        return values, ""
    if case.piece in ("update", "step", "backward"):
        values = {k: got[k] for k in case.expected if k in got}
        missing = [k for k in case.expected if k not in values and k not in OPTIONAL.get(case.piece, ())]
        what = "the gradients" if case.piece == "backward" else "the parameters"
        return values, (f"{_fn(case)} returned no {', '.join(missing)} (a dict of {what})" if missing else "")
    if case.piece == "train":
        if top not in ("tuple", "list") or not any(k.startswith("0.") for k in got):
            return {}, f"train must return (params, losses), got {top}"
        values = {k: got[f"0.{k}"] for k in case.expected if f"0.{k}" in got}
        losses = got.get("1")
        if losses is None:
            items = sorted((int(k[2:]), v) for k, v in got.items() if k.startswith("1.") and k[2:].isdigit())
            losses = np.array([np.asarray(v).ravel()[0] for _, v in items if np.asarray(v).size == 1])
        values["losses"] = np.asarray(losses).ravel() if np.asarray(losses).size else np.asarray(losses)
        return values, ""
    if case.piece == "fit":
        if top == "NoneType":
            return {"theta": None}, ""
        theta = got.get("")
        if theta is None or np.asarray(theta).size != 1:
            return {}, f"fit must return an integer θ or None, got {top}"
        return {"theta": np.asarray(theta).ravel()[0]}, ""
    name = next(iter(case.expected))
    if "" not in got:
        return {}, f"{_fn(case)} must return an array, got {top}"
    return {name: got[""]}, ""


def _fn(case: Case) -> str:
    return "update" if case.piece == "step" else case.piece


def same(got: object, expected: object, dtype: str) -> bool:
    """`got` is `expected` within the dtype's tolerance (scalars in any container; θ exactly; NaN = NaN)."""
    if expected is None or got is None:
        return got is None and expected is None
    g, e = np.asarray(got), np.asarray(expected)
    if e.size == 1 and e.ndim <= 2 and g.size == 1:  # J: float, 0-d or (1, 1)
        g, e = g.reshape(()), e.reshape(())
    if g.shape != e.shape or g.dtype.kind not in "biuf":
        return False
    tol = DEFAULT_TOLERANCES.get(dtype, DEFAULT_TOLERANCES["float64"])
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        both_nan = np.isnan(g64) & np.isnan(e64)
        ok = (np.abs(g64 - e64) <= tol.atol + tol.rtol * np.abs(e64)) | both_nan | (g64 == e64)
    return bool(np.all(ok))


def wrong_names(case: Case, values: Values, expected: Values | None = None) -> list[str]:
    """The names whose values differ from `expected` (the case's reference by default), in the piece's order."""
    expected = case.expected if expected is None else expected
    order = [*ORDER.get(case.piece, ()), *(k for k in expected if k not in ORDER.get(case.piece, ()))]
    return [k for k in order if k in expected and k in values and not same(values[k], expected[k], case.dtype)]


def explains(case: Case, values: Values, reproduced: Values | None) -> bool:
    """A reproduction gives every value the learner's function returned on this case."""
    if reproduced is None:
        return False
    return all(k in reproduced and same(values[k], reproduced[k], case.dtype) for k in values if k in case.expected)


def show(value: object) -> str:
    """A value as the report prints it: θ, J, or an array."""
    if value is None:
        return "None"
    a = np.asarray(value)
    if a.size == 1:
        return f"{a.ravel()[0]:.6g}" if a.dtype.kind == "f" else str(a.ravel()[0])
    return np.array2string(a, precision=4, suppress_small=True, max_line_width=100)
