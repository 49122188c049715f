"""Generic differentiation flagged for the teacher, and never an honest file.

The shortcut files below are written as a learner who skips the notes' backward would write
them (a micrograd-style tape, dual numbers, a complex step, a gradient check used as the
backward); the honest ones as learners of the course write theirs, loops included (a
per-example backward, a training loop, a gradient check beside the notes' backward). Every
learner file the project has (the course and tutor catalogues, the hostile catalogue's honest
students, the shipped examples, the documentation's class, the handmade models, every model's
template filled with the notes' lines) must have no flag.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.classroom import DEEP_LOOP, EXAMPLES, filled_template
from torchref.checker import generic
from torchref.checker.submission import Submission
from torchref.contracts import TRAINABLE
from torchref.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "tests" / "catalogues"
LEARNERS = [
    CATALOGUES / "course",
    CATALOGUES / "tutor" / "files",
    CATALOGUES / "hostile" / "files" / "honest",
    EXAMPLES,
    ROOT / "docs" / "examples",
    ROOT / "handmade",
]

NOTES_FORWARD = """import numpy as np


def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]          # (m, h)
    A1 = np.tanh(Z1)                              # (m, h)
    Z2 = A1 @ params["W2"] + params["b2"]         # (m, 1)
    A2 = 1 / (1 + np.exp(-Z2))                    # (m, 1)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def loss(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
"""

# ---- shortcuts, as a learner who takes them writes them -----------------------------------------------------

MICROGRAD = '''import numpy as np


class Value:
    """a number that remembers how it was made, so that backprop can go through it (like micrograd)"""

    def __init__(self, data, children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def tanh(self):
        t = np.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        s = 1 / (1 + np.exp(-self.data))
        out = Value(s, (self,))

        def _backward():
            self.grad += s * (1 - s) * out.grad

        out._backward = _backward
        return out

    def log(self):
        out = Value(np.log(self.data), (self,))

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def backprop(self):
        topo, seen = [], set()

        def build(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


def to_values(params):
    return {k: [[Value(float(x)) for x in row] for row in v] for k, v in params.items()}


def backward(X, Y, params, cache):
    m, n = X.shape
    P = to_values(params)
    h = len(P["b1"][0])
    J = 0
    for i in range(m):
        A1 = [(sum((P["W1"][j][k] * float(X[i, j]) for j in range(n)), P["b1"][0][k])).tanh() for k in range(h)]
        A2 = (sum((P["W2"][k][0] * A1[k] for k in range(h)), P["b2"][0][0])).sigmoid()
        y = float(Y[i, 0])
        J = J + (y * A2.log() + (1 - y) * (1 - A2).log()) * (-1 / m)
    J.backprop()
    return {"d" + k: np.array([[x.grad for x in row] for row in v], dtype=X.dtype) for k, v in P.items()}
'''

DUAL = (
    NOTES_FORWARD
    + """

class Dual:
    # a + b*eps with eps**2 = 0: the b part carries the derivative along
    def __init__(self, a, b=0.0):
        self.a, self.b = a, b

    def __add__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.a + o.a, self.b + o.b)

    def __mul__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.a * o.a, self.a * o.b + self.b * o.a)

    def __truediv__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.a / o.a, (self.b * o.a - self.a * o.b) / o.a**2)


def backward(X, Y, params, cache):
    grads = {}
    for name, W in params.items():
        dW = np.zeros_like(W)
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                E = np.zeros_like(W)
                E[i, j] = 1.0
                P = {k: Dual(v, E if k == name else 0.0) for k, v in params.items()}
                Z1 = P["W1"] * 0  # the forward with Dual numbers goes here
                dW[i, j] = Z1.b.sum()
        grads["d" + name] = dW
    return grads
"""
)

COMPLEX_STEP = (
    NOTES_FORWARD
    + """

def backward(X, Y, params, cache):
    h = 1e-20
    grads = {}
    for name in ["W1", "b1", "W2", "b2"]:
        W = params[name]
        dW = np.zeros(W.shape)
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                P = dict(params)
                P[name] = W.astype(complex)
                P[name][i, j] = P[name][i, j] + h * 1j
                A2, _ = forward(X, P)
                J = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
                dW[i, j] = J.imag / h
        grads["d" + name] = dW
    return grads
