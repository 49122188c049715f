"""`torchref check` names the known mistakes: the catalogue, each at its first wrong link and line.

Each wrong derivation is a shipped example (or a deep file) with one line changed; the
table reads as "this line, written this way, must be caught at this link, on this line of
the learner's file, as this mistake". Correct reformulations must pass.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from classroom import DEEP_LOOP, EXAMPLES

from torchref.checker import check
from torchref.registry import REGISTRY, Shape
from torchref_handmade import activations

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
     "dZ1 = dA1 * (1 - A1)"),  # the learner's line that made the wrong value, not returned
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
    # an echo names what it follows from (or, through a value the file does not return, what it may follow from)
    assert all(re.search(r"\b(follows|may follow) from ", t.diagnosis) for t in report.tensors if t.status == "echo")
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
    assert report.cases_of("backward") == 24 and all(t.cases == 24 for t in report.tensors if t.status == "ok")


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


# ----------------------------------------------------------------------------------------
# Mistakes written from the notes alone, before the checker's reconstruction existed.
#
# Each entry is a correct file with one line changed, as a learner would change it after
# reading the notes, with what the checker must find: the first wrong link, the learner's
# line that produced it, and the cause. The cause is given twice, either of which counts:
# the names of the known mistakes that describe it, and `expr`, what the learner actually
# computed as a Python expression of the notes' symbols (X, Y, m, n, h, W1, b1, Z1, A1, ...,
# dZ2, dA1, ...; NumPy as `np`; the activations of `torchref_handmade.activations`).
#
# The checker states a cause as a mistake name (`FileReport.mistake`) or as a formula: the
# verdict of the first wrong link carries `computed`, the same kind of expression. A stated
# formula is evaluated here on fresh values of shapes the checker never saw and must equal
# `expr` there: a formula that is not what the learner computed is a defect, whatever the
# share of causes named. This file is not used to tune the checker.


LOGISTIC_FORWARD = LOGISTIC.replace(
    "def backward",
    "def forward(X, params):\n"
    '    W, b = params["W"], params["b"]\n'
    "    Z = X @ W + b\n"
    "    A = 1 / (1 + np.exp(-Z))\n"
    '    return A, {"Z": Z, "A": A}\n\n\n'
    "def backward",
)
DEEP_TWO_HIDDEN = """import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    W2, W3 = params["W2"], params["W3"]
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]
    dZ3 = A3 - Y                                            # (m, 1)
    dW3 = (1 / m) * (A2.T @ dZ3)                            # (h2, 1)
    db3 = (1 / m) * np.sum(dZ3, axis=0, keepdims=True)      # (1, 1)
    dA2 = dZ3 @ W3.T                                        # (m, h2)
    dZ2 = dA2 * (1 - A2**2)                                 # (m, h2)
    dW2 = (1 / m) * (A1.T @ dZ2)                            # (h1, h2)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)      # (1, h2)
    dA1 = dZ2 @ W2.T                                        # (m, h1)
    dZ1 = dA1 * (1 - A1**2)                                 # (m, h1)
    dW1 = (1 / m) * (X.T @ dZ1)                             # (n, h1)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)      # (1, h1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3,
            "dZ1": dZ1, "dZ2": dZ2, "dZ3": dZ3, "dA1": dA1, "dA2": dA2}
