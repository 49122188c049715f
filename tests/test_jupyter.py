"""`%load_ext torchref` and `%%check MODEL`: a real notebook, executed by nbclient in an IPython kernel."""

import re

import nbformat
import pytest
from classroom import TANH, chromium, derivation
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import torchref

OPTIONS = "--cases 2 --seed 1"
WRONG, RIGHT = derivation(TANH), derivation()
# the course's cost function, as A02's learners name it, with the minus of J = −(1/m) Σ [...] left out
COST_WITHOUT_ITS_MINUS = """import numpy as np

def compute_cost(A, Y):
    m = Y.shape[0]
    cost = np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return cost
"""
NORMALISE = """import numpy as np

def normalise(X):
    return (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
"""


def _run(tmp_path, *cells):
    nb = new_notebook(cells=[new_code_cell(text) for text in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True)
    client.execute(cwd=str(tmp_path))
    nbformat.write(nb, tmp_path / "executed.ipynb")
    return nb


def _html(cell):
    return [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]


def _errors(cell):
    return [f"{o['ename']}: {o['evalue']}" for o in cell.outputs if o["output_type"] == "error"] + [
        o["text"].strip() for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stderr"
    ]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    return _run(
        tmp_path_factory.mktemp("nb"),
        "%load_ext torchref",
        f"%%check shallow {OPTIONS}\n{WRONG}",
        "import torchref\ntorchref.check(forward=forward, backward=backward, model='shallow', cases=2, seed=1)",
        f"%%check shallow {OPTIONS}\n{RIGHT}",
        f"%%check shallow --cases 0\nran = True\n{WRONG}",
        "%%check shallow\nx = 1",
        f"%%check shallow --csv grades.csv\n{RIGHT}",
        "%%check\nx = 2",
        "print('ran' in dir(), x)",
        f"%%check shallow {OPTIONS}\n{RIGHT}\n1 / 0",
    )


def test_a_wrong_cell_is_wrong_at_its_first_wrong_link_with_the_apis_html(executed):
    cells = executed.cells
    assert OPTIONS == "--cases 2 --seed 1" and "cases=2, seed=1)" in cells[2].source  # the same cases
    (magic,), (api,) = _html(cells[1]), _html(cells[2])
    assert ">WRONG<" in magic and "<code>dZ1</code>" in magic and "tanh′ written as 1 − A" in magic
    assert magic == api  # the same report, shown the same way
    (right,) = _html(cells[3])
    assert ">PASS<" in right and not _errors(cells[1]) and not _errors(cells[3])


def test_every_function_of_the_contract_is_checked_under_the_learners_names_too(tmp_path):
    """`%%check logistic` on a cell that defines only `compute_cost`: judged as the contract's loss, WRONG there;
    `%%check normalise` on a cell that defines `normalise`: judged, PASS."""
    cells = _run(
        tmp_path,
        "%load_ext torchref",
        f"%%check logistic {OPTIONS}\n{COST_WITHOUT_ITS_MINUS}",
        f"%%check normalise {OPTIONS}\n{NORMALISE}",
    ).cells
    (cost,) = _html(cells[1])
    assert ">WRONG<" in cost and "J has the wrong sign" in cost, cost
    assert "compute_cost is judged as the contract&#x27;s loss(A, Y)" in cost
    (scaled,) = _html(cells[2])
    assert ">PASS<" in scaled and not _errors(cells[1]) and not _errors(cells[2])


def test_the_magic_refuses_in_one_line_and_runs_nothing_it_refused(executed):
    cells = executed.cells
    assert _errors(cells[4]) == ["UsageError: %%check: argument --cases: expected a positive integer, got 0"]
    (none,) = _errors(cells[5])
    assert none.startswith("UsageError: %%check shallow: the cell defines none of ") and "backward" in none
    assert _errors(cells[6]) == ["UsageError: %%check: --csv is for files and folders (torchref check), not a cell"]
    assert _errors(cells[7])[0].startswith("UsageError: %%check needs a model first")
    assert [o["text"] for o in cells[8].outputs] == ["False 1\n"]  # a refused cell did not run; `x = 1` did
    raised = _errors(cells[9])
    assert raised[0] == "ZeroDivisionError: division by zero" and "the cell raised" in raised[1], raised
    traceback = re.sub(
        r"\x1b\[[0-9;]*m", "", "".join(line for o in cells[9].outputs for line in o.get("traceback", []))
    )
    assert "jupyter.py" not in traceback and "1 / 0" in traceback  # from the learner's cell on


def test_a_notebook_of_check_cells_handed_in_is_judged_as_written(executed, tmp_path):
    path = tmp_path / "hw3.ipynb"
    nbformat.write(executed, path)
    report = torchref.check(path, model="shallow", cases=2, seed=1)
    assert report.verdict == "pass", report.table()  # the last backward, as in the kernel


def test_the_magic_in_an_ipython_shell_of_this_process(tmp_path):
    """The same magic without a kernel between: its result is the API's report, a refusal a UsageError."""
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "torchref")
    assert shell.run_cell(f"%%check shallow {OPTIONS}\n{WRONG}").success
    report = shell.user_ns["_"]  # the cell's result, as Out[] holds it
    assert report.verdict == "wrong" and report.first_wrong == "dZ1"
    assert (
        report._repr_html_()
        == torchref.check(
            forward=shell.user_ns["forward"], backward=shell.user_ns["backward"], model="shallow", cases=2, seed=1
        )._repr_html_()
    )
    refused = shell.run_cell("%%check shallow --hidden 0\nnever = 1")
    assert isinstance(refused.error_in_exec, UsageError) and "never" not in shell.user_ns
    failed = shell.run_cell(f"%%check shallow {OPTIONS}\n1 / 0\n{RIGHT}")
    assert isinstance(failed.error_in_exec, UsageError) and "the cell raised" in str(failed.error_in_exec)
    assert shell.user_ns["_"] is report  # no new report for a cell that raised


