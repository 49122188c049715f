"""A fresh sandbox per file from a warm worker: nothing one file leaves reaches the next.

The server of a batch imports NumPy once and forks a child per file; each child gets new
mount, IPC, network and UTS namespaces and its own tmpfs (README, "Grading untrusted
files"). Here the first file of a one-worker batch leaves every kind of state it can in the
worker, then checks with the same detectors that each one is there (so a detector that
cannot see its state fails the test); the second file, run by the same server right after,
must find none of them and is judged as if alone.
"""

import os
import textwrap
from pathlib import Path

import pytest
from test_hostile import GOOD, LIMITS, SANDBOXES  # beside this file

from torchref.checker import check_many

DETECTORS = """
import atexit, builtins, os, signal, sys, threading
import numpy as np

def _leaks():
    found = []
    if getattr(np, "leak_7c1e", None) or getattr(sys.modules["json"], "leak_7c1e", None):
        found.append("module attribute")
    if np.dot(np.ones(2), np.ones(2)) != 2.0 or getattr(np.sum, "leak_7c1e", False):
        found.append("patched numpy function")
    if getattr(builtins, "leak_7c1e", None):
        found.append("builtins")
    if len(os.listdir("/proc/self/task")) > 1 or threading.active_count() > 1:
        found.append("thread")
    if atexit._ncallbacks():
        found.append("atexit hook")
    if os.environ.get("LEAK_7C1E"):
        found.append("environment variable")
    if os.getcwd() != os.path.dirname(os.path.abspath(__file__)):
        found.append("working folder")
    if signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, None):
        found.append("signal handler")
    if "/leak-7c1e" in sys.path:
        found.append("import path")
    mine = os.path.dirname(os.path.abspath(__file__))
    for folder in ("/tmp", "/dev/shm", "/var/tmp", mine, os.path.expanduser("~")):
        if os.path.exists(os.path.join(folder, "leak-7c1e.txt")):
            found.append("file in " + ("its folder" if folder == mine else folder))
    try:
        import socket
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect("\\0leak-7c1e")
        found.append("abstract socket")
    except OSError:
        pass
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and b"leak-7c1e" in open(f"/proc/{pid}/comm", "rb").read():
                found.append("process")
                break
        except OSError:
            pass
    return found
"""

LEAVES_STATE = (
    DETECTORS
    + """
import json, socket, subprocess, time
np.leak_7c1e = json.leak_7c1e = builtins.leak_7c1e = True
np.dot = lambda a, b: 3.0  # the next learner's dot products wrong
try:
    np.sum.leak_7c1e = True
except AttributeError:
    pass
threading.Thread(target=time.sleep, args=(3600,)).start()
atexit.register(print, "an atexit hook of the previous file")
os.environ["LEAK_7C1E"] = "1"
signal.signal(signal.SIGUSR1, lambda *a: None)
sys.path.insert(0, "/leak-7c1e")
for folder in ("/tmp", "/dev/shm", "/var/tmp", ".", os.path.expanduser("~")):
    try:
        with open(os.path.join(folder, "leak-7c1e.txt"), "w") as fh:
            fh.write("the answers")
    except OSError:
        pass
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind("\\0leak-7c1e")
server.listen()
if os.fork() == 0:  # a process that outlives its file, named so that the next file can find it
    try:
        with open("/proc/self/comm", "w") as fh:
            fh.write("leak-7c1e")
    except OSError:
        pass
    time.sleep(3600)
    os._exit(0)
os.chdir("/")
time.sleep(0.2)
print("left:", sorted(_leaks()))
"""
)

