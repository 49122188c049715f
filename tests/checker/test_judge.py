"""`torchref check`: the verdict, echoes, exceptions, contract errors, the command line and its JSON.

The catalogue of named mistakes, the correct variants and the mistakes written independently
of the checker are in tests/checker/diagnosis/test_mistakes.py. Below: the judge's promises
that mutation testing found unheld, and files with two and three independent mistakes.
"""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from classroom import EXAMPLE, EXAMPLES, filled_template

import torchref
import torchref_handmade
from torchref import cli
from torchref.checker import batch, check, check_many
from torchref.checker.batch import Session
from torchref.checker.cases import draw_cases
from torchref.checker.sandbox.sandbox import bwrap_path
from torchref.registry import REGISTRY

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


def test_a_bare_annotation_of_a_name_is_no_crash_when_its_line_raises(tmp_path):
    """`dA1: np.ndarray` stores no value: the judge, looking for the link a raising statement makes, read the
    file as it reads it without the annotation (it failed on it with an AttributeError, the file not judged)."""
    raising = NO_FORWARD.replace("dA1 = dZ2 @ W2.T", "dA1 = dZ2 @ W2", 1)
    keywords = raising.replace(
        'return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}',
        "return dict(dZ2=dZ2, dW2=dW2, db2=db2, dA1=dA1, dZ1=dZ1, dW1=dW1, db1=db1)",
    )  # no dict key names dA1: its producers are the assignments to the name, the annotation among them
    assert keywords != raising
    annotated = keywords.replace("    m = X.shape[0]\n", "    m = X.shape[0]\n    dA1: np.ndarray\n", 1)
    assert annotated != keywords
    plain = tmp_path / "plain.py"
    plain.write_text(keywords)
    (tmp_path / "annotated").mkdir()
    bare = tmp_path / "annotated" / "plain.py"
    bare.write_text(annotated)
    expected, report = check(plain, "shallow", cases=12, seed=5), check(bare, "shallow", cases=12, seed=5)
    assert report.verdict == expected.verdict == "wrong"
    assert report.first_wrong == expected.first_wrong and report.first_wrong
    line = next(i for i, text in enumerate(keywords.splitlines(), 1) if "dA1 = dZ2 @ W2" in text)
    assert f"plain.py:{line} in backward" in expected.reason  # the annotation's line moves it one down
    assert report.reason.replace(f"plain.py:{line + 1} ", f"plain.py:{line} ") == expected.reason


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
        ("def helper(X):\n    pass\n", "defines none of the contract's functions: forward(X, params), "),
    ],
)
def test_unusable_files_exit_2_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "learner.py"
    path.write_text(content)
    report = check(path, "shallow", cases=2)
    assert report.verdict == "unusable" and report.exit_code == 2
    assert reason in report.reason


def test_unknown_model_is_refused_and_missing_file_is_unusable(tmp_path):
    refused = r"^model must be one of logistic, shallow, .*perceptron.*, got 'nope'$"  # the argument, expected, got
    for judge, path in ((check, EXAMPLES / "shallow_derivation.py"), (torchref.check, tmp_path / "none.ipynb")):
        with pytest.raises(ValueError, match=refused):  # before any file is read
            judge(path, model="nope")
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
    assert doc["schema"] == "torchref.check/2" and doc["verdict"] == "wrong" and doc["exit_code"] == 1
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
    assert out[0] == "a_good.py: PASS (6 cases of backward)"
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
    "content, reason",
    [
        (
            "def gradients(X, Y, params, cache):\n    return {}\n",
            "found `gradients()`, expected `backward(X, Y, params, cache)`",
        ),
        (
            "def helper(X, params):\n    pass\n",
            "the file defines none of the contract's functions: forward(X, params), loss(A, Y), "
            "backward(X, Y, params, cache), update(params, grads, lr), train(X, Y, params, lr, steps) "
            "(it defines `helper()`)",
        ),
    ],
)
def test_a_file_without_any_function_of_the_contract_is_told_what_it_has(tmp_path, content, reason):
    path = tmp_path / "learner.py"
    path.write_text(content)
    report = check(path, "shallow", cases=2, seed=1)
    assert report.verdict == "unusable" and reason in report.reason, report.reason


