"""Untrusted submissions: a catalogue of hostile files, each with the verdict it must get,
through the Python API, the command line (batch mode) and the pytest plugin.

The learner's code runs in its own process; exits, crashes, patches and lies are verdicts,
never passes. Only the judge's own comparison of the returned arrays can pass a file.
"""

import json
import textwrap
from pathlib import Path

import pytest

import torchref
from torchref import cli
from torchref.derivation import check

GOOD = (Path(torchref.__file__).parent / "examples" / "shallow_derivation.py").read_text()
WRONG = GOOD.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")


def _prepend(code, base=GOOD):
    return textwrap.dedent(code) + "\n" + base


def _in_backward(code, base=GOOD):
    return base.replace(
        "    m = X.shape[0]\n",
        "    m = X.shape[0]\n" + textwrap.indent(textwrap.dedent(code).rstrip() + "\n", "    "),
        1,
    )


# name -> (source, verdict, a phrase the reason must contain)
CATALOGUE = {
    "control_correct": (GOOD, "pass", ""),
    "control_wrong": (WRONG, "wrong", "first wrong link: dZ1"),
    "sys_exit_0_at_import": (_prepend("import sys\nsys.exit(0)"), "unusable", "called sys.exit(0) at import"),
    "os_exit_0_at_import": (_prepend("import os\nos._exit(0)"), "unusable", "ended (exit status 0) before returning"),
    "sys_exit_0_in_backward": (_in_backward("import sys\nsys.exit(0)"), "unusable", "called sys.exit(0) at case 0"),
    "os_exit_0_in_backward": (
        _in_backward("import os\nos._exit(0)"),
        "unusable",
        "ended (exit status 0) before returning",
    ),
    "segfault": (_in_backward("import ctypes\nctypes.string_at(0)"), "unusable", "died with SIGSEGV"),
    "kills_itself": (
        _in_backward("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "unusable",
        "died with SIGKILL",
    ),
    "raises": (_in_backward("raise RuntimeError('nope')"), "wrong", "RuntimeError at raises.py:"),
    "prints_pass_but_is_wrong": (
        _prepend("print('PASS'); import sys; print('0 failed', file=sys.stderr)", WRONG),
        "wrong",
        "first wrong link: dZ1",
    ),
    "patches_the_checker_numpy_and_torch": (
        _prepend(
            """
        import numpy as np, torch, torchref.derivation, torchref.parity
        torchref.derivation.check = lambda *a, **k: None
        torchref.parity.compare_tensor = lambda *a, **k: None
        np.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        torch.testing.assert_close = lambda *a, **k: None
        """,
            WRONG,
        ),
        "wrong",
        "first wrong link: dZ1",
    ),
    # sabotaging the process that returns the arrays leaves nothing to judge: never a pass
    "edits_sys_modules": (
        WRONG + "\nimport sys\nsys.modules['numpy'] = None\nsys.modules['torchref'] = None\n",
        "unusable",
        "before returning its arrays",
    ),
    "fakes_result_json": (
        _prepend("""
        import json, os, sys
        open(os.path.join(sys.argv[1], 'result.json'), 'w').write(json.dumps({'nonce': 'x', 'cases': []}))
        os._exit(0)
        """),
        "unusable",
        "before returning its arrays",
    ),
    "endless_loop": (_in_backward("while True:\n    pass"), "unusable", "killed after the time limit of 1 s"),
    "memory_bomb": (_in_backward("import numpy as np\nhog = np.ones((1 << 40,))"), "unusable", "MemoryError"),
    "floods_stdout_and_stderr": (
        _in_backward("import sys\nprint('x' * 100000)\nprint('y' * 100000, file=sys.stderr)"),
        "pass",
        "",
    ),
    "deletes_its_neighbours": (
        _prepend("""
        from pathlib import Path
        for p in Path(__file__).parent.glob('*.py'):
            p.unlink()
        """),
        "pass",
        "",
    ),
    "missing_module": (_prepend("import a_module_that_does_not_exist"), "unusable", "ModuleNotFoundError"),
    "syntax_error": (
        "def backward(X, Y, params, cache)\n    return {}\n",
        "unusable",
        "SyntaxError at syntax_error.py:1",
    ),
    "returns_a_list": (_in_backward("return [1, 2, 3]"), "wrong", "must be a dict of arrays, got list"),
    "returns_object_arrays": (
        _in_backward("import numpy as np\nreturn {'dW1': np.array([object()]), 'db1': 1, 'dW2': 1, 'db2': 1}"),
        "wrong",
        "dtype object is not numeric",
    ),
    "returns_nan": (
        _in_backward("import numpy as np\nreturn {'d' + k: np.full_like(v, np.nan) for k, v in params.items()}"),
        "wrong",
        "NaN/inf values",
    ),
}
CATALOGUE["returns_int_arrays"] = (
    GOOD.replace('return {"dZ2"', 'return {k: np.asarray(v).astype(np.int64) for k, v in {"dZ2"').replace(
        '"dW1": dW1, "db1": db1}', '"dW1": dW1, "db1": db1}.items()}'
    ),
    "wrong",
    "dtype int64 where the inputs are float",
)

TIMEOUT = 1.0  # for the cases, after the import (which has its own 60 s clock): the endless loop costs this much
MEMORY_MB = 1024
EXIT = {"pass": 0, "wrong": 1, "unusable": 2}


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name, (source, _, _) in CATALOGUE.items():
        (folder / f"{name}.py").write_text(source)
    return folder


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_api_verdict(submissions, name):
    _, verdict, phrase = CATALOGUE[name]
    report = check(submissions / f"{name}.py", "shallow", cases=3, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert report.verdict == verdict, report.table()
    assert report.exit_code == EXIT[verdict]
    assert phrase in report.reason, report.table()
    if verdict != "pass":
        assert report.reason


def test_import_and_run_have_their_own_clocks(tmp_path):
    """A slow import does not eat the time for the cases, and an endless import has its own limit."""
    slow = tmp_path / "slow_import.py"
    slow.write_text(_prepend("import time\ntime.sleep(1.5)"))
    assert check(slow, "shallow", cases=2, timeout=1.0, import_timeout=30).verdict == "pass"
    endless = tmp_path / "endless_import.py"
    endless.write_text(_prepend("while True:\n    pass"))
    report = check(endless, "shallow", cases=2, timeout=30, import_timeout=1.0)
    assert report.verdict == "unusable" and "import time limit of 1 s" in report.reason, report.table()


def test_neighbours_survive_a_file_that_deletes_them(submissions):
    assert (submissions / "control_correct.py").exists() and (submissions / "deletes_its_neighbours.py").exists()


def test_cli_batch_keeps_going_and_lists_every_verdict(submissions, tmp_path, capsys):
    out_json = tmp_path / "batch.json"
    status = cli.main(
        [
            "check",
            str(submissions),
            "--model",
            "shallow",
            "--cases",
            "3",
            "--timeout",
            str(TIMEOUT),
            "--memory-mb",
            str(MEMORY_MB),
            "--quiet",
            "--json",
            str(out_json),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert status == 2
    want = {"pass": "PASS", "wrong": "WRONG", "unusable": "COULD NOT JUDGE"}
    for name, (_, verdict, phrase) in CATALOGUE.items():
        line = next(line for line in lines if line.startswith(f"{name}.py: "))
        assert line.startswith(f"{name}.py: {want[verdict]}") and phrase in line, line
    doc = json.loads(out_json.read_text())
    assert {Path(f["file"]).stem: f["verdict"] for f in doc["files"]} == {n: v for n, (_, v, _) in CATALOGUE.items()}
    assert all(f["reason"] for f in doc["files"] if f["verdict"] != "pass")


def test_plugin_turns_every_hostile_file_into_a_failure(submissions, pytester):
    names = list(CATALOGUE)
    pytester.makepyfile(
        test_gate=f"""
        import pytest

        @pytest.mark.parametrize("name", {names!r})
        def test_submission(torchref_check, name):
            torchref_check({str(submissions)!r} + "/" + name + ".py", model="shallow", cases=3,
                           timeout={TIMEOUT}, memory_mb={MEMORY_MB})
    """
    )
    result = pytester.runpytest_subprocess("-q")
    passing = [n for n, (_, v, _) in CATALOGUE.items() if v == "pass"]
    result.assert_outcomes(passed=len(passing), failed=len(names) - len(passing))
    out = result.stdout.str()
    for name, (_, verdict, phrase) in CATALOGUE.items():
        if verdict != "pass":
            assert f"test_submission[{name}]" in out
            assert phrase in out


def test_in_process_fixture(torchref_check, submissions):
    assert torchref_check(submissions / "control_correct.py", "shallow", cases=2).verdict == "pass"
    with pytest.raises(pytest.fail.Exception, match="COULD NOT JUDGE|UNUSABLE"):
        torchref_check(submissions / "syntax_error.py", "shallow", cases=2)


def test_the_arrays_file_round_trips_and_refuses_anything_malformed(tmp_path):
    """The plain format between judge and learner: JSON index + raw bytes; never pickle, never a crash."""
    import numpy as np

    from torchref.derivation import protocol as _arrays

    arrays = {
        "0/X": np.arange(6.0).reshape(2, 3),
        "0/b": np.float32(2.5),
        "1/e": np.zeros((0, 4)),
        "i": np.array([[1, -2]], np.int64),
        "f": np.asfortranarray(np.arange(4.0).reshape(2, 2)),
        "flag": np.array([True, False]),
    }
    path = tmp_path / "a.arrays"
    _arrays.pack(path, arrays)
    back = _arrays.unpack(path)
    assert list(back) == list(arrays)
    for name, value in arrays.items():
        assert back[name].dtype == np.asarray(value).dtype and np.array_equal(back[name], value), name
    back["0/X"][0, 0] = 7.0  # the learner may write into its inputs
    good = path.read_bytes()
    head = int.from_bytes(good[:8], "little")

    def forged(index):
        text = json.dumps(index).encode()
        return len(text).to_bytes(8, "little") + text + good[8 + head :]

    for data in [
        good[:5],
        good[:20],
        b"\xff" * 8 + good[8:],
        forged([["x", "|O", [1], 0, 8]]),
        forged([["x", "<f8", [1000], 0, 8000]]),
        forged([["x", "<f8", [2], -8, 16]]),
        forged([["x", "<f8", [3], 0, 16]]),
        forged({"x": 1}),
        forged([[1, "<f8", [1], 0, 8]]),
        forged([["x", "<f8", [-1], 0, -8]]),
        forged([["x", "<f8", [1.5], 0, 12]]),
    ]:
        path.write_bytes(data)
        with pytest.raises(ValueError):
            _arrays.unpack(path)
