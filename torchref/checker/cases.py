"""The cases of a batch: the seed policy, the cases drawn once, the depth they are drawn at, the reference cache.

A batch draws its cases from one seed (given, $TORCHREF_SEED, or fresh and named in every
report), replaces the last random case of each dtype by a large one a file cannot have met,
draws a deep model at one depth, and computes torch's values and the finite differences
of every case once (`Reference`), before any file runs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from torchref.checker.diagnosis import source as reading
from torchref.checker.report import UnusableInput
from torchref.parity import TensorResult, agreement, finite_differences
from torchref.registry import DTYPES, Arrays, AutogradPair, ModelPair, Sample, Shape
from torchref.sweep import cases_for, gets_finite_differences
from torchref.tolerances import FINITE_DIFFERENCES

SEED_ENV = "TORCHREF_SEED"


# the ranges of m, and of n and each hidden width, of the two large cases: one tall (many examples),
# one wide (many inputs and units); each costs a few milliseconds
TALL = ((1024, 2049), (8, 33))

WIDE = ((16, 65), (128, 321))


def finite_differences_judge(pair: ModelPair, s: Sample) -> bool:
    """The checker also holds a file's gradients to finite differences in a case that gets them (`sweep`) and is
    float64 (a float32 gradient is not that close to float64 differences)."""
    return s.dtype == "float64" and gets_finite_differences(pair, s)


def fresh_seed() -> int:
    """The seed of a run: TORCHREF_SEED when set (a secret fixed seed for CI), else a fresh random one."""
    text = os.environ.get(SEED_ENV)
    if text is None or text == "":
        return secrets.randbelow(2**31)
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"{SEED_ENV} must be an integer >= 0, got {text!r}")
    return seed


def draw_cases(pair: AutogradPair, dtypes: Iterable[str], cases: int, seed: int) -> list[Sample]:
    """The sweep's cases, with the last random case of each dtype replaced by a large one.

    The large shape keeps the pair's depth and classes (from its own random shape) and
    draws m, n and the hidden widths from TALL (the first dtype) or WIDE (the second),
    beyond the registry's random shapes, so that a file cannot have met every shape before.
    """
    samples: list[Sample] = []
    for dtype in dtypes:
        drawn = list(cases_for(pair, dtype, cases, seed))
        if cases > len(pair.shapes) + 1:
            rng = np.random.default_rng([seed, 7, DTYPES.index(dtype)])
            base = pair.random_shape(rng)
            tall = len(samples) == 0  # the first dtype's is tall (m large), the second's wide (n, h large)
            (m0, m1), (n0, n1) = (TALL if tall else WIDE)[:2]
            shape = replace(
                base,
                m=int(rng.integers(m0, m1)),
                n=int(rng.integers(n0, n1)),
                hidden=tuple(int(rng.integers(n0, n1)) for _ in base.hidden),
            )
            drawn[-1] = pair.sample(shape, dtype, seed * 100_003 + cases - 1)
        samples += drawn
    return samples


def at_depth(
    pair: AutogradPair, samples: list[Sample], hidden: Sequence[int] | None, source: str | bytes | None
) -> list[Sample]:
    """The samples at one depth: `hidden` if given, else the depth the file writes out, else the usual one."""
    given = None if hidden is None else tuple(hidden)  # validated with the other options (CheckOptions)
    if given is not None:
        if pair.one_depth and pair.usual_depth != len(given):
            raise UnusableInput(
                f"hidden: model {pair.name} has {pair.usual_depth} hidden layer(s), got {len(given)} width(s) {given}"
            )
    elif pair.one_depth:
        return samples  # one depth: nothing to choose
    else:
        written = reading.layers_written_out(source) if source is not None else None
        depth = written - 1 if written and written > 1 else pair.usual_depth
    out = []
    for s in samples:
        widths = given or (s.shape.hidden * depth)[:depth]
        if widths == s.shape.hidden:
            out.append(s)
        else:
            out.append(pair.sample(Shape(s.shape.m, s.shape.n, widths, s.shape.k), s.dtype, s.seed))
    return out


class Reference:
    """The pair as the judge sees it in a batch: torch's values and finite differences computed once per case."""

    def __init__(self, pair: AutogradPair, samples: Sequence[Sample]) -> None:
        self._pair = pair
        self._torch = {id(s): pair.torch(s) for s in samples}
        self._numeric: dict[int, Arrays] = {}
        for s in samples:  # now, once, rather than in every worker of a parallel batch
            if finite_differences_judge(pair, s):
                self._numerical(s)

    def __getattr__(self, name: str) -> Any:  # the pair's own attribute, whatever its type
        return getattr(self._pair, name)

    def torch(self, s: Sample) -> Arrays:
        return self._torch[id(s)] if id(s) in self._torch else self._pair.torch(s)

    def check_finite_differences(self, s: Sample, grads: Arrays | None = None) -> list[TensorResult]:
        if grads is None:
            return self._pair.check_finite_differences(s)
        numeric = {key: value for key, value in self._numerical(s).items() if key in grads}
        return agreement(grads, numeric, FINITE_DIFFERENCES)

    def _numerical(self, s: Sample) -> Arrays:
        """Central differences of the handmade loss for every parameter of `s`, in float64 (computed once)."""
        if id(s) not in self._numeric:
            s64 = replace(
                s,
                dtype="float64",
                X=s.X.astype(np.float64),
                Y=s.Y.astype(np.float64),
                params={key: value.astype(np.float64) for key, value in s.params.items()},
            )
            self._numeric[id(s)] = finite_differences(self._pair.loss_of_params(s64), s64.params)
        return self._numeric[id(s)]
