"""The sweep every command shares: which cases a model is checked on, and the arguments that choose them.

`verify`, the derivation checker and the bench all draw their cases here, so that a seed
means the same cases everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from torchref.registry import DTYPES, REGISTRY, ModelPair, Sample, Shape
from torchref_handmade import _checks

CHUNK = 16  # cases checked phase by phase (ModelPair.parity_many), and the most cases that share a random shape
FD_MAX_PARAMS = 300  # finite differences (two losses per parameter) on the cases with at most this many parameters


def check_sweep(models: Iterable[str] | None, cases: int, dtypes: Sequence[str]) -> None:
    """The arguments every sweep shares: known models, at least one case, float dtypes (no vacuous pass)."""
    unknown = [name for name in models or () if name not in REGISTRY]
    if unknown:
        raise ValueError(f"models must be registry names ({', '.join(REGISTRY)}), got unknown {unknown}")
    _checks.positive_int("cases", cases)
    if not dtypes or any(dtype not in DTYPES for dtype in dtypes):
        raise ValueError(f"dtypes must be a non-empty selection of {DTYPES}, got {dtypes!r}")


def gets_finite_differences(pair: ModelPair, sample: Sample) -> bool:
    """Whether a case is also held to central finite differences: a differentiable model's case with at most
    FD_MAX_PARAMS parameters (two losses per parameter). The checker takes its float64 cases of these only
    (`checker.cases.finite_differences_judge`): a float32 gradient is not that close to float64 differences."""
    return pair.differentiable and sum(v.size for v in sample.params.values()) <= FD_MAX_PARAMS


def size(shape: Shape) -> int:
    """m · n · (product of the hidden widths) · k: the work of one step, and what the fast trainer's switches read."""
    return shape.m * shape.n * math.prod(shape.hidden) * shape.k  # (Python's ints: the judge asks it per case)


def named_order(pair: ModelPair) -> list[Shape]:
    """The named shapes in the order the cases take them: the first (degenerate: the fewest examples the entry
    takes, m = 1 for a model), the largest, then the rest.

    So any two cases hold one example and many (one worker and two in the fast trainer), and the
    smallest and the largest m·h (either side of its exp-based tanh); `verify` trains both.
    """
    first, largest = pair.shapes[0], max(pair.shapes, key=size)
    return [first, *([largest] if largest != first else []), *(s for s in pair.shapes[1:] if s != largest)]


def cases_for(pair: ModelPair, dtype: str, n: int, seed: int) -> Iterator[Sample]:
    """The n samples of one model and dtype: named shapes first (`named_order`), then random ones.

    Each random shape serves `group` consecutive cases (each with its own data and
    parameters), so that their torch sides run as one batch (ModelPair.torch_many):
    group = (random cases) // CHUNK, between 1 and CHUNK, so that there are always at least
    CHUNK distinct random shapes before any repeats (the default 20 cases: a new shape each).
    """
    rng = np.random.default_rng([seed, pair.salt, DTYPES.index(dtype)])
    shapes = named_order(pair)
    named = min(n, len(shapes))
    group = min(CHUNK, max(1, (n - named) // CHUNK))
    for i in range(n):
        if i < named:
            shape = shapes[i]
        elif (i - named) % group == 0:
            shape = pair.random_shape(rng)
        yield pair.sample(shape, dtype, seed * 100_003 + i)
