"""`torchref check` names the known mistakes: the catalogue, each at its first wrong link and line.

Each wrong derivation is a shipped example (or a deep file) with one line changed; the
table reads as "this line, written this way, must be caught at this link, on this line of
the learner's file, as this mistake". Correct reformulations must pass.
"""

from pathlib import Path

import numpy as np
import pytest
from test_mistakes_unseen import DEEP_LOOP

import torchref
from torchref.checker import check

EXAMPLES = Path(torchref.__file__).parent / "examples"
SHALLOW = (EXAMPLES / "shallow_derivation.py").read_text()
LOGISTIC = (EXAMPLES / "logistic_derivation.py").read_text()
NO_FORWARD = SHALLOW[: SHALLOW.index("def forward")] + SHALLOW[SHALLOW.index("def backward") :]
RETURN = 'return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}'
DEEP = DEEP_LOOP  # a deep file written as a loop over the layers, tanh hidden layers
SEED = 4242

# (id, model, template, line, the learner's version, first wrong link, mistake name, the learner's line)
WRONG = [
    ("missing-1/m-dW2", "shallow", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = A1.T @ dZ2", "dW2", "missing-1/m",
     "dW2 = A1.T @ dZ2"),
    ("extra-1/m-dW1", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * (X.T @ dZ1) / m", "dW1",
     "extra-1/m", "dW1 = (1 / m) * (X.T @ dZ1) / m"),
    ("sign-dZ2", "shallow", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = Y - A2", "dZ2", "sign", "dZ2 = Y - A2"),
    ("transposed-dW1", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * (dZ1.T @ X)", "dW1",
     "transposed", "dW1 = (1 / m) * (dZ1.T @ X)"),
    ("no-keepdims-db2", "shallow", NO_FORWARD, "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)",
     "db2 = (1 / m) * np.sum(dZ2, axis=0)", "db2", "keepdims", "db2 = (1 / m) * np.sum(dZ2, axis=0)"),
    ("axis-1-db1", "shallow", NO_FORWARD, "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
     "db1 = np.sum(dZ1, axis=1, keepdims=True) / m", "db1", "axis", "db1 = np.sum(dZ1, axis=1, keepdims=True) / m"),
    ("tanh-prime-1-minus-A", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)", "dZ1",
     "tanh-prime-1-minus-A", "dZ1 = dA1 * (1 - A1)"),
    ("tanh-prime-from-Z", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - cache['Z1'] ** 2)",
     "dZ1", "tanh-prime-from-Z", "dZ1 = dA1 * (1 - cache['Z1'] ** 2)"),
    ("sigma-prime-for-tanh-prime", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * A1 * (1 - A1)",
     "dZ1", "sigma-prime-for-tanh-prime", "dZ1 = dA1 * A1 * (1 - A1)"),
    ("g-prime-left-out", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dZ2 @ W2.T", "dZ1",
     "g-prime-left-out", "dZ1 = dZ2 @ W2.T"),
    ("Z-for-A-dW2", "shallow", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = (1 / m) * (cache['Z1'].T @ dZ2)",
     "dW2", "z-for-a", "dW2 = (1 / m) * (cache['Z1'].T @ dZ2)"),
    ("square-outside", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - np.tanh(cache['Z1'])) ** 2",
     "dZ1", "square-outside", "dZ1 = dA1 * (1 - np.tanh(cache['Z1'])) ** 2"),
    ("l2-term-dW1", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)",
     "dW1 = (1 / m) * (X.T @ dZ1) + 0.05 * params['W1']", "dW1", "extra-term-W",
     "dW1 = (1 / m) * (X.T @ dZ1) + 0.05 * params['W1']"),
    ("m-from-columns", "shallow", NO_FORWARD, "m = X.shape[0]", "m = X.shape[1]", "dW2", "m-from-columns",
     "dW2 = (1 / m) * (A1.T @ dZ2)"),
    ("first-unit-tanh-prime", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1[:, [0]] ** 2)",
     "dZ1", "first-unit-g-prime", "dZ1 = dA1 * (1 - A1[:, [0]] ** 2)"),
    ("only-row-0", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * (X[:1].T @ dZ1[:1])", "dW1",
     "only-row-0", "dW1 = (1 / m) * (X[:1].T @ dZ1[:1])"),
    ("divided-by-h-dW1", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)",
     "dW1 = (1 / m) * (X.T @ dZ1) / W2.shape[0]", "dW1", "factor-1/h", "dW1 = (1 / m) * (X.T @ dZ1) / W2.shape[0]"),
    ("factor-2-dA1", "shallow", NO_FORWARD, "dA1 = dZ2 @ W2.T", "dA1 = 2 * dZ2 @ W2.T", "dA1", "factor-2",
     "dA1 = 2 * dZ2 @ W2.T"),
    ("sigma-prime-again", "shallow", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = (A2 - Y) * A2 * (1 - A2)", "dZ2",
     "sigma-prime-again", "dZ2 = (A2 - Y) * A2 * (1 - A2)"),
    ("scalar-db2", "shallow", NO_FORWARD, "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)", "db2 = np.mean(dZ2)",
     "db2", "scalar-sum", "db2 = np.mean(dZ2)"),
    ("dA-for-dZ-db1", "shallow", NO_FORWARD, "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
     "db1 = (1 / m) * np.sum(dA1, axis=0, keepdims=True)", "db1", "dA-for-dZ",
     "db1 = (1 / m) * np.sum(dA1, axis=0, keepdims=True)"),
    ("missing-key-db1", "shallow", NO_FORWARD, '"dW1": dW1, "db1": db1}', '"dW1": dW1}', "db1", "missing-key", ""),
    ("float64-promotion-dW2", "shallow", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)",
     "dW2 = np.float64(1 / m) * (A1.T @ dZ2).astype(np.float64)", "dW2", "dtype",
     "dW2 = np.float64(1 / m) * (A1.T @ dZ2).astype(np.float64)"),
    ("nan-dZ1", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1**2) * np.log(A1 - A1)", "dZ1",
     "nan", "dZ1 = dA1 * (1 - A1**2) * np.log(A1 - A1)"),
    ("upstream-not-returned", "shallow", NO_FORWARD, RETURN,
     'dZ1 = dA1 * (1 - A1)\n    dW1 = (1 / m) * (X.T @ dZ1)\n    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)\n'
     '    return {"dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}', "dW1", "tanh-prime-1-minus-A",
     "dW1 = (1 / m) * (X.T @ dZ1)"),
    ("forward-sigmoid-hidden", "shallow", SHALLOW, "A1 = np.tanh(Z1)", "A1 = 1 / (1 + np.exp(-Z1))", "A1",
     "sigmoid-for-tanh", "A1 = 1 / (1 + np.exp(-Z1))"),
    ("forward-Z-for-A", "shallow", SHALLOW, "Z2 = A1 @ W2 + b2", "Z2 = Z1 @ W2 + b2", "Z2", "z-for-a",
     "Z2 = Z1 @ W2 + b2"),
    ("logistic-missing-1/m", "logistic", LOGISTIC, "dW = (1 / m) * (X.T @ dZ)", "dW = X.T @ dZ", "dW", "missing-1/m",
     "dW = X.T @ dZ"),
    ("logistic-db-not-summed", "logistic", LOGISTIC, "db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)",
     "db = (1 / m) * dZ", "db", "axis", "db = (1 / m) * dZ"),
    ("logistic-sigma-prime-again", "logistic", LOGISTIC, "dZ = A - Y", "dZ = (A - Y) * A * (1 - A)", "dZ",
     "sigma-prime-again", "dZ = (A - Y) * A * (1 - A)"),
    ("logistic-transposed-dW", "logistic", LOGISTIC, "dW = (1 / m) * (X.T @ dZ)", "dW = (1 / m) * (dZ.T @ X)", "dW",
     "transposed", "dW = (1 / m) * (dZ.T @ X)"),
    ("logistic-broadcast", "logistic", LOGISTIC, "dZ = A - Y", "dZ = A - Y.ravel()", "dZ", "broadcast",
     "dZ = A - Y.ravel()"),
    ("logistic-ravel", "logistic", LOGISTIC, "dZ = A - Y", "dZ = A.ravel() - Y.ravel()", "dZ", "1-d",
     "dZ = A.ravel() - Y.ravel()"),
    ("logistic-sign-db", "logistic", LOGISTIC, "db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)",
     "db = -(1 / m) * np.sum(dZ, axis=0, keepdims=True)", "db", "sign",
     "db = -(1 / m) * np.sum(dZ, axis=0, keepdims=True)"),
    ("logistic-m-from-columns", "logistic", LOGISTIC, "m = X.shape[0]", "m = X.shape[1]", "dW", "m-from-columns",
     "dW = (1 / m) * (X.T @ dZ)"),
    ("deep-tanh-prime-1-minus-A", "deep_tanh_sigmoid", DEEP, "dZ = dA * (1 - A_prev**2)", "dZ = dA * (1 - A_prev)",
     "dZ2", "tanh-prime-1-minus-A", "dZ = dA * (1 - A_prev)"),
    ("deep-sigma-prime-in-relu-net", "deep_relu_sigmoid", DEEP, "dZ = dA * (1 - A_prev**2)",
     "dZ = dA * A_prev * (1 - A_prev)", "dZ2", "sigma-prime-for-relu-prime", "dZ = dA * A_prev * (1 - A_prev)"),
    ("deep-loop-stops-early", "deep_tanh_sigmoid", DEEP, "for l in range(L, 0, -1):", "for l in range(L, 1, -1):",
     "dW1", "missing-key", ""),
    ("deep-missing-1/m", "deep_tanh_softmax", DEEP, "(1 / m) * (A_prev.T @ dZ)", "A_prev.T @ dZ", "dW3",
     "missing-1/m", 'grads[f"dW{l}"] = A_prev.T @ dZ'),
]  # fmt: skip

