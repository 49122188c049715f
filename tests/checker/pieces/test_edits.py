"""The pieces' one-change edits keep what the learner's line means around the change they make."""

from __future__ import annotations

from pathlib import Path

import pytest

import torchref
from torchref.checker.pieces import where
from torchref.checker.pieces.repair import candidates

COURSE = Path(__file__).parents[2] / "catalogues" / "course"
INLINE = (COURSE / "mp_strict_greater_inline.py").read_text()  # line 10: return ((z > theta) & ~off).astype(int)


def _first(text: str, number: int, mistake: str, piece: str) -> str:
    code = where.parse(text, piece)
    assert code is not None
    return candidates(text, code, number, mistake, piece, {piece: piece})[0].after.strip()


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("    return ((z > theta) & ~off).astype(int)", "return ((z >= theta) & ~off).astype(int)"),
        ("    return (z > theta).astype(int)", "return (z >= theta).astype(int)"),
        ("    fires = z > theta", "fires = z >= theta"),
    ],
)
def test_a_flipped_comparison_keeps_the_learners_parentheses(line, fixed):
    """`(z > theta) & ~off` made `z >= theta & ~off` would compare z with `theta & ~off`: the grouping stays."""
    text = INLINE.replace("    return ((z > theta) & ~off).astype(int)", line)
    assert _first(text, 10, "mp-strict-threshold", "forward") == fixed


def test_the_strict_threshold_is_repaired_where_it_is_written():
    """The repair shown is the notes' ≥ on the learner's line, not a compensating + 1 on the sum's line."""
    report = torchref.check(str(COURSE / "mp_strict_greater_inline.py"), model="mp_neuron", seed=1)
    assert report.mistake == "mp-strict-threshold", report.reason
    assert report.repair is not None
    assert (report.repair["line"], report.repair["after"]) == (10, "return ((z >= theta) & ~off).astype(int)")
    assert report.repair["result"] == f"with this change, all {report.cases} cases pass"


def test_an_update_that_reads_grads_by_the_parameters_key_is_repaired_with_the_gradients_key():
    """`grads[key]` for each key of params raises KeyError 'W1': the repair is `grads["d" + key]`, verified."""
    report = torchref.check(str(COURSE / "update_grads_keyed_like_params.py"), model="shallow", seed=1)
    assert report.verdict == "wrong" and report.first_wrong_piece == "update", report.reason
    assert "KeyError" in report.reason and not report.cause  # raised: no cause is guessed
    assert report.repair is not None
    assert (report.repair["line"], report.repair["after"]) == (5, 'new[key] = params[key] - lr * grads["d" + key]')
    assert report.repair["result"] == f"with this change, all {report.cases} cases pass"


@pytest.mark.parametrize(
    ("file", "model", "line", "after"),
    [
        ("mp_inhibitory_all_on.py", "mp_neuron", 10, "vetoed = np.any(X[:, inhibitory] == 1, axis=1, keepdims=True)"),
        ("perc_step_strict_helper.py", "perceptron", 5, "return (z >= 0).astype(z.dtype)"),
        ("perc_step_strict_inline.py", "perceptron", 10, "A = (Z >= 0).astype(X.dtype)"),
    ],
)
def test_a_veto_by_all_and_a_strict_step_are_named_and_repaired_on_their_line(file, model, line, after):
    """Cases with two inhibitory inputs and with z exactly 0 (w = 0, b = 0) show them; the fix is on their line."""
    report = torchref.check(str(COURSE / file), model=model, seed=1)
    assert report.verdict == "wrong" and report.first_wrong_piece == "forward", report.reason
    assert report.mistake in ("mp-inhibitory-all", "forward-strict-step"), report.reason
    assert report.line.startswith(f"{file}:{line} "), report.line
    assert report.repair is not None
    assert (report.repair["line"], report.repair["after"]) == (line, after)
    assert report.repair["result"] == f"with this change, all {report.cases} cases pass"


def test_a_loop_that_drops_the_updates_result_is_named_and_repaired():
    """`update(params, grads, lr)` on a line of its own, its new dict dropped: the parameters never change."""
    report = torchref.check(str(COURSE / "train_update_result_discarded.py"), model="shallow", seed=1)
    assert report.verdict == "wrong" and report.first_wrong_piece == "train", report.reason
    assert report.mistake == "train-update-discarded", report.reason
    assert "never change" in report.cause and report.line.startswith("train_update_result_discarded.py:43 ")
    assert report.repair is not None
    assert (report.repair["line"], report.repair["after"]) == (43, "params = update(params, grads, lr)")
    assert report.repair["result"] == f"with this change, all {report.cases} cases pass"


PLUS = (COURSE / "perc_update_plus.py").read_text()  # line 27: dZ = cache["A"] - Y  # (m, 1)


@pytest.mark.parametrize(
    ("grouped", "regrouped"),
    [
        ('dZ = -((Y) - (cache["A"]))', 'dZ = -(Y) - (cache["A"])'),  # negated: not Y alone
        ('dZ = ((Y) - (cache["A"])) / m', 'dZ = (Y) - (cache["A"]) / m'),  # over m: not A alone
    ],
)
def test_a_line_is_grouped_by_what_it_is_not_by_its_first_and_last_characters(grouped, regrouped):
    """`(Y) - (A)` starts with "(" and ends with ")" but is not one operand: an edit of the whole groups it."""
    text = PLUS.replace('    dZ = cache["A"] - Y  # (m, 1)', '    dZ = (Y) - (cache["A"])  # (m, 1)')
    code = where.parse(text, "backward")
    assert code is not None
    afters = [e.after.split("  #")[0].strip() for e in candidates(text, code, 27, "", "backward", {})]
    assert grouped in afters
    assert regrouped not in afters
