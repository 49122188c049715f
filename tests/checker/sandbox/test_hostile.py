"""Untrusted submissions: a catalogue of hostile files, each with the verdict it must get,
through the Python API, the command line (batch mode) and the pytest plugin, under both
sandboxes (bubblewrap, and the basic fallback).

The learner's code runs in a sandboxed child; exits, crashes, patches, lies, reaching for
the reference, attacks on the judge and on its files are verdicts, never passes. Only the
judge's own comparison of the returned arrays can pass a file.
"""

import json
import os
import textwrap
from pathlib import Path

import pytest
import torch
from classroom import EXAMPLES

import torchref
import torchref_handmade
from torchref import cli
from torchref.checker import check, check_many
from torchref.checker.sandbox.runner import SCRATCH
from torchref.checker.sandbox.sandbox import bwrap_path, bwrap_problem

EXAMPLE = EXAMPLES / "shallow_derivation.py"
GOOD = EXAMPLE.read_text()
WRONG = GOOD.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)")
IN_BACKWARD = GOOD.splitlines().index("    m = X.shape[0]") + 2  # the line of code _in_backward adds
MARKER = (
    "424242"  # the name and the seconds of the sleeper that hostile files leave behind: none may be alive afterwards
)
SECRET = "judge-secret-7f3a"  # in the judge's environment: no learner may print it

SANDBOXES = [
    pytest.param("basic", id="basic"),
    pytest.param(
        "bwrap",
        id="bwrap",
        marks=[
            pytest.mark.bwrap,  # tests/bwrap_guard.py: where bwrap is installed, a skip fails the run
            pytest.mark.skipif(
                bwrap_path() is None,
                reason=f"bubblewrap (bwrap) is not installed or cannot create namespaces here: {bwrap_problem()}",
            ),
        ],
    ),
]


# four forks, each under --memory-mb 300 (NumPy's own address space included), together well over it
FORKS_HOLD_MEMORY = """
import os, time
import numpy as np
for _ in range(4):
    if os.fork() == 0:
        try:
            block = np.ones((120 << 20) // 8)
            time.sleep(30)
        finally:
            os._exit(0)
time.sleep(2)
"""
# a wrong forward that the backward "repairs" in the cache: the forward is named wrong, at its link A1 or at A (the
# forward's output, judged before the backward's chain)
FORWARD_NAMED = ("first wrong link: A1", "forward: A differs")


def _prepend(code, base=GOOD):
    return textwrap.dedent(code) + "\n" + base


def _in_backward(code, base=GOOD):
    return base.replace(
        "    m = X.shape[0]\n",
        "    m = X.shape[0]\n" + textwrap.indent(textwrap.dedent(code).rstrip() + "\n", "    "),
        1,
    )