# (id, model, template, line, replacement): correct but different formulations
CORRECT = [
    ("as-shipped", "shallow", SHALLOW, "", ""),
    ("without-forward", "shallow", NO_FORWARD, "", ""),
    ("mean-instead-of-sum/m", "shallow", NO_FORWARD, "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)",
     "db2 = np.mean(dZ2, axis=0, keepdims=True)"),
    ("einsum", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = np.einsum('mi,mj->ij', X, dZ1) / m"),
    ("explicit-loops", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)",
     "dW1 = np.zeros((X.shape[1], dZ1.shape[1]), X.dtype)\n    for i in range(m):\n"
     "        dW1 += np.outer(X[i], dZ1[i]).astype(X.dtype) / m"),
    ("tanh-prime-from-np.tanh(Z)", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)",
     "dZ1 = dA1 * (1 - np.tanh(cache['Z1']) ** 2)"),
    ("extra-keys", "shallow", NO_FORWARD, '"dW1": dW1, "db1": db1}',
     '"dW1": dW1, "db1": db1, "note": np.ones(1), "dA2": dZ2}'),
    ("only-required-keys", "shallow", NO_FORWARD, RETURN, 'return {"dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}'),
    ("in-place-on-own-arrays", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)",
     "dZ1 = dA1.copy()\n    dZ1 *= 1 - A1**2"),
    ("logistic-as-shipped", "logistic", LOGISTIC, "", ""),
    ("deep-loop", "deep_tanh_sigmoid", DEEP, "", ""),
]  # fmt: skip