"""
)

GRADIENT_CHECK_AS_BACKWARD = (
    NOTES_FORWARD
    + """

def numerical_gradient(f, x, h=1e-5):
    # the gradient check from the lecture, with x changed in place entry by entry
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


def backward(X, Y, params, cache):
    def cost(_):
        A2, _ = forward(X, params)
        return loss(A2, Y)

    return {"d" + name: numerical_gradient(cost, params[name]) for name in params}
"""
)

FORWARD_DIFFERENCES = (
    NOTES_FORWARD
    + """

def backward(X, Y, params, cache):
    eps = 1e-7
    J = loss(forward(X, params)[0], Y)
    grads = {}
    for name in params:
        d = np.zeros_like(params[name])
        for i in range(d.shape[0]):
            for j in range(d.shape[1]):
                params[name][i, j] += eps
                d[i, j] = (loss(forward(X, params)[0], Y) - J) / eps
                params[name][i, j] -= eps
        grads["d" + name] = d
    return grads
"""
)

LAMBDA_HANDED = """import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def grad_check(f, x, h=1e-5):
    g = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        x[ix] += h
        up = f(x)
        x[ix] -= 2 * h
        down = f(x)
        x[ix] += h
        g[ix] = (up - down) / (2 * h)
    return g


def backward(X, Y, params, cache):
    W, b = params["W"], params["b"]
    dW = grad_check(lambda W: -np.mean(Y * np.log(sigmoid(X @ W + b)) + (1 - Y) * np.log(1 - sigmoid(X @ W + b))), W)
    db = grad_check(lambda b: -np.mean(Y * np.log(sigmoid(X @ W + b)) + (1 - Y) * np.log(1 - sigmoid(X @ W + b))), b)
    return {"dW": dW, "db": db}
"""

# ---- honest files with loops, classes and a gradient check: no flag ------------------------------------------

PER_EXAMPLE = """import numpy as np


def sigmoid_neuron(x, params):
    z = x @ params["W"] + params["b"]     # (1, 1)
    return 1 / (1 + np.exp(-z))


def backward(X, Y, params, cache):
    # A02: one row at a time, the gradients summed and divided by m
    m = X.shape[0]
    grads = {"dW": np.zeros_like(params["W"]), "db": np.zeros_like(params["b"])}
    for i in range(m):
        x, y = X[i : i + 1], Y[i : i + 1]        # (1, n), (1, 1)
        a = sigmoid_neuron(x, params)
        dz = a - y
        grads["dW"] += x.T @ dz
        grads["db"] += dz
    grads["dW"] /= m
    grads["db"] /= m
    return grads
"""

GRADIENT_CHECK_BESIDE = (
    NOTES_FORWARD
    + """

def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y                                          # (m, 1)
    dW2 = (1 / m) * A1.T @ dZ2                            # (h, 1)
    db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)    # (1, 1)
    dA1 = dZ2 @ params["W2"].T                            # (m, h)
    dZ1 = dA1 * (1 - A1**2)                               # (m, h)
    dW1 = (1 / m) * X.T @ dZ1                             # (n, h)
    db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)    # (1, h)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def gradient_check(X, Y, params, eps=1e-6):
    grads = backward(X, Y, params, forward(X, params)[1])
    for name in params:
        for index in np.ndindex(params[name].shape):
            params[name][index] += eps
            up = loss(forward(X, params)[0], Y)
            params[name][index] -= 2 * eps
            down = loss(forward(X, params)[0], Y)
            params[name][index] += eps
            print(name, index, (up - down) / (2 * eps), grads["d" + name][index])


def train(X, Y, params, lr, steps):
    losses = []
    for _ in range(steps):
        A, cache = forward(X, params)
        losses.append(loss(A, Y))
        grads = backward(X, Y, params, cache)
        params = {k: params[k] - lr * grads["d" + k] for k in params}
    losses.append(loss(forward(X, params)[0], Y))
    return params, losses
