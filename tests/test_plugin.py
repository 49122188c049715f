"""The pytest plugin, as another repository would use it (pytester runs a separate pytest)."""

from pathlib import Path

import torchref

EXAMPLE = (Path(torchref.__file__).parent / "examples" / "shallow_derivation.py").read_text()


def test_the_plugin_is_registered_by_its_entry_point(pytester):
    result = pytester.runpytest_subprocess("--fixtures")
    result.stdout.fnmatch_lines(["*torchref_check*"])


def test_a_correct_derivation_passes_and_a_wrong_one_fails_with_the_report(pytester):
    """Both in one run of another repository's pytest (each run pays torch's import, ~3 s)."""
    pytester.makepyfile(correct=EXAMPLE, wrong=EXAMPLE.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)"))
    pytester.makepyfile(
        test_gate="""
        def test_correct(torchref_check):
            report = torchref_check("correct.py", model="shallow", cases=3)
            assert report.verdict == "pass"

        def test_wrong(torchref_check):
            torchref_check("wrong.py", model="shallow", cases=3)
    """
    )
    result = pytester.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*PASSED test_gate.py::test_correct*", "*FAILED test_gate.py::test_wrong*"])
    result.stdout.fnmatch_lines(["*first wrong link: dZ1: tanh′ written as 1 − A instead of 1 − A²*"])
    assert "Traceback" not in result.stdout.str()
