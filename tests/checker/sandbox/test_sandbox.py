"""The checker's layers one by one: the batch's shared reference, the sandbox's choice, the
escaping of learner text, the schema of what the learner's process returns."""

import json
from pathlib import Path

import numpy as np
import pytest
from classroom import EXAMPLES

from torchref import cli
from torchref.checker import check, check_many
from torchref.checker.batch import Session
from torchref.checker.cases import Reference, draw_cases
from torchref.checker.escape import clean
from torchref.checker.policy import scan_imports
from torchref.checker.sandbox import sandbox
from torchref.checker.sandbox.child import _valid_result
from torchref.registry import REGISTRY

GOOD = (EXAMPLES / "shallow_derivation.py").read_text()


def test_a_batch_computes_the_reference_once_for_every_file(monkeypatch):
    calls, pair = [], REGISTRY["shallow"]
    torch_of = pair.torch
    monkeypatch.setattr(pair, "torch", lambda s: calls.append(s.id) or torch_of(s))
    items = [(Path(f"f{i}.py"), GOOD) for i in range(3)]
    reports = check_many(items, "shallow", jobs=1, cases=3)
    assert [r.verdict for r in reports] == ["pass"] * 3
    assert len(calls) == reports[0].cases_of("backward") == 6  # once per case, not once per case and file
    assert len({r.seed for r in reports}) == 1


def test_the_shared_finite_differences_agree_with_the_registry():
    pair = REGISTRY["shallow"]
    samples = draw_cases(pair, ("float64",), 4, seed=3)
    shared = Reference(pair, samples)
    for s in samples:
        grads = pair.handmade(s)
        mine = {r.name: (r.ok, r.max_abs) for r in shared.check_finite_differences(s, grads)}
        theirs = {r.name: (r.ok, r.max_abs) for r in pair.check_finite_differences(s, grads)}
        assert mine == theirs and all(ok for ok, _ in mine.values())


def test_the_large_cases_go_beyond_the_registry_shapes():
    pair = REGISTRY["shallow"]
    samples = draw_cases(pair, ("float32", "float64"), 20, seed=5)
    tall, wide = samples[19].shape, samples[39].shape
    assert 1024 <= tall.m <= 2048 and tall.n <= 32
    assert wide.n >= 128 and wide.hidden[0] >= 128
    assert len(samples) == 40  # the large cases replace random ones: the count is unchanged


def test_learner_text_is_escaped():
    text = "ok\nfriend.py: PASS (40 cases)\r\n::add-mask::x \x1b[31mred\x1b[0m \u202e"
    out = clean(text)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out and "\u202e" not in out
    assert "::" not in out and out.startswith("ok\\nfriend.py: PASS")
    assert clean("x" * 50, 10) == "x" * 10 + "…"
    assert clean("plain_name.py") == "plain_name.py"


def test_the_import_scan_lists_every_import_with_its_line():
    source = b"import os, numpy as np\nfrom pathlib import Path\ndef f():\n    from . import x\n    import torch\n"
    assert scan_imports(source) == [("os", 1), ("numpy", 1), ("pathlib", 2), (".", 4), ("torch", 5)]
    assert scan_imports(b"def (:\n") == []


@pytest.mark.parametrize(
    "result",
    [
        [],
        {"nonce": "other"},
        {"nonce": "n", "cases": "all passed"},
        {"nonce": "n", "cases": [{"problems": "none"}]},
        {"nonce": "n", "cases": [{"error": {"type": 1}}]},
        {"nonce": "n", "cases": [{"error": {"type": "E", "message": "m", "line": "3"}}]},
        {"nonce": "n", "cases": [], "exit": "yes"},
        {"nonce": "n", "cases": [], "reference": []},
    ],
)
def test_a_result_off_the_schema_is_refused(result):
    with pytest.raises(ValueError):
        _valid_result(result, "n")


def test_a_result_on_the_schema_is_bounded():
    result = {
        "nonce": "n",
        "has_forward": "yes",  # only True counts
        "has_backward": True,
        "cases": [{"problems": ["x" * 10_000], "mutated": ["X"]}],
        "reference": {"import": {"name": "torch", "line": 3}},
    }
    out = _valid_result(result, "n")
    assert out["has_forward"] is False and out["has_backward"] is True
    assert len(out["cases"][0]["problems"][0]) == 500 and out["reference"]["import"]["line"] == 3


