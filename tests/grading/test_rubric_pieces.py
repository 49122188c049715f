"""The rubric scores a contract's functions by their pieces, from real checks of learners' files.

A perceptron, MP-neuron or normalisation file is scored on its contract's required functions
and on each other function it defines; a file of a model with a backward chain on its
gradients and on each of loss, update and train it defines. Every expectation below comes
from what the files hold (which function is right, which is not), never from the rubric.
"""

import csv
import json

import pytest

import torchref
from torchref import cli
from torchref.grading.platforms import coderunner, prairielearn
from torchref.grading.rubric import grade, results
from torchref.grading.shards import from_json

PERCEPTRON_RULE = """import numpy as np


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y  # (m, 1)
    dW = (1 / m) * (X.T @ dZ)  # (n, 1)
    db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
    return {"dZ": dZ, "dW": dW, "db": db}


def update(params, grads, lr):
    return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}
"""
# the rule right, and a forward; its loss is the accuracy, not the error rate
PERCEPTRON_ACCURACY = (
    PERCEPTRON_RULE
    + """

def forward(X, params):
    Z = X @ params["W"] + params["b"]  # (m, 1)
    A = (Z >= 0).astype(Z.dtype)  # (m, 1)
    return A, {"Z": Z, "A": A}


def loss(A, Y):
    return 1 - np.mean(np.abs(A - Y))  # the fraction we get right
"""
)
DENORMALISE_ONLY = """def denormalise(X_scaled, low, high):
    return X_scaled * (high - low) + low
"""
NORMALISE_HIGH_ONLY = """import numpy as np


def normalise(X):
    low, high = X.min(axis=0, keepdims=True), X.max(axis=0, keepdims=True)
    return (X - low) / (high - low)


def denormalise(X_scaled, low, high):
    return X_scaled * high + low
"""
LOGISTIC_COST_WITHOUT_MINUS = """import numpy as np


def compute_cost(A, Y):
    m = Y.shape[0]
    return (1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ = cache["A"] - Y
    return {"dZ": dZ, "dW": X.T @ dZ / m, "db": np.sum(dZ, axis=0, keepdims=True) / m}
"""


def graded(tmp_path, name: str, text: str, model: str):
    path = tmp_path / name
    path.write_text(text)
    return grade(torchref.check(path, model=model, seed=1, cases=3, repair=False))


def items(report) -> dict:
    return {name: earned for name, earned, _ in results(report)}


def test_a_perceptron_file_is_scored_by_the_functions_it_is_checked_on(tmp_path):
    rule = graded(tmp_path, "rule.py", PERCEPTRON_RULE, "perceptron")
    assert rule.verdict == "pass" and items(rule) == {"backward": True, "update": True}
    assert (rule.score, rule.max_score) == (2.0, 2.0)
    accuracy = graded(tmp_path, "accuracy.py", PERCEPTRON_ACCURACY, "perceptron")
    assert items(accuracy) == {"forward": True, "loss": False, "backward": True, "update": True}
    assert (accuracy.verdict, accuracy.score, accuracy.max_score) == ("wrong", 3.0, 4.0)
    said = {name: text for name, _, text in results(accuracy)}
    assert said["loss"].startswith("loss: wrong: J differs from the reference in ")
    assert said["update"].startswith("update: right in all ") and "accuracy.py:" in said["loss"]


def test_a_normalisation_file_without_normalise_earns_nothing_for_it(tmp_path):
    only_inverse = graded(tmp_path, "inverse.py", DENORMALISE_ONLY, "normalise")
    assert only_inverse.verdict == "pass"  # what it defines is right
    assert items(only_inverse) == {"normalise": False, "denormalise": True}
    assert (only_inverse.score, only_inverse.max_score) == (1.0, 2.0)
    assert "normalise: not found: the file defines no normalise(X)" in [text for *_, text in results(only_inverse)]
    high_only = graded(tmp_path, "high.py", NORMALISE_HIGH_ONLY, "normalise")
    assert items(high_only) == {"normalise": True, "denormalise": False}
    assert (high_only.score, high_only.max_score) == (1.0, 2.0)