"""
)

CLASS_MODEL = """import numpy as np


class TwoLayerNet:
    def __init__(self, params):
        self.params = params

    def __repr__(self):
        return f"TwoLayerNet({list(self.params)})"

    def __call__(self, X):
        return self.forward(X)[0]

    def forward(self, X):
        Z1 = X @ self.params["W1"] + self.params["b1"]
        A1 = np.tanh(Z1)
        Z2 = A1 @ self.params["W2"] + self.params["b2"]
        A2 = 1 / (1 + np.exp(-Z2))
        return A2, {"A1": A1, "A2": A2}

    def backward(self, X, Y, cache):
        m = X.shape[0]
        A1, A2 = cache["A1"], cache["A2"]
        dZ2 = A2 - Y
        dA1 = dZ2 @ self.params["W2"].T
        dZ1 = dA1 * (1 - A1**2)
        return {
            "dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
            "dW2": A1.T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m,
        }


def forward(X, params):
    return TwoLayerNet(params).forward(X)


def backward(X, Y, params, cache):
    _, cache = TwoLayerNet(params).forward(X)      # recomputed once, not in a loop
    return TwoLayerNet(params).backward(X, Y, cache)
"""


def flags(text: str, name: str = "hw3.py") -> list[str]:
    return generic.flags(text.encode(), TRAINABLE, name)


def the_one(found: list[str], kind: str) -> str:
    said = [f for f in found if f.startswith(kind)]
    assert len(said) == 1, found
    return said[0]


def line_of(text: str, code: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if code in line)


def test_a_micrograd_tape_is_flagged_as_operator_overloading_with_its_class_and_tape():
    said = the_one(flags(MICROGRAD), "operator overloading")
    assert f"class Value (hw3.py:{line_of(MICROGRAD, 'return {k: [[Value(float(x))')})" in said  # made in a helper
    assert f"(hw3.py:{line_of(MICROGRAD, 'class Value')})" in said and "__add__, __mul__, __radd__, __rmul__" in said
    assert f"their operands (hw3.py:{line_of(MICROGRAD, 'def _backward():')}), a tape" in said
    assert "a function backward calls" in said and "automatic differentiation" in said


def test_dual_numbers_are_flagged_as_operator_overloading_without_a_tape():
    said = the_one(flags(DUAL), "operator overloading")
    assert f"backward makes instances of class Dual (hw3.py:{line_of(DUAL, 'P = {k: Dual(v')})" in said
    assert "__add__, __mul__, __truediv__" in said and "tape (" not in said


def test_a_complex_step_names_the_complex_numbers_and_the_perturbation():
    found = flags(COMPLEX_STEP)
    said = the_one(found, "complex numbers")
    assert f"complex (hw3.py:{line_of(COMPLEX_STEP, 'astype(complex)')})" in said
    assert f"1j (hw3.py:{line_of(COMPLEX_STEP, 'h * 1j')})" in said
    numerical = the_one(found, "numerical derivatives")
    assert "backward calls forward" in numerical and "as for a complex-step derivative" in numerical


def test_a_gradient_check_used_as_backward_is_flagged_in_the_helper_with_the_function_it_is_handed():
    said = the_one(flags(GRADIENT_CHECK_AS_BACKWARD), "numerical derivatives")
    text = GRADIENT_CHECK_AS_BACKWARD
    assert f"numerical_gradient (which backward calls) calls f (hw3.py:{line_of(text, 'fxph = f(x)')})" in said
    assert f"inside a loop (hw3.py:{line_of(text, 'while not it.finished')})" in said
    assert f"which calls forward (hw3.py:{line_of(text, 'A2, _ = forward(X, params)')})" in said
    assert f"(hw3.py:{line_of(text, 'x[ix] = old + h')}): a parameter perturbed, as for finite differences" in said


def test_a_lambda_handed_to_a_gradient_check_is_read_as_the_forward_it_computes():
    said = the_one(flags(LAMBDA_HANDED), "numerical derivatives")
    text = LAMBDA_HANDED
    assert f"grad_check (which backward calls) calls f (hw3.py:{line_of(text, 'up = f(x)')})" in said
    assert f"is handed (hw3.py:{line_of(text, 'dW = grad_check(lambda W')}), which computes sigmoid of a matrix" in said


def test_forward_differences_in_backward_are_flagged_where_the_entry_is_changed():
    said = the_one(flags(FORWARD_DIFFERENCES), "numerical derivatives")
    text = FORWARD_DIFFERENCES
    assert f"backward calls forward (hw3.py:{line_of(text, 'd[i, j] = (loss(forward')})" in said
    assert f"inside a loop (hw3.py:{line_of(text, 'for j in range')})" in said
    assert f"({line_of(text, 'params[name][i, j] += eps')}" not in said  # the place is the file's: hw3.py:N
    assert f"(hw3.py:{line_of(text, 'params[name][i, j] += eps')}): a parameter perturbed" in said


@pytest.mark.parametrize(
    "text",
    [PER_EXAMPLE, GRADIENT_CHECK_BESIDE, CLASS_MODEL],
    ids=["per_example_loop_calls_forward", "gradient_check_and_train_beside_backward", "class_with_dunders"],
)
def test_an_honest_file_with_loops_and_classes_is_not_flagged(text):
    assert flags(text) == []


def test_the_same_loop_in_backward_is_flagged_where_beside_it_it_is_not():
    """The gradient check beside the notes' backward is the shortcut when backward is the check."""
    shortcut = GRADIENT_CHECK_BESIDE.replace("def backward(", "def notes_backward(").replace(
        "def gradient_check(X, Y, params, eps=1e-6):\n    grads = backward(",
        "def backward(X, Y, params, cache, eps=1e-6):\n    grads = notes_backward(",
    )
    assert "numerical derivatives: backward calls forward" in the_one(flags(shortcut), "numerical derivatives")


