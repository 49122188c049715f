"""torch twins of the handmade models, the registry of pairs, and the checks that hold them together.

Importing this package is cheap (torch loads on first use):

    import torchref
    report = torchref.check("derivation.py", model="shallow")   # a learner's backward
    torchref.assert_derivation("derivation.py", model="shallow") # AssertionError with the report
"""


def check(path, model: str, **kwargs):
    """Judge a derivation file: see `torchref.derivation.check`."""
    from torchref.derivation import check as _check

    return _check(path, model, **kwargs)


def assert_derivation(path, model: str, **kwargs):
    """Raise AssertionError with the full report unless the derivation passes; return the report."""
    report = check(path, model, **kwargs)
    if report.verdict != "pass":
        raise AssertionError(report.table())
    return report
