"""The saturated case: where σ (or softmax) rounds to exactly 0 and 1, told on its own, never in the verdict.

Beside the batch's ordinary cases, a file runs on one more: a float32 case whose output
layer's pre-activations are scaled up (|Z| ≥ 100 on most rows), so that σ(Z) is exactly 0 or 1
in float32 (softmax: one class 1, the others 0), with every label the opposite of the
prediction. The notes' gradients stay finite there (dZ = A − Y); a derivative written with a
division by A, 1 − A or A(1 − A), or a loss with log(A), turns to inf or NaN. What the
learner's functions return on this case is compared with the notes' values for finiteness
only, and said in a note: the verdict is the ordinary cases'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from torchref.checker.escape import clean
from torchref.checker.sandbox import protocol

SCALE = 120.0  # the output layer's |Z| on a typical row: beyond both ends of σ in float32 (−89 and +17)


def draw(pair: Any, samples: list[Any]) -> list[Any]:
    """One saturated sample, from the smallest float32 case with two rows or more (none without one)."""
    candidates = [s for s in samples if s.dtype == "float32" and s.X.shape[0] >= 2]
    if not candidates:
        return []
    s = min(candidates, key=lambda s: s.X.size)
    params = {k: v.copy() for k, v in s.params.items()}
    last = max((k for k in params if k.startswith("W")), key=lambda k: (len(k), k))
    bias = "b" + last[1:]
    _, cache = pair.model.forward(s.X, params)
    Z = np.asarray(cache["Z" + last[1:]], np.float64)
    spread = float(np.median(np.abs(Z - Z.mean(axis=1, keepdims=True) if Z.shape[1] > 1 else Z)))
    factor = SCALE / max(spread, 1e-3)
    params[last] = (params[last] * factor).astype(params[last].dtype)
    params[bias] = (params[bias] * factor).astype(params[bias].dtype)
    A, _ = pair.model.forward(s.X, params)
    if A.shape[1] == 1:  # every label the opposite of the prediction: log(0) wherever σ is saturated
        Y = (A < 0.5).astype(s.Y.dtype)
    else:
        Y = np.zeros_like(s.Y)
        Y[np.arange(A.shape[0]), np.argmin(A, axis=1)] = 1
    return [replace(s, params=params, Y=Y, seed=s.seed)]


def inputs(pair: Any, saturated: list[Any], start: int) -> dict[str, Any]:
    """What the sandbox gets for the saturated cases, numbered after the ordinary ones."""
    out = {}
    for j, s in enumerate(saturated):
        _, cache = pair.model.forward(s.X, s.params)
        out.update(protocol.case_inputs(start + j, s.X, s.Y, s.params, cache))
    return out


def expected_bytes(saturated: list[Any]) -> int:
    return sum(4 * (s.X.nbytes + sum(v.nbytes for v in s.params.values())) for s in saturated)


def notes(
    pair: Any,
    chain: Any,
    saturated: list[Any],
    cases: list[Any],
    outputs: dict[str, Any],
    start: int,
    where: Callable[[str], str],
    raised: bool = False,
) -> list[str]:
    """A note per saturated case where the learner's values are NaN/inf and the notes' are finite, or where their
    code raised (and did not on the ordinary cases: `raised`). `where(name)`: the learner's line of a value ("" when
    the source does not say)."""
    out = []
    for j, (s, case) in enumerate(zip(saturated, cases)):
        i = start + j
        A, cache = pair.model.forward(s.X, s.params)
        reference = {**cache, **pair.model.backward(s.X, s.Y, s.params, cache)}
        last = max(k for k in cache if k.startswith("Z"))
        exact = int(np.count_nonzero(np.any((A == 0) | (A == 1), axis=1)))  # rows where the output rounds to 0/1
        what = (
            f"on a saturated case ({s.shape.id}, float32, |{last}| up to {float(np.abs(cache[last]).max()):.0f}: "
            f"the output is exactly 0 or 1 on {exact} of {A.shape[0]} rows, every label the other one)"
        )
        if case.get("error"):
            if raised:  # it raises on ordinary cases too: said there
                continue
            kind = clean(case["error"].get("type", "an error"), 80)
            out.append(f"{what} your code raised {kind}: reported on its own, not in the verdict")
            continue
        mine = {**protocol.take(outputs, i, "cache"), **protocol.take(outputs, i, "grads")}
        bad = [
            name
            for name in chain.names
            if name in mine
            and name in reference
            and np.all(np.isfinite(reference[name]))
            and np.asarray(mine[name]).dtype.kind in "fc"
            and not np.all(np.isfinite(mine[name]))
        ]
        if bad:
            line = where(bad[0])
            first = f"; the first is {bad[0]}" + (f" ({line})" if line else "")
            out.append(
                f"{what} your {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} NaN/inf where the notes' values are "
                f"finite{first}: reported on its own, not in the verdict"
            )
    return out
