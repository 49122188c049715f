"""pytest plugin, registered through the `pytest11` entry point as `torchref`.

A course repository gates its CI on a learner's derivation in a few lines:

    def test_backprop(torchref_check):
        torchref_check("derivation.py", model="shallow")   # beside this test file

A relative path is taken from the test file's folder, wherever pytest is started. The test
fails with the tensor and the cause first in its message's first line, the one pytest's short
summary shows cut at the terminal's width ("dZ1 wrong: tanh′ written as 1 − A instead of 1 − A²
(derivation.py:20)"), then the checker's table. torch is imported only when the fixture is used.
"""

import re
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
    """The tensor and its cause before anything else: an 80-column CI log keeps only the start. A cause that
    names the tensor first is said alone (`dZ1 uses σ′ ...`, not `dZ1 wrong: dZ1 uses σ′ ...`); a file whose
    code raised leads with the exception and its place (or what its text says first: a `...` not filled in)."""
    if report.verdict != "wrong":
        return report.headline()
    place = report.learner_line()[0]
    if report.first_wrong:
        cause = report.explanation() or "its value differs from autograd"
        said = cause if cause.startswith(f"{report.first_wrong} ") else f"{report.first_wrong} wrong: {cause}"
        return said + (f" ({place})" if place else "")
    if report.errors:
        text = report.errors[0].split(": ", 1)[-1]  # "case <id>: <what happened>"
        raised = _RAISED.match(text)
        cases = f"in {len(report.errors)}/{report.cases} cases"
        if raised is None:  # returned something unreadable: its text (the template's hint among it) first
            return f"{text} ({cases})"
        return f"{raised['type']} at {raised['place']}: {raised['message']} ({cases}: `{raised['code']}`)"
    return report.headline()


# a raise as the checker writes it: "ValueError at my.py:20 in backward: `code`: message"
_RAISED = re.compile(r"(?P<type>[\w.]+) at (?P<place>\S+) in [^:\s]+: `(?P<code>[^`]*)`: (?P<message>.*)", re.S)