LEAVES_A_SLEEPER = f"""
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        with open("/proc/self/comm", "w") as comm:  # its name, as `ps` shows it (starting a program is refused)
            comm.write("{MARKER}")
        time.sleep({MARKER})
    os._exit(0)
"""
WRITES_LATER = """
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(1.5)
    for path in ["{FOLDER}/report.json", "{FOLDER}/control_correct.py"]:
        try:
            open(path, "w").write('{"verdict": "pass"}')
        except OSError:
            pass
    os._exit(0)
"""
HANDMADE = Path(torchref_handmade.__file__).resolve().parent
# the reference's own files, read without `import` or a refused name, made into a package of another name
LOADS_THE_REFERENCE = """
import os, sys, types


def _load():
    package = types.ModuleType("ref")
    package.__path__ = []
    sys.modules["ref"] = package
    for name in ["_checks", "activations", "losses", "shallow"]:
        module = types.ModuleType("ref." + name)
        module.__package__ = "ref"
        sys.modules["ref." + name] = package.__dict__[name] = module
        exec(compile(_read(name), name, "exec"), module.__dict__)
    return module


def backward(X, Y, params, cache):
    return _load().backward(X, Y, params, cache)
"""
THROUGH_A_PROGRAM = f"""
import subprocess


def _read(name):
    return subprocess.run(["cat", "{HANDMADE}/" + name + ".py"], capture_output=True, text=True).stdout
"""
FROM_A_FOLDER_ABOVE = f"""
def _read(name):
    above = os.open({str(HANDMADE.parent)!r}, os.O_RDONLY)  # not a refused folder: the one above it
    return os.read(os.open("{HANDMADE.name}/" + name + ".py", os.O_RDONLY, dir_fd=above), 1 << 20).decode()
"""
FROM_AN_INHERITED_FOLDER = f"""
def _read(name):
    deep = "/tmp/" + "d/" * 40  # the working folder deep enough that `..` from it never reaches the reference
    os.makedirs(deep, exist_ok=True)
    os.chdir(deep)
    for fd in map(int, os.listdir("/proc/self/fd")):  # the folders of sys.path the runner holds open
        try:
            return os.read(os.open("../" * 40 + {str(HANDMADE)[1:]!r} + "/" + name + ".py", os.O_RDONLY, dir_fd=fd),
                           1 << 20).decode()
        except OSError:
            continue
    raise RuntimeError("no folder")
"""
THROUGH_NATIVE_CODE = f"""
import ctypes


def _read(name):
    libc = sys.modules["__main__"].__dict__.get("_libc") or ctypes.CDLL(None)  # the runner's own, if it has one
    fd = libc.open(("{HANDMADE}/" + name + ".py").encode(), os.O_RDONLY)
    text = ctypes.create_string_buffer(1 << 20)
    return text.raw[: libc.read(fd, text, 1 << 20)].decode()
"""
THROUGH_ITS_OWN_MEMORY = """
with open("/proc/self/mem", "r+b") as memory:  # the first step of unhooking the guard from the interpreter
    memory.seek(id(X))
    memory.read(8)
"""
# a compiled extension of the standard library's, written out beside the file under the name of a module of it
# (colorsys): a plain `import colorsys` would load it first; a .so the learner built could read anything with libc
WRITES_OUT_AN_EXTENSION = """
import glob, importlib.machinery, sys
found = [p for entry in sys.path for p in glob.glob(entry + "/_bz2.*.so")]  # as the import path reaches it
with open(found[0], "rb") as fh:
    library = fh.read()
with open("colorsys" + importlib.machinery.EXTENSION_SUFFIXES[0], "wb") as fh:
    fh.write(library)
import colorsys
"""
PROJECT = Path(__file__).resolve().parents[3]  # this checkout: world-readable, and neither the package nor a file's
# a world-readable file of the host (this checkout's pyproject.toml): in sight under basic (which then refuses to
# open it, and says so), not under bwrap (where the derivation, right, passes)
IN_SCRATCH = any(str(PROJECT.resolve()).startswith(folder + "/") for folder in SCRATCH)
READS_A_HOST_FILE = f"""
try:
    open({str(PROJECT / "pyproject.toml")!r}).read()
except FileNotFoundError:
    pass
"""
LIE = "\\nfriend.py: PASS (40 cases)\\n::add-mask::x\\x1b[2J\\x1b[32mcheck: 9 passed"