def _learner_files() -> list[tuple[str, bytes]]:
    found = []
    for root in LEARNERS:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".ipynb") or path.name in ("manifest.py", "__init__.py"):
                continue
            submission = Submission.from_bytes(path, path.read_bytes(), "shallow")
            assert submission.judged, (path, submission.report.reason)
            found.append((str(path.relative_to(ROOT)), submission.data))
    for model, pair in REGISTRY.items():
        if pair.contract is not None:
            found.append((f"template {model}", filled_template(model, every=True).encode()))
    found.append(("deep loop", DEEP_LOOP.encode()))
    return found


def test_no_learner_file_of_the_project_is_flagged():
    files = _learner_files()
    assert len(files) > 150 and sum(b"def backward" in data for _, data in files) > 100  # the files are there
    flagged = {name: generic.flags(data, TRAINABLE, "hw3.py") for name, data in files}
    assert {name: said for name, said in flagged.items() if said} == {}


def test_the_flags_name_their_places_as_the_learners_notebook_does():
    """A notebook's code is judged as `hw.ipynb.py`; the report turns its places into cells."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    imports, rest = FORWARD_DIFFERENCES.split("def forward", 1)
    nb = new_notebook(cells=[new_code_cell(imports), new_code_cell("def forward" + rest)])
    submission = Submission.from_bytes(Path("hw.ipynb"), nbformat.writes(nb).encode(), "shallow")
    from torchref.checker.report import FileReport

    report = FileReport("hw.ipynb", "shallow", warnings=generic.flags(submission.data, TRAINABLE, "hw.ipynb.py"))
    said = submission.source.relabel(report).warnings[0]
    assert re.search(r"inside a loop \(hw\.ipynb cell 2, line \d+\)", said), said


LOGISTIC = """import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]     # (m, 1)
    A = 1 / (1 + np.exp(-Z))              # (m, 1)
    return A, {"Z": Z, "A": A}


def cost(A, Y):
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
"""
NOTES_BACKWARD = """

def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y                   # (m, 1)
    return {"dW": X.T @ dZ / m, "db": np.sum(dZ, axis=0, keepdims=True) / m}
"""
CENTRAL_BACKWARD = """