def test_bwrap_asked_for_where_it_cannot_run_is_an_error(monkeypatch, capsys):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert sandbox.choose("auto") == "basic"
    warning = capsys.readouterr().err  # auto never falls back silently: one line says so, and why
    assert warning.count("\n") == 1 and "bwrap) is not installed" in warning and "basic sandbox" in warning
    assert sandbox.choose("basic") == "basic" and capsys.readouterr().err == ""  # the explicit opt-in: no line
    with pytest.raises(ValueError, match="bubblewrap"):
        sandbox.choose("bwrap")
    example = str(EXAMPLES / "shallow_derivation.py")
    assert cli.main(["check", example, "--model", "shallow", "--sandbox", "bwrap"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(cpu_seconds=0), "cpu_seconds must be a finite number > 0"),
        (dict(file_mb=float("nan")), "file_mb must be a finite number > 0"),
        (dict(output_mb=-1.0), "output_mb must be a finite number > 0"),
        (dict(seed=-1), "seed must be an integer >= 0"),
        (dict(timeout=float("inf")), "timeout must be a finite number of seconds"),
        (dict(sandbox="docker"), "sandbox must be one of auto, bwrap, basic"),
    ],
)
def test_bad_options_are_the_callers_error(options, message):
    with pytest.raises(ValueError, match=message):
        Session("shallow", cases=2, **options)


def test_source_may_be_text_and_the_report_records_the_run(tmp_path):
    report = check(tmp_path / "cell.py", "shallow", cases=2, seed=11, source="print('hello')\n" + GOOD)
    assert report.verdict == "pass" and report.seed == 11 and report.stdout == "hello"
    assert report.sandbox in ("bwrap", "basic") and report.limits["memory_mb"] == 4096
    assert "stdout | hello" in report.table() and "seed 11" in report.table()
    doc = report.to_json()
    assert doc["imports"] == report.imports and json.dumps(doc)


def test_an_unknown_model_is_refused_before_any_file_runs():
    with pytest.raises(ValueError, match=r"^model must be one of .*, got 'nope'$"):
        check_many([(Path("a.py"), GOOD), (Path("b.py"), GOOD)], "nope", cases=2)


def test_a_huge_submission_is_not_run(tmp_path):
    report = check(tmp_path / "big.py", "shallow", cases=2, source=b"#" * (2**20 + 1))
    assert report.verdict == "unusable" and "over the limit of 1048576 bytes" in report.reason


def test_outputs_keep_their_values_in_native_byte_order():
    from torchref.checker.sandbox.child import _own

    big = np.arange(6.0).reshape(2, 3).astype(">f8")
    out = _own({"0/grads/dW1": big, "0/grads/A1": np.ones(2), "0/cache/A1": np.ones(2)})
    assert out["0/grads/dW1"].dtype == np.float64 and out["0/grads/dW1"].dtype.isnative
    assert np.array_equal(out["0/grads/dW1"], big)
    assert "0/grads/A1" not in out and "0/cache/A1" in out  # forward values come only from the cache


def _interrupt_after(n):
    """A progress wrapper that presses Ctrl-C once `n` files are done."""

    def progress(iterable):
        for i, item in enumerate(iterable):
            if i == n:
                raise KeyboardInterrupt
            yield item

    return progress


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_keeps_the_files_judged_so_far(jobs):
    from torchref.checker.batch import Interrupted

    items = [(Path(f"f{i}.py"), GOOD) for i in range(5)]
    with pytest.raises(Interrupted) as stop:
        check_many(items, "shallow", jobs=jobs, cases=2, progress=_interrupt_after(2))
    done = stop.value.reports
    assert 2 <= len(done) <= 5 and all(r.verdict == "pass" for r in done)
    assert isinstance(stop.value, KeyboardInterrupt)