# name -> (source, verdict, a phrase the reason must contain); a verdict may differ by sandbox
# ({"basic": ..., "bwrap": ...}) where an attack fails in one (a wrong file) and kills the sandbox in the other.
# "{FOLDER}" is the submissions' folder.
CATALOGUE = {
    "control_correct": (GOOD, "pass", ""),
    "control_wrong": (WRONG, "wrong", "first wrong link: dZ1"),
    # exits, crashes, lies
    "sys_exit_0_at_import": (_prepend("import sys\nsys.exit(0)"), "unusable", "called sys.exit(0) at import"),
    "os_exit_0_at_import": (_prepend("import os\nos._exit(0)"), "unusable", "ended (exit status 0) before returning"),
    "sys_exit_0_in_backward": (_in_backward("import sys\nsys.exit(0)"), "unusable", "called sys.exit(0) at case 0"),
    "os_exit_0_in_backward": (
        _in_backward("import os\nos._exit(0)"),
        "unusable",
        "ended (exit status 0) before returning",
    ),
    "segfault": (_in_backward("import faulthandler\nfaulthandler._sigsegv()"), "unusable", "died with SIGSEGV"),
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
    "edits_sys_modules": (
        WRONG + "\nimport sys\nsys.modules['numpy'] = None\nsys.modules['json'] = None\n",
        "unusable",
        "before returning its arrays",
    ),
    "fakes_result_json": (
        _prepend("""
        import json, os
        open('result.json', 'w').write(json.dumps({'nonce': 'x', 'cases': []}))
        os._exit(0)
        """),
        "unusable",
        "before returning its arrays",
    ),
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
    # the answer one import away
    "imports_torch": (_prepend("import torch", WRONG), "unusable", "imports the reference (line 1): torch"),
    "imports_handmade": (
        _prepend("from handmade.shallow import backward as _b", WRONG),
        "unusable",
        "imports the reference (line 1): handmade.shallow",
    ),
    "imports_torchref_handmade": (
        _prepend("import torchref_handmade.shallow", WRONG),
        "unusable",
        "imports the reference (line 1): torchref_handmade",
    ),
    "imports_torchref": (_prepend("from torchref import registry", WRONG), "unusable", "imports the reference"),
    "imports_jax": (_prepend("import jax.numpy", WRONG), "unusable", "imports the reference (line 1): jax"),
    "autograd_inside_backward": (
        _in_backward("import torch\ntorch.autograd.grad", WRONG),
        "unusable",
        f"imports the reference (line {IN_BACKWARD}): torch",
    ),
    "imports_scipy": (_prepend("import scipy", WRONG), "unusable", "only the standard library and NumPy"),
    "dunder_import_in_backward": (
        _in_backward("t = __import__('to' + 'rch')", WRONG),
        "unusable",
        f"imports the reference (line {IN_BACKWARD}): torch",
    ),
    "importlib_trick": (
        _prepend("import importlib\nimportlib.import_module('to' + 'rch')", WRONG),
        "unusable",
        "the reference (line 2)",
    ),
    "execs_the_shipped_example": (
        _prepend(f"exec(open({str(EXAMPLE)!r}).read())", WRONG),
        "unusable",
        "reads the reference (line 1)",
    ),
    "rewrites_the_runner": (
        _prepend(f"open({str(Path(torchref.__file__).parent / 'derivation' / 'runner.py')!r}, 'a')", WRONG),
        "unusable",
        "reads the reference (line 1)",
    ),
    "copies_a_classmate": (
        _prepend("exec(open('{FOLDER}/control_correct.py').read())", WRONG),
        "unusable",
        "reads another submission (line 1)",
    ),
    # only the learner's own forward counts
    "repairs_its_forward_in_backward": (
        GOOD.replace("A1 = np.tanh(Z1)", "A1 = 1 / (1 + np.exp(-Z1))").replace(
            "    m = X.shape[0]\n", "    m = X.shape[0]\n    cache['A1'][...] = np.tanh(cache['Z1'])\n", 1
        ),
        "wrong",
        FORWARD_NAMED,
    ),
    "returns_another_A": (
        GOOD.replace("return A2, {", "return A2 * 0 + 0.5, {"),
        "wrong",
        ("forward returned an A that differs", "forward: A differs"),
    ),
    "grads_override_the_cache": (
        GOOD.replace("A1 = np.tanh(Z1)", "A1 = 1 / (1 + np.exp(-Z1))")
        .replace("    m = X.shape[0]\n", "    m = X.shape[0]\n    A1 = cache['A1'] = np.tanh(cache['Z1'])\n", 1)
        .replace('return {"dZ2"', 'return {"A1": A1, "dZ2"'),
        "wrong",
        FORWARD_NAMED,
    ),
    "writes_out_an_extension": (
        _prepend(WRITES_OUT_AN_EXTENSION),
        "unusable",
        "loads a compiled extension that is neither the standard library's nor NumPy's",
    ),
    # basic's audit hook refuses the open and says so; a checkout under /tmp is in the file's own fresh /tmp's
    # place (a folder anyone may write, which the hook lets it open): there the open finds nothing, and it passes
    "reads_a_file_of_the_host": (
        _in_backward(READS_A_HOST_FILE),
        {"bwrap": "pass", "basic": "pass" if IN_SCRATCH else "unusable"},
        {"bwrap": "", "basic": "" if IN_SCRATCH else "pyproject.toml, outside its own folders"},
    ),
    "big_endian_arrays": (
        GOOD.replace('return {"dZ2"', 'return {k: v.astype(v.dtype.newbyteorder(">")) for k, v in {"dZ2"').replace(
            '"dW1": dW1, "db1": db1}', '"dW1": dW1, "db1": db1}.items()}'
        ),
        "pass",
        "",
    ),
    # processes that outlive the check, attacks on the judge
    "leaves_a_sleeper": (_prepend(LEAVES_A_SLEEPER, WRONG), "wrong", "first wrong link: dZ1"),
    "rewrites_reports_later": (_prepend(WRITES_LATER, WRONG), "wrong", "first wrong link: dZ1"),
    "stops_its_parent": (
        _in_backward(
            "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGSTOP)\nexcept OSError:\n    pass", WRONG
        ),
        {"basic": "wrong", "bwrap": "unusable"},
        {"basic": "first wrong link: dZ1", "bwrap": "stopped answering"},
    ),
    "kills_its_parent": (
        _in_backward(
            "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass", WRONG
        ),
        {"basic": "wrong", "bwrap": "unusable"},
        {"basic": "first wrong link: dZ1", "bwrap": "the sandbox ended while judging this file"},
    ),
    "kills_everything_it_can": (
        _in_backward("import os, signal\nos.kill(-1, signal.SIGKILL)", WRONG),
        {"basic": "wrong", "bwrap": "unusable"},  # basic: every process of its uid but itself; bwrap: the sandbox
        {"basic": "first wrong link: dZ1", "bwrap": "the sandbox ended while judging this file"},
    ),
    "prints_the_judges_secrets": (
        _prepend(
            f"""
        import os, sys
        print(sorted(os.environ.items()), sys.argv)
        for pid in os.listdir('/proc'):
            for part in ('environ', 'cmdline'):
                try:
                    text = open(f'/proc/{{pid}}/{{part}}', 'rb').read()
                except OSError:
                    continue
                if b'{SECRET}' in text:
                    print('FOUND', pid, part)
        """,
            WRONG,
        ),
        "wrong",
        "first wrong link: dZ1",
    ),
    "plants_a_file_next_to_the_submissions": (
        _prepend(
            """
        for path in ['{FOLDER}/planted.py', 'planted.py', '/tmp/planted-by-a-learner']:
            try:
                open(path, 'w').write('print(1)')
            except OSError:
                pass
        """,
            WRONG,
        ),
        "unusable",
        "another submission (line 4)",
    ),
    # the judge's files, forged
    "truncates_its_outputs": (
        _prepend(
            "import sys, os\nsys.modules['__main__'].protocol.Writer.close = lambda self: os.ftruncate(self.fd, 1)"
        ),
        "unusable",
        "before returning its arrays",
    ),
    "result_json_of_the_wrong_shape": (
        _prepend(
            "import sys, json\n"
            "_dumps = json.dumps\n"
            "sys.modules['__main__'].json.dumps = lambda obj, **k: _dumps("
            "{**obj, 'cases': 'all passed'} if isinstance(obj, dict) and 'nonce' in obj else obj, **k)"
        ),
        "unusable",
        "before returning its arrays",
    ),
    "outputs_a_link_to_dev_zero": (
        _prepend(
            "import sys, os\nsys.modules['__main__'].protocol.Writer.close = "
            "lambda self: os.symlink('/dev/zero', os.readlink(f'/proc/self/fd/{self.fd}'))"
        ),
        "unusable",
        "before returning its arrays",
    ),
    "outputs_a_fifo": (
        _prepend(
            "import sys, os\n"
            "sys.modules['__main__'].protocol.Writer.close = "
            "lambda self: os.mkfifo(os.readlink(f'/proc/self/fd/{self.fd}'))"
        ),
        "unusable",
        "before returning its arrays",
    ),
    "outputs_a_sparse_terabyte": (
        _prepend(
            "import sys, os\n"
            "sys.modules['__main__'].protocol.Writer.close = lambda self: os.ftruncate(self.fd, 1 << 40)"
        ),
        "unusable",
        "over the file size limit",
    ),
    # learner text that tries to pass for the judge's
    "reads_the_reference_through_a_program": (
        LOADS_THE_REFERENCE + THROUGH_A_PROGRAM,
        "unusable",
        "starts a program (line 24): cat",
    ),
    "reads_the_reference_from_a_folder_above": (
        LOADS_THE_REFERENCE + FROM_A_FOLDER_ABOVE,
        "unusable",
        "reads the reference (line 21)",
    ),
    "reads_the_reference_from_an_inherited_folder": (
        LOADS_THE_REFERENCE + FROM_AN_INHERITED_FOLDER,
        {"basic": "unusable", "bwrap": "wrong"},
        {"basic": "reads the reference (line 26)", "bwrap": "no folder"},
    ),
    "reads_the_reference_through_native_code": (
        LOADS_THE_REFERENCE + THROUGH_NATIVE_CODE,
        "unusable",
        "calls native code (line 25): ctypes.dlsym",
    ),
    "opens_its_own_memory": (
        _in_backward(THROUGH_ITS_OWN_MEMORY.lstrip(), WRONG),
        "unusable",
        f"opens a process's memory (line {IN_BACKWARD}): /proc/",
    ),
    "lies_in_its_messages": (
        _prepend(f"print({LIE!r})", _in_backward(f"raise RuntimeError({LIE!r})")),
        "wrong",
        "RuntimeError at lies_in_its_messages.py:",
    ),
}
CATALOGUE["returns_int_arrays"] = (
    GOOD.replace('return {"dZ2"', 'return {k: np.asarray(v).astype(np.int64) for k, v in {"dZ2"').replace(
        '"dW1": dW1, "db1": db1}', '"dW1": dW1, "db1": db1}.items()}'
    ),
    "wrong",
    "dtype int64 where the inputs are float",
)

