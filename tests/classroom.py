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


def filled_template(model: str, hidden=None) -> str:
    """`torchref template MODEL` with every `...` filled in with the notes' line, as a learner would: a right file."""
    from torchref.explain import shape_for, template
    from torchref.registry import REGISTRY

    pair = REGISTRY[model]
    text = template(model, hidden)
    for link in pair.chain(shape_for(pair, 3, 2, hidden)).links:
        text = text.replace(f"    {link.name} = ...", f"    {link.name} = {link.expr.python()}", 1)
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
