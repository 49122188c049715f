"""pytest plugin, registered through the `pytest11` entry point as `torchref`.

A course repository gates its CI on a learner's derivation in a few lines:

    def test_backprop(torchref_check):
        torchref_check("derivation.py", model="shallow")   # beside this test file

A relative path is taken from the test file's folder, wherever pytest is started. The test
fails with the verdict and the first wrong link as the first line of its message
("WRONG: first wrong link dZ1: tanh′ written as 1 − A instead of 1 − A² (derivation.py:20)"),
then the checker's table. torch is imported only when the fixture is used.
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
            pytest.fail(f"{report.headline()}\n\n{report.table()}", pytrace=False)
        return report

    return run