# one set of limits for the whole catalogue, tight enough that the attacks end quickly
LIMITS = dict(cases=3, timeout=2.0, import_timeout=5.0, memory_mb=1024, file_mb=8, max_processes=32)
EXIT = {"pass": 0, "wrong": 1, "unusable": 2}
WORDS = {"pass": "PASS", "wrong": "WRONG", "unusable": "COULD NOT JUDGE"}


def _expect(name, sandbox):
    _, verdict, phrase = CATALOGUE[name]
    pick = lambda x: x[sandbox] if isinstance(x, dict) else x  # noqa: E731
    return pick(verdict), pick(phrase)


def _marker_alive():
    alive = []
    for pid in os.listdir("/proc"):
        try:
            if any(MARKER.encode() in Path(f"/proc/{pid}/{name}").read_bytes() for name in ("cmdline", "comm")):
                alive.append(pid)
        except OSError:
            continue
    return alive


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name, (source, _, _) in CATALOGUE.items():
        (folder / f"{name}.py").write_text(source.replace("{FOLDER}", str(folder)))
    return folder


@pytest.fixture(scope="module", params=SANDBOXES)
def batch(request, submissions):
    """The whole catalogue as one batch (two files at a time) in one sandbox: {name: report}."""
    os.environ["TORCHREF_TEST_SECRET"] = SECRET
    try:
        items = [(p, p.read_bytes()) for p in sorted(submissions.glob("*.py"))]
        reports = check_many(items, "shallow", jobs=2, sandbox=request.param, **LIMITS)
    finally:
        del os.environ["TORCHREF_TEST_SECRET"]
    return request.param, {Path(r.file).stem: r for r in reports}


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_hostile_file_gets_its_verdict(batch, name):
    sandbox, reports = batch
    verdict, phrase = _expect(name, sandbox)
    report = reports[name]
    assert report.sandbox == sandbox
    assert report.verdict == verdict, report.table()
    assert report.exit_code == EXIT[verdict]
    assert any(p in report.reason for p in ((phrase,) if isinstance(phrase, str) else phrase)), report.table()
    if verdict != "pass":
        assert report.reason