def test_the_notebook_view_shows_the_small_case_and_the_seed_in_a_browser(tmp_path):
    """What `_repr_html_` draws in a notebook: the small case the diagnosis points to, labelled, and the seed."""
    from selenium.webdriver.common.by import By

    path = tmp_path / "mine.py"
    path.write_text(WRONG)
    report = torchref.check(path, "shallow", cases=2, seed=1)
    page = tmp_path / "cell.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'><body>{report._repr_html_()}</body>")
    browser = chromium()
    try:
        browser.get(page.as_uri())
        small = browser.find_element(By.CSS_SELECTOR, "pre.torchref-small-case")
        assert small.is_displayed()
        assert "the reference's dZ1 =" in small.text and "your dZ1 =" in small.text
        assert "first difference at dZ1[" in small.text
        seed = browser.find_element(By.XPATH, "//th[text()='seed']/following-sibling::td")
        assert seed.text.startswith("1 (--seed 1 replays these cases)")
    finally:
        browser.quit()


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('shallow --seed "1', "%%check: No closing quotation"),
        ("", "%%check needs a model first: %%check MODEL [options] (torchref models lists them)"),
        ("--cases 2 shallow", "%%check needs a model first: %%check MODEL [options] (torchref models lists them)"),
        ("shallow --quiet", "%%check: --quiet is for files and folders (torchref check), not a cell"),
        ("shallow --bogus", "%%check: unknown option --bogus"),  # no pointer to a command line's help
        ("shallow --help", "%%check MODEL [options]: the options of torchref check above"),
    ],
)
def test_a_magic_line_refused_is_one_usage_line(line, said, capsys):
    from IPython.core.error import UsageError

    from torchref import jupyter

    with pytest.raises(UsageError) as refused:
        jupyter.parse(line)
    assert str(refused.value) == said
    assert ("usage:" in capsys.readouterr().out) == line.endswith("--help")  # --help prints the options first


def test_the_magic_says_what_the_check_refuses_and_a_cell_of_no_contract_function(monkeypatch):
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "torchref")
    empty = shell.run_cell("%%check shallow\nx = 2")
    assert isinstance(empty.error_in_exec, UsageError)
    assert str(empty.error_in_exec) == (
        "%%check shallow: the cell defines none of the contract's functions: forward(X, params), loss(A, Y), "
        "backward(X, Y, params, cache), update(params, grads, lr), train(X, Y, params, lr, steps) "
        "(or the learners' names compute_cost, cost, backprop, update_parameters, sigmoid_neuron): nothing to check"
    )
    assert shell.user_ns["x"] == 2  # the cell ran
    monkeypatch.setenv("TORCHREF_SEED", "abc")
    refused = shell.run_cell(f"%%check shallow --cases 2\n{RIGHT}")
    assert isinstance(refused.error_in_exec, UsageError)
    assert str(refused.error_in_exec) == "%%check shallow: TORCHREF_SEED must be an integer >= 0, got 'abc'"
