"""Every statement of cause checked before it is said: the formula on the cases, the label in the learner's code.

A tutor that is wrong with confidence teaches the mistake, so a cause is printed only when
the tool has verified it:

- a formula (`you computed dW = ...`) must give the learner's value in every failing case
  (`diagnosis.explain`) and must not be degenerate: all zeros in every case, or the same
  value for different inputs of one shape (`1 // m` is 0, and σ′(Y) is 0 when Y is 0 or 1:
  such a formula "explains" any all-zero value and says nothing of what was written);
- a label that names a mechanism (an (m,) array, a sum without keepdims) must find that
  mechanism in the learner's own statement, read from its syntax tree (`shown`);
- a mistake placed in an upstream value "which the file does not return" is said only when
  the file indeed does not return it (`diagnosis.explain` checks the names given).

Where nothing is verified, the report says so plainly, with the line and the small case.
"""

from __future__ import annotations

import ast

import numpy as np
from numpy.typing import NDArray

from torchref.chain import Expr
from torchref.checker.diagnosis import mistakes
from torchref.checker.diagnosis.failing import Failing
from torchref.registry import Shape

# labels whose sentence names a mechanism the learner's statement must show
_ONE_D_CALLS = ("ravel", "flatten", "squeeze", "reshape")


def _calls(node: ast.AST) -> list[tuple[str, ast.Call]]:
    """(the called name's last part, the call) for every call in `node`: np.sum(...) and x.sum(...) are 'sum'."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            out.append((name, n))
    return out


def _keepdims(call: ast.Call) -> bool:
    return any(k.arg == "keepdims" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords)


def _axis_given(call: ast.Call) -> bool:
    return any(k.arg == "axis" for k in call.keywords) or len(call.args) > 1


def one_d_made(node: ast.AST) -> bool:
    """Whether the statement makes a 1-D array itself: ravel/flatten/squeeze/reshape, an integer index of a
    column (x[:, 0]) or a row (X[i]), or a sum over one axis without keepdims."""
    for name, call in _calls(node):
        if name in _ONE_D_CALLS:
            return True
        if name in ("sum", "mean") and _axis_given(call) and not _keepdims(call):
            return True
    for n in ast.walk(node):
        if isinstance(n, ast.Subscript):
            index = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            if any(isinstance(i, (ast.Name, ast.Constant)) and not isinstance(getattr(i, "value", 0), str)
                   for i in index):  # fmt: skip
                return True
    return False


def unkept_sum(node: ast.AST) -> bool:
    """Whether the statement sums over one axis without keepdims=True."""
    return any(name in ("sum", "mean") and _axis_given(c) and not _keepdims(c) for name, c in _calls(node))


SHOWN = {"1-d": one_d_made, "broadcast": one_d_made, "keepdims": unkept_sum}


def shown(mistake: str, node: ast.AST | None) -> bool:
    """Whether a label's mechanism is in the learner's statement (`node`); labels of values need no mechanism."""
    check = SHOWN.get(mistake)
    return check is None or (node is not None and check(node))


def degenerate(expr: Expr, failing: list[Failing]) -> bool:
    """Whether `expr` is all zeros in every failing case, or the same value for different inputs of one shape."""
    evaluated = [(f.shape, f.dtype, mistakes.evaluate(expr, f.env)) for f in failing]
    values = [(s, d, v) for s, d, v in evaluated if v is not None]
    if not values:
        return True
    if all(not np.any(v) for _, _, v in values):
        return True
    by_shape: dict[tuple[Shape, str], list[NDArray[np.float64]]] = {}
    for s, d, v in values:
        by_shape.setdefault((s, d), []).append(v)
    same = [
        all(a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=0.0) for a, b in zip(vs, vs[1:]))
        for vs in by_shape.values()
        if len(vs) > 1
    ]
    return bool(same) and all(same)


def all_zeros(failing: list[Failing]) -> bool:
    """The learner's value is all zeros in every failing case (and the notes' is not)."""
    return all(np.asarray(f.G).size and not np.any(np.asarray(f.G)) for f in failing)


def floor_division(node: ast.AST | None) -> str:
    """The learner's `1 // m` (integer division, 0 for m > 1) in the statement, as written; '' when none."""
    for n in ast.walk(node) if node is not None else ():
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv):
            return ast.unparse(n)
    return ""