def test_a_forward_without_backward_is_judged_and_told_what_is_missing(tmp_path):
    """A forward alone is judged as the contract's forward; the gradients are not, and the learner reads why."""
    path = tmp_path / "learner.py"
    path.write_text("def forward(X, params):\n    pass\n")
    report = check(path, "shallow", cases=2, seed=1)
    assert report.verdict == "wrong" and report.first_wrong_piece == "forward", report.reason
    # the headline is the wrong piece's; what was not judged is a note (and the report's list of functions)
    assert report.reason == "forward: forward returned None: a missing `return`?"
    assert report.notes == [
        "the file defines no function backward(X, Y, params, cache) (it defines `forward()`): "
        "the gradients are not judged"
    ]
    assert [p["status"] for p in report.pieces if p["name"] in ("forward", "backward")] == ["judged", "not found"]
    right = tmp_path / "right.py"
    right.write_text(EXAMPLE[: EXAMPLE.index("def backward")])
    report = check(right, "shallow", cases=2, seed=1)
    assert report.verdict == "pass" and report.summary() == "right.py: PASS (8 cases of forward)"
    assert report.notes == [
        "the file defines no function backward(X, Y, params, cache) (it defines `forward()`): "
        "the gradients are not judged"
    ]


def test_backprop_is_judged_as_the_backward(tmp_path):
    """The course's learners' name for it: judged with a note (an empty dict: its first gradient is missing)."""
    path = tmp_path / "learner.py"
    path.write_text("def backprop(X, Y, params, cache):\n    return {}\n")
    report = check(path, "shallow", cases=2, seed=1)
    assert report.verdict == "wrong" and report.first_wrong == "dW2", report.reason
    assert "no key 'dW2' in the returned dict" in report.reason
    assert "backprop is judged as the contract's backward(X, Y, params, cache)" in " ".join(report.notes)


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


# ----------------------------------------------------------------------------------------
# What the judge promises and no other test held it to: each test here failed against a mutant of the judge
# that the rest of the suite let through (scripts/mutation), and says which promise that was.


DEEP = "deep_tanh_sigmoid"


