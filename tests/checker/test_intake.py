"""A learner in a notebook: functions, a cell's text and whole .ipynb files as derivations."""

import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from classroom import EXAMPLES
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import torchref
from torchref.checker.intake import SourceError, from_functions, from_notebook

EXAMPLE = (EXAMPLES / "shallow_derivation.py").read_text()
FORWARD, BACKWARD = (
    "def forward" + EXAMPLE.split("def forward")[1].split("def backward")[0],
    "def backward" + (EXAMPLE.split("def backward")[1]),
)
TANH_AS_1_MINUS_A = ("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")
OPTIONS = dict(cases=2, seed=3)
PYPROJECT = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
DISTRIBUTION = re.search(r'^name = "(.+)"$', PYPROJECT, re.M).group(1)  # what `pip install` needs


def _module(tmp_path, name, text):
    """Functions defined in a module of their own, as a notebook's cells define them in __main__."""
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_functions_are_judged_with_the_imports_helpers_and_constants_they_use(tmp_path):
    learner = _module(
        tmp_path,
        "cells",
        textwrap.dedent(
            """
            import numpy as np
            from numpy import tanh as th

            ONE = 1.0
            DATA = np.ones((3, 2))  # a global the functions do not read


            def sigma(z):
                return ONE / (ONE + np.exp(-z))


            def my_forward(X, params):
                Z1 = X @ params["W1"] + params["b1"]
                A1 = th(Z1)
                Z2 = A1 @ params["W2"] + params["b2"]
                A2 = sigma(Z2)
                return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


            """
        )
        + BACKWARD.replace("def backward", "def my_backward"),
    )
    src = from_functions(learner.my_backward, learner.my_forward)
    assert "from numpy import tanh as th" in src.text and "ONE = 1.0" in src.text and "def sigma" in src.text
    assert "DATA" not in src.text and src.text.rstrip().endswith("forward = my_forward")
    report = torchref.check(backward=learner.my_backward, forward=learner.my_forward, model="shallow", **OPTIONS)
    assert report.verdict == "pass" and report.has_forward and report.file == "my_backward", report.table()


def test_a_wrong_function_is_named_at_its_own_line(tmp_path):
    wrong = BACKWARD.replace(*TANH_AS_1_MINUS_A).replace("m = X.shape[0]", "m = X.shape[0]\n    1 / (m - m)")
    learner = _module(tmp_path, "cells", "import numpy as np\n\n" + wrong)
    report = torchref.check(backward=learner.backward, model="shallow", **OPTIONS)
    assert report.verdict == "wrong"
    assert "ZeroDivisionError at backward, line 3 in backward: `1 / (m - m)`" in report.errors[0]
    assert report.learner_line() == ("backward, line 3", "1 / (m - m)")


@pytest.mark.parametrize(
    "fn, says",
    [
        (lambda X, Y, params, cache: {}, "is a lambda: write it as `def backward(...)`"),
        (print, "a builtin has no Python source"),
        (len, "a builtin has no Python source"),
        ("backward", "must be a function written with def, got str"),
    ],
)
def test_a_function_without_source_gets_a_clear_error(fn, says):
    with pytest.raises(SourceError, match=says.replace("(", r"\(").replace(")", r"\)")):
        torchref.check(backward=fn, model="shallow")


def test_functions_made_by_exec_or_in_a_closure_are_refused():
    scope = {}
    exec("def backward(X, Y, params, cache):\n    return {}\n", scope)
    with pytest.raises(SourceError, match="the source of backward .* cannot be read"):
        torchref.check(backward=scope["backward"], model="shallow")

    def outer(k):
        def backward(X, Y, params, cache):
            return {"k": k}

        return backward

    with pytest.raises(SourceError, match="uses k from the function it was defined in"):
        torchref.check(backward=outer(2), model="shallow")


def test_a_function_given_first_is_the_backward(tmp_path):
    """`torchref.check(backward, model=...)`, as a notebook user writes it: judged as backward=backward."""
    learner = _module(tmp_path, "learner_positional", EXAMPLE)
    positional = torchref.check(learner.backward, model="shallow", **OPTIONS)
    assert positional.verdict == "pass" and positional.file == "backward"
    with pytest.raises(TypeError, match="give the function once"):
        torchref.check(learner.backward, model="shallow", backward=learner.backward)
    # the model's name first, as `torchref.check("shallow", backward=fn)` reads: the model, not a missing file
    named_first = torchref.check("shallow", backward=learner.backward, **OPTIONS)
    assert named_first.verdict == "pass" and named_first.model == "shallow"


