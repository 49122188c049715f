"""`torchref check`: the verdict, echoes, exceptions, contract errors, the command line and its JSON.

The catalogue of named mistakes and the correct variants are in test_mistakes.py; the
mistakes written independently of the checker in test_mistakes_unseen.py.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import torchref
from torchref import cli
from torchref.checker import check, check_many

EXAMPLES = Path(torchref.__file__).parent / "examples"
SHALLOW = (EXAMPLES / "shallow_derivation.py").read_text()
LOGISTIC = (EXAMPLES / "logistic_derivation.py").read_text()
NO_FORWARD = SHALLOW[: SHALLOW.index("def forward")] + SHALLOW[SHALLOW.index("def backward") :]


def _write(tmp_path, name, template, line, replacement):
    if line:
        assert line in template, f"the template has no line {line!r}"
    path = tmp_path / (name.replace("/", "_").replace("(", "").replace(")", "").replace(",", "_") + ".py")
    path.write_text(template.replace(line, replacement, 1) if line else template)
    return path


def test_the_echo_of_a_wrong_intermediate_is_not_blamed(tmp_path):
    path = _write(tmp_path, "tanh", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")
    statuses = {t.name: t.status for t in check(path, "shallow", cases=6).tensors}
    assert statuses == {
        "dZ2": "ok",
        "dW2": "ok",
        "db2": "ok",
        "dA1": "ok",
        "dZ1": "wrong",
        "dW1": "echo",
        "db1": "echo",
    }


def test_an_exception_is_reported_with_the_learners_file_and_line(tmp_path):
    path = _write(tmp_path, "no_transpose", NO_FORWARD, "dA1 = dZ2 @ W2.T", "dA1 = dZ2 @ W2")
    report = check(path, "shallow", cases=12)
    assert report.verdict == "wrong" and report.exit_code == 1
    line = NO_FORWARD.splitlines().index("    dA1 = dZ2 @ W2.T                                        # (m, h)") + 1
    assert f"ValueError at no_transpose.py:{line} in backward: `dA1 = dZ2 @ W2`" in report.reason
    assert report.errors and len(report.errors) < report.cases  # h = 1 cases run (and are right)


def test_a_broadcast_that_raises_downstream_gets_a_hint(tmp_path):
    """dZ2 = A2 − Y.ravel() is (m, m); the learner's next line raises, and the report says why."""
    report = check(
        _write(tmp_path, "broadcast", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = A2 - Y.ravel()"), "shallow", cases=12
    )
    assert report.verdict == "wrong"
    assert "`dA1 = dZ2 @ W2.T`" in report.reason
    assert (
        "hint: dZ2 has shape" in report.reason and "an (m,) array was broadcast against an (m, 1) one" in report.reason
    )


def test_in_place_changes_to_inputs_warn_but_do_not_fail(tmp_path):
    path = _write(tmp_path, "inplace", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = A2\n    dZ2 -= Y")
    report = check(path, "shallow", cases=4)
    assert report.verdict == "pass", report.table()
    assert any("cache['A2'] changed in place" in w for w in report.warnings)


@pytest.mark.parametrize(
    "content, reason",
    [
        ("def backward(X, Y, params, cache):\n    return {\n", "cannot import the file: SyntaxError at"),
        ("import not_a_module_anywhere\n", "imports not_a_module_anywhere (line 1): only the standard library"),
        ("import os\nimport not_a_module_anywhere\n", "imports not_a_module_anywhere (line 2)"),
        ("def forward(X, params):\n    pass\n", "defines no function backward"),
    ],
)
def test_unusable_files_exit_2_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "learner.py"
    path.write_text(content)
    report = check(path, "shallow", cases=2)
    assert report.verdict == "unusable" and report.exit_code == 2
    assert reason in report.reason


def test_unknown_model_and_missing_file_are_unusable(tmp_path):
    assert "model must be one of logistic, shallow" in check(EXAMPLES / "shallow_derivation.py", "perceptron").reason
    assert "FILE must be an existing .py file" in check(tmp_path / "nope.py", "shallow").reason


def test_cli_check_file_prints_the_table_and_writes_json(tmp_path, capsys):
    path = _write(tmp_path, "bad", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = A1.T @ dZ2")
    out_json = tmp_path / "report.json"
    status = cli.main(
        ["check", str(path), "--model", "shallow", "--cases", "5", "--dtype", "float64", "--json", str(out_json)]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "first wrong link: dW2: dW2 lacks the 1/m of the mean loss" in out and "WRONG" in out
    doc = json.loads(out_json.read_text())
    assert doc["schema"] == "torchref.check/1" and doc["verdict"] == "wrong" and doc["exit_code"] == 1
    assert doc["first_wrong"] == "dW2" and doc["dtypes"] == ["float64"] and doc["cases"] == 5
    dW2 = next(t for t in doc["tensors"] if t["name"] == "dW2")
    # two of the five named shapes have m = 1, where a missing 1/m is invisible
    assert dW2["status"] == "wrong" and dW2["failed"] == 3 and dW2["smallest_failure"] == "m3-n1-h1"


def test_cli_batch_mode_summarises_every_file(tmp_path, capsys):
    _write(tmp_path, "a_good", NO_FORWARD, "", "")
    _write(tmp_path, "b_bad", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = Y - A2")
    (tmp_path / "c_broken.py").write_text("def backward(:\n")
    out_json = tmp_path / "batch.json"
    status = cli.main(
        ["check", str(tmp_path), "--model", "shallow", "--cases", "3", "--quiet", "--json", str(out_json)]
    )
    out = capsys.readouterr().out.splitlines()
    assert status == 2
    assert out[0] == "a_good.py: PASS (6 cases)"
    assert out[1].startswith("b_bad.py: WRONG: first wrong link: dZ2: dZ2 has its sign flipped")
    assert out[2].startswith("c_broken.py: COULD NOT JUDGE: cannot import the file: SyntaxError")
    assert out[3].startswith("check: 1 passed, 1 wrong, 1 could not be judged (seed ")
    doc = json.loads(out_json.read_text())
    assert [f["verdict"] for f in doc["files"]] == ["pass", "wrong", "unusable"]


def test_cli_batch_mode_on_an_empty_folder_exits_2(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path), "--model", "shallow"]) == 2
    assert "no .py or .ipynb files" in capsys.readouterr().err


def test_check_many_and_the_python_api(tmp_path):
    _write(tmp_path, "good", LOGISTIC, "", "")
    reports = check_many(tmp_path, "logistic", cases=2)
    assert [r.verdict for r in reports] == ["pass"]
    assert torchref.assert_derivation(tmp_path / "good.py", "logistic", cases=2).verdict == "pass"
    bad = _write(tmp_path, "bad", LOGISTIC, "dZ = A - Y", "dZ = Y - A")
    with pytest.raises(AssertionError, match="first wrong link: dZ: dZ has its sign flipped"):
        torchref.assert_derivation(bad, "logistic", cases=2)


def test_explain_prints_every_symbol_with_its_notes_shape(capsys):
    assert cli.main(["explain", "shallow", "--m", "3", "--n", "2", "--h", "4"]) == 0
    out = capsys.readouterr().out
    for line in [
        "Z1 = X W1 + b1    shape (m, h) = (3, 4)",
        "dZ1 = dA1 ⊙ (1 − A1²)    shape (m, h) = (3, 4)",
        "dW1 = (1/m) Xᵀ dZ1    shape (n, h) = (2, 4)",
        "db2 = (1/m) Σ_rows dZ2    shape (1, 1) = (1, 1)",
    ]:
        assert line in out
    order = [
        out.index(name + " =") for name in ["Z1", "A1", "Z2", "A2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"]
    ]
    assert order == sorted(order)


def test_explain_deep_softmax_and_perceptron(capsys):
    assert cli.main(["explain", "deep_relu_softmax", "--m", "2", "--h", "3", "--h", "2"]) == 0
    out = capsys.readouterr().out
    assert (
        "dZ1 = dA1 ⊙ [A1 > 0]    shape (m, h1) = (2, 3)" in out and "A3 = softmax(Z3)    shape (m, k) = (2, 4)" in out
    )
    assert cli.main(["explain", "perceptron", "--m", "4"]) == 0
    assert "dW" in capsys.readouterr().out


DEEP_WRITTEN_OUT = """import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    W2, W3 = params["W2"], params["W3"]
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]
    dZ3 = A3 - Y
    dW3 = (1 / m) * (A2.T @ dZ3)
    db3 = (1 / m) * np.sum(dZ3, axis=0, keepdims=True)
    dZ2 = (dZ3 @ W3.T) * (1 - A2**2)
    dW2 = (1 / m) * (A1.T @ dZ2)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)
    dZ1 = (dZ2 @ W2.T) * (1 - A1**2)
    dW1 = (1 / m) * (X.T @ dZ1)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
"""


def test_a_deep_file_is_judged_at_the_depth_it_writes_out(tmp_path):
    """Two hidden layers written out by name: every case has two, never a depth the file cannot handle."""
    path = tmp_path / "two_hidden.py"
    path.write_text(DEEP_WRITTEN_OUT)
    report = check(path, "deep_tanh_sigmoid", cases=8, seed=7)
    assert report.verdict == "pass", report.table()
    assert {t.name for t in report.tensors} == {f"d{v}{l}" for v in "ZWbA" for l in (1, 2, 3)} - {"dA3"}
    wrong = check(path, "deep_tanh_sigmoid", cases=4, seed=7, hidden=(4, 3, 2))
    assert wrong.verdict == "wrong" and "dW4" in wrong.reason, wrong.table()  # --hidden overrides the file
    assert check(path, "deep_tanh_sigmoid", cases=4, seed=7, hidden=(5, 2)).verdict == "pass"


def test_hidden_that_the_model_cannot_take_is_one_clear_line(tmp_path, capsys):
    path = _write(tmp_path, "ok", NO_FORWARD, "", "")
    assert cli.main(["check", str(path), "--model", "shallow", "--hidden", "4,3", "--cases", "2"]) == 2
    assert "hidden: model shallow has 1 hidden layer(s), got 2 width(s) (4, 3)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", str(path), "--model", "shallow", "--hidden", "4,x"])
    assert exit_.value.code == 2 and "expected widths such as 4,3, got '4,x'" in capsys.readouterr().err
    assert cli.main(["check", str(path), "--model", "shallow", "--hidden", "5", "--cases", "3", "--quiet"]) == 0


@pytest.mark.parametrize(
    "content, model, reason",
    [
        (
            "def backprop(X, Y, params, cache):\n    return {}\n",
            "shallow",
            "found `backprop()`, expected `backward(X, Y, params, cache)`",
        ),
        ("def forward(X, params):\n    pass\n", "shallow", "defines no function backward(X, Y, params, cache) (it"),
    ],
)
def test_a_file_without_backward_is_told_what_it_has(tmp_path, content, model, reason):
    path = tmp_path / "learner.py"
    path.write_text(content)
    report = check(path, model, cases=2, seed=1)
    assert report.verdict == "unusable" and reason in report.reason, report.reason


def test_a_missing_return_and_a_file_for_another_model_are_named(tmp_path):
    no_return = _write(tmp_path, "no_return", LOGISTIC, 'return {"dZ": dZ, "dW": dW, "db": db}', "pass")
    report = check(no_return, "logistic", cases=2, seed=1)
    assert "backward returned None: a missing `return`?" in report.reason, report.reason
    logistic_file = _write(tmp_path, "logistic_file", LOGISTIC, "", "")
    report = check(logistic_file, "shallow", cases=2, seed=1)
    assert report.verdict == "wrong"
    assert "this looks like a logistic file (keys A, dW, dZ, db): did you mean `--model logistic`?" in report.reason


def test_the_json_keeps_the_cause_the_line_and_the_small_case(tmp_path):
    path = _write(tmp_path, "bad", SHALLOW, "A1 = np.tanh(Z1)", "A1 = np.tanh(Z1) * 2")
    doc = check(path, "shallow", cases=6, seed=3, dtypes=("float64",)).to_json()
    assert doc["first_wrong"] == "A1" and doc["line"].startswith("bad.py:")
    assert doc["line"].endswith("A1 = np.tanh(Z1) * 2")
    assert doc["mistake"] == "factor-2" and "you computed A1 = 2 tanh(Z1)" in doc["cause"], doc["cause"]
    A1 = next(t for t in doc["tensors"] if t["name"] == "A1")
    small = A1["small_case"]
    X, expected, yours = np.asarray(small["X"]), np.asarray(small["expected"]["A1"]), np.asarray(small["yours"]["A1"])
    assert X.shape == (1, 1) and np.allclose(yours, 2 * expected)  # the smallest named shape, m = n = h = 1
    assert small["first_difference"] == {"index": [0, 0], "expected": expected[0, 0], "yours": yours[0, 0]}
    assert set(small["params"]) == {"W1", "b1", "W2", "b2"} and "Z1" in small["upstream"]
    assert "tanh(Z1)" in A1["computed"] and "2" in A1["computed"]