def _write_text(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_width_of_one_is_a_width():
    session = Session(DEEP, cases=3, seed=1, dtypes=("float64",), hidden=(1, 1))
    try:
        assert session.problem is None and {s.shape.hidden for s in session.samples} == {(1, 1)}
    finally:
        session.close()


def test_a_deep_file_that_is_not_there_is_named_not_a_crash():
    report = check("nowhere.py", DEEP, cases=1, seed=1)
    assert report.verdict == "unusable" and "FILE must be an existing .py file" in report.reason


def test_files_of_a_batch_are_judged_at_the_depth_each_writes_out(tmp_path):
    two, three = filled_template(DEEP, (3, 2)), filled_template(DEEP, (3, 2, 2))
    items = [(_write_text(tmp_path, "two.py", two), None), (_write_text(tmp_path, "three.py", three), None)]
    reports = check_many(items, DEEP, jobs=1, cases=3, seed=2, dtypes=("float64",))
    assert [r.verdict for r in reports] == ["pass", "pass"], reports[1].table()
    assert {t.name for t in reports[0].tensors} >= {"dW3"} and "dW4" not in {t.name for t in reports[0].tensors}
    assert "dW4" in {t.name for t in reports[1].tensors}


def test_a_batch_runs_numpys_blas_on_one_thread(tmp_path, monkeypatch, blas_threads):
    from threadpoolctl import threadpool_limits

    seen = []
    real = Session.judge

    def noting(self, path, source, server=None):
        seen.append(blas_threads())
        return real(self, path, source, server)

    monkeypatch.setattr(Session, "judge", noting)
    with threadpool_limits(limits=2, user_api="blas"):
        check(_write_text(tmp_path, "a.py", EXAMPLE), "shallow", cases=1, seed=1)
        assert blas_threads() == {2}  # the caller's setting, given back
    assert seen == [{1}]


def test_a_forward_whose_A_is_not_its_cache_is_told_so(tmp_path):
    lying = EXAMPLE.replace("return A2, {", "return A2 + 1, {")
    report = check(_write_text(tmp_path, "lying.py", lying), "shallow", cases=2, seed=3, dtypes=("float64",))
    assert report.verdict == "wrong"
    assert "forward returned an A that differs from its cache['A2']" in report.reason, report.table()


def test_the_learners_own_cache_decides_what_is_an_echo(tmp_path):
    """A wrong A1 in forward: the backward lines computed from it are echoes, not mistakes of their own."""
    halved = EXAMPLE.replace("    A1 = np.tanh(Z1)", "    A1 = 0.5 * np.tanh(Z1)")
    report = check(_write_text(tmp_path, "halved.py", halved), "shallow", cases=3, seed=4, dtypes=("float64",))
    status = {t.name: t.status for t in report.tensors}
    assert report.first_wrong == "A1" and status["A1"] == "wrong", report.table()
    assert {status[name] for name in ("dW2", "dA1", "dZ1", "dW1", "db1")} == {"echo"}, report.table()


def test_a_worker_that_dies_leaves_its_files_could_not_be_judged(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "_worker", lambda *args: os._exit(0))
    items = [(_write_text(tmp_path, f"{name}.py", EXAMPLE), None) for name in ("a", "b")]
    reports = check_many(items, "shallow", jobs=2, cases=1, seed=5)
    assert [r.verdict for r in reports] == ["unusable", "unusable"]
    assert all("the judge's worker process died" in r.reason for r in reports)


def test_an_exit_names_where_it_happened(tmp_path):
    at_import = _write_text(tmp_path, "quits.py", "import sys\nsys.exit(3)\n" + EXAMPLE)
    assert check(at_import, "shallow", cases=1, seed=6).reason == "the file called sys.exit(3) at import"


@pytest.mark.parametrize("sandbox", ["basic", "bwrap"])
def test_a_reference_import_is_named_with_its_line(tmp_path, sandbox):
    if sandbox == "bwrap" and bwrap_path() is None:
        pytest.skip("bubblewrap (bwrap) is not installed or cannot create namespaces here")
    static = _write_text(tmp_path, "static.py", "import numpy as np\n\nimport torch\n" + EXAMPLE)
    hidden = _write_text(tmp_path, "hidden.py", "import numpy as np\n\nmod = __import__('tor' + 'ch')\n" + EXAMPLE)
    for path in (static, hidden):
        report = check(path, "shallow", cases=1, seed=7, sandbox=sandbox)
        assert report.reason == "imports the reference (line 3): torch", report.reason


def test_the_handmade_models_files_cannot_be_read(tmp_path):
    """Under the basic sandbox the host's files are there to read: the reference's are refused by name."""
    shallow = Path(torchref_handmade.__file__).parent / "shallow.py"
    reader = _write_text(tmp_path, "reader.py", f"text = open({str(shallow)!r}).read()\n" + EXAMPLE)
    report = check(reader, "shallow", cases=1, seed=8, sandbox="basic")
    assert report.verdict == "unusable" and report.reason.startswith("reads the reference (line 1)"), report.reason


def test_the_same_seed_draws_the_same_cases_the_large_ones_included():
    pair = REGISTRY["shallow"]
    first, again = draw_cases(pair, ("float32", "float64"), 6, 9), draw_cases(pair, ("float32", "float64"), 6, 9)
    assert [s.id for s in first] == [s.id for s in again]
    for a, b in zip(first, again):
        assert np.array_equal(a.X, b.X) and all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_the_default_limits_are_the_documented_ones(tmp_path):
    report = check(_write_text(tmp_path, "a.py", EXAMPLE), "shallow", cases=1, seed=10)
    # the limits, without the words on the sandbox and on what this machine isolates
    limits = {key: value for key, value in report.limits.items() if key not in ("sandbox", "isolation", "resources")}
    assert limits == {
        "timeout": 60.0,
        "import_timeout": 60.0,
        "cpu_seconds": 120,
        "memory_mb": 4096,
        "file_mb": 256,
        "processes": 64,
        "output_mb": None,
    }


def test_the_judges_own_failure_names_its_exception(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("planted in the judge")

    monkeypatch.setattr(batch, "judge_file", broken)
    report = check(_write_text(tmp_path, "a.py", EXAMPLE), "shallow", cases=1, seed=11)
    assert report.verdict == "unusable"
    assert (
        report.reason == "could not be judged: the judge failed on this file (ZeroDivisionError: planted in the judge)"
    )


# ----------------------------------------------------------------------------------------
# Derivations with two and three independent mistakes: each wrong line is blamed, in every case order.
#
# A line that is wrong stays "wrong" for the whole file, even in later cases where it happens to
# give the value its own (wrong) inputs call for — with m = 1 a missing 1/m is invisible, so
# there dW2 only looks like an echo of a wrong dZ2. The cases of `check` put m = 1 both before
# and after m > 1 (sweep.named_order), so a verdict that could be downgraded would be.


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
