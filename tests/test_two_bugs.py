"""Derivations with two and three independent mistakes: each wrong line is blamed, in every case order.

A line that is wrong stays "wrong" for the whole file, even in later cases where it happens to
give the value its own (wrong) inputs call for — with m = 1 a missing 1/m is invisible, so
there dW2 only looks like an echo of a wrong dZ2. The cases of `check` put m = 1 both before
and after m > 1 (sweep.named_order), so a verdict that could be downgraded would be.
"""

import re
from pathlib import Path

import pytest

import torchref
from torchref.checker import check

SHALLOW = (Path(torchref.__file__).parent / "examples" / "shallow_derivation.py").read_text()
NO_FORWARD = SHALLOW[: SHALLOW.index("def forward")] + SHALLOW[SHALLOW.index("def backward") :]

SIGN_dZ2 = ("dZ2 = A2 - Y", "dZ2 = Y - A2")
NO_1_M_dW2 = ("dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = A1.T @ dZ2")
TANH_dZ1 = ("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")
AXIS_db2 = ("db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)", "db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)")
TWICE_dW1 = ("dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (2 / m) * (X.T @ dZ1)")


def _file(tmp_path, *changes):
    source = NO_FORWARD
    for line, replacement in changes:
        assert line in source, line
        source = source.replace(line, replacement, 1)
    path = tmp_path / "learner.py"
    path.write_text(source)
    return path


@pytest.mark.parametrize(
    "changes, statuses, first",
    [
        (
            [SIGN_dZ2, NO_1_M_dW2],
            dict(dZ2="wrong", dW2="wrong", db2="echo", dA1="echo", dZ1="echo", dW1="echo", db1="echo"),
            "dZ2",
        ),
        (
            [SIGN_dZ2, NO_1_M_dW2, TANH_dZ1],
            dict(dZ2="wrong", dW2="wrong", db2="echo", dA1="echo", dZ1="wrong", dW1="echo", db1="echo"),
            "dZ2",
        ),
        (
            [AXIS_db2, TWICE_dW1],
            dict(dZ2="ok", dW2="ok", db2="wrong", dA1="ok", dZ1="ok", dW1="wrong", db1="ok"),
            "db2",
        ),
        (
            [NO_1_M_dW2, TANH_dZ1, AXIS_db2],
            dict(dZ2="ok", dW2="wrong", db2="wrong", dA1="ok", dZ1="wrong", dW1="echo", db1="echo"),
            "dW2",
        ),
    ],
    ids=["sign-dZ2+no-1/m-dW2", "three-bugs", "two-independent", "three-independent"],
)
def test_every_wrong_line_stays_wrong_and_the_first_is_named(tmp_path, changes, statuses, first):
    report = check(_file(tmp_path, *changes), "shallow", cases=6)
    assert report.verdict == "wrong" and report.exit_code == 1
    assert {t.name: t.status for t in report.tensors} == statuses, report.table()
    assert report.first_wrong == first and f"first wrong link: {first}" in report.reason
    for t in report.tensors:
        if t.status == "echo":
            assert "follows from" in t.diagnosis


def test_a_line_that_is_right_only_for_one_example_is_still_wrong_in_either_case_order(tmp_path):
    """dW2 without 1/m next to a wrong dZ2: in the float64 cases alone and in both dtypes, first m = 1 or not."""
    path = _file(tmp_path, SIGN_dZ2, NO_1_M_dW2)
    for dtypes in [("float64",), ("float32", "float64")]:
        for cases in (2, 4):
            statuses = {t.name: t.status for t in check(path, "shallow", cases=cases, dtypes=dtypes).tensors}
            assert statuses["dW2"] == "wrong" and statuses["dZ2"] == "wrong", (dtypes, cases, statuses)


def _with_forward(tmp_path, *changes):
    source = SHALLOW
    for line, replacement in changes:
        assert line in source, line
        source = source.replace(line, replacement, 1)
    path = tmp_path / "learner_forward.py"
    path.write_text(source)
    return path