def backward(X, Y, params, cache):
    eps = 1e-6
    grads = {}
    for name in ["W", "b"]:
        P = {k: v.astype(np.float64) for k, v in params.items()}
        g = np.zeros(P[name].shape)
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                P[name][i, j] += eps
                up = cost(forward(X, P)[0], Y)
                P[name][i, j] -= 2 * eps
                down = cost(forward(X, P)[0], Y)
                P[name][i, j] += eps
                g[i, j] = (up - down) / (2 * eps)
        grads["d" + name] = g.astype(X.dtype)
    return grads
"""


def test_the_flag_is_in_the_json_report_and_the_class_index_and_the_verdict_stays_pass(tmp_path):
    import json

    from torchref import cli

    root = tmp_path / "class"
    root.mkdir()
    (root / "ada.py").write_text(LOGISTIC + NOTES_BACKWARD)
    (root / "ben.py").write_text(LOGISTIC + CENTRAL_BACKWARD)
    out = tmp_path / "report"
    argv = ["check", str(root), "--model", "logistic", "--cases", "2", "--seed", "1", "--quiet"]
    assert cli.main([*argv, "--json", str(tmp_path / "r.json"), "--html", str(out)]) == 0  # both pass
    reports = {Path(f["file"]).name: f for f in json.loads((tmp_path / "r.json").read_text())["files"]}
    assert reports["ada.py"]["warnings"] == [] and reports["ada.py"]["verdict"] == "pass"
    said = the_one(reports["ben.py"]["warnings"], "numerical derivatives")
    assert reports["ben.py"]["verdict"] == "pass" and "backward calls forward (ben.py:" in said
    index = (out / "index.html").read_text()
    row = next(r for r in index.split("<tr>") if "ben.py" in r and "<td>" in r)
    assert "numerical derivatives: backward calls forward" in row
    assert "numerical derivatives" not in next(r for r in index.split("<tr>") if "ada.py" in r and "<td>" in r)


LOGISTIC_J = (
    LOGISTIC
    + """

def J(W, b, X, Y):
    return cost(1 / (1 + np.exp(-(X @ W + b))), Y)
"""
)
CENTRAL_BY_SUMS = (
    LOGISTIC_J
    + """

def backward(X, Y, params, cache):
    W, b, h = params["W"], params["b"], 1e-6
    dW = np.zeros_like(W)
    for i in range(W.shape[0]):
        E = np.zeros_like(W)
        E[i, 0] = h
        dW[i, 0] = (J(W + E, b, X, Y) - J(W - E, b, X, Y)) / (2 * h)
    return {"dW": dW, "db": np.zeros_like(b)}
"""
)
IMPORTED_FORWARD = """import numpy as np

from hw2 import cost, forward   # last week's forward, imported


def nudged(W, i, h):
    P = W.copy()
    P.flat[i] = P.flat[i] + h
    return P


def J(W, b, X, Y):
    return cost(forward(X, {"W": W, "b": b})[0], Y)


def backward(X, Y, params, cache):
    W, b, h = params["W"], params["b"], 1e-6
    dW = np.zeros_like(W)
    for i in range(W.size):
        up = J(nudged(W, i, h), b, X, Y)
        down = J(nudged(W, i, -h), b, X, Y)
        dW.flat[i] = (up - down) / (2 * h)
    return {"dW": dW, "db": np.zeros_like(b)}
