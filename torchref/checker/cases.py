"""The cases of a batch: the seed policy, the cases drawn once, the depth they are drawn at, the reference cache.

A batch draws its cases from one seed (given or fresh, and named in every report; or
$TORCHREF_SEED's, a secret never named: `SecretSeed`), replaces the last random case of each
dtype by a large one a file cannot have met, draws a deep model at one depth, and computes
torch's values and the finite differences of every case once (`Reference`), before any file runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from torchref.checker.diagnosis import source as reading
from torchref.checker.report import SEED_ENV as SEED_ENV  # where the seed policy is, for its callers
from torchref.checker.report import UnusableInput
from torchref.parity import Laid, TensorResult, agreement, finite_differences
from torchref.registry import DTYPES, Arrays, AutogradPair, ModelPair, Sample, Shape
from torchref.sweep import cases_for, gets_finite_differences
from torchref.tolerances import FINITE_DIFFERENCES

# PBKDF2 rounds from a secret seed to the seed its cases are drawn from: each guess of the secret made offline (drawing
# its cases and comparing them with a small case a report prints) costs these, about 0.1 s; a secret of 12 digits or
# more then takes lifetimes to find
SECRET_ROUNDS = 150_000
SECRET_DIGITS = 6  # a secret this long or longer is masked wherever it shows in a report (a file printing it)


# the ranges of m, and of n and each hidden width, of the two large cases: one tall (many examples),
# one wide (many inputs and units); each costs a few milliseconds
TALL = ((1024, 2049), (8, 33))

WIDE = ((16, 65), (128, 321))


def finite_differences_judge(pair: ModelPair, s: Sample) -> bool:
    """The checker also holds a file's gradients to finite differences in a case that gets them (`sweep`) and is
    float64 (a float32 gradient is not that close to float64 differences)."""
    return s.dtype == "float64" and gets_finite_differences(pair, s)


@dataclass(frozen=True)
class SecretSeed:
    """A seed from $TORCHREF_SEED, which a learner must not learn: no report names it (they say it is secret, and a
    rerun with the same variable replays the cases), the cases are drawn from `drawing_seed`, which does not give it
    back, and their ids number them instead of naming their seeds (`number_cases`)."""

    value: int = field(repr=False)

    def __repr__(self) -> str:
        return f"SecretSeed(from ${SEED_ENV})"

    def mask(self, text: str) -> str:
        """`text` with every number that is the secret (a file that found it and printed it) shown as `[secret]`."""
        digits = str(self.value)
        if len(digits) < SECRET_DIGITS or digits not in text:
            return text
        return re.sub(rf"(?<!\d){digits}(?!\d)", "[secret]", text)


Seed = int | SecretSeed  # what `CheckOptions.seed` holds once a batch has its seed


def fresh_seed() -> Seed:
    """The seed of a run: TORCHREF_SEED when set (a secret fixed seed for CI: `SecretSeed`), else a fresh random one."""
    text = os.environ.get(SEED_ENV)
    if text is None or text == "":
        return secrets.randbelow(2**31)
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"{SEED_ENV} must be an integer >= 0, got {text!r}")
    return SecretSeed(seed)


def shown_seed(seed: Seed | None) -> int | None:
    """The seed a report names: a given or fresh one; None for a secret one."""
    return None if seed is None or isinstance(seed, SecretSeed) else seed


def drawing_seed(seed: Seed) -> int:
    """The seed the cases are drawn from: `seed` itself, or for a secret one a 128-bit number made from it by PBKDF2
    (`SECRET_ROUNDS`), which no report names and from which the secret cannot be computed back."""
    return _stretched(seed.value) if isinstance(seed, SecretSeed) else seed


def recorded_seed(seed: Seed) -> int | str:
    """The seed a document records for another run to compare with (every shard of a class must share it): `seed`,
    or for a secret one "secret " and 16 hex digits of a hash of its `drawing_seed` (equal for equal secrets)."""
    if isinstance(seed, SecretSeed):
        return "secret " + hashlib.sha256(b"shard %d" % drawing_seed(seed)).hexdigest()[:16]
    return seed


@lru_cache(maxsize=8)
def _stretched(value: int) -> int:
    key = hashlib.pbkdf2_hmac("sha256", str(value).encode(), b"torchref: the cases of a secret seed", SECRET_ROUNDS)
    return int.from_bytes(key[:16], "big")


def draw_cases(pair: AutogradPair, dtypes: Iterable[str], cases: int, seed: Seed) -> list[Sample]:
    """The sweep's cases, with the last random case of each dtype replaced by a large one; from a secret seed,
    drawn from its `drawing_seed` and numbered (`number_cases`).

    The large shape keeps the pair's depth and classes (from its own random shape) and
    draws m, n and the hidden widths from TALL (the first dtype) or WIDE (the second),
    beyond the registry's random shapes, so that a file cannot have met every shape before.
    """
    secret, seed = isinstance(seed, SecretSeed), drawing_seed(seed)
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
    return number_cases(samples) if secret else samples


def number_cases(samples: list[Sample]) -> list[Sample]:
    """The samples with their ids made of their place in the batch ("m4-n3-h5-float64-case7"), not of their seeds:
    a seed in an id would let a reader draw every case again."""
    return [replace(s, number=i) for i, s in enumerate(samples)]


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
            out.append(
                replace(pair.sample(Shape(s.shape.m, s.shape.n, widths, s.shape.k), s.dtype, s.seed), number=s.number)
            )
    return out


LAYOUTS = 3  # layouts of returned tensors kept laid out at once (each ~3 float64 copies of them); most files share one


class Reference:
    """The pair as the judge sees it in a batch: torch's values and finite differences computed once per case."""

    def __init__(self, pair: AutogradPair, samples: Sequence[Sample]) -> None:
        self._pair = pair
        self.samples = list(samples)
        self._laid: dict[tuple[tuple[int, str, bool], ...], Laid] = {}
        self._torch = {id(s): pair.torch(s) for s in samples}
        self._numeric: dict[int, Arrays] = {}
        for s in samples:  # now, once, rather than in every worker of a parallel batch
            if finite_differences_judge(pair, s):
                self.numerical(s)

    @property
    def pair(self) -> AutogradPair:
        """The pair itself: a Reference is not one (`is` tells them apart, and it is not an AutogradPair)."""
        return self._pair

    def __getattr__(self, name: str) -> Any:  # the pair's own attribute, whatever its type
        return getattr(self._pair, name)

    def torch(self, s: Sample) -> Arrays:
        return self._torch[id(s)] if id(s) in self._torch else self._pair.torch(s)

    def laid(self, layout: tuple[tuple[int, str, bool], ...]) -> Laid:
        """The expected values of `layout` ((case, name, finite) for each tensor a file returned: torch's value of
        `name` in case `case` of the batch, or its finite differences) laid out once for every file returning
        the same (parity.Laid)."""
        if layout not in self._laid:
            if len(self._laid) >= LAYOUTS:
                del self._laid[next(iter(self._laid))]
            expected, tolerances = [], []
            for case, name, finite in layout:
                s = self.samples[case]
                expected.append(self.numerical(s)[name] if finite else self.torch(s)[name])
                tolerances.append(FINITE_DIFFERENCES if finite else self._pair.tolerance(s.dtype))
            self._laid[layout] = Laid(expected, tolerances)
        return self._laid[layout]

    def check_finite_differences(self, s: Sample, grads: Arrays | None = None) -> list[TensorResult]:
        if grads is None:
            return self._pair.check_finite_differences(s)
        numeric = {key: value for key, value in self.numerical(s).items() if key in grads}
        return agreement(grads, numeric, FINITE_DIFFERENCES)

    def numerical(self, s: Sample) -> Arrays:
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
