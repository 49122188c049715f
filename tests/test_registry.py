"""The registry is the spine: an entry declared in one place gets every command; nothing else names a model."""

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from torchref import cli, models
from torchref.contracts import HELPER_NAMES
from torchref.registry import REGISTRY, AutogradPair, Init, ModelPair, Net, Shape, Training
from torchref_handmade.activations import sigmoid
from torchref_handmade.losses import bce


class SigmoidHidden:
    """A handmade model written here, as a learner adding one would: one hidden σ layer, a σ head, mean BCE."""

    @staticmethod
    def forward(X, params):
        Z1 = X @ params["W1"] + params["b1"]  # (m, h)
        A1 = sigmoid(Z1)  # (m, h)
        Z2 = A1 @ params["W2"] + params["b2"]  # (m, 1)
        A2 = sigmoid(Z2)  # (m, 1)
        return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

    @staticmethod
    def loss(A, Y):
        return bce(A, Y)

    @staticmethod
    def backward(X, Y, params, cache):
        m = X.shape[0]
        A1, A2 = cache["A1"], cache["A2"]
        dZ2 = A2 - Y.reshape(A2.shape)  # (m, 1)
        dA1 = dZ2 @ params["W2"].T  # (m, h)
        dZ1 = dA1 * A1 * (1 - A1)  # (m, h)
        return {
            "dZ2": dZ2,
            "dW2": (1 / m) * A1.T @ dZ2,
            "db2": (1 / m) * dZ2.sum(axis=0, keepdims=True),
            "dA1": dA1,
            "dZ1": dZ1,
            "dW1": (1 / m) * X.T @ dZ1,
            "db1": (1 / m) * dZ1.sum(axis=0, keepdims=True),
        }


LEARNER = """
import numpy as np

def backward(X, Y, params, cache):
    m = X.shape[0]
    A1, A2, W2 = cache["A1"], cache["A2"], params["W2"]
    dZ2 = A2 - Y
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * A1 * (1 - A1)
    return {"dZ2": dZ2, "dW2": A1.T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m,
            "dA1": dA1, "dZ1": dZ1, "dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m}
"""

NEW = AutogradPair(
    "hidden_sigmoid",
    "one hidden σ layer → σ + BCE (an entry defined in a test)",
    SigmoidHidden,
    models.DeepNet,
    Net(depth=1, activation="sigmoid"),
    (Shape(1, 1, (1,)), Shape(3, 2, (4,)), Shape(4, 4, (4,)), Shape(7, 3, (5,))),
    Training(lr=0.5, steps=200, hidden=(3,), init=Init("fan_in"), datasets=("moons",)),
    salt=7,
)


@pytest.fixture
def new_entry(monkeypatch):
    monkeypatch.setitem(REGISTRY, NEW.name, NEW)
    return NEW


def test_a_new_entry_gets_verify_rows(new_entry, tmp_path, capsys):
    path = tmp_path / "verify.json"
    assert cli.main(["verify", "--models", new_entry.name, "--cases", "6", "--json", str(path)]) == 0
    rows = json.loads(path.read_text())["rows"]
    assert {row["model"] for row in rows} == {new_entry.name}
    tensors = {row["tensor"] for row in rows if row["dtype"] == "float64"}
    trained = {"train.J", "train.W1", "train.b1", "train.W2", "train.b2"}
    differenced = {"fd.dW1", "fd.db1", "fd.dW2", "fd.db2"}
    assert tensors == {*new_entry.names(Shape(3, 2, (4,))), *trained, *differenced}
    assert all(row["passed"] and row["cases"] >= 1 for row in rows)


def test_a_new_entry_gets_a_compare_run_with_its_figures(new_entry, tmp_path, capsys):
    assert cli.main(["compare", new_entry.name, "--data", "moons", "--out", str(tmp_path), "--quiet"]) == 0
    assert f"{new_entry.name:<22} moons" in capsys.readouterr().out
    text = (tmp_path / "report.md").read_text()
    assert f"| {new_entry.name} | moons | 200 | 0.5 |" in text
    for figure in ("boundary", "loss", "drift"):
        assert (tmp_path / f"{new_entry.name}-moons-{figure}.png").stat().st_size > 10_000


