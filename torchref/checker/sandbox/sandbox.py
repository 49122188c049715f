"""Where learners' files run: a sandbox server started once per batch, one forked child per file.

Two kinds of sandbox, named in every report (`FileReport.sandbox`):

- `bwrap` (bubblewrap, where installed): new user, PID, IPC, network, UTS and mount
  namespaces, uid 65534 inside, a read-only view of only the Python installation and
  NumPy (neither this package, nor torch, nor the submissions), the rest read-only, a
  private `/tmp` and the server's own work folder as the only writable places (both emptied
  after every file; the batch's inputs read-only), `--die-with-parent` and `--new-session`.
- `basic` (the fallback): the learner's child drops to uid 65534 (`nobody`) when the
  judge is root, the server and the judge are non-dumpable (no ptrace, no /proc/<pid>/mem
  or environ), the server gets a minimal environment, and an audit hook refuses the
  reference. It shares the host's file system (read-only for `nobody` where permissions say so).

In both, the server is the subreaper of every learner's process, kills all of them after
every file (not only on a time-out) and enforces the limits (`Limits`). The judge kills the
whole sandbox when the server stops answering (its watchdog), and starts a new one for the
next file.

One module of over 400 lines, on purpose: it is the boundary an untrusted file meets, read
whole when it is audited: the choice of sandbox and its probe, the cgroup that bounds a
server, the bind mounts that decide what a learner's process sees, and the `Server` and
`Batch` that apply them. What crosses the boundary is apart (`protocol.py`, `child.py`), and
so is what runs inside it (`runner.py`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

HERE = Path(__file__).parent
RUNNER, PROTOCOL = HERE / "runner.py", HERE / "protocol.py"
# the texts as this package was imported; a batch refuses to start if the files changed since
_DIGEST = hashlib.sha256(RUNNER.read_bytes() + PROTOCOL.read_bytes()).hexdigest()
KINDS = ("auto", "bwrap", "basic")
# what each file gets of its own in a batch: "fresh" (the default): a child forked from the warm server with new
# namespaces and its own tmpfs; "shared": a forked child in the server's namespaces, whose folders are emptied
# after it; "cold": a new sandbox with its own interpreter and NumPy (one process tree per file: the baseline)
PER_FILE = ("fresh", "shared", "cold")
SITE = "/opt/torchref-site"  # where NumPy appears inside bwrap
JOB = "/job"  # the server's own work folder inside bwrap
INPUTS = "/inputs.arrays"  # the batch's inputs inside bwrap, read-only
NOBODY = 65534  # the learner's uid (bwrap: inside its namespace; basic, judge root: on the host)
WATCHDOG_GRACE = 5.0  # seconds the judge waits beyond the learner's two clocks before it kills the sandbox


class SandboxError(RuntimeError):
    """The sandbox could not be started or stopped answering; the file is not judged."""


@dataclass(frozen=True)
class Limits:
    """What one learner's file may use; each has a command-line option (README, "Grading untrusted files")."""

    timeout: float = 60.0  # wall seconds for the cases, after the import (--timeout)
    import_timeout: float = 60.0  # wall seconds for the import (--import-timeout)
    cpu_seconds: int = 120  # CPU seconds of the learner's process, RLIMIT_CPU (--cpu-seconds)
    memory_mb: int = 4096  # address space, RLIMIT_AS (--memory-mb)
    file_mb: int = 256  # the largest file it may write, RLIMIT_FSIZE (--file-mb)
    processes: int = 64  # processes of the learner's uid, RLIMIT_NPROC (--max-processes)
    output_mb: float | None = None  # arrays read back; default: 4x the expected arrays + 1 MiB (--output-mb)

    def check(self) -> None:
        for name in ("timeout", "import_timeout", "cpu_seconds", "memory_mb", "file_mb", "processes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if self.output_mb is not None and not (0 < self.output_mb < float("inf")):
            raise ValueError(f"output_mb must be a finite number > 0, got {self.output_mb!r}")


PROBE_TRIES = 3  # a namespace probe can fail once under load (a fork refused for a moment): asked again before "no"
PROBE_PAUSE = 0.5  # seconds between two tries


def bwrap_path() -> str | None:
    """The bwrap executable, when installed and able to create its namespaces here (`bwrap_problem` says why not)."""
    return None if bwrap_problem() else shutil.which("bwrap")


def bwrap_problem() -> str:
    """ "" when bwrap runs here; else why not, in one line (not installed, or each of PROBE_TRIES probes failed and
    the last one's message). The answer is kept for the process: the probe starts a sandbox."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap (bwrap) is not installed"
    if path not in _BWRAP_PROBLEM:
        _BWRAP_PROBLEM[path] = _probe(path)
    return _BWRAP_PROBLEM[path]


def _probe(path: str) -> str:
    import time

    why = ""
    for attempt in range(PROBE_TRIES):
        if attempt:
            time.sleep(PROBE_PAUSE)
        try:
            probe = subprocess.run(
                [path, "--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"],
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            continue
        if probe.returncode == 0:
            return ""
        message = probe.stderr.decode("utf-8", "replace").strip().splitlines()
        why = message[-1] if message else f"exit status {probe.returncode}"
    return f"bubblewrap (bwrap) cannot create its namespaces here ({PROBE_TRIES} tries; the last: {why[:200]})"


_BWRAP_PROBLEM: dict[str, str] = {}  # {bwrap's path: why it does not run there, or ""}
FALLBACK_WARNING = (
    "warning: {why}; learners' files run in the basic sandbox, which shares this machine's files "
    "(--sandbox basic accepts that without this line, --sandbox bwrap refuses instead)"
)


def choose(kind: str, warn: Callable[[str], None] | None = None) -> str:
    """`auto`: bwrap where it works, else basic with a warning line (`warn`, by default stderr); `basic` is the
    explicit choice (no warning); `bwrap` where it does not work is an error."""
    if kind not in KINDS:
        raise ValueError(f"sandbox must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "basic":
        return "basic"
    why = bwrap_problem()
    if why:
        if kind == "bwrap":
            raise ValueError(f"sandbox 'bwrap' asked for, but {why}")
        (warn or _stderr)(FALLBACK_WARNING.format(why=why))
        return "basic"
    return "bwrap"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# seconds between two counts of a file's processes, threads and memory by its server (without a cgroup): bwrap's
# server sees only its own processes (its PID namespace); basic's reads the whole host's /proc each time
WATCH_EVERY = {"bwrap": 0.01, "basic": 0.05}
SERVER_MB = 256  # a server's own memory (the interpreter, NumPy, the batch's inputs) in its cgroup's limit


def cgroup_dir() -> tuple[str, str]:
    """(the cgroup v2 folder this process may make its jobs' groups in, "") where the host delegates the memory and
    pids controllers to it; else ("", why not). Read at run time: /proc/self/cgroup and /proc/self/mountinfo."""
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as fh:
            own = next((line[3:].strip() for line in fh if line.startswith("0::")), None)
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            mounts = [line.split() for line in fh]
    except OSError as exc:
        return "", f"cannot read this process's cgroup ({exc.strerror})"
    mount = next((m[4] for m in mounts if "cgroup2" in m[m.index("-") + 1 : m.index("-") + 2]), None)
    if own is None or mount is None:
        return "", "no cgroup v2 hierarchy here"
    return _delegated(os.path.join(mount, own.lstrip("/")))


def _delegated(folder: str) -> tuple[str, str]:
    try:
        with open(os.path.join(folder, "cgroup.controllers"), encoding="utf-8") as fh:
            controllers = fh.read().split()
    except OSError as exc:
        return "", f"cannot read {folder}/cgroup.controllers ({exc.strerror})"
    missing = [c for c in ("memory", "pids") if c not in controllers]
    if missing:
        return (
            "",
            f"the cgroup v2 controllers here are {' '.join(controllers) or 'none'} (no {' or '.join(missing)})",
        )
    if not os.access(folder, os.W_OK) or not os.access(os.path.join(folder, "cgroup.subtree_control"), os.W_OK):
        return "", f"{folder} is not writable by this process"
    return folder, ""


class Cgroups:
    """A batch's cgroup v2 groups, one per job, where the host delegates memory and pids (`cgroup_dir`):
    memory.max holds all of a job's processes and its tmpfs together, pids.max its processes and threads,
    no swap. Where it does not, `why` says so and the limits are per process (`Limits`)."""

    def __init__(self) -> None:
        parent, self.why = cgroup_dir()
        self.folder = ""
        if parent:
            try:
                self.folder = os.path.join(parent, f"torchref-{secrets.token_hex(6)}")
                os.mkdir(self.folder)
                _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids", keep=True)
                _write(os.path.join(self.folder, "cgroup.subtree_control"), "+memory +pids")
            except OSError as exc:
                self.why = f"cannot make a cgroup under {parent} ({exc.strerror})"
                self.close()

    def job(self, k: int, limits: Limits) -> str:
        """The group of job k, its limits set from `limits` (made once, set again at every start)."""
        if not self.folder:
            return ""
        group = os.path.join(self.folder, f"job{k}")
        os.makedirs(group, exist_ok=True)
        mib = 2**20
        _write(os.path.join(group, "memory.max"), str((limits.memory_mb + 2 * limits.file_mb + SERVER_MB) * mib))
        _write(os.path.join(group, "memory.swap.max"), "0", keep=True)
        _write(os.path.join(group, "pids.max"), str(limits.processes + 4))  # bwrap's two, the server, its thread
        return group

    def describe(self) -> str:
        if self.folder:
            return "cgroup v2 per job: memory (processes and tmpfs together) and pids (threads included)"
        return (
            "per process (rlimits; tmpfs sized per file), with a file's processes, threads and memory together "
            f"counted by the sandbox every {WATCH_EVERY['bwrap'] * 1000:g} ms (bwrap) or "
            f"{WATCH_EVERY['basic'] * 1000:g} ms (basic): {self.why}"
        )

    def close(self) -> None:
        if self.folder:
            for group in sorted(Path(self.folder).glob("job*"), reverse=True):
                with contextlib.suppress(OSError):
                    group.rmdir()
            with contextlib.suppress(OSError):
                os.rmdir(self.folder)
        self.folder = ""


def _write(path: str, text: str, keep: bool = False) -> None:
    """Write a cgroup file; with `keep`, a refusal (a controller already on, a file this kernel lacks) is kept quiet."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        if not keep:
            raise


def _oom_kills(group: str) -> int:
    try:
        with open(os.path.join(group, "memory.events"), encoding="utf-8") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("oom_kill ")), 0)
    except (OSError, ValueError, IndexError):
        return 0


