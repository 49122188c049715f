"""The pytest plugin, as another repository would use it (pytester runs a separate pytest)."""

import re

from classroom import CRASH, EXAMPLES, derivation

EXAMPLE = (EXAMPLES / "shallow_derivation.py").read_text()


def test_the_plugin_is_registered_by_its_entry_point(pytester):
    result = pytester.runpytest_subprocess("--fixtures")
    result.stdout.fnmatch_lines(["*torchref_check*"])


def test_a_correct_derivation_passes_and_a_wrong_one_fails_with_the_verdict_first(pytester, monkeypatch):
    """Both in one run of another repository's pytest (each run pays torch's import, ~3 s).

    The files sit beside the test file in a sub-folder and pytest starts at the top: a relative
    path is the test file's. The short summary's line is the failure's first line: the verdict
    and the first wrong link.
    """
    course = pytester.mkpydir("course")
    (course / "correct.py").write_text(EXAMPLE)
    (course / "wrong.py").write_text(EXAMPLE.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)"))
    (course / "sigma.py").write_text(EXAMPLE.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * A1 * (1 - A1)"))
    (course / "crash.py").write_text(derivation(CRASH))
    (course / "test_gate.py").write_text(
        """
import pathlib

def test_correct(torchref_check):
    report = torchref_check("correct.py", model="shallow", cases=3, seed=5)
    assert report.verdict == "pass"
    absolute = pathlib.Path(__file__).parent / "correct.py"
    assert torchref_check(str(absolute), model="shallow", cases=3, seed=5).file == str(absolute)

def test_wrong(torchref_check):
    torchref_check("wrong.py", model="shallow", cases=3, seed=5)

def test_missing(torchref_check):
    torchref_check("nowhere.py", model="shallow", cases=3, seed=5)

def test_sigma(torchref_check):
    torchref_check("sigma.py", model="shallow", cases=3, seed=5)

def test_crash(torchref_check):
    torchref_check("crash.py", model="shallow", cases=3, seed=5)
"""
    )
    monkeypatch.setenv("COLUMNS", "80")  # a terminal of 80 columns: the short summary is cut there
    for key in ("CI", "BUILD_NUMBER"):  # where one is set (a CI log), pytest does not cut the summary
        monkeypatch.delenv(key, raising=False)
    result = pytester.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1, failed=4)
    wrong = (
        "dZ1 wrong: tanh′ written as 1 − A instead of 1 − A²; you computed dZ1 = dA1 ⊙ (1 − A1); "
        "the notes: dZ1 = dA1 ⊙ (1 − A1²) (wrong.py:31)"
    )
    result.stdout.fnmatch_lines(
        [
            "*PASSED course/test_gate.py::test_correct*",
            "FAILED course/test_gate.py::test_wrong - Failed: dZ1 wrong: tanh′ written*",
            "FAILED course/test_gate.py::test_missing - Failed: COULD NOT JUDGE*",
        ]
    )
    summary = [line for line in result.stdout.lines if line.startswith("FAILED")]
    assert summary and all(len(line) <= 80 for line in summary)
    # cut at 80 columns, each line keeps what matters: the tensor and the mistake, the exception and where
    sigma = next(line for line in summary if "::test_sigma " in line)
    assert sigma.startswith("FAILED course/test_gate.py::test_sigma - Failed: dZ1 uses σ′ (A(1 − A))"), sigma
    crash = next(line for line in summary if "::test_crash " in line)
    assert crash.startswith("FAILED course/test_gate.py::test_crash - Failed: AssertionError at crash.py"), crash
    assert re.search(rf"_ test_wrong _+\n{re.escape(wrong)}\n", result.stdout.str())  # the failure's first line
    result.stdout.fnmatch_lines(["*first wrong link: dZ1: tanh′ written as 1 − A instead of 1 − A²*"])  # the table
    assert "Traceback" not in result.stdout.str()


def test_in_the_same_process_a_relative_path_is_the_test_files_and_the_first_line_names_the_wrong_link(pytester):
    """The same gate, run in this process (as a course's conftest would run it under another plugin's control)."""
    course = pytester.mkpydir("course")
    (course / "wrong.py").write_text(EXAMPLE.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)"))
    (course / "test_gate.py").write_text(
        'def test_wrong(torchref_check):\n    torchref_check("wrong.py", model="shallow", cases=2, seed=5)\n'
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    line = next(i for i, text in enumerate(EXAMPLE.splitlines(), 1) if "dZ1 = dA1 * (1 - A1**2)" in text)
    result.stdout.fnmatch_lines([f"dZ1 wrong: tanh′ written as 1 − A instead of 1 − A²*(wrong.py:{line})"])