"""
PER_ENTRY = IMPORTED_FORWARD.replace(
    """    return {"dW": dW, "db": np.zeros_like(b)}""",
    """    J0 = cost(forward(X, params)[0], Y)
    db = np.zeros_like(b)
    for idx in np.ndindex(b.shape):
        db[idx] = (cost(forward(X, {"W": W, "b": nudged(b, 0, h)})[0], Y) - J0) / h
    return {"dW": dW, "db": db}""",
)


def test_a_forward_given_a_sum_inside_backwards_loop_is_flagged_as_finite_differences():
    said = the_one(flags(CENTRAL_BY_SUMS), "numerical derivatives")
    text = CENTRAL_BY_SUMS
    assert f"backward calls J (hw3.py:{line_of(text, 'dW[i, 0] = (J(W + E')})" in said
    assert f"and J computes exp of a matrix product (hw3.py:{line_of(text, 'return cost(1 / (1 + np.exp')})" in said
    assert f"the loop passes the forward a sum or difference (hw3.py:{line_of(text, 'dW[i, 0] = (J(W + E')})" in said


def test_an_imported_forward_run_twice_a_pass_is_flagged_as_central_differences():
    said = the_one(flags(IMPORTED_FORWARD), "numerical derivatives")
    text = IMPORTED_FORWARD
    up, down = line_of(text, "up = J(nudged"), line_of(text, "down = J(nudged")
    assert f"backward calls J (hw3.py:{up}) inside a loop (hw3.py:{line_of(text, 'for i in range(W.size)')})" in said
    assert f"and J calls forward (hw3.py:{line_of(text, 'return cost(forward(X')})" in said
    assert f"the loop runs the forward 2 times a pass (hw3.py:{up}, hw3.py:{down}), as central differences do" in said


def test_an_imported_forward_run_once_per_entry_of_an_array_is_flagged():
    one_loop = PER_ENTRY
    said = the_one(flags(one_loop), "numerical derivatives")
    at = f"hw3.py:{line_of(one_loop, 'for idx in np.ndindex')}"
    assert (
        f"backward calls forward (hw3.py:{line_of(one_loop, 'db[idx] = (cost(forward')}) inside a loop ({at});" in said
    )
    assert f"the loop runs over every entry of an array (ndindex, {at}): the forward run once per entry" in said


def test_a_forward_computed_by_the_lambda_handed_to_a_check_is_found_through_the_function_it_calls():
    text = (
        LOGISTIC_J
        + """

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        up = f(x)
        x.flat[i] = old - h
        grad.flat[i] = (up - f(x)) / (2 * h)
        x.flat[i] = old
    return grad


def backward(X, Y, params, cache):
    W, b = params["W"], params["b"]
    return {"dW": numerical_gradient(lambda W: float(J(W, b, X, Y)), W), "db": numerical_gradient(np.sum, b)}
"""
    )
    said = the_one(flags(text), "numerical derivatives")
    handed = line_of(text, "numerical_gradient(lambda W")
    assert f"numerical_gradient (which backward calls) calls f (hw3.py:{line_of(text, 'up = f(x)')})" in said
    assert f"f is the function numerical_gradient is handed (hw3.py:{handed}), which calls J (hw3.py:{handed})" in said


def test_dual_numbers_with_reflected_operators_by_assignment_and_a_complex_dtype_are_flagged():
    text = (
        NOTES_FORWARD
        + """

class Dual:
    def __init__(self, a, b=0.0):
        self.a, self.b = a, b

    def __add__(self, o):
        return Dual(self.a + o.a, self.b + o.b)

    __radd__ = __add__
    scale = 2.0


def backward(X, Y, params, cache):
    P = {k: Dual(v.astype(np.complex128), np.zeros(v.shape, dtype="complex128")) for k, v in params.items()}
    return {"d" + k: P[k].b.real for k in P}
"""
    )
    found = flags(text)
    overloading = the_one(found, "operator overloading")
    assert f"class Dual (hw3.py:{line_of(text, 'P = {k: Dual(')}), which defines __add__, __radd__ (" in overloading
    at = line_of(text, "P = {k: Dual(")
    assert f'complex128 (hw3.py:{at}), dtype "complex128" (hw3.py:{at})' in the_one(found, "complex numbers")


def test_a_forward_that_picks_its_activation_from_a_table_is_read_without_a_flag():
    text = LOGISTIC.replace(
        "    A = 1 / (1 + np.exp(-Z))              # (m, 1)", '    A = ACTIVATIONS["sigmoid"](Z)          # (m, 1)'
    ) + NOTES_BACKWARD.replace(
        "def backward", 'ACTIVATIONS = {"sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}\n\n\ndef backward'
    )
    assert 'ACTIVATIONS["sigmoid"](Z)' in text and flags(text) == []
