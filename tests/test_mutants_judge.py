"""What the judge promises and no other test held it to: each test here failed against a mutant of the judge
that the rest of the suite let through (scripts/mutation), and says which promise that was."""

import os
from pathlib import Path

import numpy as np
import pytest
from classroom import EXAMPLE, filled_template

import torchref_handmade
from torchref.checker import batch, check, check_many
from torchref.checker.batch import Session
from torchref.checker.cases import draw_cases
from torchref.checker.sandbox.sandbox import bwrap_path
from torchref.registry import REGISTRY

DEEP = "deep_tanh_sigmoid"


def _write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_width_of_one_is_a_width():
    session = Session(DEEP, cases=3, seed=1, dtypes=("float64",), hidden=(1, 1))
    try:
        assert session.problem is None and {s.shape.hidden for s in session.samples} == {(1, 1)}
    finally:
        session.close()


def test_a_deep_file_that_is_not_there_is_named_not_a_crash():
    report = check("nowhere.py", DEEP, cases=1, seed=1)
    assert report.verdict == "unusable" and "FILE must be an existing .py file" in report.reason


def test_files_of_a_batch_are_judged_at_the_depth_each_writes_out(tmp_path):
    two, three = filled_template(DEEP, (3, 2)), filled_template(DEEP, (3, 2, 2))
    items = [(_write(tmp_path, "two.py", two), None), (_write(tmp_path, "three.py", three), None)]
    reports = check_many(items, DEEP, jobs=1, cases=3, seed=2, dtypes=("float64",))
    assert [r.verdict for r in reports] == ["pass", "pass"], reports[1].table()
    assert {t.name for t in reports[0].tensors} >= {"dW3"} and "dW4" not in {t.name for t in reports[0].tensors}
    assert "dW4" in {t.name for t in reports[1].tensors}


def test_a_batch_runs_numpys_blas_on_one_thread(tmp_path, monkeypatch, blas_threads):
    from threadpoolctl import threadpool_limits

    seen = []
    real = Session.judge

    def noting(self, path, source, server=None):
        seen.append(blas_threads())
        return real(self, path, source, server)

    monkeypatch.setattr(Session, "judge", noting)
    with threadpool_limits(limits=2, user_api="blas"):
        check(_write(tmp_path, "a.py", EXAMPLE), "shallow", cases=1, seed=1)
        assert blas_threads() == {2}  # the caller's setting, given back
    assert seen == [{1}]


def test_a_forward_whose_A_is_not_its_cache_is_told_so(tmp_path):
    lying = EXAMPLE.replace("return A2, {", "return A2 + 1, {")
    report = check(_write(tmp_path, "lying.py", lying), "shallow", cases=2, seed=3, dtypes=("float64",))
    assert report.verdict == "wrong"
    assert "forward returned an A that differs from its cache['A2']" in report.reason, report.table()


def test_the_learners_own_cache_decides_what_is_an_echo(tmp_path):
    """A wrong A1 in forward: the backward lines computed from it are echoes, not mistakes of their own."""
    halved = EXAMPLE.replace("    A1 = np.tanh(Z1)", "    A1 = 0.5 * np.tanh(Z1)")
    report = check(_write(tmp_path, "halved.py", halved), "shallow", cases=3, seed=4, dtypes=("float64",))
    status = {t.name: t.status for t in report.tensors}
    assert report.first_wrong == "A1" and status["A1"] == "wrong", report.table()
    assert {status[name] for name in ("dW2", "dA1", "dZ1", "dW1", "db1")} == {"echo"}, report.table()


def test_a_worker_that_dies_leaves_its_files_could_not_be_judged(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "_worker", lambda *args: os._exit(0))
    items = [(_write(tmp_path, f"{name}.py", EXAMPLE), None) for name in ("a", "b")]
    reports = check_many(items, "shallow", jobs=2, cases=1, seed=5)
    assert [r.verdict for r in reports] == ["unusable", "unusable"]
    assert all("the judge's worker process died" in r.reason for r in reports)


def test_an_exit_names_where_it_happened(tmp_path):
    at_import = _write(tmp_path, "quits.py", "import sys\nsys.exit(3)\n" + EXAMPLE)
    assert check(at_import, "shallow", cases=1, seed=6).reason == "the file called sys.exit(3) at import"


@pytest.mark.parametrize("sandbox", ["basic", "bwrap"])
def test_a_reference_import_is_named_with_its_line(tmp_path, sandbox):
    if sandbox == "bwrap" and bwrap_path() is None:
        pytest.skip("bubblewrap (bwrap) is not installed or cannot create namespaces here")
    static = _write(tmp_path, "static.py", "import numpy as np\n\nimport torch\n" + EXAMPLE)
    hidden = _write(tmp_path, "hidden.py", "import numpy as np\n\nmod = __import__('tor' + 'ch')\n" + EXAMPLE)
    for path in (static, hidden):
        report = check(path, "shallow", cases=1, seed=7, sandbox=sandbox)
        assert report.reason == "imports the reference (line 3): torch", report.reason


def test_the_handmade_models_files_cannot_be_read(tmp_path):
    """Under the basic sandbox the host's files are there to read: the reference's are refused by name."""
    shallow = Path(torchref_handmade.__file__).parent / "shallow.py"
    reader = _write(tmp_path, "reader.py", f"text = open({str(shallow)!r}).read()\n" + EXAMPLE)
    report = check(reader, "shallow", cases=1, seed=8, sandbox="basic")
    assert report.verdict == "unusable" and report.reason.startswith("reads the reference (line 1)"), report.reason


def test_the_same_seed_draws_the_same_cases_the_large_ones_included():
    pair = REGISTRY["shallow"]
    first, again = draw_cases(pair, ("float32", "float64"), 6, 9), draw_cases(pair, ("float32", "float64"), 6, 9)
    assert [s.id for s in first] == [s.id for s in again]
    for a, b in zip(first, again):
        assert np.array_equal(a.X, b.X) and all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_the_default_limits_are_the_documented_ones(tmp_path):
    report = check(_write(tmp_path, "a.py", EXAMPLE), "shallow", cases=1, seed=10)
    limits = {key: value for key, value in report.limits.items() if key != "sandbox"}
    assert limits == {
        "timeout": 60.0,
        "import_timeout": 60.0,
        "cpu_seconds": 120,
        "memory_mb": 4096,
        "file_mb": 256,
        "processes": 64,
        "output_mb": None,
    }


def test_the_judges_own_failure_names_its_exception(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("planted in the judge")

    monkeypatch.setattr(batch, "judge_file", broken)
    report = check(_write(tmp_path, "a.py", EXAMPLE), "shallow", cases=1, seed=11)
    assert report.verdict == "unusable"
    assert (
        report.reason == "could not be judged: the judge failed on this file (ZeroDivisionError: planted in the judge)"
    )