"""
TANH_PRIME_LOOP = "dZ = dA * (1 - A_prev**2)"

# (id, model, template, line in the template, the learner's version, first wrong link,
#  the learner's line that produced it, names that describe it, what the learner computed)
UNSEEN = [
    ("sigma-prime-for-tanh-prime", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * A1 * (1 - A1)",
     "dZ1", "dZ1 = dA1 * A1 * (1 - A1)", {"sigma-prime-for-tanh-prime"}, "dA1 * A1 * (1 - A1)"),
    ("g-prime-left-out", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dZ2 @ W2.T",
     "dZ1", "dZ1 = dZ2 @ W2.T", {"g-prime-left-out"}, "dA1"),
    ("Z1-for-A1-in-dW2", "shallow", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = (1 / m) * (cache['Z1'].T @ dZ2)",
     "dW2", "dW2 = (1 / m) * (cache['Z1'].T @ dZ2)", {"z-for-a"}, "(1 / m) * (Z1.T @ dZ2)"),
    ("square-outside", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - np.tanh(cache['Z1'])) ** 2",
     "dZ1", "dZ1 = dA1 * (1 - np.tanh(cache['Z1'])) ** 2", {"square-outside"}, "dA1 * (1 - A1) ** 2"),
    ("l2-penalty-dW1", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)",
     "dW1 = (1 / m) * (X.T @ dZ1) + 0.01 * params['W1']",
     "dW1", "dW1 = (1 / m) * (X.T @ dZ1) + 0.01 * params['W1']", {"extra-term-W"}, "(1 / m) * (X.T @ dZ1) + 0.01 * W1"),
    ("m-from-columns", "shallow", NO_FORWARD, "m = X.shape[0]", "m = X.shape[1]",
     "dW2", "dW2 = (1 / m) * (A1.T @ dZ2)", {"m-from-columns"}, "(1 / n) * (A1.T @ dZ2)"),
    ("db1-over-axis-1", "shallow", NO_FORWARD, "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
     "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
     "db1", "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)", {"axis"},
     "(1 / m) * np.sum(dZ1, axis=1, keepdims=True)"),
    ("first-unit-tanh-prime", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1[:, :1] ** 2)",
     "dZ1", "dZ1 = dA1 * (1 - A1[:, :1] ** 2)", {"first-unit-g-prime"}, "dA1 * (1 - A1[:, :1] ** 2)"),
    ("only-row-0", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * np.outer(X[0], dZ1[0])",
     "dW1", "dW1 = (1 / m) * np.outer(X[0], dZ1[0])", {"only-row-0"}, "(1 / m) * (X[:1].T @ dZ1[:1])"),
    ("factor-2-dZ2", "shallow", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = 2 * (A2 - Y)",
     "dZ2", "dZ2 = 2 * (A2 - Y)", {"factor-2"}, "2 * (A2 - Y)"),
    ("dA1-for-dZ1-in-dW1", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * (X.T @ dA1)",
     "dW1", "dW1 = (1 / m) * (X.T @ dA1)", {"dA-for-dZ"}, "(1 / m) * (X.T @ dA1)"),
    ("db2-a-scalar", "shallow", NO_FORWARD, "db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)",
     "db2 = np.sum(dZ2) / m",
     "db2", "db2 = np.sum(dZ2) / m", {"scalar-sum"}, "np.sum(dZ2) / m"),
    ("db1-mean-without-keepdims", "shallow", NO_FORWARD, "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
     "db1 = np.mean(dZ1, axis=0)", "db1", "db1 = np.mean(dZ1, axis=0)", {"keepdims"}, "np.mean(dZ1, axis=0)"),
    ("dW2-transposed", "shallow", NO_FORWARD, "dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = (1 / m) * (dZ2.T @ A1)",
     "dW2", "dW2 = (1 / m) * (dZ2.T @ A1)", {"transposed"}, "(1 / m) * (dZ2.T @ A1)"),
    ("1/m-in-dZ2", "shallow", NO_FORWARD, "dZ2 = A2 - Y", "dZ2 = (A2 - Y) / m",
     "dZ2", "dZ2 = (A2 - Y) / m", {"extra-1/m"}, "(A2 - Y) / m"),
    ("tanh-prime-of-Z1", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - cache['Z1'] ** 2)",
     "dZ1", "dZ1 = dA1 * (1 - cache['Z1'] ** 2)", {"tanh-prime-from-Z"}, "dA1 * (1 - Z1**2)"),
    ("plus-in-tanh-prime", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 + A1**2)",
     "dZ1", "dZ1 = dA1 * (1 + A1**2)", set(), "dA1 * (1 + A1**2)"),
    ("tanh-prime-of-A2", "shallow", NO_FORWARD, "dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A2**2)",
     "dZ1", "dZ1 = dA1 * (1 - A2**2)", set(), "dA1 * (1 - A2**2)"),
    ("db1-from-dA1", "shallow", NO_FORWARD, "db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)",
     "db1 = (1 / m) * np.sum(dA1, axis=0, keepdims=True)",
     "db1", "db1 = (1 / m) * np.sum(dA1, axis=0, keepdims=True)", {"dA-for-dZ"},
     "(1 / m) * np.sum(dA1, axis=0, keepdims=True)"),
    ("dW1-without-1/m", "shallow", NO_FORWARD, "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = X.T @ dZ1",
     "dW1", "dW1 = X.T @ dZ1", {"missing-1/m"}, "X.T @ dZ1"),
    ("tanh-prime-in-dA1", "shallow", NO_FORWARD, "dA1 = dZ2 @ W2.T", "dA1 = dZ2 @ W2.T * (1 - A1**2)",
     "dA1", "dA1 = dZ2 @ W2.T * (1 - A1**2)", set(), "(dZ2 @ W2.T) * (1 - A1**2)"),
    ("hidden-sigmoid", "shallow", SHALLOW, "A1 = np.tanh(Z1)", "A1 = 1 / (1 + np.exp(-Z1))",
     "A1", "A1 = 1 / (1 + np.exp(-Z1))", set(), "sigmoid(Z1)"),
    ("no-bias-Z1", "shallow", SHALLOW, "Z1 = X @ W1 + b1", "Z1 = X @ W1",
     "Z1", "Z1 = X @ W1", set(), "X @ W1"),
    ("Z1-for-A1-in-Z2", "shallow", SHALLOW, "Z2 = A1 @ W2 + b2", "Z2 = Z1 @ W2 + b2",
     "Z2", "Z2 = Z1 @ W2 + b2", {"z-for-a"}, "Z1 @ W2 + b2"),
    ("logistic-A-for-dZ", "logistic", LOGISTIC, "dW = (1 / m) * (X.T @ dZ)", "dW = (1 / m) * (X.T @ A)",
     "dW", "dW = (1 / m) * (X.T @ A)", set(), "(1 / m) * (X.T @ A)"),
    ("logistic-ravel", "logistic", LOGISTIC, "dZ = A - Y", "dZ = A.ravel() - Y.ravel()",
     "dZ", "dZ = A.ravel() - Y.ravel()", {"1-d"}, "A.ravel() - Y.ravel()"),
    ("logistic-m-from-columns", "logistic", LOGISTIC, "m = X.shape[0]", "m = X.shape[1]",
     "dW", "dW = (1 / m) * (X.T @ dZ)", {"m-from-columns"}, "(1 / n) * (X.T @ dZ)"),
    ("logistic-divided-by-sigma-prime", "logistic", LOGISTIC, "dZ = A - Y", "dZ = (A - Y) / (A * (1 - A))",
     "dZ", "dZ = (A - Y) / (A * (1 - A))", set(), "(A - Y) / (A * (1 - A))"),
    ("logistic-l2-over-m", "logistic", LOGISTIC, "dW = (1 / m) * (X.T @ dZ)",
     "dW = (1 / m) * (X.T @ dZ) + (0.1 / m) * params['W']",
     "dW", "dW = (1 / m) * (X.T @ dZ) + (0.1 / m) * params['W']", {"extra-term-W"},
     "(1 / m) * (X.T @ dZ) + (0.1 / m) * W"),
    ("logistic-dW-as-a-row", "logistic", LOGISTIC, "dW = (1 / m) * (X.T @ dZ)",
     "dW = (1 / m) * np.sum(X * dZ, axis=0, keepdims=True)",
     "dW", "dW = (1 / m) * np.sum(X * dZ, axis=0, keepdims=True)", {"transposed"},
     "(1 / m) * np.sum(X * dZ, axis=0, keepdims=True)"),
    ("logistic-sigmoid-of-minus-Z", "logistic", LOGISTIC_FORWARD, "A = 1 / (1 + np.exp(-Z))", "A = 1 / (1 + np.exp(Z))",
     "A", "A = 1 / (1 + np.exp(Z))", set(), "sigmoid(-Z)"),
    ("logistic-minus-b", "logistic", LOGISTIC_FORWARD, "Z = X @ W + b", "Z = X @ W - b",
     "Z", "Z = X @ W - b", set(), "X @ W - b"),
    ("deep-tanh-prime-1-minus-A", "deep_tanh_sigmoid", DEEP_LOOP, TANH_PRIME_LOOP, "dZ = dA * (1 - A_prev)",
     "dZ2", "dZ = dA * (1 - A_prev)", {"tanh-prime-1-minus-A"}, "dA2 * (1 - A2)"),
    ("deep-1/m-in-dA", "deep_tanh_sigmoid", DEEP_LOOP, 'dA = dZ @ params[f"W{l}"].T', 'dA = dZ @ params[f"W{l}"].T / m',
     "dA2", 'dA = dZ @ params[f"W{l}"].T / m', {"extra-1/m"}, "(dZ3 @ W3.T) / m"),
    ("deep-relu-prime-always-1", "deep_relu_sigmoid", DEEP_LOOP, TANH_PRIME_LOOP, "dZ = dA * (A_prev >= 0)",
     "dZ2", "dZ = dA * (A_prev >= 0)", {"g-prime-left-out"}, "dA2"),
    ("deep-tanh-prime-in-sigmoid-net", "deep_sigmoid_sigmoid", DEEP_LOOP, TANH_PRIME_LOOP, TANH_PRIME_LOOP,
     "dZ2", "dZ = dA * (1 - A_prev**2)", {"tanh-prime-for-sigma-prime"}, "dA2 * (1 - A2**2)"),
    ("deep-softmax-sigma-prime-again", "deep_tanh_softmax", DEEP_LOOP, 'dZ = cache[f"A{L}"] - Y',
     'dZ = (cache[f"A{L}"] - Y) * cache[f"A{L}"] * (1 - cache[f"A{L}"])',
     "dZ3", 'dZ = (cache[f"A{L}"] - Y) * cache[f"A{L}"] * (1 - cache[f"A{L}"])', {"sigma-prime-again"},
     "(A3 - Y) * A3 * (1 - A3)"),
    ("deep-db-over-axis-1", "deep_tanh_sigmoid", DEEP_LOOP, "np.sum(dZ, axis=0, keepdims=True)",
     "np.sum(dZ, axis=1, keepdims=True)",
     "db3", 'grads[f"db{l}"] = (1 / m) * np.sum(dZ, axis=1, keepdims=True)', {"axis"},
     "(1 / m) * np.sum(dZ3, axis=1, keepdims=True)"),
    ("deep-written-out-dW3-without-1/m", "deep_tanh_sigmoid", DEEP_TWO_HIDDEN, "dW3 = (1 / m) * (A2.T @ dZ3)",
     "dW3 = A2.T @ dZ3", "dW3", "dW3 = A2.T @ dZ3", {"missing-1/m"}, "A2.T @ dZ3"),
    ("deep-written-out-A1-for-X", "deep_tanh_sigmoid", DEEP_TWO_HIDDEN, "dW1 = (1 / m) * (X.T @ dZ1)",
     "dW1 = (1 / m) * (A1.T @ dZ1)", "dW1", "dW1 = (1 / m) * (A1.T @ dZ1)", set(), "(1 / m) * (A1.T @ dZ1)"),
]  # fmt: skip

UNSEEN_SEED = 20261124


def _write_unseen(tmp_path, name, template, line, replacement) -> Path:
    assert template.count(line) == 1, f"the template must hold {line!r} once"
    path = tmp_path / (name.replace("/", "_") + ".py")
    path.write_text(template.replace(line, replacement))
    return path


def _values(model: str, shape: Shape, seed: int) -> dict:
    """The notes' symbols of one fresh float64 case: inputs, parameters, forward and backward values, m, n, h."""
    pair = REGISTRY[model]
    s = pair.sample(shape, "float64", seed)
    names = {name: getattr(activations, name) for name in dir(activations) if not name.startswith("_")}
    sizes = {"m": shape.m, "n": shape.n, **({"h": shape.hidden[0]} if shape.hidden else {})}
    return {"np": np, **names, "X": s.X, "Y": s.Y, **sizes, **s.params, **pair.handmade(s)}


