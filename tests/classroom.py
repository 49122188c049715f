"""A class's submissions, as a teacher collects them: the shipped example with one line changed per learner."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import torchref

# the shipped examples, found here and only here (conftest's `shipped_example` fixture gives the path)
EXAMPLES = Path(torchref.__file__).parent / "examples"
EXAMPLE_PATH = EXAMPLES / "shallow_derivation.py"
EXAMPLE = EXAMPLE_PATH.read_text()
TANH = ("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")  # tanh′ as 1 − A: dW1, db1 are its echoes
SIGN = ("dZ2 = A2 - Y", "dZ2 = Y - A2")  # a flipped sign: every gradient wrong
# db2 summed over both axes: a scalar where the notes keep (1, 1), a shape that differs (no element-wise error)
SCALAR_DB2 = ("db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)", "db2 = (1 / m) * np.sum(dZ2)")
# raises in every case with m > 1 (the first named shape has m = 1): crashed cases fail every tensor
CRASH = ("m = X.shape[0]", "m = X.shape[0]\n    assert m == 1, 'only one example'")
INJECTION = "<img src=x onerror=alert(1)>"
# the activations a learner defines beside backward (a derivation may not import the reference)
ACTIVATIONS = (
    "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n\n"
    "def sigmoid_prime(a):\n    return a * (1 - a)\n\n\n"
    "tanh = np.tanh\n\n\n"
    "def tanh_prime(a):\n    return 1 - a**2\n\n\n"
    "def relu(z):\n    return np.maximum(z, 0)\n\n\n"
    "def relu_prime(a):\n    return (a > 0).astype(a.dtype)\n\n\n"
    "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
    "    return e / e.sum(axis=1, keepdims=True)\n\n\n"
)


# the notes' lines of the functions a template holds besides a chain's links, as a learner of the course writes them
LOOP = {
    "A, cache = ...": "A, cache = forward(X, params)",
    "losses.append(...)": "losses.append(loss(A, Y))",
    "grads = ...": "grads = backward(X, Y, params, cache)",
    "params = ...": "params = update(params, grads, lr)",
}
NOTES_LINES = {
    "perceptron": {
        "forward": {"Z = ...": 'Z = X @ params["W"] + params["b"]', "A = ...": "A = (Z >= 0).astype(X.dtype)"},
        "loss": {"J = ...": "J = np.mean(np.abs(A - Y))"},
        "backward": {
            "dZ = ...": "dZ = A - Y",
            "dW = ...": "dW = X.T @ dZ / m",
            "db = ...": "db = np.sum(dZ, axis=0, keepdims=True) / m",
        },
        "train": LOOP,
    },
    "mp_neuron": {
        "forward": {
            "z = ...": "z = X[:, ~inhibitory].sum(axis=1, keepdims=True)",
            "vetoed = ...": "vetoed = X[:, inhibitory].sum(axis=1, keepdims=True) > 0",
            "A = ...": "A = ((z >= theta) & ~vetoed).astype(int)",
        },
        "fit": {"if ...:": "if np.array_equal(forward(X, theta, inhibitory), Y):"},
    },
    "normalise": {
        "normalise": {
            "low = ...": "low = X.min(axis=0, keepdims=True)",
            "high = ...": "high = X.max(axis=0, keepdims=True)",
            "X_scaled = ...": "X_scaled = (X - low) / (high - low)",
        },
        "denormalise": {"X = ...": "X = X_scaled * (high - low) + low"},
    },
}
SIGMOID_LOSS = "J = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))"
SOFTMAX_LOSS = "J = -np.sum(Y * np.log(A)) / m"


def notes_lines(model: str, hidden=None) -> dict:
    """{function: {a line of the template: the notes' line}} for every function of the model's contract."""
    from torchref.explain import shape_for
    from torchref.registry import REGISTRY

    pair = REGISTRY[model]
    if not pair.differentiable:
        lines = NOTES_LINES[model]
        return {**lines, "update": {f"{p} = ...": f'{p} = params["{p}"] - lr * grads["d{p}"]' for p in "Wb"}}
    shape = shape_for(pair, 3, 2, hidden)
    links = {f"{link.name} = ...": f"{link.name} = {link.expr.python()}" for link in pair.chain(shape).links}
    update = {f"{p} = ...": f'{p} = params["{p}"] - lr * grads["d{p}"]' for p in pair.param_shapes(shape)}
    loss = SOFTMAX_LOSS if pair.one_hot else SIGMOID_LOSS
    return {"forward": links, "backward": links, "loss": {"J = ...": loss}, "update": update, "train": LOOP}


def filled_template(model: str, hidden=None, every: bool = False) -> str:
    """`torchref template MODEL` with every `...` filled in with the notes' line, as a learner would: a right file.

    A model with a backward chain keeps its derivation only (forward and backward; the learner deleted the
    other functions, as the template invites), unless `every`."""
    from torchref.explain import template
    from torchref.registry import REGISTRY

    lines, keep = notes_lines(model, hidden), every or not REGISTRY[model].differentiable
    function, out = "", []
    for line in template(model, hidden).splitlines():
        if line.startswith("def "):
            function = line[4:].split("(")[0]
        if function and not keep and function not in ("forward", "backward"):
            continue
        code = line.split("#")[0].strip()
        if function and "..." in code:
            line = line[: len(line) - len(line.lstrip())] + lines[function][code]
        out.append(line)
    text = "\n".join(out).rstrip("\n") + "\n"
    return text.replace("import numpy as np\n", "import numpy as np\n" + ACTIVATIONS, 1)


def derivation(*changes) -> str:
    text = EXAMPLE
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return text


def notebook(text: str) -> str:
    """A learner's notebook: a heading, their imports, forward and backward in cells, a cell that must not run."""
    imports, rest = text.split("def forward", 1)
    forward, backward = rest.split("def backward", 1)
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.cells = [
        new_markdown_cell("# Homework 3"),
        new_code_cell("import numpy as np"),
        new_code_cell("def forward" + forward),
        new_code_cell("def backward" + backward),
        new_code_cell("raise SystemExit('a cell that tries the functions on data')"),
    ]
    return nbformat.writes(nb)


def one_folder_per_student(root: Path) -> dict:
    """alice passes, bob's notebook has tanh′ wrong (and a .txt), carol crashes for m > 1, dan flipped a sign
    (in a sub-folder), erin has tanh′ wrong too, and frank handed in nothing. Returns {student: expected}."""
    files = {
        "alice/hw3.py": derivation(),
        "bob/hw3.ipynb": notebook(derivation(TANH)),
        "bob/notes.txt": "I am not sure about dZ1.",
        "carol/hw3.py": derivation(CRASH),
        "dan/final/hw3.py": derivation(SIGN),
        "erin/hw3.py": derivation(TANH),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "frank").mkdir()
    return {
        "alice": ("pass", 4.0),
        "bob": ("wrong", 2.0),
        "carol": ("wrong", 0.0),
        "dan": ("wrong", 0.0),
        "erin": ("wrong", 2.0),
    }


# a deep file written as a loop over the layers, tanh hidden layers, as a learner of the notes writes it
DEEP_LOOP = """import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    L = len(params) // 2
    grads = {}
    dZ = cache[f"A{L}"] - Y                                 # (m, k)
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l - 1}"] if l > 1 else X         # (m, n_(l-1))
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = (1 / m) * (A_prev.T @ dZ)
        grads[f"db{l}"] = (1 / m) * np.sum(dZ, axis=0, keepdims=True)
        if l > 1:
            dA = dZ @ params[f"W{l}"].T
            grads[f"dA{l - 1}"] = dA
            dZ = dA * (1 - A_prev**2)
    return grads
"""


def chromium():
    """A headless Chromium driven by selenium (skips where it is not installed)."""
    import shutil

    import pytest

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver):
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1800"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)
