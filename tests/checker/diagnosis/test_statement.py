"""What the report says about the learner's statement, each claim checked against a file whose truth is known.

A raising line explained from its operands' shapes (and not when NumPy's own message does not
confirm the reading); a mistake inside a helper named at the helper's line and at the call, and
a right helper called in the wrong place left at the call; a global of the notebook named with
its value; a tiny numerical difference from an eps told as tiny, with enough digits to see it;
the saturated case told in a note, apart from the verdict; repairs off by default where grades
are written, and free of the expected values under --hide-values.
"""

import json
import re

import nbformat
import pytest
from classroom import EXAMPLES

import torchref
from torchref import cli
from torchref.checker.diagnosis import shapes

SHALLOW = (EXAMPLES / "shallow_derivation.py").read_text()
SEED = 11


def _check(tmp_path, name: str, text: str, model: str = "shallow", **options):
    path = tmp_path / name
    path.write_text(text)
    return torchref.check(str(path), model=model, seed=SEED, cases=6, **options)


def _line_number(text: str, code: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.strip().startswith(code))


def _changed(old: str, new: str) -> str:
    assert old in SHALLOW
    return SHALLOW.replace(old, new)


# ---- a raising line, from its operands' shapes ---------------------------------------------------


COLUMNS = """import numpy as np


def forward(X, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z1 = W1.T @ X.T + b1  # examples in columns
    A1 = np.tanh(Z1)
    Z2 = W2.T @ A1 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    return A2.T, {"Z1": Z1.T, "A1": A1.T, "Z2": Z2.T, "A2": A2.T}


def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2 / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dZ1 = (dZ2 @ params["W2"].T) * (1 - A1 ** 2)
    dW1 = X.T @ dZ1 / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}
"""


def test_a_raising_line_is_explained_from_its_operands_shapes(tmp_path):
    report = _check(tmp_path, "columns.py", COLUMNS)
    assert report.verdict == "wrong" and report.first_wrong == "Z1"
    assert report.line.startswith(f"columns.py:{_line_number(COLUMNS, 'Z1 =')}  Z1 = W1.T @ X.T + b1")
    said = re.search(r"`W1\.T @ X\.T` is \((\d+), (\d+)\) = \(h, m\) and `b1` is \(1, (\d+)\) = \(1, h\)", report.cause)
    assert said and said[1] == said[3], report.cause  # the sizes are the case's, named in the notes' symbols
    assert "cannot broadcast" in report.cause


def test_shapes_are_said_only_when_numpys_message_names_them():
    error = {
        "code": "Z1 = W1.T @ X.T + b1",
        "shapes": {"X": [3, 2], "W1": [2, 4], "b1": [1, 4]},
        "message": "operands could not be broadcast together with shapes (4,3) (1,4) ",
    }
    sizes = {"m": 3, "n": 2, "h": 4}
    assert "`W1.T @ X.T` is (4, 3) = (h, m) and `b1` is (1, 4) = (1, h)" in shapes.explain(error, sizes)
    # a frame whose shapes do not give NumPy's message: no reading is said
    assert shapes.explain({**error, "message": "operands could not be broadcast together with shapes (5,3) (1,5) "},
                          sizes) == ""  # fmt: skip
    # two sizes equal: the numbers alone, no symbol guessed
    assert "(4, 4) and" in shapes.explain(
        {**error, "shapes": {"X": [4, 2], "W1": [2, 4], "b1": [1, 3]},
         "message": "operands could not be broadcast together with shapes (4,4) (1,3) "}, {"m": 4, "n": 2, "h": 4},
    )  # fmt: skip


def test_an_operand_read_from_a_dict_is_sized_as_a_local_one(tmp_path):
    """dA1 = dZ2 * params["W2"] gets the same shape sentence as dA1 = dZ2 * W2, and the repair."""
    for operand in ("W2", 'params["W2"]'):
        text = _changed("dA1 = dZ2 @ W2.T", f"dA1 = dZ2 * {operand}")
        report = _check(tmp_path, "times.py", text)
        assert report.first_wrong == "dA1", report.reason
        said = re.search(r"`dZ2` is \((\d+), 1\) = \(m, 1\) and `(.+?)` is \((\d+), 1\) = \(h, 1\)", report.cause)
        assert said and said[2].replace("'", '"') == operand, report.cause
        assert "cannot broadcast them together" in report.cause
        assert report.repair and report.repair["after"] == "dA1 = dZ2 @ W2.T", report.repair


