"""How a report prints what it holds."""

from __future__ import annotations

import re

from torchref.checker.report import FileReport, TensorVerdict, repair_text


def _repair(before: str, after: str) -> dict:
    return {"line": 32, "before": before, "after": after, "result": "with this change, all 48 cases pass"}


def test_a_repair_shows_the_learners_code_without_its_trailing_comment():
    text = repair_text(_repair("dZ1 = dA1 * A1 * (1 - A1)          # (m, h)", "dZ1 = dA1 * (1 - A1 ** 2)"))
    assert (
        text == "line 32: dZ1 = dA1 * A1 * (1 - A1)  →  dZ1 = dA1 * (1 - A1 ** 2) (with this change, all 48 cases pass)"
    )


def test_a_hash_after_a_quote_may_be_in_a_string_and_the_line_is_kept_whole():
    before = 'W = params["W#1"] + lr * grads["dW"]  # uphill'
    assert f"line 32: {before}  →" in repair_text(_repair(before, 'W = params["W#1"] - lr * grads["dW"]'))


def test_the_first_line_says_no_cases_where_none_were_drawn():
    """A file refused before any case was drawn (a notebook without the notebook extra): no "0 cases ()"."""
    refused = FileReport(file="hw3.ipynb", model="shallow", verdict="unusable", reason="reading notebooks needs ...")
    assert refused.table().splitlines()[0] == "hw3.ipynb  model shallow  COULD NOT JUDGE"
    judged = FileReport(file="hw3.py", model="shallow", verdict="unusable", cases=40, dtypes=["float32", "float64"])
    assert judged.table().splitlines()[0] == "hw3.py  model shallow  40 cases (float32, float64)  COULD NOT JUDGE"


def test_the_tables_columns_stay_aligned_when_a_case_id_is_long():
    """A drawn seed gives case ids longer than --seed 1's: the column widens, the next one stays in line."""
    long_id = "m1-n1-h1-float32-seed86382950710779"
    tensors = [
        TensorVerdict("dZ1", "wrong", cases=40, failed=40, first_failure=long_id, smallest_failure="m1-n1-h1"),
        TensorVerdict(
            "dW1", "echo", cases=40, failed=40, first_failure="m2-n1-h1-float32-seed3", smallest_failure="m2"
        ),
    ]
    table = FileReport(file="hw3.py", model="shallow", verdict="wrong", tensors=tensors).table().splitlines()
    head = next(line for line in table if line.startswith("tensor"))
    for t in tensors:
        row = next(line for line in table if line.startswith(t.name))
        after = row.index(t.first_failure) + len(t.first_failure)
        assert row.index(t.smallest_failure, after) == head.index("smallest"), row


def test_the_notebook_view_shows_the_verified_repair_beside_the_cause(tmp_path):
    """`_repr_html_` (what a notebook draws) has the repair's row: the learner's line, the change, what it does."""
    from html import escape

    from classroom import TANH, derivation

    import torchref

    path = tmp_path / "mine.py"
    path.write_text(derivation(TANH))
    report = torchref.check(path, "shallow", cases=3, seed=4)
    assert report.repair and report.repair["result"].startswith("with this change, all")
    page = report._repr_html_()
    assert re.search(r"<th[^>]*>repair</th>", page) and escape(repair_text(report.repair)) in page
    assert page.index(escape(report.cause)) < page.index(escape(repair_text(report.repair)))