def _non_dumpable() -> None:
    """The judge itself: no core dump, no ptrace or /proc/<pid>/environ by a process of the same uid."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE


def read_runner() -> tuple[str, str]:
    """The runner's and the protocol's texts, read once per batch; refused if they changed since import."""
    runner, proto = RUNNER.read_bytes(), PROTOCOL.read_bytes()
    if hashlib.sha256(runner + proto).hexdigest() != _DIGEST:
        raise SandboxError(f"{RUNNER} or {PROTOCOL} changed on disk since torchref was imported; not starting")
    return runner.decode(), proto.decode()


def _numpy_dirs() -> list[Path]:
    root = Path(np.__file__).parent
    return [p for p in (root, root.with_name("numpy.libs")) if p.exists()]


PACKAGES = ("site-packages", "dist-packages")  # folders of installed packages: never shown inside bwrap


def _binds() -> list[str]:
    """bwrap's arguments that show the interpreter, its standard library and the shared libraries: nothing else
    of the host's file system (not /usr whole: no package installed beside the interpreter, this one included).

    The standard library's folder is shown with its package folders hidden (a pyenv or a venv keeps them
    inside it); the shared libraries are the folders of those this process has loaded (libc's, the loader's,
    the interpreter's own), found in /proc/self/maps, and the host's top-level links to them (/lib -> usr/lib).
    """
    if _BINDS:
        return _BINDS
    python = os.path.realpath(sys.executable)
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    libraries = set()
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            name = line.rstrip("\n").partition("/")[2]
            if ".so" in name:
                libraries.add(os.path.realpath("/" + name))
    numpy = [str(p.resolve()) for p in _numpy_dirs()]
    loader = "/lib64/ld-linux-x86-64.so.2"  # the interpreter's loader, by the name in its ELF header
    folders = {os.path.realpath(os.path.dirname(loader))} if os.path.exists(loader) else set()
    files = {python}
    for lib in libraries:
        if not os.path.isfile(lib) or any(part in PACKAGES for part in Path(lib).parts):
            continue
        if lib.startswith(stdlib + os.sep) or any(lib.startswith(folder + os.sep) for folder in numpy):
            continue
        folder = os.path.dirname(lib)
        if (stdlib + os.sep).startswith(folder + os.sep):  # libpython beside the standard library: the file only
            files.add(lib)
        else:
            folders.add(folder)
    args = ["--ro-bind", stdlib, stdlib]
    for path in sorted(folders | files):
        args += ["--ro-bind", path, path]
    for top in ("/lib", "/lib32", "/lib64", "/libx32", "/bin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for name in PACKAGES:  # last: no bind above may show them again
        if os.path.isdir(os.path.join(stdlib, name)):
            args += ["--tmpfs", os.path.join(stdlib, name), "--remount-ro", os.path.join(stdlib, name)]
    _BINDS.extend(args)
    return _BINDS


_BINDS: list[str] = []


def _bwrap_sizes() -> bool:
    """Whether this bwrap takes `--size` for a tmpfs (bubblewrap 0.5 and later), asked once."""
    if not _SIZES:
        bwrap, text = shutil.which("bwrap"), ""
        if bwrap is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30).stdout
        _SIZES.append("--size" in text)
    return _SIZES[0]


_SIZES: list[bool] = []


class Server:
    """One sandbox for a batch: started lazily, restarted after a file kills it, stopped by `close`."""

    def __init__(
        self, kind: str, workdir: Path, inputs: Path, texts: tuple[str, str], uid: int = NOBODY, per_file: str = "fresh"
    ):
        self.kind, self.workdir, self.inputs, self.texts = kind, workdir, inputs, texts
        self.uid = uid  # basic, judge root: the learner's uid (one per server, so one cannot signal another)
        self.per_file = per_file  # PER_FILE: what each file gets of its own
        self.isolation: str | None = None  # after the start: "" (fresh namespaces per file) or why not
        self.group = ""  # its cgroup v2 group, where the host delegates one (Cgroups)
        self.tmp_mb = 2 * Limits.file_mb  # bwrap: the size of the server's own /tmp (Batch.limit sets it)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False  # its process has said it is ready (Python and NumPy loaded; the inputs with a first job)
        self.pending = b""  # what it wrote after its last whole line

    # paths as the learner's process sees them
    def inside(self, path: Path) -> str:
        if self.kind == "bwrap":
            return JOB + "/" + str(path.relative_to(self.workdir))
        return str(path)

    def _command(self) -> tuple[list[str], dict[str, str]]:
        runner, proto = self.texts
        python = os.path.realpath(sys.executable)
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        isolate = self.per_file != "shared"
        if self.kind == "basic":
            env["HOME"] = str(self.workdir)
            config = {
                "path": [str(_numpy_dirs()[0].parent)],
                "inputs": str(self.inputs),
                "uid": self.uid,
                "isolate": isolate,
                "watch_memory": not self.group,  # no cgroup: the memory of a file's processes summed by the server
                "watch_every": WATCH_EVERY["basic"],
                "confine": True,  # the host's file system is in sight: a file opens only its own folders' files
            }
            return [python, "-I", "-S", "-c", runner, proto, json.dumps(config)], env
        env["HOME"] = JOB
        # the learner's uid is root's outside the namespace, which RLIMIT_NPROC never binds: the server counts
        # its processes and threads; without fresh namespaces, what one file leaves in the server's writable
        # folders is deleted before the next one runs
        config = {
            "path": [SITE],
            "inputs": INPUTS,
            "uid": None,
            "watch_processes": True,
            "watch_memory": not self.group,
            "watch_every": WATCH_EVERY["bwrap"],
            "wipe": ["/tmp", JOB],
            "isolate": isolate,
            "new_network": False,  # bwrap's own network namespace already holds only this server's files
        }
        bwrap = shutil.which("bwrap")
        if bwrap is None:  # found when the sandbox was chosen, gone from PATH since
            raise SandboxError("cannot start the bwrap sandbox: bubblewrap (bwrap) is no longer installed")
        args = [bwrap, "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent"]
        args += ["--new-session", "--clearenv", "--proc", "/proc", "--dev", "/dev"]
        # the server's /tmp: what a file may write when it cannot have a tmpfs of its own (isolation "shared"),
        # sized as a file's own tmpfs is (an unsized tmpfs may take half the host's memory)
        args += [*(["--size", str(self.tmp_mb << 20)] if _bwrap_sizes() else []), "--tmpfs", "/tmp"]
        args += _binds()
        for folder in _numpy_dirs():
            args += ["--ro-bind", str(folder), f"{SITE}/{folder.name}"]
        # only this server's folder is writable (the learner is its owner inside): a file can neither see the
        # folder of the file judged beside it nor change the inputs a restarted server reads back
        args += ["--bind", str(self.workdir), JOB, "--ro-bind", str(self.inputs), INPUTS, "--chdir", JOB]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args += ["--remount-ro", "/", "--remount-ro", "/dev"]  # writable: only /tmp and the work folder
        args += ["--", python, "-I", "-S", "-c", runner, proto, json.dumps(config)]
        return args, env

    def launch(self) -> None:
        """Start the server's process without waiting for it to be ready (`start` waits)."""
        args, env = self._command()
        if self.group:  # the server joins its job's group before it runs: every process it starts is counted there
            args = ["/bin/sh", "-c", 'echo 0 > "$0/cgroup.procs" && exec "$@"', self.group, *args]
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=self.workdir,
                start_new_session=True,
                bufsize=0,
            )
        except OSError as exc:
            raise SandboxError(f"cannot start the {self.kind} sandbox: {exc}") from None
        self.pending = b""

    def start(self) -> None:
        """Start the server (unless `launch` did) and wait until it is ready: Python and NumPy loaded."""
        if self.ready:
            return
        if self.proc is None:
            self.launch()
        hello = self._reply(120.0)
        if "ready" not in hello or not isinstance(hello.get("isolation"), str):
            self.close()
            raise SandboxError(f"the {self.kind} sandbox did not start")
        self.isolation = hello["isolation"][:300]
        self.ready = True

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        """The running server's stdin and stdout (`launch` made both pipes); SandboxError when it is not running."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise SandboxError(f"the {self.kind} sandbox is not running")
        return proc.stdin, proc.stdout

    def _reply(self, seconds: float) -> dict[str, Any]:
        """One JSON line from the server within `seconds` (its watchdog), else SandboxError; at most 64 KiB.
        Untrusted: the caller checks its keys (child._valid_reply)."""
        fd = self._pipes()[1].fileno()
        deadline = _now() + seconds
        while b"\n" not in self.pending:
            left = deadline - _now()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.close()
                raise SandboxError(f"the sandbox stopped answering within {seconds:g} s (watchdog); it was killed")
            chunk = os.read(fd, 65536)
            if not chunk or len(self.pending) > 65536:
                self.close()
                raise SandboxError("the sandbox ended while judging this file (killed by the learner's code?)")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            self.close()
            raise SandboxError("the sandbox answered something that is not a reply")
        return reply

    def run(
        self, job: Mapping[str, object], limits: Limits, meanwhile: Callable[[], object] | None = None
    ) -> dict[str, Any]:
        """Run one job in the sandbox (starting it when needed); the server's reply. `meanwhile` is called once the
        job is sent, before its reply (or the server's start) is waited for: the judge's own work in the time the
        sandbox needs (a server launched but not ready reads the job as soon as it is)."""
        if self.proc is not None and self.proc.poll() is not None:
            self.close()
        if self.proc is None:
            self.launch()
        line = json.dumps(job).encode() + b"\n"
        stdin = self._pipes()[0]
        before = _oom_kills(self.group) if self.group else 0
        try:
            stdin.write(line)
            stdin.flush()
        except OSError:
            self.start()  # a server that could not start says why (SandboxError)
            self.close()
            raise SandboxError("the sandbox ended before the file could be sent") from None
        if meanwhile is not None:
            try:
                meanwhile()
            except BaseException:  # its reply would be read as the next job's: the server goes with it
                self.close()
                raise
        self.start()  # (its `ready` line comes before any reply)
        reply = self._reply(limits.import_timeout + limits.timeout + WATCHDOG_GRACE)
        if self.group:
            reply["oom"] = _oom_kills(self.group) > before  # the kernel killed in its group: over memory.max
        if self.per_file == "cold":  # a new sandbox, interpreter and NumPy for every file (the slow baseline)
            self.close()
        return reply

    def close(self) -> None:
        """Kill the server and everything in its session (in bwrap: its PID namespace dies with it)."""
        proc, self.proc, self.ready = self.proc, None, False
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _now() -> float:
    import time

    return time.monotonic()


class Batch:
    """A batch's work folder, inputs and sandbox servers (one per parallel job)."""

    def __init__(
        self,
        kind: str,
        inputs: Mapping[str, object] | None,
        jobs: int,
        per_file: str = "fresh",
        warn: Callable[[str], None] | None = None,
    ):
        """`inputs`: the arrays every file's run reads, or None to write them later (`write_inputs`), before the
        first job: a server may start meanwhile (it reads them with its first job)."""
        if per_file not in PER_FILE:
            raise ValueError(f"per_file must be one of {', '.join(PER_FILE)}, got {per_file!r}")
        self.kind = choose(kind, warn)
        self.per_file = per_file
        if self.kind == "basic":
            _non_dumpable()
        self.texts = read_runner()
        # in memory where there is a /dev/shm: each file's arrays are written, read and deleted there
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
        self.workdir = Path(tempfile.mkdtemp(prefix="torchref-check-", dir=shm))
        os.chmod(self.workdir, 0o711)  # the learner can reach its own folder, not list or write the others
        self.inputs = self.workdir / "inputs.arrays"  # (made now: bwrap binds it into the sandbox at the start)
        self.inputs.touch(0o644)
        os.chmod(self.inputs, 0o644)
        if inputs is not None:
            self.write_inputs(inputs)
        self.servers = [
            Server(self.kind, self._own(k), self.inputs, self.texts, NOBODY - k, per_file) for k in range(jobs)
        ]
        self.cgroups = Cgroups()

    def write_inputs(self, inputs: Mapping[str, object]) -> None:
        """The arrays every file's run reads, written into the file the servers were given (the same file: bwrap
        binds it by its inode)."""
        from torchref.checker.sandbox import protocol

        protocol.pack(self.inputs, inputs)

    def limit(self, limits: Limits) -> None:
        """Each job's cgroup set to `limits` (where the host delegates cgroups), and the size of its /tmp."""
        for k, server in enumerate(self.servers):
            server.group = self.cgroups.job(k, limits)
            server.tmp_mb = 2 * limits.file_mb

    def _own(self, k: int) -> Path:
        """The work folder of server k: its files' folders, and nothing of the other servers'."""
        path = self.workdir / f"server{k}"
        path.mkdir(mode=0o711)
        return path

    def folder(self, server: Server) -> Path:
        """A fresh folder for one file in its server's work folder, under an unguessable name."""
        path = server.workdir / secrets.token_hex(8)
        path.mkdir(mode=0o755)
        (path / "learner").mkdir(mode=0o755)
        (path / "scratch").mkdir(mode=0o755)  # where the file's own tmpfs is mounted first
        return path

    def close(self) -> None:
        for server in self.servers:
            server.close()
        self.cgroups.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def describe(self, limits: Limits, server: Server | None = None) -> dict[str, Any]:
        """The sandbox and limits a report names; `isolation`: what each file had of its own."""
        why = (server or self.servers[0]).isolation
        if self.per_file == "cold":
            isolation = "a new sandbox per file"
        elif why == "":
            isolation = "fresh namespaces and tmpfs per file"
        elif why is None:
            isolation = "not started"
        else:
            isolation = f"shared by the files of one worker, emptied between them ({why})"
        return {"sandbox": self.kind, "isolation": isolation, "resources": self.cgroups.describe(), **asdict(limits)}
