"""The gate's tolerances are assert_close's, per dtype, and its rule is assert_close's, to the boundary.

`|actual − expected| ≤ atol + rtol·|expected|`: the bound comes from the expected (torch)
value, not the actual (handmade) one. Each case is checked against the rule written out
and against torch.testing.assert_close itself, just inside and just outside the bound.
"""

import numpy as np
import pytest
import torch

from torchref.parity import DEFAULT_TOLERANCES, Tolerance, agreement, compare_tensor
from torchref.registry import DTYPES, FD_TOLERANCE, REGISTRY


def _assert_close_accepts(actual, expected, **tol) -> bool:
    try:
        torch.testing.assert_close(torch.from_numpy(actual), torch.from_numpy(expected), equal_nan=True, **tol)
    except AssertionError:
        return False
    return True


def test_the_defaults_are_assert_closes_documented_values():
    assert (DEFAULT_TOLERANCES["float32"].rtol, DEFAULT_TOLERANCES["float32"].atol) == (1.3e-6, 1e-5)
    assert (DEFAULT_TOLERANCES["float64"].rtol, DEFAULT_TOLERANCES["float64"].atol) == (1e-7, 1e-7)
    assert set(DEFAULT_TOLERANCES) == set(DTYPES)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("expected", [0.0, 1.0, -3.0, 1e3])
@pytest.mark.parametrize("side, factor", [("inside", 0.9), ("outside", 1.1)])
def test_the_gate_agrees_with_assert_close_on_either_side_of_the_bound(dtype, expected, side, factor):
    """With assert_close's own defaults (no rtol/atol given to it): the same verdict as compare_tensor."""
    tol = DEFAULT_TOLERANCES[dtype]
    bound = tol.atol + tol.rtol * abs(expected)
    e = np.array([[expected]], dtype)
    a = (e.astype(np.float64) + factor * bound).astype(dtype)
    assert (abs(float(a[0, 0]) - expected) <= bound) is (side == "inside")  # the rounding kept the side
    ours = compare_tensor("x", a, e, tol).ok
    assert ours is _assert_close_accepts(a, e) is (side == "inside")


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpys_tolerance_would_let_through_what_the_gate_refuses(dtype):
    """NumPy's allclose (1e-5, 1e-8) is looser than either dtype's default: 2e-6 relative at 100 must fail."""
    e = np.full((2, 2), 100.0, dtype)
    a = e * (1 + 2e-6)
    assert np.allclose(a, e)
    assert not compare_tensor("x", a, e, DEFAULT_TOLERANCES[dtype]).ok


@pytest.mark.parametrize(
    "actual, expected, ok",
    [
        (1.6, 1.0, False),  # bound from expected 0.5 < 0.6; from actual it would be 0.8
        (1.0, 1.6, True),  # bound from expected 0.8 ≥ 0.6; from actual it would be 0.5
        (1.49, 1.0, True),
        (0.45, 1.0, False),
    ],
)
def test_the_relative_bound_is_taken_from_the_expected_value(actual, expected, ok):
    tol = Tolerance(rtol=0.5, atol=0.0)
    a, e = np.array([[actual]]), np.array([[expected]])
    assert compare_tensor("x", a, e, tol).ok is ok
    assert _assert_close_accepts(a, e, rtol=0.5, atol=0.0) is ok


def test_atol_alone_holds_at_an_expected_zero():
    tol = Tolerance(rtol=1.0, atol=1e-3)
    assert compare_tensor("x", np.array([9e-4]), np.array([0.0]), tol).ok
    assert not compare_tensor("x", np.array([1.1e-3]), np.array([0.0]), tol).ok


def test_the_worst_element_and_the_largest_errors_are_reported():
    tol = Tolerance(rtol=0.0, atol=0.1)
    e = np.zeros((2, 3))
    a = e.copy()
    a[0, 1], a[1, 2] = 0.05, 0.3  # (1, 2) is outside the bound
    res = compare_tensor("x", a, e, tol)
    assert not res.ok and res.worst_index == (1, 2) and res.max_abs == pytest.approx(0.3)
    e[1, 2] = 2.0
    a[1, 2] = 2.5
    res = compare_tensor("x", a, e, tol)
    assert res.max_rel == pytest.approx(0.25) and res.max_abs == pytest.approx(0.5)  # rel over non-zero e only


