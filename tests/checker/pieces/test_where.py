"""The learner's line: a locator finds the construct it names, and reads any other line of the file without failing."""

from __future__ import annotations

import textwrap

from torchref.checker.pieces import where

# a learner's normalise with a fixed range, beside ordinary assignments that are not calls at all
FIXED_RANGE = textwrap.dedent(
    """
    import numpy as np


    def normalise(X):
        eps = 0
        low = np.array([0.0, 500.0])  # rainfall, rent
        high = np.array([20.0, 3000.0])
        span = high - low
        return (X - low) / (span + eps)
    """
)


def test_constant_array_finds_the_fixed_range_past_assignments_of_no_call():
    code = where.parse(FIXED_RANGE, "normalise")
    assert code is not None
    assert where.constant_array(code) == 7  # low = np.array([0.0, 500.0])


def test_constant_array_finds_nothing_in_a_file_without_one():
    code = where.parse(FIXED_RANGE.replace("np.array", "np.min"), "normalise")
    assert code is not None
    assert where.constant_array(code) is None