def _fresh_shapes(model: str):
    k = REGISTRY[model].shapes[0].k
    depth = {"logistic": (), "shallow": (4,)}.get(model, (4, 3))
    other = {"logistic": (), "shallow": (3,)}.get(model, (3, 2))
    return [Shape(5, 3, depth, k), Shape(6, 2, other, k)]


def _same(formula: str, expr: str, model: str) -> bool:
    """Whether `formula` gives what `expr` gives on fresh cases of two new shapes."""
    for i, shape in enumerate(_fresh_shapes(model)):
        env = _values(model, shape, UNSEEN_SEED + i)
        try:
            with np.errstate(all="ignore"):
                got, want = np.asarray(eval(formula, env)), np.asarray(eval(expr, env))
        except Exception:
            return False
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6, atol=1e-9):
            return False
    return True


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unseen")
    out = {}
    for name, model, template, line, replacement, *_ in UNSEEN:
        path = _write_unseen(tmp, name, template, line, replacement)
        out[name] = (path, check(path, model, cases=8, seed=UNSEEN_SEED))
    return out


def test_the_catalogue_is_large_and_covers_three_models():
    assert len(UNSEEN) >= 30 and len({u[0] for u in UNSEEN}) == len(UNSEEN)
    models = {u[1] for u in UNSEEN}
    assert {"logistic", "shallow"} <= models and any(m.startswith("deep_") for m in models)


