"""`torchref check`: a catalogue of wrong derivations, each flagged at the right first link
with the mistake named, and correct variants that must pass.

Each wrong derivation is the shipped example with one line changed, so the table below
reads as "this line, written this way, must be caught as this".
"""

import json
from pathlib import Path

import pytest

import torchref
from torchref import cli
from torchref.derivation import check, check_many

EXAMPLES = Path(torchref.__file__).parent / "examples"
SHALLOW = (EXAMPLES / "shallow_derivation.py").read_text()
LOGISTIC = (EXAMPLES / "logistic_derivation.py").read_text()
NO_FORWARD = SHALLOW[: SHALLOW.index("def forward")] + SHALLOW[SHALLOW.index("def backward") :]

# (id, model, template, the line as in the example, the line as the learner wrote it, first wrong tensor, diagnosis)
WRONG = [
    (
        "missing-1/m-dW2",
        "shallow",
        NO_FORWARD,
        "dW2 = (1 / m) * (A1.T @ dZ2)",
        "dW2 = A1.T @ dZ2",
        "dW2",
        "missing 1/m",
    ),
    (
        "extra-1/m-dW1",
        "shallow",
        NO_FORWARD,
        "dW1 = (1 / m) * (X.T @ dZ1)",
        "dW1 = (1 / m) * (X.T @ dZ1) / m",
        "dW1",
        "an extra 1/m",
    ),
    ("flipped-sign-dZ2", "shallow", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = Y - A2", "dZ2", "flipped sign"),
    (
        "transposed-dW1",
        "shallow",
        NO_FORWARD,
        "dW1 = (1 / m) * (X.T @ dZ1)",
        "dW1 = (1 / m) * (dZ1.T @ X)",
        "dW1",
        "transposed",
    ),
    (
        "no-keepdims-db2",
        "shallow",
        NO_FORWARD,
        "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)",
        "db2 = (1 / m) * np.sum(dZ2, axis=0)",
        "db2",
        "summed without keepdims",
    ),
    (
        "wrong-axis-db1",
        "shallow",
        NO_FORWARD,
        "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
        "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
        "db1",
        "summed over the wrong axis",
    ),
    (
        "tanh-prime-1-minus-A",
        "shallow",
        NO_FORWARD,
        "dZ1 = dA1 * (1 - A1**2)",
        "dZ1 = dA1 * (1 - A1)",
        "dZ1",
        "tanh′ written as 1 − A",
    ),
    (
        "tanh-prime-from-Z",
        "shallow",
        NO_FORWARD,
        "dZ1 = dA1 * (1 - A1**2)",
        "dZ1 = dA1 * (1 - cache['Z1'] ** 2)",
        "dZ1",
        "tanh′ computed from Z",
    ),
    (
        "sigma-prime-again",
        "shallow",
        NO_FORWARD,
        "dZ2 = A2 - Y",
        "dZ2 = (A2 - Y) * A2 * (1 - A2)",
        "dZ2",
        "σ′ applied again after BCE",
    ),
    (
        "constant-factor-dA1",
        "shallow",
        NO_FORWARD,
        "dA1 = dZ2 @ W2.T",
        "dA1 = 2 * dZ2 @ W2.T",
        "dA1",
        "constant factor 2",
    ),
    ("missing-key-db1", "shallow", NO_FORWARD, '"dW1": dW1, "db1": db1}', '"dW1": dW1}', "db1", "no key 'db1'"),
    (
        "float64-promotion-dW2",
        "shallow",
        NO_FORWARD,
        "dW2 = (1 / m) * (A1.T @ dZ2)",
        "dW2 = np.float64(1 / m) * (A1.T @ dZ2).astype(np.float64)",
        "dW2",
        "dtype float64 where the inputs are float32",
    ),
    (
        "nan-dZ1",
        "shallow",
        NO_FORWARD,
        "dZ1 = dA1 * (1 - A1**2)",
        "dZ1 = dA1 * (1 - A1**2) * np.log(A1 - A1)",
        "dZ1",
        "NaN/inf values",
    ),
    (
        "echo-only-params",
        "shallow",
        NO_FORWARD,
        'return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, ',
        "dZ1 = dA1 * (1 - A1)\n    dW1 = (1 / m) * (X.T @ dZ1)\n"
        "    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)\n"
        '    return {"dW2": dW2, "db2": db2, ',
        "dW1",
        "tanh′ written as 1 − A",
    ),
    (
        "forward-sigmoid-hidden",
        "shallow",
        SHALLOW,
        "A1 = np.tanh(Z1)",
        "A1 = 1 / (1 + np.exp(-Z1))",
        "A1",
        "no known kind",
    ),
    ("logistic-missing-1/m", "logistic", LOGISTIC, "dW = (1 / m) * (X.T @ dZ)", "dW = X.T @ dZ", "dW", "missing 1/m"),
    (
        "logistic-db-not-summed",
        "logistic",
        LOGISTIC,
        "db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)",
        "db = (1 / m) * dZ",
        "db",
        "summed over the wrong axis (or not summed)",
    ),
    (
        "logistic-sigma-prime-again",
        "logistic",
        LOGISTIC,
        "dZ = A - Y",
        "dZ = (A - Y) * A * (1 - A)",
        "dZ",
        "σ′ applied again after BCE",
    ),
    (
        "logistic-transposed-dW",
        "logistic",
        LOGISTIC,
        "dW = (1 / m) * (X.T @ dZ)",
        "dW = (1 / m) * (dZ.T @ X)",
        "dW",
        "transposed",
    ),
    (
        "logistic-broadcast-(m,)-(m,1)",
        "logistic",
        LOGISTIC,
        "dZ = A - Y",
        "dZ = A - Y.ravel()",
        "dZ",
        "an (m,) array was broadcast against an (m, 1) one",
    ),
    (
        "logistic-sign-db",
        "logistic",
        LOGISTIC,
        "db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)",
        "db = -(1 / m) * np.sum(dZ, axis=0, keepdims=True)",
        "db",
        "flipped sign",
    ),
]

# (id, model, template, line, replacement): correct but different formulations
CORRECT = [
    ("as-shipped", "shallow", SHALLOW, "", ""),
    ("without-forward", "shallow", NO_FORWARD, "", ""),
    (
        "mean-instead-of-sum/m",
        "shallow",
        NO_FORWARD,
        "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)",
        "db2 = np.mean(dZ2, axis=0, keepdims=True)",
    ),
    ("einsum", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = np.einsum('mi,mj->ij', X, dZ1) / m"),
    (
        "explicit-loops",
        "shallow",
        NO_FORWARD,
        "dW1 = (1 / m) * (X.T @ dZ1)",
        "dW1 = np.zeros((X.shape[1], dZ1.shape[1]), X.dtype)\n    for i in range(m):\n"
        "        dW1 += np.outer(X[i], dZ1[i]).astype(X.dtype) / m",
    ),
    (
        "tanh-prime-from-np.tanh(Z)",
        "shallow",
        NO_FORWARD,
        "dZ1 = dA1 * (1 - A1**2)",
        "dZ1 = dA1 * (1 - np.tanh(cache['Z1']) ** 2)",
    ),
    (
        "extra-keys",
        "shallow",
        NO_FORWARD,
        '"dW1": dW1, "db1": db1}',
        '"dW1": dW1, "db1": db1, "note": np.ones(1), "dA2": dZ2}',
    ),
    (
        "only-required-keys",
        "shallow",
        NO_FORWARD,
        'return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, ',
        'return {"dW2": dW2, "db2": db2, ',
    ),
    ("logistic-as-shipped", "logistic", LOGISTIC, "", ""),
]


def _write(tmp_path, name, template, line, replacement):
    if line:
        assert line in template, f"the template has no line {line!r}"
    path = tmp_path / (name.replace("/", "_").replace("(", "").replace(")", "").replace(",", "_") + ".py")
    path.write_text(template.replace(line, replacement, 1) if line else template)
    return path


@pytest.mark.parametrize("name, model, template, line, replacement, first, diagnosis", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_derivation_is_flagged_at_its_first_wrong_link(
    tmp_path, name, model, template, line, replacement, first, diagnosis
):
    report = check(_write(tmp_path, name, template, line, replacement), model, cases=12)
    assert report.verdict == "wrong", report.table()
    assert report.exit_code == 1
    assert report.first_wrong == first, report.table()
    verdict = next(t for t in report.tensors if t.name == first)
    assert diagnosis in verdict.diagnosis, report.table()
    assert verdict.first_failure and verdict.smallest_failure
    assert f"first wrong link: {first}" in report.reason
    downstream = [t for t in report.tensors if t.status == "echo"]
    assert all("follows from" in t.diagnosis for t in downstream)


@pytest.mark.parametrize("name, model, template, line, replacement", CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_formulations_pass(tmp_path, name, model, template, line, replacement):
    report = check(_write(tmp_path, name, template, line, replacement), model)
    assert report.verdict == "pass", report.table()
    assert report.exit_code == 0 and not report.warnings and not report.errors
    assert report.cases == 40 and all(t.cases == 40 for t in report.tensors if t.status == "ok")
    fd = [t for t in report.tensors if t.name.startswith(("dW", "db"))]
    assert all(t.fd_cases > 0 for t in fd), "parameter gradients are also checked by finite differences"


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
    assert "first wrong link: dW2: missing 1/m" in out and "WRONG" in out
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
    assert out[1].startswith("b_bad.py: WRONG: first wrong link: dZ2: flipped sign")
    assert out[2].startswith("c_broken.py: COULD NOT JUDGE: cannot import the file: SyntaxError")
    assert out[3].startswith("check: 1 passed, 1 wrong, 1 could not be judged (seed ")
    doc = json.loads(out_json.read_text())
    assert [f["verdict"] for f in doc["files"]] == ["pass", "wrong", "unusable"]


def test_cli_batch_mode_on_an_empty_folder_exits_2(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path), "--model", "shallow"]) == 2
    assert "no .py files" in capsys.readouterr().err


def test_check_many_and_the_python_api(tmp_path):
    _write(tmp_path, "good", LOGISTIC, "", "")
    reports = check_many(tmp_path, "logistic", cases=2)
    assert [r.verdict for r in reports] == ["pass"]
    assert torchref.assert_derivation(tmp_path / "good.py", "logistic", cases=2).verdict == "pass"
    bad = _write(tmp_path, "bad", LOGISTIC, "dZ = A - Y", "dZ = Y - A")
    with pytest.raises(AssertionError, match="first wrong link: dZ: flipped sign"):
        torchref.assert_derivation(bad, "logistic", cases=2)


def test_explain_prints_every_symbol_with_its_notes_shape(capsys):
    assert cli.main(["explain", "shallow", "--m", "3", "--n", "2", "--h", "4"]) == 0
    out = capsys.readouterr().out
    for line in [
        "Z1 = X W1 + b1    shape (m, h) = (3, 4)",
        "dZ1 = dA1 * (1 − A1²)    shape (m, h) = (3, 4)",
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
        "dZ1 = dA1 * [A1 > 0]    shape (m, h1) = (2, 3)" in out and "A3 = softmax(Z3)    shape (m, k) = (2, 4)" in out
    )
    assert cli.main(["explain", "perceptron", "--m", "4"]) == 0
    assert "dW" in capsys.readouterr().out