def test_nothing_a_check_started_is_alive_after_it(batch, submissions):
    import time

    time.sleep(2.0)  # past the moment `rewrites_reports_later` would have written
    assert _marker_alive() == []
    assert "report.json" not in {p.name for p in submissions.iterdir()}
    assert "planted.py" not in {p.name for p in submissions.iterdir()}
    assert (submissions / "control_correct.py").read_text() == GOOD


def test_no_learner_sees_the_judges_secrets_or_prints_raw_text(batch):
    _, reports = batch
    assert SECRET not in reports["prints_the_judges_secrets"].stdout
    assert "FOUND" not in reports["prints_the_judges_secrets"].stdout
    assert "TORCHREF_TEST_SECRET" not in reports["prints_the_judges_secrets"].stdout
    for report in reports.values():
        text = report.summary() + "\n" + report.table() + json.dumps(report.to_json())
        assert "\x1b" not in text and "::add-mask::" not in text
        assert not any(line.startswith("friend.py") for line in text.splitlines())
    lies = reports["lies_in_its_messages"]
    assert "friend.py: PASS" in lies.stdout and "\\n" in lies.stdout  # shown, escaped, under the verdict
    assert any(line.startswith("stdout | ") and "friend.py: PASS" in line for line in lies.table().splitlines())


def test_a_batch_of_200_correct_and_wrong_files_gets_every_verdict_right(batch):
    sandbox, _ = batch
    items = [(Path(f"s{i:03d}.py"), GOOD if i % 3 else WRONG) for i in range(200)]
    reports = check_many(items, "shallow", jobs=2, sandbox=sandbox, cases=3)
    assert [r.verdict for r in reports] == ["pass" if i % 3 else "wrong" for i in range(200)]
    assert [Path(r.file).name for r in reports] == [f"s{i:03d}.py" for i in range(200)]
    assert len({r.seed for r in reports}) == 1 and _marker_alive() == []