@pytest.mark.parametrize(
    "a, e, ok",
    [
        (np.nan, np.nan, True),
        (np.inf, np.inf, True),
        (-np.inf, -np.inf, True),
        (np.inf, -np.inf, False),
        (np.nan, 1.0, False),
        (1.0, np.nan, False),
        (np.inf, 1.0, False),
        (1.0, np.inf, False),
    ],
)
def test_non_finite_values_follow_assert_close_with_equal_nan(a, e, ok):
    actual, expected = np.array([[a, 1.0]]), np.array([[e, 1.0]])
    assert compare_tensor("x", actual, expected, DEFAULT_TOLERANCES["float64"]).ok is ok
    assert _assert_close_accepts(actual, expected) is ok


def test_shape_dtype_and_missing_tensors_fail_with_a_message():
    tol = DEFAULT_TOLERANCES["float64"]
    e = {"A": np.zeros((2, 1)), "B": np.zeros((2, 1)), "C": np.zeros((2, 1)), "D": np.zeros((0, 1))}
    a = {"A": np.zeros((1, 2)), "B": np.zeros((2, 1), np.float32), "D": np.zeros((0, 1))}
    results = {r.name: r for r in agreement(a, e, tol)}
    assert not results["A"].ok and "expected shape (2, 1)" in results["A"].message
    assert not results["B"].ok and "float32" in results["B"].message
    assert not results["C"].ok and "missing" in results["C"].message
    assert results["D"].ok


def test_every_differentiable_entry_uses_the_defaults_and_the_rules_exact_ones_use_zero():
    for pair in REGISTRY.values():
        for dtype in DTYPES:
            tol = pair.tolerance(dtype)
            if pair.differentiable:
                assert tol == DEFAULT_TOLERANCES[dtype], pair.name
            else:
                assert (tol.rtol, tol.atol) == (0.0, 0.0), pair.name
    assert (FD_TOLERANCE.rtol, FD_TOLERANCE.atol) == (1e-5, 1e-7)


def test_the_relative_error_skips_zero_and_infinite_references_when_values_are_not_finite():
    """Where equal infinities send agreement down its non-finite path, max_rel still ignores e = 0 and e = ±inf."""
    res = compare_tensor("x", np.array([[np.inf, 0.5, 2.2]]), np.array([[np.inf, 0.0, 2.0]]), Tolerance(0.0, 1.0))
    assert res.ok and res.max_rel == pytest.approx(0.1) and res.max_abs == pytest.approx(0.5)


def test_a_result_names_the_dtype_it_compared():
    res = compare_tensor("x", np.zeros((2, 1), np.float32), np.zeros((2, 1), np.float32), DEFAULT_TOLERANCES["float32"])
    assert (res.name, res.dtype, res.shape, res.ok) == ("x", "float32", (2, 1), True)


def test_every_tolerance_is_in_the_one_table_with_its_reason():
    """tolerances.py is the only module that makes a Tolerance, and its TABLE lists each one with a reason."""
    import ast
    from pathlib import Path

    from torchref import tolerances

    root = Path(tolerances.__file__).parent
    made = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "tolerances.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Tolerance":
                made.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not made, f"a Tolerance made outside tolerances.py: {made}"
    values = [v for v in vars(tolerances).values() if not isinstance(v, dict)]
    values += [
        t for k, v in vars(tolerances).items() if isinstance(v, dict) and not k.startswith("_") for t in v.values()
    ]
    defined = [v for v in values if isinstance(v, tolerances.Tolerance)]
    listed = [t for _, t in tolerances.TABLE]
    assert all(any(t is u for u in listed) for t in defined)
    assert all(t.reason for t in listed) and len({name for name, _ in tolerances.TABLE}) == len(listed)