@pytest.mark.parametrize("entry", UNSEEN, ids=[u[0] for u in UNSEEN])
def test_flagged_at_the_first_wrong_link_with_the_learners_line(reports, entry):
    name, _model, _template, _line, _replacement, first, code, *_ = entry
    path, report = reports[name]
    assert report.verdict == "wrong", report.table()
    assert report.first_wrong == first, report.table()
    lines = path.read_text().splitlines()
    number = next(i for i, text in enumerate(lines, 1) if text.strip().startswith(code))
    assert report.line.startswith(f"{path.name}:{number}  "), report.line
    assert code in report.line


def test_causes_are_named_for_nine_in_ten_and_no_formula_is_wrong(reports):
    named, wrong = [], []
    for name, model, *_, names, expr in UNSEEN:
        report = reports[name][1]
        verdict = next(t for t in report.tensors if t.name == report.first_wrong)
        formula_right = bool(verdict.computed) and _same(verdict.computed, expr, model)
        if verdict.computed and not formula_right:
            wrong.append(f"{name}: stated {verdict.computed!r}, the learner computed {expr!r}")
        if report.cause and (report.mistake in names or formula_right):
            named.append(name)
    assert not wrong, wrong
    assert len(named) >= 0.9 * len(UNSEEN), sorted({u[0] for u in UNSEEN} - set(named))