def test_a_row_of_X_added_to_a_column_is_the_raising_link(tmp_path):
    text = """import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    A = cache["A"]
    dW = np.zeros_like(params["W"])
    db = np.zeros_like(params["b"])
    for i in range(m):
        dz = A[i] - Y[i]
        dW += X[i] * dz
        db += dz
    return {"dW": dW / m, "db": db / m}
"""
    report = _check(tmp_path, "rows.py", text, "logistic")
    assert report.verdict == "wrong" and report.first_wrong == "dW"
    assert {t.name: t.status for t in report.tensors}["dW"] == "wrong"
    assert report.line == f"rows.py:{_line_number(text, 'dW += X[i]')}  dW += X[i] * dz"
    assert re.search(r"`X\[i\] \* dz` is \((\d+),\) = \(n,\).*\(\1, 1\) = \(n, 1\)", report.cause), report.cause
    assert report.repair and report.repair["after"] == "dW += X[i:i + 1].T * dz"


# ---- a mistake inside a helper -------------------------------------------------------------------


OWN_TANH = _changed("A1 = np.tanh(Z1)", "A1 = tanh(Z1)").replace(
    "def forward", "def tanh(z):\n    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(z))\n\n\ndef forward"
)


def test_a_mistake_inside_a_helper_names_the_helpers_line_and_the_call(tmp_path):
    report = _check(tmp_path, "own_tanh.py", OWN_TANH)
    helper = _line_number(OWN_TANH, "return (np.exp(z)")
    call = _line_number(OWN_TANH, "A1 = tanh(Z1)")
    assert report.first_wrong == "A1" and report.mistake == "helper"
    assert report.line.startswith(f"own_tanh.py:{helper}  return (np.exp(z)")
    assert f"own_tanh.py:{call}" in report.cause and f"own_tanh.py:{helper}" in report.cause
    assert report.repair and report.repair["line"] == helper


def test_a_right_helper_called_where_another_function_belongs_is_the_calls_mistake(tmp_path):
    text = _changed("A1 = np.tanh(Z1)", "A1 = relu(Z1)").replace(
        "def forward", "def relu(z):\n    return np.maximum(z, 0)\n\n\ndef forward"
    )
    report = _check(tmp_path, "relu.py", text)
    assert report.first_wrong == "A1"
    assert report.line.startswith(f"relu.py:{_line_number(text, 'A1 = relu(Z1)')}  A1 = relu(Z1)")
    assert "helper" not in report.cause and "relu where the notes apply tanh" in report.cause


# ---- a notebook's global, with its value ---------------------------------------------------------


def test_a_notebook_global_read_by_backward_is_named_with_its_value(tmp_path):
    functions = SHALLOW[SHALLOW.index("def forward") :].replace("    m = X.shape[0]\n", "")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell(
            "rng = np.random.default_rng(0)\nX_train = rng.normal(size=(300, 2))\nm = X_train.shape[0]"
        ),  # fmt: skip
        nbformat.v4.new_code_cell(functions),
    ]
    path = tmp_path / "lab.ipynb"
    nbformat.write(nb, path)
    report = torchref.check(str(path), model="shallow", seed=SEED, cases=6)
    assert report.verdict == "wrong" and report.mistake == "global"
    assert "m = 300" in report.cause and "cell 2, line 3" in report.cause
    assert "constant factor" not in report.cause
    assert any("the global m" in note and "300" in note and "cell 2, line 3" in note for note in report.notes)


def test_a_global_constant_read_by_a_right_file_is_a_note(tmp_path):
    text = SHALLOW.replace("import numpy as np", "import numpy as np\n\nHALF = 0.5", 1).replace(
        "dZ2 = A2 - Y", "dZ2 = (A2 - Y) * HALF * 2"
    )
    report = _check(tmp_path, "half.py", text)
    assert report.verdict == "pass"
    assert any(note.startswith("backward reads the global HALF = 0.5") for note in report.notes), report.notes