FINDS_STATE = (
    DETECTORS
    + """
print("found:", sorted(_leaks()))
"""
)


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_no_state_of_a_file_reaches_the_next_file_of_its_worker(tmp_path, sandbox):
    for name, code in (("a_leaver", LEAVES_STATE), ("b_finder", FINDS_STATE)):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code) + "\n" + GOOD)
    items = [(p, p.read_bytes()) for p in sorted(tmp_path.glob("*.py"))]
    try:
        leaver, finder = check_many(items, "shallow", jobs=1, sandbox=sandbox, **LIMITS)
    finally:
        for folder in ("/tmp", "/dev/shm", "/var/tmp"):  # without namespaces of its own: the host's folders
            Path(folder, "leak-7c1e.txt").unlink(missing_ok=True)
    left = leaver.stdout
    # the detectors see what the first file left (in its own process)
    for kind in (
        "module attribute",
        "patched numpy function",
        "builtins",
        "thread",
        "atexit hook",
        "environment variable",
        "working folder",
    ):
        assert kind in left, left
    for kind in ("signal handler", "import path", "file in /tmp", "file in its folder", "abstract socket", "process"):
        assert kind in left, left
    if finder.limits["isolation"].startswith("shared") and sandbox == "basic":
        pytest.xfail("basic without namespaces of its own shares the host's /tmp (README: what it does not promise)")
    assert finder.limits["isolation"] == "fresh namespaces and tmpfs per file"
    assert "found: []" in finder.stdout, finder.stdout
    assert finder.verdict == "pass", finder.table()
    assert leaver.warnings and "killed after its run" in leaver.warnings[0]  # its process, not the next file's


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_file_that_fills_its_tmpfs_costs_only_itself(tmp_path, sandbox):
    """/tmp, /dev/shm and its folder are one tmpfs of 2x --file-mb, new for every file: filling it leaves the next
    file (and the judge's own work folder, which is in the host's /dev/shm) all their room."""
    fills = """
import os
for folder in ("/dev/shm", "/tmp", "."):
    try:
        for i in range(100):
            with open(os.path.join(folder, f"fill-{i}"), "wb") as fh:
                fh.write(b"x" * (1 << 20))
    except OSError as exc:
        print("full:", folder, exc.errno)
"""
    (tmp_path / "a_filler.py").write_text(fills + "\n" + GOOD)
    (tmp_path / "b_good.py").write_text(GOOD)
    items = [(p, p.read_bytes()) for p in sorted(tmp_path.glob("*.py"))]
    filler, good = check_many(items, "shallow", jobs=1, sandbox=sandbox, **{**LIMITS, "file_mb": 4})
    if good.limits["isolation"].startswith("shared") and sandbox == "basic":
        pytest.xfail("basic without namespaces of its own writes the host's /tmp (README: what it does not promise)")
    assert "full: /dev/shm 28" in filler.stdout and "full: /tmp 28" in filler.stdout, filler.stdout  # ENOSPC
    assert filler.verdict == "pass" and good.verdict == "pass", good.table()


def test_the_old_paths_stay_selectable(tmp_path):
    """per_file="shared" (forked children in the worker's namespaces) and "cold" (a new sandbox per file) are the
    bench's baselines: the same verdicts, and each report says what its file had of its own."""
    (tmp_path / "a.py").write_text(GOOD)
    items = [(tmp_path / "a.py", GOOD.encode())] * 2
    isolation = {}
    for per_file in ("shared", "cold", "fresh"):
        reports = check_many(items, "shallow", jobs=1, sandbox="basic", per_file=per_file, cases=2)
        assert [r.verdict for r in reports] == ["pass", "pass"]
        isolation[per_file] = reports[0].limits["isolation"]
    assert isolation["cold"] == "a new sandbox per file"
    assert isolation["shared"].startswith("shared by the files of one worker")
    if os.geteuid() == 0:  # root: the basic sandbox takes namespaces of its own too
        assert isolation["fresh"] == "fresh namespaces and tmpfs per file"


LOOKS_FOR_PLANTED_COPIES = """
import os, sys, importlib.util
for folder in {folders!r}:
    target = os.path.join(folder, {name!r}, "registry.py")
    if os.path.exists(target):
        spec = importlib.util.spec_from_file_location("planted", target)
        print("planted visible:", folder)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        print("planted imported:", folder)
"""


def test_a_copy_of_the_package_planted_among_installed_packages_is_not_visible_inside_bwrap(tmp_path):
    """bwrap shows the standard library and NumPy only: a second install of this package, in the system's
    dist-packages or in the interpreter's own site-packages (inside the standard library's folder), is not there.
    Under basic (the control: the same file sees them) the import rule and the audit hook are all that stands."""
    import secrets
    import shutil
    import sys
    import sysconfig

    import torchref

    sandbox_kinds = ["basic", "bwrap"] if shutil.which("bwrap") else ["basic"]  # installed: it must run
    name = f"torchref_copy_{secrets.token_hex(4)}"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    folders = [
        f"/usr/local/lib/{version}/dist-packages",
        os.path.join(os.path.dirname(os.__file__), "site-packages"),
        sysconfig.get_paths()["purelib"],  # the environment's own, where NumPy is
    ]
    planted = []
    try:
        for folder in folders:
            if os.path.isdir(folder) and os.access(folder, os.W_OK):
                shutil.copytree(
                    Path(torchref.__file__).parent, Path(folder, name), ignore=shutil.ignore_patterns("*.pyc")
                )
                planted.append(folder)
        assert planted, "no folder of installed packages is writable here to plant a copy in"
        path = tmp_path / "planter.py"
        path.write_text(LOOKS_FOR_PLANTED_COPIES.format(folders=planted, name=name) + "\n" + GOOD)
        seen = {
            kind: check_many([(path, path.read_bytes())], "shallow", sandbox=kind, **LIMITS)[0]
            for kind in sandbox_kinds
        }
    finally:
        for folder in planted:
            shutil.rmtree(Path(folder, name), ignore_errors=True)
    assert "planted visible" in seen["basic"].stdout  # the control: the copies are where a learner would look
    if "bwrap" in seen:
        assert "planted" not in seen["bwrap"].stdout, seen["bwrap"].stdout
        assert seen["bwrap"].verdict == "pass", seen["bwrap"].table()