def test_a_wrong_forward_link_makes_the_later_forward_values_echoes(tmp_path):
    """A1 as σ instead of tanh: Z2 = A1 W2 + b2 and A2 = σ(Z2) are right from the learner's own A1."""
    path = _with_forward(tmp_path, ("A1 = np.tanh(Z1)", "A1 = 1 / (1 + np.exp(-Z1))"))
    report = check(path, "shallow", cases=6)
    statuses = {t.name: t.status for t in report.tensors}
    assert statuses["Z1"] == "ok" and statuses["A1"] == "wrong", report.table()
    assert statuses["Z2"] == "echo" and statuses["A2"] == "echo", report.table()
    assert report.first_wrong == "A1"


def test_a_float64_constant_in_a_float32_case_is_named_as_a_promotion(tmp_path):
    path = _file(tmp_path, ("dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = (1 / m) * (A1.T @ dZ2).astype(np.float64)"))
    report = check(path, "shallow", cases=3, dtypes=("float32",))
    dW2 = next(t for t in report.tensors if t.name == "dW2")
    assert dW2.status == "wrong" and "promoted the computation" in dW2.diagnosis, report.table()


def test_nan_values_are_counted_in_the_diagnosis(tmp_path):
    path = _file(tmp_path, ("dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = (1 / m) * (A1.T @ dZ2) * np.nan"))
    report = check(path, "shallow", cases=3, dtypes=("float64",))
    dW2 = next(t for t in report.tensors if t.name == "dW2")
    assert dW2.status == "wrong", report.table()
    assert re.search(r"NaN/inf values \((\d+) of \1\)", dW2.diagnosis), dW2.diagnosis


def test_the_name_of_a_broadcast_mistake_is_recorded_for_the_report(tmp_path):
    """The mistake's name (in the JSON report, for a class report to count): an (m,) array broadcast against (m, 1)."""
    path = _file(tmp_path, ("dZ2 = A2 - Y", "dZ2 = A2 - Y.ravel()"), ("dA1 = dZ2 @ W2.T", "dA1 = (A2 - Y) @ W2.T"))
    report = check(path, "shallow", cases=4, dtypes=("float64",))
    dZ2 = next(t for t in report.tensors if t.name == "dZ2")
    assert dZ2.status == "wrong" and dZ2.mistake == report.mistake == "broadcast", report.table()
    assert report.to_json()["tensors"][0]["mistake"] == "broadcast"


def test_a_file_that_raises_in_some_cases_and_is_wrong_in_others_says_both(tmp_path):
    path = _file(
        tmp_path,
        NO_1_M_dW2,
        ("m = X.shape[0]", "m = X.shape[0]\n    if m == 1:\n        raise ValueError('planted')"),
    )
    report = check(path, "shallow", cases=4, dtypes=("float64",))
    assert report.verdict == "wrong" and report.first_wrong == "dW2", report.table()
    assert report.reason.startswith("first wrong link: dW2: dW2 lacks the 1/m of the mean loss")
    assert "the notes: dW2 = (1/m) A1ᵀ dZ2; the learner's code raised in 2/4 cases: ValueError at learner.py:" in (
        report.reason
    )
    assert "planted" in report.reason
    dW2 = next(t for t in report.tensors if t.name == "dW2")
    assert dW2.message.startswith("dW2: "), dW2.message  # assert_close's message, under the tensor's name
    assert report.seconds == round(report.seconds, 3) > 0


def test_an_optional_intermediate_left_out_is_not_given_not_ok(tmp_path):
    path = _file(tmp_path, ('return {"dZ2": dZ2, ', "return {"))
    report = check(path, "shallow", cases=2, dtypes=("float64",))
    assert report.verdict == "pass", report.table()
    assert {t.name: t.status for t in report.tensors}["dZ2"] == "not given"
