"""The chain written once, and the search for what a learner computed: right when it speaks, silent otherwise."""

import html

import numpy as np
import pytest
from classroom import EXAMPLES

from torchref.chain import Expr, S, environment, op
from torchref.checker import check
from torchref.checker.diagnosis.reconstruct import BUDGET, search
from torchref.registry import REGISTRY, AutogradPair, Shape

EXAMPLE = EXAMPLES / "shallow_derivation.py"
DIFFERENTIABLE = [name for name, pair in REGISTRY.items() if isinstance(pair, AutogradPair)]


def _case(model: str, shape: Shape, seed: int):
    pair = REGISTRY[model]
    s = pair.sample(shape, "float64", seed)
    values = pair.handmade(s)
    forward = {k: v for k, v in values.items() if k[:1] in ("Z", "A")}
    backward = {k: v for k, v in values.items() if k.startswith("d")}
    return environment(s.X, s.Y, s.params, forward, backward), values


@pytest.mark.parametrize("model", DIFFERENTIABLE)
def test_every_link_of_the_chain_gives_the_handmade_value(model):
    pair = REGISTRY[model]
    shape = pair.shapes[4]
    chain = pair.chain(shape)
    compared = [name for name in pair.names(shape) if name != "J"]
    assert chain.names == compared or set(compared) < set(chain.names)  # shallow_fast compares what it keeps
    env, values = _case(model, shape, 3)
    for link in chain.links:
        if link.name not in values or not link.expr.symbols() <= set(env):  # shallow_fast keeps no Z, A1
            continue
        assert np.allclose(link.expr.evaluate(env), values[link.name]), link.formula
        assert link.formula.startswith(f"{link.name} = ")
        sizes = [1 if s == "1" else shape.k if s == "k" else env[s] for s in link.shape.strip("()").split(", ")]
        assert np.shape(values[link.name]) == tuple(sizes), (link.name, link.shape)


def test_expressions_render_in_the_notes_symbols_and_as_numpy():
    dZ1 = op["mul"](S("dA1"), op["sigmoid_prime"](S("A1")))
    assert dZ1.text() == "dA1 ⊙ σ′(A1)" and dZ1.text(expand=True) == "dA1 ⊙ A1(1 − A1)"
    term = op["div"](op["mul"](Expr.const(0.1), S("W")), S("m"))
    assert term.text() == "(0.1/m) W"
    dW = op["div"](op["matmul"](op["T"](S("X")), op["mul"](S("dA1"), op["sub"](Expr.const(1), S("A1")))), S("m"))
    assert dW.text() == "(1/m) Xᵀ (dA1 ⊙ (1 − A1))"
    env, _ = _case("shallow", Shape(4, 3, (5,)), 1)
    names = {"np": np, "sigmoid_prime": lambda a: a * (1 - a)}
    assert np.allclose(eval(dW.python(), {**names, **env}), dW.evaluate(env))


FORMULAS = [  # what a learner computed at a link, outside the catalogue
    ("shallow", "dZ1", lambda e: e["dA1"] * (1 - e["A2"] ** 2)),
    ("shallow", "dZ1", lambda e: e["dA1"] * (1 + e["A1"] ** 2)),
    ("shallow", "dW2", lambda e: e["A1"].T @ e["dZ2"] / e["n"]),
    ("logistic", "dZ", lambda e: (e["A"] - e["Y"]) / (e["A"] * (1 - e["A"]))),
    ("deep_tanh_sigmoid", "dA2", lambda e: e["dZ3"] @ e["W3"].T * (1 - e["A2"] ** 2)),
]