def test_check_refuses_what_it_cannot_take():
    with pytest.raises(TypeError, match="model is required"):
        torchref.check(backward=test_check_refuses_what_it_cannot_take)
    with pytest.raises(TypeError, match=r"give one of path, the functions \(backward=fn, loss=fn, ...\) or source="):
        torchref.check(model="shallow")
    # any function of the contract may come alone (the course's pieces), but as Python source
    with pytest.raises(SourceError, match="forward must be a function written with def, got builtin"):
        torchref.check(forward=print, model="shallow")
    with pytest.raises(TypeError, match="source must be the cell's text"):
        torchref.check(source=3, model="shallow")


def test_a_cells_text_with_magics_is_judged_and_placed_by_its_lines():
    cell = "import numpy as np\n%matplotlib inline\n!pip list\n\n" + BACKWARD.replace(*TANH_AS_1_MINUS_A)
    report = torchref.check(source=cell, model="shallow", **OPTIONS)
    assert report.verdict == "wrong" and report.first_wrong == "dZ1", report.table()
    broken = torchref.check(
        source="import numpy as np\ndef backward(X, Y, params, cache):\n    return 1 / 0\n", model="shallow", **OPTIONS
    )
    assert "ZeroDivisionError at cell, line 3 in backward" in broken.errors[0]


