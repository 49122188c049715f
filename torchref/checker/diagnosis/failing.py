"""One failing case of one tensor, as the judge hands it to the diagnosis and the truth checks read it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from torchref.checker.diagnosis.mistakes import Env
from torchref.registry import Shape


@dataclass
class Failing:
    """One failing case of one tensor: its id, shape, dtype, the learner's value and the symbols around it."""

    case: str
    shape: Shape
    dtype: str
    G: np.ndarray  # the learner's value, as returned
    expected: np.ndarray
    env: Env  # chain.environment of the case, with the learner's own upstream values
    given: frozenset[str] = frozenset()  # the names the learner's functions returned in this case