def _write(tmp_path, name, template, line, replacement):
    if line:
        assert template.count(line) == 1, f"the template must hold {line!r} once"
    path = tmp_path / (name.replace("/", "_").replace("(", "").replace(")", "") + ".py")
    path.write_text(template.replace(line, replacement) if line else template)
    return path


def test_the_catalogue_test_is_large():
    assert len(WRONG) >= 30 and len({w[0] for w in WRONG}) == len(WRONG)
    assert len({w[6] for w in WRONG}) >= 25


@pytest.mark.parametrize("entry", WRONG, ids=[w[0] for w in WRONG])
def test_a_known_mistake_is_named_at_its_link_and_line(tmp_path, entry):
    name, model, template, line, replacement, first, mistake, code = entry
    path = _write(tmp_path, name, template, line, replacement)
    dtypes = ("float32",) if mistake == "dtype" else ("float64",)
    report = check(path, model, cases=8, seed=SEED, dtypes=dtypes)
    assert report.verdict == "wrong" and report.exit_code == 1, report.table()
    assert report.first_wrong == first, report.table()
    assert report.mistake == mistake, report.table()
    assert report.cause and f"first wrong link: {first}: " in report.reason
    if name == "deep-loop-stops-early":
        assert "the loop at line 9 stores dW{l}: does it reach layer 1?" in report.reason, report.reason
    if code:
        lines = path.read_text().splitlines()
        number = max(i for i, text in enumerate(lines, 1) if text.strip().startswith(code))  # the last assignment
        assert report.line == f"{path.name}:{number}  {code}", report.table()
    verdict = next(t for t in report.tensors if t.name == first)
    assert all("follows from" in t.diagnosis for t in report.tensors if t.status == "echo")
    if verdict.status == "wrong" and verdict.small_case:
        small = verdict.small_case
        assert {"X", "Y", "params", "expected", "yours"} <= set(small)
        X = np.asarray(small["X"])
        assert X.shape[0] <= 3 and X.shape[1] <= 2, small["case"]


@pytest.mark.parametrize("name, model, template, line, replacement", CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_formulations_pass(tmp_path, name, model, template, line, replacement):
    report = check(_write(tmp_path, name, template, line, replacement), model, cases=12, seed=SEED)
    assert report.verdict == "pass", report.table()
    assert report.exit_code == 0 and not report.warnings and not report.errors
    assert not report.mistake and not report.cause and not report.line
    assert report.cases == 24 and all(t.cases == 24 for t in report.tensors if t.status == "ok")


def test_a_mistake_that_explains_only_some_cases_is_not_the_cause(tmp_path):
    """1/m left out where m < 6 and a factor 2 elsewhere: a label true of part of the failing cases is no cause."""
    path = _write(tmp_path, "partial", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)",
                  "dW2 = (A1.T @ dZ2) if m < 6 else 2 * (1 / m) * (A1.T @ dZ2)")  # fmt: skip
    report = check(path, "shallow", cases=10, seed=SEED, dtypes=("float64",))
    dW2 = next(t for t in report.tensors if t.name == "dW2")
    # the ten named shapes: m = 3, 2, 3, 4, 5 miss the 1/m, m = 7, 64, 512 have the factor 2, m = 1 passes
    assert report.first_wrong == "dW2" and dW2.failed == 8
    assert report.mistake == "" and not dW2.computed
    assert "1/m" not in report.cause.split("; the notes:")[0] and "no known mistake" in report.cause, report.cause