def test_a_new_entry_gets_an_explain_trace(new_entry, capsys):
    assert cli.main(["explain", new_entry.name, "--h", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{new_entry.name}: ") and "A1 = σ(Z1)" in out
    assert "dZ1 = dA1 ⊙ A1(1 − A1)" in out


def test_a_new_entry_gets_checked(new_entry, tmp_path, capsys):
    learner = tmp_path / "derivation.py"
    learner.write_text(LEARNER)
    assert cli.main(["check", str(learner), "--model", new_entry.name, "--cases", "4"]) == 0
    assert "PASS" in capsys.readouterr().out
    learner.write_text(LEARNER.replace("A1 * (1 - A1)", "(1 - A1**2)"))  # tanh′ where σ′ belongs
    assert cli.main(["check", str(learner), "--model", new_entry.name, "--cases", "4"]) == 1
    assert "dZ1" in capsys.readouterr().out


def test_every_hook_is_declared_and_an_entry_missing_one_cannot_be_made():
    hooks = {"random_shape", "sample", "names", "handmade", "torch", "handmade_train", "torch_train"}
    assert ModelPair.__abstractmethods__ == hooks

    class Half(ModelPair):
        def names(self, shape):
            return []

    with pytest.raises(TypeError, match="abstract"):
        Half()
    for pair in REGISTRY.values():
        # shallow_fast trains like the reference; an entry without a model (normalisation) has nothing to train
        assert pair.training.datasets or pair.name == "shallow_fast" or pair.model is None
        assert isinstance(pair.differentiable, bool) and pair.shapes


def test_random_shapes_are_what_each_architecture_takes():
    rng = np.random.default_rng(0)
    for pair in REGISTRY.values():
        for _ in range(20):
            shape = pair.random_shape(rng)
            assert 1 <= shape.m <= 512 and 1 <= shape.n <= 64
            if pair.differentiable:
                assert len(shape.hidden) == pair.net.depth and shape.k == pair.net.k


# Modules that name a model on purpose: bench times the shallow network's fast step (its subject).
# explain.py picks the notes' symbols (n, h, 1) for the one-hidden-layer network by name.
NAMES_A_MODEL = {"bench.py"}  # the benchmark times the shallow network's fast step, by name


def _string_constants(tree):
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


# a contract's function that shares its entry's name names the function where it appears (normalise), and
# a helper's name learners write (`def logistic(z)`: σ) names the helper
CONTRACT_FUNCTIONS = {name for pair in REGISTRY.values() if pair.contract for name in pair.contract.names}
CONTRACT_FUNCTIONS |= {name for names in HELPER_NAMES.values() for name in names}


def test_no_module_outside_the_registry_names_a_model():
    root = Path(__file__).resolve().parent.parent / "torchref"
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name in {"registry.py", *NAMES_A_MODEL} or "examples" in path.parts:
            continue
        for node in _string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            # every word of every string: a whole constant, a part of an f-string, an item of a list
            words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*\*?", node.value)
            named = [
                w
                for w in words
                if w in REGISTRY and w not in CONTRACT_FUNCTIONS or w.split("_")[0] in {"mp", "deep"} and "_" in w
            ]
            if named:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {named} in {node.value!r}")
    assert not found, "\n".join(found)


def test_the_guard_reads_words_inside_f_strings_and_lists():
    """The guard's reading, on a module that names models the three ways a module can."""
    tree = ast.parse('x = f"one of (logistic, deep_*), got {m}"\ny = ["perceptron", "other"]\n')
    words = [re.findall(r"[A-Za-z_][A-Za-z0-9_]*\*?", node.value) for node in _string_constants(tree)]
    named = [w for ws in words for w in ws if w in REGISTRY or w.startswith("deep_")]
    assert named == ["logistic", "deep_*", "perceptron"]


def test_the_usual_depth_is_the_pairs_and_its_random_cases_take_it():
    """One place decides a model's depth: the named shapes' most common one, which its random shapes have too."""
    rng = np.random.default_rng(1)
    for pair in REGISTRY.values():
        depths = [len(s.hidden) for s in pair.shapes]
        assert depths.count(pair.usual_depth) == max(depths.count(d) for d in depths)
        assert pair.one_depth == (len(set(depths)) == 1)
        if pair.differentiable:
            assert len(pair.random_shape(rng).hidden) == pair.usual_depth


def test_every_entry_has_its_own_stable_salt_and_a_renamed_entry_keeps_its_cases():
    import copy

    from torchref.sweep import cases_for

    salts = [pair.salt for pair in REGISTRY.values()]
    assert all(isinstance(s, int) and s > 0 for s in salts) and len(set(salts)) == len(salts)
    pair = next(p for p in REGISTRY.values() if p.differentiable)
    renamed = copy.copy(pair)
    renamed.name = "another_name"
    ids = [s.id for s in cases_for(pair, "float64", 12, seed=3)]
    assert [s.id for s in cases_for(renamed, "float64", 12, seed=3)] == ids
    resalted = copy.copy(pair)
    resalted.salt = pair.salt + 1
    assert [s.id for s in cases_for(resalted, "float64", 12, seed=3)] != ids


def test_hidden_widths_are_read_once_so_a_refusal_names_what_came():
    for name in ("perceptron", "shallow"):  # an entry without hidden layers, and a net of one
        with pytest.raises(ValueError, match=r"got \[4, 2\]"):
            REGISTRY[name].hidden_for(w for w in (4, 2))


def test_an_mp_neuron_sample_without_its_truth_table_is_refused_by_name():
    pair = REGISTRY["mp_neuron"]
    s = pair.sample(Shape(4, 2), "float64", seed=0)
    assert all(r.ok for r in pair.parity(s))
    s.truth = None
    for side in (pair.handmade, pair.torch):
        with pytest.raises(ValueError, match=f"truth table it was drawn from; {s.id} has none"):
            side(s)
