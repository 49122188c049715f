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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
RUNNER, PROTOCOL = HERE / "runner.py", HERE / "protocol.py"
# the texts as this package was imported; a batch refuses to start if the files changed since
_DIGEST = hashlib.sha256(RUNNER.read_bytes() + PROTOCOL.read_bytes()).hexdigest()
KINDS = ("auto", "bwrap", "basic")
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


PROBE_TRIES = 3  # a loaded machine can fail one probe of the namespaces: bwrap is only given up after three


def bwrap_path() -> str | None:
    """The bwrap executable, when installed and able to create its namespaces here (`bwrap_problem` says why not)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    if path not in _BWRAP_WORKS:
        for attempt in range(PROBE_TRIES):
            if attempt:
                _sleep(0.25 * attempt)
            try:
                probe = subprocess.run(
                    [path, "--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"],
                    capture_output=True,
                    timeout=30,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                _BWRAP_WORKS[path] = f"{type(exc).__name__}: {exc}"
                continue
            if probe.returncode == 0:
                _BWRAP_WORKS[path] = ""
                break
            message = probe.stderr.decode("utf-8", "replace").strip() or "no message"
            _BWRAP_WORKS[path] = f"exit status {probe.returncode}: {message}"
    return None if _BWRAP_WORKS[path] else path


def bwrap_problem() -> str:
    """Why `bwrap_path()` found no working bwrap: "not installed", or bwrap's own error after its tries."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap (bwrap) is not installed"
    return _BWRAP_WORKS.get(path) or ""


_BWRAP_WORKS: dict = {}  # {path: "" when it works, else bwrap's error}


def choose(kind: str) -> str:
    """`auto`: bwrap where it works, else basic; `bwrap` where it does not work is an error."""
    if kind not in KINDS:
        raise ValueError(f"sandbox must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "basic":
        return "basic"
    if bwrap_path() is None:
        if kind == "bwrap":
            raise ValueError("sandbox 'bwrap' asked for, but bubblewrap (bwrap) is not installed or cannot run here")
        return "basic"
    return "bwrap"


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


class Server:
    """One sandbox for a batch: started lazily, restarted after a file kills it, stopped by `close`."""

    def __init__(self, kind: str, workdir: Path, inputs: Path, texts: tuple[str, str], uid: int = NOBODY):
        self.kind, self.workdir, self.inputs, self.texts = kind, workdir, inputs, texts
        self.uid = uid  # basic, judge root: the learner's uid (one per server, so one cannot signal another)
        self.proc: subprocess.Popen | None = None

    # paths as the learner's process sees them
    def inside(self, path: Path) -> str:
        if self.kind == "bwrap":
            return JOB + "/" + str(path.relative_to(self.workdir))
        return str(path)

    def _command(self) -> tuple[list[str], dict]:
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
        if self.kind == "basic":
            env["HOME"] = str(self.workdir)
            config = {"path": [str(_numpy_dirs()[0].parent)], "inputs": str(self.inputs), "uid": self.uid}
            return [python, "-I", "-S", "-c", runner, proto, json.dumps(config)], env
        env["HOME"] = JOB
        # the learner's uid is root's outside the namespace, which RLIMIT_NPROC never binds: the server counts
        # what one file leaves in the server's writable folders is deleted before the next one runs
        config = {"path": [SITE], "inputs": INPUTS, "uid": None, "watch_processes": True, "wipe": ["/tmp", JOB]}
        args = [bwrap_path(), "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent"]
        args += ["--new-session", "--clearenv", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for folder in ("/usr", "/lib", "/lib64", "/bin", "/etc/alternatives", "/etc/ld.so.cache"):
            args += ["--ro-bind-try", folder, folder]
        prefix = Path(sys.base_prefix).resolve()
        args += ["--ro-bind", str(prefix), str(prefix)]
        if not python.startswith(str(prefix) + os.sep):  # pragma: no cover - an interpreter outside its prefix
            args += ["--ro-bind", python, python]
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

    def start(self) -> None:
        args, env = self._command()
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
        hello = self._reply(120.0)
        if "ready" not in hello:
            self.close()
            raise SandboxError(f"the {self.kind} sandbox did not start")

    def _reply(self, seconds: float) -> dict:
        """One JSON line from the server within `seconds` (its watchdog), else SandboxError; at most 64 KiB."""
        fd = self.proc.stdout.fileno()
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

    def run(self, job: dict, limits: Limits) -> dict:
        """Run one job in the sandbox (starting it when needed); the server's reply."""
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self.start()
        line = json.dumps(job).encode() + b"\n"
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except OSError:
            self.close()
            raise SandboxError("the sandbox ended before the file could be sent") from None
        return self._reply(limits.import_timeout + limits.timeout + WATCHDOG_GRACE)

    def close(self) -> None:
        """Kill the server and everything in its session (in bwrap: its PID namespace dies with it)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _now() -> float:
    import time

    return time.monotonic()


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


class Batch:
    """A batch's work folder, inputs and sandbox servers (one per parallel job)."""

    def __init__(self, kind: str, inputs: dict, jobs: int):
        from torchref.checker.sandbox import protocol

        self.kind = choose(kind)
        if self.kind == "basic":
            _non_dumpable()
        self.texts = read_runner()
        # in memory where there is a /dev/shm: each file's arrays are written, read and deleted there
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
        self.workdir = Path(tempfile.mkdtemp(prefix="torchref-check-", dir=shm))
        os.chmod(self.workdir, 0o711)  # the learner can reach its own folder, not list or write the others
        self.inputs = self.workdir / "inputs.arrays"
        protocol.pack(self.inputs, inputs)
        os.chmod(self.inputs, 0o644)
        self.servers = [Server(self.kind, self._own(k), self.inputs, self.texts, NOBODY - k) for k in range(jobs)]

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
        return path

    def close(self) -> None:
        for server in self.servers:
            server.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def describe(self, limits: Limits) -> dict:
        return {"sandbox": self.kind, **asdict(limits)}
