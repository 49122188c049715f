"""`torchref explain` (the case's inputs, every symbol, a learner's values beside the reference's) and
`torchref template` (a skeleton that the checker reads, that passes once filled in)."""

import numpy as np
import pytest
from classroom import EXAMPLES, filled_template

from torchref import cli
from torchref.checker import check
from torchref.explain import explain, template
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
    assert cli.main(["explain", "shallow", "--file", str(broken)]) == 0
    assert "error: cannot import the file" in capsys.readouterr().out


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
    assert "exists; the template never overwrites a file" in capsys.readouterr().err
    assert cli.main(["template", "deep_tanh_sigmoid", "--hidden", "3,2,2", "--out", "deep.py"]) == 0
    assert 'params["W4"]' in (tmp_path / "deep.py").read_text()
    assert cli.main(["template", "perceptron"]) == 2
    assert "model must have a backward pass" in capsys.readouterr().err


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
