"""`torchref explain` for every function of a contract: each on a case the checker draws, and with a learner's
file their values beside the reference's, on the smallest case where theirs is wrong as check judges it."""

import re

import pytest

from torchref import cli
from torchref.registry import REGISTRY

MODELS = [name for name, pair in REGISTRY.items() if pair.contract is not None]

PERCEPTRON = """import numpy as np


def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = (Z >= 0).astype(Z.dtype)  # (m, 1)
    return A, {"Z": Z, "A": A}


def update(params, grads, lr):
    W = params["W"] + lr * grads["dW"]  # the sign of the step: a plus
    b = params["b"] - lr * grads["db"]
    return {"W": W, "b": b}


def train(X, Y, params, lr, steps):
    losses = []
    for epoch in range(steps):
        A, _ = forward(X, params)
        losses.append(int(np.sum(A != Y)))  # how many rows are misclassified
        for i in range(X.shape[0]):
            x, y = X[i : i + 1], Y[i : i + 1]
            a, _ = forward(x, params)
            params = {"W": params["W"] - lr * x.T @ (a - y), "b": params["b"] - lr * (a - y)}
    A, _ = forward(X, params)
    losses.append(int(np.sum(A != Y)))
    return params, losses
"""


def sections(out: str) -> dict:
    """{function: its section's text} of explain's output."""
    found = re.split(r"^--- (\w+)\(", out, flags=re.M)
    return dict(zip(found[1::2], found[2::2]))


@pytest.mark.parametrize("model", MODELS)
def test_explain_shows_every_function_of_the_contract(model, capsys):
    assert cli.main(["explain", model]) == 0
    out = capsys.readouterr().out
    pair = REGISTRY[model]
    chain = ("forward", "backward") if pair.differentiable else ()
    assert list(sections(out)) == [n for n in pair.contract.names if n not in chain]
    assert "the first value that differs" not in out  # nothing is said to differ without a learner's file


def test_explain_with_a_file_marks_the_first_wrong_value_of_each_wrong_function(tmp_path, capsys):
    path = tmp_path / "mine.py"
    path.write_text(PERCEPTRON)
    assert cli.main(["explain", "perceptron", "--file", str(path), "--seed", "1"]) == 0
    said = sections(capsys.readouterr().out)
    assert "(the smallest where yours is wrong)" in said["update"]
    marked = [line for line in said["update"].splitlines() if "← the first value that differs" in line]
    assert len(marked) == 1 and marked[0].startswith("W    shape")  # b is right
    assert "the first value that differs" not in said["forward"] and "the smallest the checker draws" in said["forward"]
    assert "(not in mine.py)" in said["loss"] and "(not in mine.py)" in said["backward"]
    # the loop is per-example SGD with counts: accepted as check accepts it, and nothing marked
    assert "the first value that differs" not in said["train"] and "accepted: train is per-example SGD" in said["train"]
    assert "accepted: train's losses are counts of misclassified rows" in said["train"]


def test_explain_with_a_file_that_does_not_import_exits_2(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("def normalise(X:\n")
    assert cli.main(["explain", "normalise", "--file", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "cannot import the file" in err


def test_explain_shows_a_wrong_loop_against_its_own_kind_and_where_it_parts(tmp_path, capsys):
    """A02's row loop with + for −: its values beside per-example SGD's, the step where they part said, and the
    values printed as arrays (not as quoted strings)."""
    path = tmp_path / "rows.py"
    path.write_text(ROWS_UPHILL)
    assert cli.main(["explain", "logistic", "--file", str(path), "--seed", "1"]) == 0
    train = sections(capsys.readouterr().out)["train"]
    assert "compared with per-example SGD" in train and "train parts from it at step 1 (after 1 update)" in train
    said = re.search(r"losses\[1\] = ([\d.]+) differs from the reference's ([\d.]+)", train)
    grid = train.split("← the first value that differs")[1].splitlines()[1]
    assert "'" not in grid and grid.strip().startswith("[")  # an array as NumPy prints it
    yours, reference = (row.strip().strip("[]").split() for row in grid.split("|"))
    assert float(yours[1]) == pytest.approx(float(said[1]), abs=1e-4)
    assert float(reference[1]) == pytest.approx(float(said[2]), abs=1e-4)


ROWS_UPHILL = """import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train(X, Y, params, lr, steps):
    data = np.hstack([X, Y])
    W, b = params["W"].copy(), params["b"].copy()
    losses = []
    for epoch in range(steps + 1):
        A = sigmoid(X @ W + b)
        losses.append(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
        if epoch == steps:
            break
        for row in data:
            x = row[:-1].reshape(1, -1)
            dz = sigmoid(x @ W + b) - row[-1]
            W = W + lr * x.T @ dz
            b = b + lr * dz
    return {"W": W, "b": b}, losses
"""