def test_a_wrong_loss_beside_a_right_backward_never_scores_full_marks(tmp_path):
    report = graded(tmp_path, "a02.py", LOGISTIC_COST_WITHOUT_MINUS, "logistic")
    assert report.verdict == "wrong" and report.first_wrong_piece == "loss"
    assert items(report) == {"dW": True, "db": True, "loss": False}
    assert (report.score, report.max_score) == (2.0, 3.0)


def test_a_file_that_cannot_be_judged_scores_nothing_of_the_required_functions(tmp_path):
    report = graded(tmp_path, "broken.py", "def update(params, grads, lr):\n    return {\n", "perceptron")
    assert report.verdict == "unusable"
    assert items(report) == {"backward": False, "update": False} and report.max_score == 2.0


@pytest.fixture(scope="module")
def perceptron_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("perceptron_class")
    (root / "alice.py").write_text(PERCEPTRON_ACCURACY)
    (root / "bob.py").write_text(PERCEPTRON_RULE)
    out = tmp_path_factory.mktemp("out")
    argv = ["check", str(root), "--model", "perceptron", "--seed", "1", "--quiet"]
    argv += ["--csv", str(out / "grades.csv"), "--gradescope", f"{out / 'gradescope'}/", "--json", str(out / "c.json")]
    assert cli.main(argv) == 1
    return root, out


def test_the_gradebook_and_gradescope_score_the_pieces(perceptron_class):
    root, out = perceptron_class
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert (rows["alice"]["score"], rows["alice"]["max_score"], rows["alice"]["verdict"]) == ("3.0", "4.0", "wrong")
    assert (rows["bob"]["score"], rows["bob"]["max_score"], rows["bob"]["verdict"]) == ("2.0", "2.0", "pass")
    alice = json.loads((out / "gradescope" / "alice" / "results.json").read_text())
    tests = {t["name"]: t for t in alice["tests"]}
    assert list(tests) == ["forward", "loss", "backward", "update"]
    assert tests["loss"]["status"] == "failed" and tests["loss"]["score"] == 0.0
    assert all(tests[n]["status"] == "passed" and tests[n]["score"] == 1.0 for n in ("forward", "backward", "update"))
    assert alice["score"] == 3.0


def test_the_platforms_list_every_scored_function(perceptron_class):
    root, out = perceptron_class
    files = json.loads((out / "c.json").read_text())["files"]
    report = from_json(files[0])
    assert report.file.endswith("alice.py")
    pl = prairielearn([report], root)
    assert [(t["name"], t["points"]) for t in pl["tests"]] == [
        ("forward", 1.0),
        ("loss", 0.0),
        ("backward", 1.0),
        ("update", 1.0),
    ]
    assert pl["score"] == 0.75
    rows = {row[1]: row for row in coderunner([report], root)["testresults"][1:]}
    assert rows["loss"][:3] == [0, "loss", "wrong"] and rows["update"][:3] == [1, "update", "ok"]


def test_a_chain_models_file_of_only_a_loss_is_told_each_gradient_needs_the_backward_it_lacks():
    only_loss = (
        "import numpy as np\n\n\ndef loss(A, Y):\n    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))\n"
    )
    scored = results(torchref.check(source=only_loss, model="shallow", seed=1, cases=2))
    gradients = [(name, earned, said) for name, earned, said in scored if name != "loss"]
    assert [name for name, *_ in gradients] == ["dW2", "db2", "dW1", "db1"]
    for name, earned, said in gradients:
        assert not earned and said == f"{name}: not found: the file defines no backward(X, Y, params, cache)"
    assert ("loss", True, "loss: right in all 8 cases") in scored


def test_a_function_that_raises_is_told_how_many_of_its_wrong_cases_raised():
    typo = PERCEPTRON_RULE.replace('lr * grads["dW"]', 'lr * grads["dw"]')  # a KeyError in every case
    scored = results(torchref.check(source=typo, model="perceptron", seed=1, cases=2))
    update = {name: (earned, said) for name, earned, said in scored}["update"]
    assert not update[0]
    cases = next(p["cases"] for p in torchref.check(source=typo, model="perceptron", seed=1, cases=2).pieces
                 if p["name"] == "update")  # fmt: skip
    assert cases >= 8 and update[1].startswith(
        f"update: wrong: W differs from the reference in {cases} of {cases} cases ({cases} of them raised"
    )
