"""pytest plugin, registered through the `pytest11` entry point as `torchref`.

A course repository gates its CI on a learner's derivation in a few lines:

    def test_backprop(torchref_check):
        torchref_check("derivation.py", model="shallow")

The test fails with the checker's report (first wrong link, diagnosis, worst element) as
its message. torch is imported only when the fixture is used.
"""

import pytest


@pytest.fixture
def torchref_check():
    """Call it with (path, model, **options of torchref.check); it fails the test unless the derivation passes."""

    def run(path, model, **kwargs):
        from torchref.derivation import check

        report = check(path, model, **kwargs)
        if report.verdict != "pass":
            pytest.fail(report.table(), pytrace=False)
        return report

    return run