@pytest.mark.parametrize("sandbox", SANDBOXES)
@pytest.mark.parametrize(
    "code, options, phrase",
    [
        ("import time\nwhile True:\n    time.sleep(1)", dict(timeout=1.0), "time limit of 1 s (--timeout"),
        ("while True:\n    pass", dict(timeout=60.0, cpu_seconds=1), "CPU time limit of 1 s (--cpu-seconds)"),
        ("import numpy as np\nhog = np.ones((1 << 28,))", dict(memory_mb=1024), "over the memory limit"),
        (
            "open('big.bin', 'wb').write(b'x' * (3 << 20))",
            dict(file_mb=2),
            "file size limit of 2 MiB (--file-mb)",
        ),
        ("import sys\nsys.stdout.write('x' * (3 << 20))", dict(file_mb=2), "file size limit of 2 MiB (--file-mb)"),
        (
            "import os, time\nfor _ in range(20):\n    if os.fork() == 0:\n        time.sleep(30)",
            dict(max_processes=4),
            "process limit",
        ),
        (
            "import threading, time\nfor _ in range(20):\n"
            "    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()",
            dict(max_processes=4),
            "over the process limit of 4 (--max-processes; threads count)",
        ),
        (FORKS_HOLD_MEMORY, dict(memory_mb=300), "over the memory limit of 300 MiB"),
        (
            "import numpy as np\nreturn {'dW1': np.zeros((1 << 20,)), 'db1': 0, 'dW2': 0, 'db2': 0}",
            dict(output_mb=1),
            "over the output limit of 1.0 MiB (--output-mb",
        ),
    ],
    ids=["wall", "cpu", "memory", "file-size", "stdout-size", "processes", "threads", "memory-together", "output"],
)
def test_every_limit_is_named_when_a_file_exceeds_it(tmp_path, sandbox, code, options, phrase):
    path = tmp_path / "hog.py"
    path.write_text(_in_backward(code))
    report = check(path, "shallow", cases=2, sandbox=sandbox, **options)
    assert report.verdict == "unusable", report.table()
    assert phrase in report.reason, report.table()
    assert report.limits["sandbox"] == sandbox and _marker_alive() == []


@pytest.mark.bwrap
@pytest.mark.skipif(bwrap_path() is None, reason=f"bubblewrap (bwrap) cannot run here: {bwrap_problem()}")
def test_the_servers_own_tmp_is_sized_where_files_share_it(tmp_path):
    """Without a tmpfs of its own per file (isolation "shared"), a file writes into its server's /tmp: sized at
    2 x --file-mb, as a file's own tmpfs, not half the host's memory."""
    path = tmp_path / "fills_tmp.py"
    path.write_text(_prepend("for i in range(3):\n    open(f'/tmp/fill{i}', 'wb').write(b'x' * (8 << 20))"))
    report = check(path, "shallow", cases=2, sandbox="bwrap", per_file="shared", file_mb=8)
    assert report.limits["isolation"].startswith("shared"), report.limits
    assert report.verdict == "unusable" and "No space left on device" in report.reason, report.table()


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_import_and_run_have_their_own_clocks(tmp_path, sandbox):
    """A slow import does not eat the time for the cases, and an endless import has its own limit."""
    slow = tmp_path / "slow_import.py"
    slow.write_text(_prepend("import time\ntime.sleep(1.5)"))
    assert check(slow, "shallow", cases=2, timeout=1.0, import_timeout=30, sandbox=sandbox).verdict == "pass"
    endless = tmp_path / "endless_import.py"
    endless.write_text(_prepend("while True:\n    pass"))
    report = check(endless, "shallow", cases=2, timeout=30, import_timeout=1.0, sandbox=sandbox)
    assert report.verdict == "unusable" and "import time limit of 1 s" in report.reason, report.table()


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_in_place_changes_are_a_failure_with_strict(tmp_path, sandbox):
    path = tmp_path / "inplace.py"
    path.write_text(_in_backward("Y_copy = Y.copy()\nY[...] = 7\nY = Y_copy"))
    lenient = check(path, "shallow", cases=2, sandbox=sandbox)
    assert lenient.verdict == "pass" and any("Y changed in place" in w for w in lenient.warnings), lenient.table()
    strict = check(path, "shallow", cases=2, sandbox=sandbox, strict=True)
    assert strict.verdict == "wrong" and "changes an input in place (--strict)" in strict.reason, strict.table()