@pytest.mark.parametrize(("name", "said"), [("lr", "the learning rate `lr` = 0.1"), ("scale", "times `scale` = 0.1")])
def test_a_global_factor_on_the_learners_line_is_named_with_its_value(tmp_path, name, said):
    """dW2 = lr * ...: the factor is the global the line reads, named with its value and where it is set; a
    learning rate's name says that the rate belongs to the update."""
    text = SHALLOW.replace("import numpy as np", f"import numpy as np\n\n{name} = 0.1", 1).replace(
        "dW2 = (1 / m) * (A1.T @ dZ2)", f"dW2 = {name} * (1 / m) * (A1.T @ dZ2)"
    )
    report = _check(tmp_path, "rate.py", text)
    assert report.first_wrong == "dW2" and said in report.cause, report.cause
    assert f"`{name} = 0.1` at rate.py:{_line_number(text, f'{name} = 0.1')}" in report.cause
    assert "constant factor" not in report.cause
    assert ("belongs to the update" in report.cause) == (name == "lr")
    assert report.mistake == ("learning-rate" if name == "lr" else "global")


# ---- a tiny numerical difference -----------------------------------------------------------------


EPS = """import numpy as np

eps = 1e-6


def backward(X, Y, params, cache):
    m = X.shape[0]
    A = cache["A"]
    dA = -(Y / (A + eps)) + (1 - Y) / (1 - A + eps)
    dZ = dA * A * (1 - A)
    dW = (1 / m) * np.dot(X.T, dZ)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)
    return {"dZ": dZ, "dW": dW, "db": db}
"""


def test_a_tiny_difference_from_an_eps_is_told_as_tiny_and_numerical_with_its_digits(tmp_path):
    report = _check(tmp_path, "eps.py", EPS, "logistic")
    assert report.first_wrong == "dZ" and report.mistake == "eps"
    assert "a tiny, numerical difference" in report.cause and "1e-06" in report.cause
    assert report.line.startswith(f"eps.py:{_line_number(EPS, 'dA =')}  dA = ")
    small = report.small_case_text()
    found = re.search(r"the reference's (\S+), yours (\S+) \(a difference of", small)
    assert found and found[1] != found[2], small  # printed with enough digits to differ


# ---- the saturated case, apart from the verdict ----------------------------------------------------


def test_a_derivative_that_turns_nan_where_sigma_saturates_is_a_note_not_the_verdict(tmp_path):
    text = EPS.replace(" + eps", "").replace("eps = 1e-6\n", "")
    report = _check(tmp_path, "chain_rule.py", text, "logistic")
    assert report.verdict == "pass", report.reason
    saturated = [n for n in report.notes if n.startswith("on a saturated case")]
    assert saturated and "dZ" in saturated[0] and "not in the verdict" in saturated[0]
    assert f"chain_rule.py:{_line_number(text, 'dZ =')}" in saturated[0]
    assert not [n for n in _check(tmp_path, "notes.py", SHALLOW).notes if n.startswith("on a saturated case")]


# ---- repairs where grades are written, and under --hide-values ------------------------------------


@pytest.mark.parametrize("output", ["--csv", "--gradescope", "--prairielearn", "--coursera", "--coderunner"])
def test_repairs_are_off_by_default_where_grades_are_written(tmp_path, output):
    def options(*extra):
        args = cli.parser().parse_args(["check", str(tmp_path), "--model", "shallow", *extra])
        return cli.check_options(args)["repair"]

    target = str(tmp_path / "out")
    assert options() is True
    assert options(output, target) is False
    assert options(output, target, "--repair") is True
    assert options("--no-repair") is False


def test_a_repair_under_hide_values_carries_none_of_the_expected_values(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "tanh.py").write_text(_changed("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)"))
    shown, hidden = tmp_path / "shown.json", tmp_path / "hidden.json"
    for out, extra in ((shown, []), (hidden, ["--hide-values"])):
        cli.main(["check", str(folder), "--model", "shallow", "--seed", "3", "--cases", "4", "--quiet",
                  "--json", str(out), *extra])  # fmt: skip
    (report,), (secret,) = (json.loads(p.read_text())["files"] for p in (shown, hidden))
    assert secret["repair"] and secret["repair"] == report["repair"]
    expected = report["tensors"][[t["name"] for t in report["tensors"]].index("dZ1")]["small_case"]["expected"]["dZ1"]
    numbers = {json.dumps(v) for row in expected for v in row}  # as the report writes them
    assert numbers and all(n in json.dumps(report) for n in numbers)
    assert not any(n in json.dumps(secret) for n in numbers)
