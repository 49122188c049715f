"""`torchref template MODEL` for every registry model: every function of its contract, and a file that passes once
each `...` is filled in with the notes' line, as a learner of the course fills it in (classroom.NOTES_LINES:
the notes' lines written there, not read from the checker)."""

import pytest
from classroom import filled_template

from torchref.checker import check
from torchref.explain import template
from torchref.registry import REGISTRY

MODELS = [name for name, pair in REGISTRY.items() if pair.contract is not None]


@pytest.mark.parametrize("model", MODELS)
def test_the_template_holds_every_function_of_the_contract_and_passes_once_filled_in(tmp_path, model):
    pair = REGISTRY[model]
    text = template(model)
    compile(text, "template.py", "exec")
    for function in pair.contract.functions:
        assert f"def {function.signature}:" in text
    path = tmp_path / "filled.py"
    path.write_text(filled_template(model, every=True))
    report = check(path, model, cases=2, seed=11)
    judged = {p["name"]: p["verdict"] for p in report.pieces if p["status"] == "judged"}
    assert report.verdict == "pass" and judged == dict.fromkeys(pair.contract.names, "pass"), report.table()
    unfilled = tmp_path / "unfilled.py"
    unfilled.write_text(text)
    report = check(unfilled, model, cases=2, seed=11)
    assert report.verdict == "wrong" and "a `...` of the template not filled in yet?" in report.reason, report.reason
