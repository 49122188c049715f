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


def test_a_second_check_in_one_process_starts_no_sandbox_and_draws_no_cases(monkeypatch, tmp_path):
    """torchref.check keeps its session per options (a notebook): counted servers and case draws, not time."""
    import torchref
    from torchref.checker import batch
    from torchref.checker.sandbox import sandbox

    launched, drawn = [], []
    launch, draw = sandbox.Server.launch, batch.draw_cases
    monkeypatch.setattr(sandbox.Server, "launch", lambda self: launched.append(self) or launch(self))
    monkeypatch.setattr(batch, "draw_cases", lambda *a: drawn.append(a) or draw(*a))
    monkeypatch.delenv("TORCHREF_SEED", raising=False)
    batch.close_kept()
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir(), theirs.mkdir()
    (mine / "good.py").write_text(GOOD)
    (mine / "wrong.py").write_text(WRONG)
    (theirs / "classmate.py").write_text(GOOD)
    # reads a file beside it: refused as another submission's only if the kept session closes its folder too
    (theirs / "copies.py").write_text(f"exec(open({str(theirs / 'classmate.py')!r}).read())\n")
    try:
        first = torchref.check(mine / "good.py", model="shallow", cases=3)
        second = torchref.check(mine / "wrong.py", model="shallow", cases=3)
        third = torchref.check(theirs / "copies.py", model="shallow", cases=3)
        assert (first.verdict, second.verdict, second.first_wrong) == ("pass", "wrong", "dZ1")
        assert third.verdict == "unusable" and "reads another submission (line 1)" in third.reason
        assert first.seed == second.seed == third.seed  # no seed given: drawn once for these options
        assert len(launched) == 1 and len(drawn) == 1
        other = torchref.check(mine / "good.py", model="shallow", cases=4)  # other options: a session of its own
        assert other.verdict == "pass" and len(launched) == 2 and len(drawn) == 2
        assert torchref.check(mine / "wrong.py", model="shallow", cases=3).verdict == "wrong"
        assert len(launched) == 2  # both kept (KEPT = 2)
    finally:
        batch.close_kept()
    assert not batch.kept and all(server.proc is None for server in launched)  # closed: no server left running


# the modules that explain a wrong file (its cause, the catalogue, the formula search, the learner's statement read
# against their values) and those that repair it: a right file's check loads none of them
EXPLAINING = (
    "torchref.checker.diagnosis.diagnosis",
    "torchref.checker.diagnosis.statement",
    "torchref.checker.diagnosis.reconstruct",
    "torchref.checker.repair",
    "torchref.checker.pieces.repair",
    "torchref.grading",
    "torchref.jupyter",
)


def _loaded_after(source: str, tmp_path) -> list[str]:
    """The explaining modules a fresh process has loaded after one `torchref.check` of `source`."""
    import json
    import subprocess
    import sys

    path = tmp_path / "one.py"
    path.write_text(source)
    program = (
        "import json, sys, torchref\n"
        f"report = torchref.check({str(path)!r}, model='shallow', cases=3, seed=1)\n"
        f"print(json.dumps([report.verdict, sorted(m for m in sys.modules if m.startswith({EXPLAINING!r}))]))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    verdict, loaded = json.loads(done.stdout.splitlines()[-1])
    return [verdict, *loaded]


def test_a_right_files_check_loads_no_diagnosis_repair_or_grading_module(tmp_path):
    assert _loaded_after(GOOD, tmp_path) == ["pass"]
    # a wrong file does load them (the names above are the modules the diagnosis really uses)
    verdict, *loaded = _loaded_after(WRONG, tmp_path)
    assert verdict == "wrong"
    assert {"torchref.checker.diagnosis.diagnosis", "torchref.checker.repair"} <= set(loaded)
