"""pytest plugin, registered through the `pytest11` entry point as `torchref`.

A course repository gates its CI on a learner's derivation in a few lines:

    def test_backprop(torchref_check):
        torchref_check("derivation.py", model="shallow")   # beside this test file

A relative path is taken from the test file's folder, wherever pytest is started. The test
fails with the tensor and the cause first in its message's first line, the one pytest's short
summary shows cut at the terminal's width ("dZ1 wrong: tanh′ written as 1 − A instead of 1 − A²
(derivation.py:20)"), then the checker's table. torch is imported only when the fixture is used.
"""

from pathlib import Path

import pytest


@pytest.fixture
def torchref_check(request):
    """Call it with (path, model, **options of torchref.check); it fails the test unless the derivation passes."""

    def run(path, model, **kwargs):
        import torchref

        path = Path(path)
        if not path.is_absolute():
            path = Path(request.path).parent / path
        report = torchref.check(path, model, **kwargs)
        if report.verdict != "pass":
            pytest.fail(f"{_first_line(report)}\n\n{report.table()}", pytrace=False)
        return report

    return run


def _first_line(report) -> str:
    """The tensor and its cause before anything else: an 80-column CI log keeps only the start."""
    if report.verdict != "wrong" or not report.first_wrong:
        return report.headline()
    place = report.learner_line()[0]
    cause = report.explanation() or "its value differs from autograd"
    return f"{report.first_wrong} wrong: {cause}" + (f" ({place})" if place else "")