def test_ctrl_c_on_the_command_line_writes_the_partial_json(tmp_path, monkeypatch, capsys):
    import tqdm

    for i in range(4):
        (tmp_path / f"f{i}.py").write_text(GOOD)
    monkeypatch.setattr(tqdm, "tqdm", lambda iterable, **_: _interrupt_after(2)(iterable))
    out_json = tmp_path / "partial.json"
    status = cli.main(
        ["check", str(tmp_path), "--model", "shallow", "--cases", "2", "-j", "1", "--json", str(out_json)]
    )
    assert status == 130
    doc = json.loads(out_json.read_text())
    assert doc["interrupted"] is True and [Path(f["file"]).name for f in doc["files"]] == ["f0.py", "f1.py"]
    assert "interrupted: 2 files judged" in capsys.readouterr().err


def test_the_judges_own_time_per_file_is_bounded(monkeypatch):
    import time

    from torchref.checker import batch

    monkeypatch.setattr(batch, "JUDGE_SECONDS", 0.2)
    slow = batch.judge_file
    monkeypatch.setattr(batch, "judge_file", lambda *a, **k: (time.sleep(5), slow(*a, **k)))
    items = [(Path("slow.py"), GOOD), (Path("next.py"), GOOD)]
    reports = check_many(items, "shallow", jobs=1, cases=2)
    assert [r.verdict for r in reports] == ["unusable", "unusable"]
    assert "the judge's own time limit of 0.2 s for one file ran out (watchdog)" in reports[0].reason
    assert all(r.seconds < 4 for r in reports)


def test_ctrl_c_in_a_parallel_batch_is_one_line_from_every_process(tmp_path):
    """SIGINT reaches the whole process group (a terminal's Ctrl-C): the judge workers stop without a traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "class"
    folder.mkdir()
    slow = "import time\ntime.sleep(0.5)\n" + (EXAMPLES / "shallow_derivation.py").read_text()
    for i in range(40):  # 20 s of sleeping at least, whatever the machine: the signal comes while files run
        (folder / f"s{i:02d}.py").write_text(slow)
    out = tmp_path / "batch.json"
    command = [sys.executable, "-m", "torchref", "check", str(folder), "--model", "shallow", "--quiet", "-j", "2"]
    proc = subprocess.Popen(
        [*command, "--cases", "1", "--json", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    if out.exists():  # (a machine slow enough to be interrupted before the batch began writes no report)
        assert json.loads(out.read_text())["interrupted"] is True


def test_the_namespace_probe_tries_again_and_says_why_it_failed(monkeypatch):
    calls = []

    class Failed:
        returncode, stderr = 1, b"bwrap: setting up uid map: Permission denied\n"

    monkeypatch.setattr(sandbox, "_BWRAP_PROBLEM", {})
    monkeypatch.setattr(sandbox, "PROBE_PAUSE", 0.0)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox.subprocess, "run", lambda *a, **k: calls.append(a) or Failed())
    why = sandbox.bwrap_problem()
    assert len(calls) == sandbox.PROBE_TRIES == 3
    assert "cannot create its namespaces here (3 tries" in why and "setting up uid map: Permission denied" in why
    assert sandbox.bwrap_path() is None


def test_one_failed_probe_under_load_is_not_a_verdict(monkeypatch):
    answers = iter([1, 0])

    class Probe:
        stderr = b"bwrap: fork: Resource temporarily unavailable\n"

        def __init__(self):
            self.returncode = next(answers)

    monkeypatch.setattr(sandbox, "_BWRAP_PROBLEM", {})
    monkeypatch.setattr(sandbox, "PROBE_PAUSE", 0.0)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox.subprocess, "run", lambda *a, **k: Probe())
    assert sandbox.bwrap_problem() == "" and sandbox.bwrap_path() == "/usr/bin/bwrap"


def test_a_bwrap_sandbox_whose_bwrap_is_gone_is_a_sandbox_error(monkeypatch, tmp_path):
    """bwrap chosen, then gone from PATH before a server starts: a SandboxError (the file cannot be judged, in one
    line), not a TypeError from Popen over a command holding None where bwrap's path goes."""
    server = sandbox.Server("bwrap", tmp_path, tmp_path / "inputs.arrays", ("", ""))
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxError, match="bubblewrap \\(bwrap\\) is no longer installed"):
        server.launch()
    assert server.proc is None