def test_allow_import_lets_a_teacher_open_the_door(tmp_path):
    path = tmp_path / "with_colorsys.py"
    path.write_text(_prepend("import json.tool", GOOD))
    assert check(path, "shallow", cases=2).verdict == "pass"
    numpy_line = GOOD.splitlines().index("import numpy as np") + 2
    assert check(path, "shallow", cases=2).imports == ["json.tool (line 1)", f"numpy (line {numpy_line})"]
    path.write_text(_prepend("import torch", GOOD))
    assert check(path, "shallow", cases=2).verdict == "unusable"
    opened = check(path, "shallow", cases=2, sandbox="basic", allow_imports=["torch"])
    # (a torch installed under /tmp is out of the file's sight: basic gives each file a fresh /tmp of its own)
    hidden = any(str(Path(torch.__file__).resolve()).startswith(folder + "/") for folder in SCRATCH)
    assert opened.verdict == ("unusable" if hidden else "pass"), opened.table()


def test_cases_a_file_cannot_know(tmp_path, monkeypatch):
    """A fresh seed per run (recorded, replayable, or secret and fixed), and shapes beyond the public ones."""
    path = tmp_path / "lookup.py"
    path.write_text(GOOD)
    ids = lambda r: [t.first_failure for t in r.tensors]  # noqa: E731
    a, b = check(path, "shallow", cases=20), check(path, "shallow", cases=20)
    assert a.verdict == b.verdict == "pass" and a.seed != b.seed
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG)
    first = check(wrong, "shallow", seed=a.seed, cases=20)
    assert first.seed == a.seed and ids(first) == ids(check(wrong, "shallow", seed=a.seed, cases=20))
    monkeypatch.setenv("TORCHREF_SEED", "1234")  # secret: not in the report, and the same cases on every run
    secret = check(wrong, "shallow", cases=2)
    assert secret.seed is None and secret.seed_secret and ids(secret) == ids(check(wrong, "shallow", cases=2))
    assert any(ids(secret)) and not any("1234" in i for i in ids(secret))  # ids number the cases, never the seed
    monkeypatch.setenv("TORCHREF_SEED", "-1")
    with pytest.raises(ValueError, match="TORCHREF_SEED must be an integer >= 0"):
        check(path, "shallow", cases=2)
    monkeypatch.delenv("TORCHREF_SEED")
    # a file that is right only on the registry's shapes (m <= 512, n, h <= 64): the large cases catch it
    knows = _in_backward(
        "if X.shape[0] > 512 or X.shape[1] > 64 or params['W1'].shape[1] > 64:\n"
        "    return {k: np.zeros_like(v) for k, v in params.items()}"
    ).replace(
        "for k, v in params.items()}",
        "for k, v in {'dW1': params['W1'], 'db1': params['b1'], 'dW2': params['W2'], 'db2': params['b2']}.items()}",
    )
    path.write_text(knows)
    for _ in range(2):
        assert check(path, "shallow", cases=20).verdict == "wrong"


def test_a_changed_runner_is_refused(tmp_path, monkeypatch):
    from torchref.checker.sandbox import sandbox

    monkeypatch.setattr(sandbox, "_DIGEST", "0" * 64)
    report = check(EXAMPLE, "shallow", cases=2)
    assert report.verdict == "unusable" and "changed on disk since torchref was imported" in report.reason


