"""`torchref explain` (the case's inputs, every symbol, a learner's values beside the reference's) and
`torchref template` (a skeleton that the checker reads, that passes once filled in)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from classroom import EXAMPLES, filled_template

from torchref import cli
from torchref.checker import check
from torchref.checker.submission import Submission
from torchref.explain import explain, template
from torchref.grading import classreport, rubric
from torchref.grading.shards import from_json
from torchref.registry import REGISTRY, Shape


def test_explain_prints_the_inputs_and_parameters_of_its_case():
    out = explain("logistic", m=2, n=2, seed=5)
    sample = REGISTRY["logistic"].sample(Shape(2, 2), "float64", 5)
    for name, value in [("X", sample.X), ("Y", sample.Y), ("W", sample.params["W"]), ("b", sample.params["b"])]:
        assert f"{name}    shape {value.shape}" in out
        assert np.array2string(value, precision=5, suppress_small=True, max_line_width=60).splitlines()[0] in out
    assert out.index("X    shape") < out.index("Z = X W + b")


def test_explain_with_a_file_shows_the_learners_values_and_the_first_that_differs(tmp_path, capsys):
    text = (EXAMPLES / "shallow_derivation.py").read_text().replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")
    path = tmp_path / "mine.py"
    path.write_text(text)
    assert cli.main(["explain", "shallow", "--file", str(path), "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "mine.py (yours) | torch (the reference)" in out
    marked = [line for line in out.splitlines() if "← the first value that differs" in line]
    assert len(marked) == 1 and marked[0].startswith("dZ1 = dA1 ⊙ (1 − A1²)"), marked
    dA1 = next(line for line in out.splitlines() if line.startswith("dA1 = dZ2 W2ᵀ    shape (m, h) = (3, 4)"))
    assert float(dA1.split("max |diff| ")[1]) < 1e-12


def test_explain_with_a_file_that_is_not_one_exits_2(tmp_path, capsys):
    assert cli.main(["explain", "shallow", "--file", str(tmp_path / "nope.py")]) == 2
    assert "--file must be an existing .py file" in capsys.readouterr().err
    broken = tmp_path / "broken.py"
    broken.write_text("def backward(:\n")
    assert cli.main(["explain", "shallow", "--file", str(broken)]) == 2  # a file that cannot be run
    assert f"cannot run --file {broken}: cannot import the file" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["logistic", "shallow", "deep_relu_softmax"])
def test_a_template_holds_the_contract_and_passes_once_filled_in(tmp_path, model):
    pair = REGISTRY[model]
    text = template(model)
    compile(text, "template.py", "exec")
    chain = pair.chain(next(s for s in pair.shapes if len(s.hidden) == len(pair.shapes[-1].hidden)))
    for link in chain.links:
        assert f"    {link.name} = ...".ljust(56) + f"# {link.shape}" in text
    path = tmp_path / "filled.py"
    path.write_text(filled_template(model))
    report = check(path, model, cases=6, seed=11)
    assert report.verdict == "pass", report.table()
    unfilled = tmp_path / "unfilled.py"
    unfilled.write_text(text)
    report = check(unfilled, model, cases=2, seed=11)
    assert report.verdict == "wrong" and "a `...` of the template not filled in yet?" in report.reason


def test_template_command_writes_a_file_and_never_overwrites(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["template", "shallow"]) == 0
    assert "wrote my_shallow.py" in capsys.readouterr().out
    assert "torchref check my_shallow.py --model shallow" in (tmp_path / "my_shallow.py").read_text()
    assert cli.main(["template", "shallow"]) == 2
    err = capsys.readouterr().err
    assert "my_shallow.py exists; the template never overwrites a file" in err and "--out my_shallow" not in err
    assert "--out NAME writes another" in err
    assert cli.main(["template", "shallow", "--out", "my_shallow.py"]) == 2
    assert "--out my_shallow.py exists" in capsys.readouterr().err  # the option the user typed is named
    assert cli.main(["template", "deep_tanh_sigmoid", "--hidden", "3,2,2", "--out", "deep.py"]) == 0
    assert 'params["W4"]' in (tmp_path / "deep.py").read_text()
    # a contract without a chain (the course's pieces): every function with its signature, to fill in
    assert cli.main(["template", "perceptron"]) == 0
    written = (tmp_path / "my_perceptron.py").read_text()
    assert "def update(params, grads, lr):" in written and "def train(X, Y, params, lr, steps):" in written
    with pytest.raises(SystemExit) as refused:
        cli.main(["template", "nope"])
    assert refused.value.code == 2 and "unknown model 'nope'" in capsys.readouterr().err


def test_explain_with_a_file_prints_the_learners_text_escaped_as_check_does(tmp_path, capsys):
    """An exception message with colour codes, a newline and a workflow command: escaped, on one line."""
    hostile = 'raise ValueError("\\x1b[31mred\\nfriend.py: PASS\\n::add-mask::x")'
    text = (EXAMPLES / "shallow_derivation.py").read_text().replace("    m = X.shape[0]\n", f"    {hostile}\n", 1)
    path = tmp_path / "mine.py"
    path.write_text(text)
    cli.main(["explain", "shallow", "--file", str(path), "--seed", "2"])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out
    assert not any(line.startswith(("friend.py", "::")) for line in out.splitlines())


def test_an_unfilled_template_is_told_the_same_way_by_explain_and_check(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["template", "shallow"]) == 0
    capsys.readouterr()
    assert cli.main(["explain", "shallow", "--file", "my_shallow.py"]) == 2  # nothing it could run
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    hint = "are not numbers (a `...` of the template not filled in yet?)"
    assert err.startswith("torchref: cannot run --file my_shallow.py: ") and hint in err
    check_ = ["check", "my_shallow.py", "--model", "shallow", "--cases", "2", "--seed", "1", "--json", "out.json"]
    assert cli.main(check_) == 1
    table = capsys.readouterr().out
    assert hint in table.splitlines()[1]
    rows = [line.split() for line in table.splitlines() if line.startswith(("Z1 ", "dZ1 ", "db1 "))]
    assert rows and all(row[1:6] == ["not", "run", "0/0", "—", "—"] for row in rows)  # never "ok 0/0 0.00e+00"
    # the JSON, the notebook view and the class report's student page say it too, with no error number
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["verdict"] == "wrong" and document["tensors"]
    assert all((t["status"], t["max_abs"], t["max_rel"]) == ("not run", None, None) for t in document["tensors"])
    report = from_json(document)
    assert not any(earned for _, earned, _ in rubric.results(report))  # a row not run earns nothing
    view = [[c.strip() for c in re.findall(r"<td>(.*?)</td>", row)] for row in report._repr_html_().split("<tr>")]
    drawn = [row[:4] for row in view if row and row[0] in ("Z1", "dZ1", "db1")]
    assert len(drawn) == 3 and all(row[1:] == ["not run", "0/0", "—"] for row in drawn), drawn
    entry = Submission.from_bytes(Path(report.file), (tmp_path / "my_shallow.py").read_bytes(), "shallow", "ann")
    classreport.write(tmp_path / "class", [entry], [report], tmp_path, "shallow")
    page = (tmp_path / "class" / "s" / "0001.html").read_text()
    rows = [[c.strip() for c in re.findall(r"<td>(.*?)</td>", row)] for row in page.split("<tr>")]
    drawn = [row[:5] for row in rows if row and row[0] in ("Z1", "dZ1", "db1")]
    assert len(drawn) == 3 and all(row[1:] == ["not run", "0/4", "0/0", "—"] for row in drawn), drawn


def test_an_unfilled_template_without_a_chain_is_told_it_is_unfilled(tmp_path):
    """The perceptron's template, as written: its forward returns (..., ...), read as the template's `...`."""
    path = tmp_path / "my_perceptron.py"
    path.write_text(template("perceptron"))
    report = check(path, "perceptron", cases=2, seed=1)
    assert report.verdict == "wrong" and report.first_wrong_piece == "forward", report.reason
    assert report.reason == (
        "forward: forward must return (A, cache) with A an array, got A of type ellipsis "
        "(a `...` of the template not filled in yet?)"
    )


def test_a_template_left_unfilled_at_one_line_is_told_that_line_by_check_and_explain(tmp_path, capsys):
    """Every line filled in but `dZ1 = ...`: dW1's line reads it and raises; both name the unfilled line."""
    lines = filled_template("shallow").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("dZ1 ="))
    lines[number - 1] = "    dZ1 = ...                                           # (m, h)"
    path = tmp_path / "my_shallow.py"
    path.write_text("\n".join(lines) + "\n")
    hint = f"line {number}: `dZ1 = ...` is not filled in yet"
    report = check(path, "shallow", cases=2, seed=1)
    assert report.verdict == "wrong" and report.reason.startswith(f"first wrong link: dW1: {hint}"), report.reason
    assert report.repair is None, report.repair  # no edit of dW1's line is "right" where no case reaches it
    assert cli.main(["explain", "shallow", "--file", str(path), "--seed", "1"]) == 0
    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("error: ")]
    assert errors and errors[0].startswith(f"error: {hint}: ValueError at my_shallow.py:{number + 1}"), errors
