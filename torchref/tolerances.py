"""Every tolerance of the suite, in one table, each with its reason.

A value `actual` agrees with `expected` when |actual − expected| ≤ atol + rtol·|expected|
elementwise (torch.testing.assert_close's rule), unless a row says it is relative to a
scale. The modules import their tolerance from here; `TABLE` lists them all for the
documentation, which is generated from it (so the two cannot drift).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    reason: str = "torch.testing.assert_close default for the dtype"


# handmade against torch, one forward and backward (verify, parity tests, the checker's judge):
# torch.testing.assert_close's documented defaults, keyed by dtype
PARITY = {
    "float32": Tolerance(1.3e-6, 1e-5),
    "float64": Tolerance(1e-7, 1e-7),
}
# a step activation on an exact grid, and a threshold neuron's integer arithmetic
EXACT_GRID = Tolerance(0.0, 0.0, "exact grid: every operation is exact")
BOOLEAN = Tolerance(0.0, 0.0, "boolean and integer arithmetic")
# min–max scaling: minima and maxima, then the same subtractions, divisions, products and sums in the same order on
# both sides, each correctly rounded (IEEE 754), so the two sides agree bit for bit
SAME_OPERATIONS = Tolerance(0.0, 0.0, "the same correctly rounded elementwise operations in the same order")
# a gradient against central finite differences of the handmade loss, in float64
FD_STEP = 1e-6  # ε of the central differences
FINITE_DIFFERENCES = Tolerance(1e-5, 1e-7, "central differences in float64, ε = 1e-6: error O(ε²) + O(1e-16/ε)")
# whole training runs side by side (compare): tiny per-operation differences (1e-16 in float64)
# are amplified by the dynamics and grow with the steps; a real bug (a wrong gradient, a missing
# 1/m) parts the runs by more than 1e-3 within a few steps
TRAINING = {
    "float64": Tolerance(1e-6, 1e-6, "thousands of steps of float64 rounding, amplified by training"),
    "float32": Tolerance(1e-3, 1e-4, "thousands of steps of float32 rounding, amplified by training"),
}
# the diagnosis: a formula "is" what the learner computed when it gives their values within the
# dtype's rounding, relative to the largest |value| (atol 0: a scale, not an absolute floor)
FORMULA = {
    "float32": Tolerance(2e-4, 0.0, "float32 rounding of a few operations, relative to the largest |value|"),
    "float64": Tolerance(1e-7, 0.0, "float64 rounding of a few operations, relative to the largest |value|"),
}
# a constant factor (the learner's value = c · the notes'): the cases agree on c to this relative
# tolerance, and a c within FACTOR_ONE of 1 is no factor at all
FACTOR = Tolerance(1e-4, 0.0, "one factor fitted in every failing case: equal to a relative 1e-4")
FACTOR_ONE = 1e-3
# the small case shown to a learner: the first element that differs, as they would see it by eye
SMALL_CASE = Tolerance(1e-4, 1e-6, "an element a learner would see differ in five printed digits")
# explain's trace marks the first value that differs from the reference: relative to its largest |value|
TRACE = Tolerance(1e-4, 1e-10, "a difference that shows in the trace's five printed digits (of a scale ≥ 1e-6)")
# σ is saturated where a(1 − a) is below this: nn.BCELoss's gradient departs from the notes' there
SATURATED = 1e-12

TABLE = [
    ("parity float32", PARITY["float32"]),
    ("parity float64", PARITY["float64"]),
    ("step activation (exact grid)", EXACT_GRID),
    ("threshold neuron (integers)", BOOLEAN),
    ("min–max scaling (same operations)", SAME_OPERATIONS),
    ("finite differences", FINITE_DIFFERENCES),
    ("training float64", TRAINING["float64"]),
    ("training float32", TRAINING["float32"]),
    ("diagnosis formula float32", FORMULA["float32"]),
    ("diagnosis formula float64", FORMULA["float64"]),
    ("diagnosis constant factor", FACTOR),
    ("small case", SMALL_CASE),
    ("explain trace", TRACE),
]