def test_cli_batch_keeps_going_and_lists_every_verdict(submissions, tmp_path, capsys):
    weird = submissions.parent / "weird"
    weird.mkdir(exist_ok=True)
    for name in ("control_correct", "control_wrong", "lies_in_its_messages", "kills_everything_it_can"):
        (weird / f"{name}.py").write_text(CATALOGUE[name][0])
    (weird / "evil\nfriend.py: PASS.py").write_text(WRONG)
    out_json = tmp_path / "batch.json"
    status = cli.main(
        [
            "check",
            str(weird),
            "--model",
            "shallow",
            "--cases",
            "3",
            "--timeout",
            "2",
            "--quiet",
            "--json",
            str(out_json),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert status == 2
    assert sum(line.startswith("control_correct.py: PASS") for line in lines) == 1
    assert not any(line.startswith("friend.py") for line in lines)
    assert any(line.startswith("evil\\nfriend.py: PASS.py: WRONG") for line in lines), lines
    assert lines[-1].startswith("check: 1 passed, 3 wrong, 1 could not be judged (seed ")
    doc = json.loads(out_json.read_text())
    assert [f["verdict"] for f in doc["files"]] == ["pass", "wrong", "wrong", "unusable", "wrong"]


@pytest.mark.parametrize(
    "argument, value",
    [
        ("--timeout", "nan"),
        ("--timeout", "-1"),
        ("--seed", "-5"),
        ("--import-timeout", "inf"),
        ("--cpu-seconds", "0"),
        ("--file-mb", "x"),
        ("--max-processes", "-2"),
        ("--output-mb", "nan"),
        ("--jobs", "0"),
        ("--memory-mb", "1.5"),
    ],
)
def test_numeric_options_are_checked_by_argparse(argument, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", str(EXAMPLE), "--model", "shallow", argument, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {argument.split('/')[0]}" in err.replace("-j/", "")


def test_plugin_turns_every_hostile_file_into_a_failure(submissions, pytester):
    names = [n for n in CATALOGUE if not isinstance(CATALOGUE[n][1], dict)]
    pytester.makepyfile(
        test_gate=f"""
        import pytest

        @pytest.mark.parametrize("name", {names!r})
        def test_submission(torchref_check, name):
            torchref_check({str(submissions)!r} + "/" + name + ".py", model="shallow", **{LIMITS!r})
    """
    )
    result = pytester.runpytest_subprocess("-q")
    passing = [n for n in names if CATALOGUE[n][1] == "pass"]
    result.assert_outcomes(passed=len(passing), failed=len(names) - len(passing))
    out = result.stdout.str()
    for name in names:
        if CATALOGUE[name][1] != "pass":
            assert f"test_submission[{name}]" in out


def test_in_process_fixture(torchref_check, submissions):
    assert torchref_check(submissions / "control_correct.py", "shallow", cases=2).verdict == "pass"
    with pytest.raises(pytest.fail.Exception, match="COULD NOT JUDGE|UNUSABLE"):
        torchref_check(submissions / "syntax_error.py", "shallow", cases=2)


def test_the_arrays_file_round_trips_and_refuses_anything_malformed(tmp_path):
    """The plain format between judge and learner: raw bytes + JSON index + its length; never pickle, never a crash."""
    import numpy as np

    from torchref.checker.sandbox import protocol as _arrays

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
    head = int.from_bytes(good[-8:], "little")
    data = good[: -8 - head]

    def forged(index):
        text = json.dumps(index).encode()
        return data + text + len(text).to_bytes(8, "little")

    for bad in [
        good[:5],
        good[:-3],
        good[:-8] + b"\xff" * 8,
        good[:-8] + (len(good)).to_bytes(8, "little"),
        forged([["x", "|O", [1], 0, 8]]),
        forged([["x", "<f8", [1000], 0, 8000]]),
        forged([["x", "<f8", [2], -8, 16]]),
        forged([["x", "<f8", [1], len(data), 8]]),  # the index's own bytes are not data
        forged([["x", "<f8", [3], 0, 16]]),
        forged({"x": 1}),
        forged([[1, "<f8", [1], 0, 8]]),
        forged([["x", "<f8", [-1], 0, -8]]),
        forged([["x", "<f8", [1.5], 0, 12]]),
        forged([["x", "<f8", "12", 0, 16]]),
    ]:
        path.write_bytes(bad)
        with pytest.raises(ValueError):
            _arrays.unpack(path)


def test_the_writer_keeps_what_it_was_given_whatever_the_process_does_beside_it(tmp_path):
    """The learner's process writes each array as it comes: a later change to the array, the file's offset moved
    or bytes written past the end by the code beside it change nothing read; a descriptor taken away stops it."""
    import os

    import numpy as np

    from torchref.checker.sandbox import protocol as _arrays

    path = tmp_path / "out.arrays"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    writer = _arrays.Writer(fd)
    dW = np.ones((3, 2))
    writer["0/grads/dW1"] = dW
    dW *= 5  # the learner's next case reuses its buffer
    os.lseek(fd, 10**6, os.SEEK_SET)
    os.write(fd, b"appended")
    os.lseek(fd, 0, os.SEEK_SET)  # a write() now would land on dW1's bytes
    writer["0/grads/db1"] = np.float32(2.0)
    writer.close()
    os.close(fd)
    back = _arrays.unpack(path)
    assert list(back) == ["0/grads/dW1", "0/grads/db1"]
    assert np.array_equal(back["0/grads/dW1"], np.ones((3, 2))) and back["0/grads/db1"] == np.float32(2.0)
    assert path.stat().st_size < 1000  # cut after its index: nothing appended beside it is read
    assert not writer.broken

    gone = _arrays.Writer(fd)  # closed above: a descriptor taken away
    gone["x"] = np.zeros(3)
    gone.close()
    assert gone.broken
