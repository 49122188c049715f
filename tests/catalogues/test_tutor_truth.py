"""Every statement the tutor prints about a catalogue file is verified: formulas and mechanism labels.

For each file of the tutor catalogue (tutor/manifest.py), the report's stated formula must give
the learner's own values on fresh cases and not be degenerate (all zeros, or the same value for
other inputs), and a label that names a mechanism must find that mechanism in the learner's
statement: an (m,) array, a ravel or a 1-D result needs a ravel/flatten/squeeze/reshape, an
integer index or a sum without keepdims on the learner's line; "without keepdims" needs a sum
without keepdims; "in Z, which the file does not return" needs a file that does not return Z.
"""

import re

import pytest
from test_tutor import BY_ID, Catalogue, M, _formula_holds, _lines, _place, _tensors

ONE_D_LABEL = re.compile(r"\(m,\) array|\b1-D\b|\.ravel\(\)")
ONE_D_CODE = re.compile(r"ravel|flatten|squeeze|reshape|\[\s*:\s*,\s*\w+\s*\]|\[\w+\]|sum\((?![^)]*keepdims)")
KEEPDIMS_LABEL = re.compile(r"without keepdims")
UNKEPT_SUM = re.compile(r"(sum|mean)\((?![^)]*keepdims=True)[^)]*axis")
NOT_RETURNED = re.compile(r"in (\w+), which the file does not return")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    return Catalogue(tmp_path_factory.mktemp("truth"))


def _line_text(case, report) -> str:
    place = _place(report.get("line", ""))
    lines = dict(_lines(case))
    if place is None:
        return ""
    key = place[1] if place[0] == "file" else place[1:] if place[0] == "cell" else None
    return lines.get(key, "") if key is not None else report["line"].split("  ", 1)[-1]


@pytest.mark.parametrize("case", M.CASES, ids=[c.id for c in M.CASES])
def test_each_printed_formula_and_label_is_true_of_the_learners_code(catalogue, case):
    report = catalogue.report(case)
    formula = _tensors(report).get(report.get("first_wrong"), {}).get("computed") or ""
    if formula:
        assert case.verdict == "wrong" and _formula_holds(case.id, formula) is not False, (formula, report["cause"])
    cause = report.get("cause") or ""
    code = _line_text(case, report)
    if ONE_D_LABEL.search(cause):
        assert ONE_D_CODE.search(code), f"{cause!r} but the learner's line {code!r} makes no 1-D array"
    if KEEPDIMS_LABEL.search(cause):
        assert UNKEPT_SUM.search(code), f"{cause!r} but the learner's line {code!r} has no sum without keepdims"
    if found := NOT_RETURNED.search(cause):
        name = found[1]
        returned = {t["name"] for t in report.get("tensors", []) if t["status"] not in ("not given", "missing")}
        assert name not in returned, f"{cause!r} but the file returns {name}"
    assert BY_ID[case.id] is case