@pytest.mark.parametrize("sandbox", SANDBOXES)
@pytest.mark.parametrize(
    "how, phrase",
    [
        ("__import__", "importing threadpoolctl is not allowed in a derivation: only the standard library and NumPy"),
        ("importlib.import_module", "No module named 'threadpoolctl'"),  # no "import" event: not found, not read
    ],
)
def test_a_module_named_at_run_time_is_refused_in_both_sandboxes(tmp_path, sandbox, how, phrase):
    """The scan of the file's text refuses `import threadpoolctl` (installed beside NumPy); a name built at run time
    passes the scan, and the sandbox refuses it when it is imported: the audit hook's import rule, and no folder of
    installed packages but NumPy's readable (basic) or there at all (bwrap)."""
    path = tmp_path / "runtime.py"
    path.write_text(f'import importlib\nextra = {how}("thread" + "poolctl")\n' + GOOD)
    report = check_many([(path, path.read_bytes())], "shallow", sandbox=sandbox, **LIMITS)[0]
    assert report.verdict == "unusable", report.table()
    assert phrase in report.reason, report.reason


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_threads_count_against_the_process_limit(tmp_path, sandbox):
    """--max-processes counts threads too: bwrap's server counts its learner's tasks (the uid outside is root's,
    which RLIMIT_NPROC never binds); basic's learner uid is bound by RLIMIT_NPROC, which counts every thread."""
    path = tmp_path / "threads.py"
    path.write_text(
        "import threading, time\n"
        "for _ in range(40):\n"
        "    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n" + GOOD
    )
    report = check_many([(path, path.read_bytes())], "shallow", sandbox=sandbox, **{**LIMITS, "max_processes": 16})[0]
    assert report.verdict == "unusable", report.table()
    assert "over the process limit of 16" in report.reason or "can't start new thread" in report.reason, report.reason


def test_resources_by_cgroup_where_the_host_delegates_one(tmp_path, monkeypatch):
    """Where a cgroup v2 folder with memory and pids is delegated, each job gets a group whose memory.max holds the
    learner's processes and tmpfs together and whose pids.max counts threads; the server joins it before it runs.
    (Played here on a folder laid out as cgroup v2's: the files a kernel reads are the ones written.)"""
    from torchref.checker.sandbox import sandbox

    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (root / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(sandbox, "cgroup_dir", lambda: (str(root), ""))
    made = []
    real = sandbox.Cgroups.job
    monkeypatch.setattr(sandbox.Cgroups, "job", lambda self, k, limits: made.append(real(self, k, limits)) or made[-1])
    monkeypatch.setattr(sandbox.Cgroups, "close", lambda self: None)  # kept to be read
    report = check_many([(tmp_path / "a.py", GOOD.encode())], "shallow", sandbox="basic", **LIMITS)[0]
    (group,) = made
    assert (Path(group) / "memory.max").read_text() == str((1024 + 2 * 8 + sandbox.SERVER_MB) * 2**20)
    assert (Path(group) / "pids.max").read_text() == str(32 + 4)
    assert (Path(group) / "memory.swap.max").read_text() == "0"
    assert (Path(group) / "cgroup.procs").read_text().strip() == "0"  # the server's shell joined it, then exec'd
    assert "+memory +pids" in (Path(group).parent / "cgroup.subtree_control").read_text()
    assert report.verdict == "pass" and report.limits["resources"].startswith("cgroup v2 per job")


def test_without_cgroups_the_report_says_what_holds_instead():
    """This host's answer, whichever it is: a report names the resources' containment and, without cgroups, why."""
    from torchref.checker.sandbox import sandbox

    folder, why = sandbox.cgroup_dir()
    report = check_many([(Path("a.py"), GOOD.encode())], "shallow", sandbox="basic", **LIMITS)[0]
    if folder:
        assert report.limits["resources"].startswith("cgroup v2 per job")
    else:
        assert (
            why
            and report.limits["resources"]
            == "per process (rlimits; tmpfs sized per file), with a file's processes, threads and memory together "
            f"counted by the sandbox every 10 ms (bwrap) or 50 ms (basic): {why}"
        )