def _notebook(cells, language="python"):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "k", "language": language, "display_name": language}
    nb.cells = [new_markdown_cell(c[1:]) if c.startswith("#") else new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


NOTEBOOK_CELLS = [
    "# My derivation of the shallow network",
    "import numpy as np\n%matplotlib inline",
    FORWARD,
    "X = np.ones((4, 2))\nwhile True:\n    pass  # a training loop that must not run when judged",
    BACKWARD.replace(*TANH_AS_1_MINUS_A),
    "print(backward(X, X, {}, {}))",
]


def test_a_notebook_is_judged_from_the_cells_that_define_the_functions(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text(_notebook(NOTEBOOK_CELLS))
    report = torchref.check(path, model="shallow", **OPTIONS)
    assert report.verdict == "wrong" and report.first_wrong == "dZ1" and report.has_forward, report.table()
    assert report.file == str(path)
    cells = list(NOTEBOOK_CELLS)
    cells[4] = cells[4].replace("m = X.shape[0]", "m = X.shape[0]\n    q = m / 0")
    path.write_text(_notebook(cells))
    report = torchref.check(path, model="shallow", **OPTIONS)
    assert "ZeroDivisionError at hw.ipynb cell 5, line 3 in backward: `q = m / 0`" in report.errors[0]


@pytest.mark.parametrize(
    "content, says",
    [
        ("{not json", "not a readable notebook: NotJSONError"),
        (_notebook(["x <- 1"], language="R"), "a R notebook, not a Python one"),
        (json.dumps({"cells": 3}), "not a readable notebook"),
    ],
    ids=["not-json", "R", "not-a-notebook"],  # a notebook's cells have random ids: never in a test's id
)
def test_an_unreadable_notebook_could_not_be_judged(tmp_path, content, says):
    path = tmp_path / "hw.ipynb"
    path.write_text(content)
    report = torchref.check(path, model="shallow", **OPTIONS)
    assert report.verdict == "unusable" and says in report.reason


def test_a_notebook_without_the_notebook_extra_names_the_distribution_to_install(monkeypatch):
    """`torchref` on PyPI is an unrelated project: the hint must name this one's distribution."""
    data = _notebook(["x = 1"]).encode()
    monkeypatch.setitem(sys.modules, "nbformat", None)  # import nbformat now raises ImportError
    with pytest.raises(SourceError) as caught:
        from_notebook(data, "hw3.ipynb")
    assert str(caught.value) == f"reading notebooks needs nbformat: pip install '{DISTRIBUTION}[notebook]'"


def test_a_syntax_error_in_the_backward_cell_is_placed_by_cell_and_line(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text(_notebook(["import numpy as np", "def backward(X, Y, params, cache):\n    return {(\n"]))
    report = torchref.check(path, model="shallow", **OPTIONS)
    assert report.verdict == "unusable" and "hw.ipynb cell 2, line 2" in report.reason, report.reason
    assert torchref.check(source=path.read_bytes(), path="again.ipynb", model="shallow", **OPTIONS).reason == (
        report.reason.replace("hw.ipynb", "again.ipynb")
    )


def test_the_report_prints_as_its_table_and_shows_as_escaped_html_in_jupyter():
    cell = "def backward(X, Y, params, cache):\n    raise ValueError('<script>alert(1)</script>')\n"
    report = torchref.check(source=cell, model="shallow", **OPTIONS)
    assert str(report) == report.table() and len(repr(report)) < 300
    assert repr(report).startswith("<FileReport cell model shallow: WRONG: the learner's code raised")
    page = report._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ">WRONG<" in page and "your line" in page and "cell, line 2" in page


def test_the_worked_notebook_example_runs_in_a_kernel(tmp_path):
    """torchref/examples/check_in_notebook.ipynb, executed as Jupyter would (nbclient and ipykernel)."""
    from nbclient import NotebookClient

    nb = nbformat.read(EXAMPLES / "check_in_notebook.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == 1 and ">WRONG<" in html[0] and "<code>dZ1</code>" in html[0]
    assert "tanh′ written as 1 − A instead of 1 − A²" in html[0]
    printed = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "model shallow  18 cases: forward 8, backward 10 (float32, float64)  PASS" in printed
    assert not [o for o in outputs if o["output_type"] == "error"]


def test_the_worked_notebook_handed_in_keeps_only_what_its_functions_need():
    """The last definition of backward wins, as in the kernel; `import torchref` and the checks' cells stay out."""
    src = from_notebook((EXAMPLES / "check_in_notebook.ipynb").read_bytes(), "check_in_notebook.ipynb")
    assert src.text.startswith("import numpy as np\n") and "torchref" not in src.text
    assert src.text.count("def backward") == 2 and "report" not in src.text
    assert src.labels[0] == "cell 2, line 1" and src.labels[-1].startswith("cell 8, line ")
    report = torchref.check(EXAMPLES / "check_in_notebook.ipynb", model="shallow", **OPTIONS)
    assert report.verdict == "pass", report.table()


def test_a_lambda_helper_goes_along_on_its_own_line_and_help_lines_are_blanked(tmp_path):
    learner = _module(
        tmp_path,
        "cells",
        "import numpy as np\nsquare = lambda a: a**2\n\n"
        + BACKWARD.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - square(A1))  # right?"),
    )
    src = from_functions(learner.backward)
    assert "square = lambda a: a**2" in src.text and "# right?" in src.text
    assert torchref.check(backward=learner.backward, model="shallow", **OPTIONS).verdict == "pass"
    cell = "import numpy as np\nnp.sum?\n" + BACKWARD
    assert torchref.check(source=cell, model="shallow", **OPTIONS).verdict == "pass"


def test_a_global_of_a_functions_module_is_placed_at_the_line_that_sets_it(tmp_path):
    """A constant a function object reads is named where the learner's module sets it, not "(imports)"."""
    text = "import numpy as np\n\nscale = 0.5\n\n" + BACKWARD.replace("dZ2 = A2 - Y", "dZ2 = scale * (A2 - Y)")
    learner = _module(tmp_path, "lab", text)
    report = torchref.check(backward=learner.backward, model="shallow", **OPTIONS)
    assert report.verdict == "wrong" and report.first_wrong == "dZ2"
    said = [note for note in report.notes if note.startswith("backward reads the global scale = 0.5")]
    assert said and "`scale = 0.5` at lab.py, line 3;" in said[0] and "(imports)" not in said[0], report.notes
    assert "`scale = 0.5` at lab.py, line 3" in report.cause, report.cause


def test_what_functions_read_from_the_notebook_goes_along_or_is_named(tmp_path):
    learner = _module(
        tmp_path,
        "cells",
        textwrap.dedent(
            """
            import numpy as np

            KEYS = ("dW2", "db2", "dW1", "db1")
            SCALE = {"half": 0.5}
            WEIGHTS = np.ones(3)


            def helper(grads):
                return {k: grads[k] for k in KEYS}  # a comprehension: code nested in the function


            pick = helper


            def backward(X, Y, params, cache):
                unused = WEIGHTS
                return pick({"dW2": 0, "db2": 0, "dW1": 0, "db1": 0})
            """
        ),
    )
    src = from_functions(learner.backward)
    assert "KEYS = ('dW2', 'db2', 'dW1', 'db1')" in src.text and "pick = helper" in src.text
    assert src.warnings == [
        "backward reads the global WEIGHTS (ndarray), which is not sent to the check: "
        "pass it as an argument or define it inside the function"
    ]
    report = torchref.check(backward=learner.backward, model="shallow", **OPTIONS)
    assert report.verdict == "wrong" and report.warnings[0].startswith("backward reads the global WEIGHTS")
    with pytest.raises(SourceError, match="two functions with one name 'helper'"):
        from_functions(learner.helper, _another_helper(learner))


def _another_helper(learner):
    """Another function named `helper`."""
    scope = {}
    exec(compile("def helper(X, params):\n    return None\n", "<x>", "exec"), scope)
    return scope["helper"]


def test_notebook_cells_that_are_not_python_are_left_out_and_said(tmp_path):
    cells = [
        "%%bash\necho this is shell",
        "%%time\nimport numpy as np",
        "this is not python at all",
        BACKWARD,
    ]
    path = tmp_path / "hw.ipynb"
    path.write_text(_notebook(cells))
    report = torchref.check(path, model="shallow", **OPTIONS)
    assert report.verdict == "pass", report.table()
    assert report.warnings[0].startswith("cell 3 left out: it is not Python (invalid syntax, line 1)")
    path.write_bytes(b"\xff\xfe{}")
    assert torchref.check(path, model="shallow").reason == "not a readable notebook: it is not UTF-8 text"


def test_the_headline_names_the_cause_and_the_learners_line_when_they_are_known():
    from torchref.checker import FileReport, TensorVerdict

    report = FileReport("/course/my.py", "shallow", verdict="wrong", first_wrong="dZ1", cases=40)
    report.tensors = [TensorVerdict("dZ1", "wrong", cases=40, failed=40, diagnosis="tanh′ written as 1 − A")]
    assert report.headline() == "WRONG: first wrong link dZ1: tanh′ written as 1 − A"
    report.cause, report.line = "σ′ used for tanh′", "my.py:20  dZ1 = dA1 * A1 * (1 - A1)"
    assert report.headline() == "WRONG: first wrong link dZ1: σ′ used for tanh′ (my.py:20)"
    page = report._repr_html_()
    assert "σ′ used for tanh′" in page and "my.py:20 <code>dZ1 = dA1 * A1 * (1 - A1)</code>" in page
    assert FileReport("x.py", "shallow", cases=4).headline() == "PASS (4 cases)"
    assert FileReport("x.py", "shallow", verdict="unusable", reason="no backward").headline() == (
        "COULD NOT JUDGE: no backward"
    )


def _raw_notebook(cells, metadata=None) -> bytes:
    """A notebook's JSON as written by hand or by another tool: what nbformat reads without complaint."""
    code = [
        {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells or []
    ]
    doc = {"nbformat": 4, "nbformat_minor": 4, "metadata": metadata or {}, "cells": code if cells is not None else {}}
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (_raw_notebook(None), "not a readable notebook: its cells are not a list (NotebookNode)"),
        (
            _raw_notebook([], {"kernelspec": "python3"}),
            "not a readable notebook: its kernelspec is not an object (str)",
        ),
        (_raw_notebook(["x = 1", "s = '\ud800'"]), "cell 2 holds \\ud800, a lone surrogate: not a character of text"),
        (_raw_notebook(["#" * 100_001]), "cell 1 holds 100,001 characters, over the limit of 100,000 for one cell"),
        (_raw_notebook(["x = " + "-" * 90_000 + "1"]), "cell 1 cannot be read: nested too deeply for the parser ("),
    ],
    ids=["cells-not-a-list", "kernelspec-not-an-object", "lone-surrogate", "cell-too-large", "nested-too-deeply"],
)
def test_a_notebook_the_parser_cannot_take_is_refused_in_one_line(data, says):
    with pytest.raises(SourceError) as refused:
        from_notebook(data, "hw.ipynb")
    assert str(refused.value).startswith(says)


def test_a_cell_holding_a_nul_byte_is_left_out_and_said_without_a_line_it_does_not_have():
    loss = "import numpy as np\n\n\ndef loss(A, Y):\n    return np.mean(np.abs(A - Y))\n"
    source = from_notebook(_raw_notebook([loss, "x = 1\0 # pasted from a binary file"]), "hw.ipynb")
    (said,) = source.warnings
    assert said.startswith("cell 2 left out: it is not Python (") and "null bytes" in said
    assert "line None" not in said and said.endswith(")")
    assert "def loss(A, Y):" in source.text  # the other cells are read


COST_WITHOUT_ITS_MINUS = """
import numpy as np


def compute_cost(A, Y):
    m = Y.shape[0]
    cost = np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return cost
"""


def test_the_learners_names_are_taken_as_the_contracts_with_the_files_note(tmp_path):
    """`compute_cost=fn` is the learners' name of `loss`: judged as a file defining compute_cost is, said in the
    same note; the same function under both names is refused, naming both."""
    learner = _module(tmp_path, "learner_cost", COST_WITHOUT_ITS_MINUS)
    path = tmp_path / "cost.py"
    path.write_text(COST_WITHOUT_ITS_MINUS)
    given = torchref.check(model="logistic", compute_cost=learner.compute_cost, **OPTIONS)
    file = torchref.check(path, model="logistic", **OPTIONS)
    assert given.verdict == file.verdict == "wrong" and given.first_wrong_piece == "loss"
    assert given.mistake == file.mistake != ""
    note = "compute_cost is judged as the contract's loss(A, Y)"
    assert note in given.notes and note in file.notes
    with pytest.raises(TypeError, match=r"loss and compute_cost are one function of the contract \(loss\)"):
        torchref.check(model="logistic", loss=learner.compute_cost, compute_cost=learner.compute_cost)
