"""What the judge computes once, and what it computes only where a report shows it (counted, never timed)."""

from pathlib import Path

from classroom import EXAMPLES

from torchref.checker import cases, check_many

GOOD = (EXAMPLES / "shallow_derivation.py").read_text()
WRONG = GOOD.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")
NO_Z = GOOD.replace('{"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}', '{"A1": A1, "A2": A2}')  # a cache of the A's only


def test_a_batch_lays_out_its_reference_once_per_layout_of_returned_tensors(monkeypatch):
    laid = []

    class Counted(cases.Laid):
        def __init__(self, *args):
            laid.append(1)
            super().__init__(*args)

    monkeypatch.setattr(cases, "Laid", Counted)
    files = [GOOD, WRONG, GOOD, NO_Z, GOOD, NO_Z]
    reports = check_many([(Path(f"f{i}.py"), src) for i, src in enumerate(files)], "shallow", jobs=1, cases=3, seed=2)
    assert [r.verdict for r in reports] == ["pass", "wrong", "pass", "pass", "pass", "pass"]
    assert reports[1].first_wrong == "dZ1"
    assert len(laid) == 2  # the files returning every tensor share one layout, the caches without Z's another
