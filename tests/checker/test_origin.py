"""Function objects are judged by a text proven to be their code, and only when the code is the learner's."""

import importlib.util
import linecache
import math
import textwrap

import pytest
from classroom import EXAMPLE, EXAMPLE_PATH

import torchref
from torchref.checker.intake import SourceError, from_functions
from torchref.checker.origin import compiles_to, foreign, same_code

RIGHT = "def backward" + EXAMPLE.split("def backward")[1]  # the shipped example's backward, as a cell holds it
ZEROS = textwrap.dedent(
    """
    def backward(X, Y, params, cache):
        return {k: np.zeros_like(params[k[1:]]) for k in ("dW1", "db1", "dW2", "db2")}
    """
)
OPTIONS = dict(cases=2, seed=3)


def _cell(name, compiled, cached, scope=None):
    """The backward of `compiled`, run under a cell's name whose linecache entry holds `cached`, as IPython keeps a
    cell's text for `inspect`."""
    import numpy as np

    scope = {"np": np} if scope is None else scope
    exec(compile(compiled, name, "exec"), scope)
    linecache.cache[name] = (len(cached), None, cached.splitlines(True), name)
    return scope["backward"]


def test_a_wrong_function_whose_cached_cell_holds_the_right_text_is_refused():
    backward = _cell("<ipython-input-41-wrong>", "import numpy as np\n" + ZEROS, "import numpy as np\n" + RIGHT)
    with pytest.raises(SourceError, match=r"the source text found for backward .* is not the code of the function"):
        torchref.check(backward=backward, model="shallow", **OPTIONS)


def test_a_right_function_from_a_cached_cell_is_judged():
    backward = _cell("<ipython-input-42-right>", "import numpy as np\n" + RIGHT, "import numpy as np\n" + RIGHT)
    assert torchref.check(backward=backward, model="shallow", **OPTIONS).verdict == "pass"


def test_what_wraps_a_function_is_not_followed_to_another_text():
    backward = _cell("<ipython-input-43-zeros>", ZEROS, ZEROS)
    backward.__wrapped__ = _cell("<ipython-input-44-right>", RIGHT, RIGHT)
    assert "zeros_like" in from_functions(backward).text and "dZ1" not in from_functions(backward).text


def test_a_function_renamed_after_it_was_defined_is_refused():
    """The text sent binds the code's own name: a renamed function would leave the name the judge calls to
    whatever else the text defines under it (here the right backward, read by the wrong one as a helper)."""
    scope = {}
    cell = RIGHT + "\n\ndef zeros(X, Y, params, cache):\n    right\n    return {}\n"
    scope["right"] = _cell(
        "<ipython-input-45-renamed>", "import numpy as np\n" + cell, "import numpy as np\n" + cell, scope
    )
    zeros = scope["zeros"]
    zeros.__name__ = "backward"
    with pytest.raises(SourceError, match="the source text found for backward defines 'zeros', not the function's"):
        from_functions(zeros)


def test_functions_of_notebook_cells_are_judged_however_their_cells_import():
    """In IPython each cell is compiled alone: `np.sum(...)` compiles to other bytecode where the cell itself
    imports numpy than where an earlier cell did, and a cell after `from __future__ import annotations` compiles
    annotations as text. Each is still its function's code."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    flags = shell.compile.flags
    nested = RIGHT.replace(
        "    m = X.shape[0]", "    def rows(A: np.ndarray) -> int:\n        return A.shape[0]\n\n    m = rows(X)"
    )
    try:
        assert shell.run_cell("from __future__ import annotations\nimport numpy as np").success
        for cell in (RIGHT, "import numpy as np\n" + RIGHT, nested):
            assert shell.run_cell(cell).success
            report = torchref.check(backward=shell.user_ns["backward"], model="shallow", **OPTIONS)
            assert report.verdict == "pass", report.table()
    finally:
        shell.compile.flags = flags  # the shell is this process's one instance: later tests get it as it was


def test_a_method_is_judged_by_its_text_though_its_docstring_loses_the_class_indentation(tmp_path):
    method = "@staticmethod\n" + RIGHT.replace(
        "    m = X.shape[0]", '    """dZ2 first,\n    then back."""\n    m = X.shape[0]'
    )
    path = tmp_path / "learner_class.py"
    path.write_text("import numpy as np\n\n\nclass Net:\n" + textwrap.indent(method, "    "))
    spec = importlib.util.spec_from_file_location("learner_class", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert '"""dZ2 first,\n    then back."""' in from_functions(module.Net.backward).text
    assert torchref.check(backward=module.Net.backward, model="shallow", **OPTIONS).verdict == "pass"


def test_a_module_edited_after_it_was_imported_is_refused_until_it_is_run_again(tmp_path):
    path = tmp_path / "learner_edits.py"
    path.write_text("import numpy as np\n" + RIGHT)
    spec = importlib.util.spec_from_file_location("learner_edits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path.write_text("import numpy as np\n" + RIGHT.replace("(1 - A1**2)", "(1 - A1)"))  # not run: not the code
    with pytest.raises(SourceError, match="learner_edits.py, line 2.* is not the code of the function given"):
        from_functions(module.backward)


def test_functions_of_the_reference_or_of_installed_packages_are_refused():
    spec = importlib.util.spec_from_file_location("shipped", EXAMPLE_PATH)
    shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shipped)
    with pytest.raises(SourceError, match=r"its code is in torchref's own files \(torchref/examples/"):
        from_functions(shipped.backward)
    from torchref_handmade import shallow

    with pytest.raises(SourceError, match=r"its code is in torchref_handmade's own files"):
        torchref.check(backward=shallow.backward, model="shallow", **OPTIONS)
    import json

    assert foreign(json.dumps.__code__).startswith("Python's standard library (")
    import hypothesis

    assert foreign(hypothesis.given.__code__).startswith("an installed package (")
    assert foreign(compile("x = 1", "<ipython-input-1-x>", "exec")) is None


def test_code_is_the_same_wherever_it_was_written_and_differs_in_anything_it_does():
    def code(text, name="<cell>"):
        return compile(text, name, "exec").co_consts[0]

    body = "def f(x):\n    return [x * 2.0 for _ in range(3)], (1, 'a')\n"
    assert same_code(code(body), code("\n\n\n" + body, "/elsewhere/cell.py"))  # other lines, other file
    for changed in ("2.0", "2"), ("2.0", "-2.0"), ("(1, 'a')", "(True, 'a')"), ("x * 2.0", "x / 2.0"), ("_", "y"):
        assert not same_code(code(body), code(body.replace(*changed))), changed
    nan = "def f(x):\n    return x + (1e400 - 1e400)\n"  # a constant nan, which is not equal to itself
    assert math.isnan(code(nan).co_consts[-1]) and same_code(code(nan), code(nan))
    assert compiles_to(body, code("\n" + body)) and not compiles_to(body, code(body.replace("2.0", "3.0")))
    assert not compiles_to("def f(:\n", code(body))