@pytest.mark.parametrize("model, name, formula", FORMULAS)
def test_a_found_formula_is_the_learners_on_shapes_it_never_saw(model, name, formula):
    depth = {"logistic": ((), ()), "shallow": ((4,), (3,))}.get(model, ((4, 3), (3, 2)))
    cases = []
    for i, (m, n, hidden) in enumerate([(3, 2, depth[0]), (5, 3, depth[1])]):
        env, _ = _case(model, Shape(m, n, hidden), 10 + i)
        cases.append((env, formula(env), "float64"))
    chain = REGISTRY[model].chain(Shape(3, 2, depth[0]))
    found, spent = search(chain[name], chain, cases)
    assert found is not None and 0 < spent <= BUDGET
    for i, (m, n, hidden) in enumerate([(7, 4, depth[1]), (6, 5, depth[0])]):  # never searched
        env, _ = _case(model, Shape(m, n, hidden), 50 + i)
        assert np.allclose(found.evaluate(env), formula(env)), found.text()


def test_a_value_outside_the_grammar_finds_nothing_within_a_fixed_budget():
    cases = []
    for i, shape in enumerate([Shape(3, 2, (4,)), Shape(5, 3, (3,))]):
        env, _ = _case("shallow", shape, 20 + i)
        cases.append((env, env["dA1"] * np.cos(env["A1"]), "float64"))
    chain = REGISTRY["shallow"].chain(Shape(3, 2, (4,)))
    assert search(chain["dZ1"], chain, cases, budget=500) == (None, 500)
    found, spent = search(chain["dZ1"], chain, cases)
    assert found is None and spent <= BUDGET


def test_the_report_says_honestly_when_nothing_explains_the_values(tmp_path):
    path = tmp_path / "cosine.py"
    path.write_text(EXAMPLE.read_text().replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * np.cos(A1)"))
    report = check(path, "shallow", cases=8, seed=5, dtypes=("float64",))
    assert report.first_wrong == "dZ1" and report.mistake == ""
    assert "no known mistake, and no formula within the search's budget" in report.cause
    assert "the notes: dZ1 = dA1 ⊙ (1 − A1²)" in report.cause
    dZ1 = next(t for t in report.tensors if t.name == "dZ1")
    assert dZ1.computed == "" and dZ1.small_case and report.line.endswith("dZ1 = dA1 * np.cos(A1)")
    # the small case is pointed to where it is shown below the cause, and only there (not in a folder's line)
    below = "(compare your line with the notes' on the small case below)"
    assert below not in report.cause and below not in report.summary()
    table = report.table()
    assert below in table.splitlines()[1] and table.index(below) < table.index("the smallest failing case")
    view, shown = report._repr_html_(), html.escape(below)
    assert f"{shown}</td>" in view and view.index(shown) < view.index("torchref-small-case")


def _example(tmp_path, name, old, new):
    path = tmp_path / f"{name}.py"
    text = EXAMPLE.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_the_learners_line_read_in_the_notes_symbols_states_what_the_search_cannot_reach(tmp_path):
    """tanh′ cubed is beyond the search's size; the line, read back to the notes' symbols, gives every value."""
    line = "dZ1 = dA1 * (1 - A1**2) * (1 - A1**2) * (1 - A1**2)"
    path = _example(tmp_path, "cubed", "dZ1 = dA1 * (1 - A1**2)", line)
    report = check(path, "shallow", cases=8, seed=5, dtypes=("float64",))
    dZ1 = next(t for t in report.tensors if t.name == "dZ1")
    assert report.first_wrong == "dZ1" and report.line.endswith(line)
    assert "you computed dZ1 = " in report.cause and "the notes: dZ1 = dA1 ⊙ (1 − A1²)" in report.cause
    env, values = _case("shallow", Shape(6, 3, (5,)), 9)  # a shape the check never saw
    names = {"np": np, "tanh_prime": lambda a: 1 - a * a}
    assert np.allclose(eval(dZ1.computed, {**names, **env}), values["dA1"] * (1 - values["A1"] ** 2) ** 3)


def test_a_line_that_does_not_give_the_returned_values_says_so(tmp_path):
    path = _example(tmp_path, "later", "dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * (X.T @ dZ1)\n    dW1 *= 3")
    report = check(path, "shallow", cases=6, seed=5, dtypes=("float64",))
    assert report.first_wrong == "dW1" and report.line.endswith("dW1 = (1 / m) * (X.T @ dZ1)")
    assert "dW1 is changed in place at line" in report.reason
    assert "it gives other values than the dW1 returned" in report.reason
