"""The class report counts the functions of the contract: per function, how many students wrote it, how many got
it wrong and with which mistakes, every wrong function counted (not only each file's first)."""

import json

import pytest

from torchref import cli

BACKWARD = """

def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    return {"dZ": dZ, "dW": X.T @ dZ / m, "db": np.sum(dZ, axis=0, keepdims=True) / m}
"""
COST = """

def compute_cost(A, Y):
    m = Y.shape[0]
    return -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
"""
UPDATE = """

def update(params, grads, lr):
    return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}
"""
NO_MINUS = ("return -(1 / m) * np.sum(", "return (1 / m) * np.sum(")
PLUS = (
    '"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr',
    '"W": params["W"] + lr * grads["dW"], "b": params["b"] + lr',
)


def learner(*pieces, change=()) -> str:
    text = "import numpy as np\n" + "".join(pieces)
    for before, after in change:
        assert before in text
        text = text.replace(before, after)
    return text


@pytest.fixture(scope="module")
def class_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("a02")
    files = {
        "alice.py": learner(COST, BACKWARD, change=[NO_MINUS]),  # the loss without its minus
        "bob.py": learner(COST, BACKWARD, UPDATE, change=[NO_MINUS, PLUS]),  # the same, and an update that adds
        "carol.py": learner(BACKWARD, UPDATE, change=[PLUS]),  # an update that adds
        "dan.py": learner(COST, BACKWARD, UPDATE),  # right
        "eve.py": learner(COST, BACKWARD, change=[('dZ = cache["A"] - Y', 'dZ = Y - cache["A"]')]),  # the chain's sign
    }
    for name, text in files.items():
        (root / name).write_text(text)
    out = tmp_path_factory.mktemp("report")
    argv = ["check", str(root), "--model", "logistic", "--cases", "3", "--seed", "1", "--quiet", "--html", str(out)]
    assert cli.main(argv) == 1
    return json.loads((out / "report.json").read_text()), (out / "index.html").read_text()


def test_every_wrong_function_is_counted_with_its_mistake(class_report):
    document, _ = class_report
    pieces = {p["name"]: p for p in document["pieces"]}
    assert list(pieces) == ["loss", "backward", "update"]  # the contract's order, only what students wrote
    assert (pieces["loss"]["judged"], pieces["loss"]["wrong"]) == (4, 2)
    assert (pieces["update"]["judged"], pieces["update"]["wrong"]) == (3, 2)  # bob's update, after his wrong loss
    assert (pieces["backward"]["judged"], pieces["backward"]["wrong"]) == (5, 1)
    (backward,) = pieces["backward"]["mistakes"]  # the chain's judge's words, as the report says them
    eve = next(f for f in document["files"] if f["name"] == "eve.py")
    assert backward["files"] == ["eve.py"] and eve["first_wrong_piece"] == "backward"
    assert backward["key"] == (eve["mistake"] or eve["cause"]) and eve["cause"] != ""
    assert backward["cause"] == f"at {eve['first_wrong']}: {eve['cause']}"  # its one member's value and cause
    (loss,) = pieces["loss"]["mistakes"]
    assert (
        loss["key"] == "loss-missing-minus" and loss["count"] == 2 and sorted(loss["files"]) == ["alice.py", "bob.py"]
    )
    assert "minus" in loss["cause"]
    (update,) = pieces["update"]["mistakes"]
    assert update["key"] == "update-plus-for-minus" and sorted(update["files"]) == ["bob.py", "carol.py"]
    # the mistakes of the class, by each file's first wrong function, count bob once: at his loss
    assert sum(m["count"] for m in document["mistakes"]) == 4


def test_the_index_shows_the_functions_table(class_report):
    _, index = class_report
    assert '<table id="pieces">' in index
    row = index.split('<tr data-piece="update">')[1].split("</tr>")[0]
    assert "<td>3</td><td>2</td>" in row and "update-plus-for-minus" in row
    assert "bob" in row and "carol" in row and "alice" not in row
