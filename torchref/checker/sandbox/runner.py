"""The server that runs learners' derivations inside the sandbox. The judge never imports this file.

    python -I -S -c <this file's text> <protocol.py's text> <config JSON>

The judge reads this file and `protocol.py` once per batch (their hash checked against the
files as imported) and starts this program inside the sandbox (`sandbox.py`). It imports
NumPy once, loads the batch's inputs into memory before any learner's code runs, then
answers one job per line on stdin: it forks one child per learner file, and that child
(its own session, resource limits, another uid when the server is root, an audit hook
that refuses the reference) imports the learner's file, runs its `forward` (when it has
one) and `backward` on every case and writes JOBDIR/outputs.arrays (plain arrays, never
pickles) and JOBDIR/result.json. The server enforces the two wall clocks (import, then
cases), then kills every process the child left behind (it is their subreaper) before it
answers with one JSON line. The judge compares the arrays itself: nothing done here can
pass a derivation. Only the standard library and NumPy are imported.
"""

import contextlib
import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import stat
import sys
import time
import traceback
import types

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
WATCH_PROCESSES = False
WIPE = []  # folders emptied after every file (bwrap: its private /tmp and the work folder)
_libc = ctypes.CDLL(None, use_errno=True)


def _load_protocol(source):
    module = types.ModuleType("torchref_protocol")
    exec(compile(source, "protocol.py", "exec"), module.__dict__)
    return module


def _where(exc, path):
    """The innermost frame of the learner's file in the traceback: file, line, function, code."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == path:
            last = tb
        tb = tb.tb_next
    where = {"type": type(exc).__name__, "message": str(exc)[:500]}
    if isinstance(exc, OSError) and exc.errno is not None:
        where["errno"] = exc.errno
    if last is not None:
        frame = traceback.extract_tb(last, limit=1)[0]
        shapes = {
            name: list(value.shape) for name, value in last.tb_frame.f_locals.items() if isinstance(value, np.ndarray)
        }
        where.update(
            file=os.path.basename(path),
            line=frame.lineno,
            function=frame.name,
            code=(frame.line or "").split("#")[0].strip()[:200],
            shapes=dict(list(shapes.items())[:30]),
        )
    return where


def _learner_line(path):
    """The line of the learner's file on the current stack (the innermost), or 0."""
    frame = sys._getframe(1)
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == path:
            return frame.f_lineno
        frame = frame.f_back
    return 0


class _Refused(ImportError):
    pass


# a program started from a derivation would run without the audit hook (it could read the reference)
PROGRAMS = {"os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "pty.spawn"}


MEMORY = re.compile(r"/proc/[^/]+(/task/[^/]+)?/mem")


def _resolutions(name):
    """Every real path `name` can mean: a relative name may be opened against any open folder (dir_fd), not only
    the working folder."""
    if os.path.isabs(name):
        return [os.path.realpath(name)]
    bases = [os.getcwd()]
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.stat(f"/proc/self/fd/{fd}").st_mode):
                bases.append(os.readlink(f"/proc/self/fd/{fd}"))
    return [os.path.realpath(os.path.join(base, name)) for base in bases]


def _guard(path, blocked, allowed, roots, own, found, native=False):
    """An audit hook (it cannot be removed from Python code) refusing the reference to the learner's file.

    Importing a blocked top-level package, or opening a file under one of the reference's
    folders, raises; the first such attempt is recorded in `found` (reported by the judge
    as "imports the reference (line N)").
    """

    def hook(event, args):
        if event == "import":
            top = str(args[0]).split(".")[0]
            if top in blocked and top not in allowed:
                found.setdefault("import", {"name": str(args[0]), "line": _learner_line(path)})
                raise _Refused(f"importing {top} is not allowed in a derivation")
        elif event.startswith("ctypes.") and not native:  # native calls run without the hook: libc's open()
            found.setdefault("native", {"name": event, "line": _learner_line(path)})
            raise PermissionError("calling native code (ctypes) is not allowed in a derivation")
        elif event in PROGRAMS:
            found.setdefault("program", {"name": str(args[0])[:200], "line": _learner_line(path)})
            raise PermissionError("starting a program is not allowed in a derivation")
        elif event == "open" and isinstance(args[0], (str, bytes)) and roots:
            for name in _resolutions(os.fsdecode(args[0])):
                if MEMORY.fullmatch(name):  # writing a process's memory would remove this hook
                    found.setdefault("native", {"name": name, "line": _learner_line(path)})
                    raise PermissionError("opening a process's memory is not allowed in a derivation")
                for root, what in roots if not name.startswith(own + os.sep) else ():
                    # a folder above a root is refused too: a relative name opened from it (dir_fd) reaches the root
                    if name == root or name.startswith(root + os.sep) or root.startswith(name.rstrip(os.sep) + os.sep):
                        found.setdefault("open", {"name": name, "what": what, "line": _learner_line(path)})
                        raise PermissionError(f"reading {what} is not allowed in a derivation")

    sys.addaudithook(hook)


def _arrays(prefix, mapping, out, problems):
    """Copy a dict of arrays into `out` under `prefix`; anything that is not numeric is a problem."""
    if not isinstance(mapping, dict):
        problems.append(f"{prefix.rstrip('/')} must be a dict of arrays, got {type(mapping).__name__}")
        return
    for key, value in list(mapping.items())[:1000]:
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 40:
            problems.append(f"{prefix}{str(key)[:40]!r}: keys must be names such as 'dW1'")
            continue
        try:
            arr = np.array(value)
        except Exception as exc:
            problems.append(f"{prefix}{key}: cannot be read as an array ({type(exc).__name__})")
            continue
        if arr.dtype.kind not in NUMERIC:
            problems.append(f"{prefix}{key}: dtype {arr.dtype} is not numeric")
            continue
        out[prefix + key] = arr


def _read_only(array):
    """A copy that cannot be written, nor made writable: a view of an immutable bytes object."""
    return np.frombuffer(array.tobytes(), array.dtype).reshape(array.shape)


def _run_case(i, inputs, forward, backward, path, out, strict=False):
    p = protocol
    give = _read_only if strict else np.copy
    X, Y = give(inputs[p.key(i, "X")]), give(inputs[p.key(i, "Y")])
    params = {k: give(v) for k, v in p.take(inputs, i, "params").items()}
    cache = {k: give(v) for k, v in p.take(inputs, i, "cache").items()}
    watched = {"X": X, "Y": Y, **{f"params[{k!r}]": v for k, v in params.items()}}
    if forward is None:  # the cache the judge supplied is an input too
        watched.update({f"cache[{k!r}]": v for k, v in cache.items()})
    case = {"problems": [], "mutated": []}
    try:
        if forward is not None:
            fwd = forward(X, params)
            if not (isinstance(fwd, tuple) and len(fwd) == 2):
                case["problems"].append(f"forward must return (A, cache), got {type(fwd).__name__}")
                return case
            A, cache = fwd
            # copied now: what backward later does to these objects cannot change what forward returned
            _arrays(p.key(i, "forward", ""), {"A": A}, out, case["problems"])
            _arrays(p.key(i, "cache", ""), cache, out, case["problems"])
        grads = backward(X, Y, params, cache)
        _arrays(p.key(i, "grads", ""), grads, out, case["problems"])
    except SystemExit as exc:
        case["exit"] = repr(exc.code)[:100]
    except BaseException as exc:
        case["error"] = _where(exc, path)
    originals = {"X": inputs[p.key(i, "X")], "Y": inputs[p.key(i, "Y")]}
    originals.update({f"params[{k!r}]": v for k, v in p.take(inputs, i, "params").items()})
    originals.update({f"cache[{k!r}]": v for k, v in p.take(inputs, i, "cache").items()})
    case["mutated"] = [
        name
        for name, value in watched.items()
        if not (isinstance(value, np.ndarray) and np.array_equal(value, originals[name], equal_nan=True))
    ]
    return case


def _learner(job, inputs, signal_fd):
    """In the forked child: run the learner's file on every case, write the arrays and result.json."""
    path = os.path.abspath(job["file"])
    jobdir = job["dir"]
    result = {"nonce": job["nonce"], "import_error": None, "exit": None, "has_forward": False, "cases": []}
    found = {}
    out = {}
    _guard(path, set(job["blocked"]), set(job["allowed"]), job["roots"], job["own"], found, job.get("native") is True)
    try:
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib_util.spec_from_file_location("derivation", path)
        module = importlib_util.module_from_spec(spec)
        sys.modules["derivation"] = module
        spec.loader.exec_module(module)
    except SystemExit as exc:
        result["exit"] = {"where": "import", "code": repr(exc.code)[:100]}
    except BaseException as exc:
        result["import_error"] = (
            _where(exc, path)
            if not isinstance(exc, SyntaxError)
            else {
                "type": "SyntaxError",
                "message": str(exc.msg)[:500],
                "file": os.path.basename(path),
                "line": exc.lineno,
                "code": (exc.text or "").strip()[:200],
            }
        )
    with contextlib.suppress(OSError):
        os.write(signal_fd, b"i")  # the import is over: the clock for the cases starts now
    if result["import_error"] is None and result["exit"] is None:
        backward = getattr(module, "backward", None)
        forward = getattr(module, "forward", None)
        result["has_backward"] = callable(backward)
        result["has_forward"] = callable(forward)
        for i in range(job["cases"] if callable(backward) else 0):
            result["cases"].append(_run_case(i, inputs, forward, backward, path, out, job.get("strict") is True))
            if result["cases"][-1].get("exit"):
                result["exit"] = {"where": f"case {i}", "code": result["cases"][-1]["exit"]}
                break
    result["reference"] = found
    protocol.pack(os.path.join(jobdir, "outputs.arrays"), out)
    tmp = os.path.join(jobdir, "result.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    os.replace(tmp, os.path.join(jobdir, "result.json"))


def _moved(entry, moved):
    """`entry` under the folder descriptor that replaced its import-path folder, if any."""
    for old, new in moved.items():
        if entry == old or entry.startswith(old + os.sep):
            return new + entry[len(old) :]
    return entry


def _child(job, inputs, signal_r, signal_w, drop_to):
    """The forked child's set-up, then the learner: never returns."""
    code = 0
    try:
        os.setsid()
        os.close(signal_r)
        jobdir = job["dir"]
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(os.path.join(jobdir, "stdout.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(os.path.join(jobdir, "stderr.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
        # only the three standard streams and the import signal stay open
        keep = os.dup2(signal_w, 3) if signal_w != 3 else 3
        os.closerange(4, 65536)
        limits = job["limits"]
        mib = 2**20
        for name, soft, hard in (
            ("RLIMIT_AS", limits["memory_mb"] * mib, limits["memory_mb"] * mib),
            ("RLIMIT_CPU", limits["cpu_seconds"], limits["cpu_seconds"] + 1),
            ("RLIMIT_FSIZE", limits["file_mb"] * mib, limits["file_mb"] * mib),
            ("RLIMIT_NPROC", limits["processes"], limits["processes"]),
            ("RLIMIT_CORE", 0, 0),
        ):
            resource.setrlimit(getattr(resource, name), (soft, hard))
        if drop_to is not None:
            for folder, _, names in os.walk(jobdir):
                for name in [folder, *(os.path.join(folder, n) for n in names)]:
                    os.chown(name, drop_to, drop_to)
            # the import path stays readable through folder descriptors opened before the uid changes
            # (the interpreter may live in a folder only root can enter, e.g. /root)
            held = [
                (i, os.open(entry, os.O_RDONLY | os.O_DIRECTORY))
                for i, entry in enumerate(sys.path)
                if os.path.isdir(entry)
            ]
            os.setgroups([])
            os.setgid(drop_to)
            os.setuid(drop_to)
            _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # /proc/self back to the learner's uid, for /proc/self/fd
            moved = {}
            for i, fd in held:
                moved[sys.path[i]] = sys.path[i] = f"/proc/self/fd/{fd}"
            for module in list(sys.modules.values()):  # the packages already imported (importlib, json...)
                path = getattr(module, "__path__", None)
                if isinstance(path, list):
                    path[:] = [_moved(entry, moved) for entry in path]
            sys.path_importer_cache.clear()
        os.chdir(os.path.dirname(os.path.abspath(job["file"])))
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        _learner(job, inputs, keep)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
        code = 70
    os._exit(code)


def _descendants(me):
    """Every process whose chain of parents leads to `me` (all of them are its children or below)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
                parent[int(entry)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    below, frontier = set(), {me}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier and pid not in below}
        below |= frontier
    return below


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_all():
    """SIGKILL every descendant until none is left (orphans come back to us: we are their subreaper)."""
    me, killed = os.getpid(), 0
    for _ in range(1000):
        left = _descendants(me)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.001)
        _reap()
    _reap()
    return killed


def _wipe(folders, keep):
    """Delete everything in `folders` but `keep` (the job's folder, which the judge reads, then deletes): nothing
    one file writes there is left for the next file of the server."""
    for folder in folders:
        for entry in os.listdir(folder):
            path = os.path.join(folder, entry)
            if path == keep:
                continue
            for top, dirs, _ in os.walk(path):  # the learner may have made its folders unreadable
                for name in [top, *(os.path.join(top, d) for d in dirs)]:
                    with contextlib.suppress(OSError):
                        os.chmod(name, 0o700, follow_symlinks=False)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def _wait(fds, seconds, watch):
    """select() on `fds` for `seconds`; with `watch` (a process limit), also count the learner's processes
    every 10 ms: "processes" when there are more (where RLIMIT_NPROC does not bind, the uid outside being root)."""
    if not watch:
        return select.select(fds, [], [], seconds)[0]
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        ready = select.select(fds, [], [], max(0.0, min(left, 0.01)))[0]
        if ready or left <= 0:
            return ready
        if len(_descendants(os.getpid())) > watch:
            return "processes"


def _run(job, inputs, drop_to):
    signal_r, signal_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job, inputs, signal_r, signal_w, drop_to)
    os.close(signal_w)
    pidfd = os.pidfd_open(pid)
    answer = {"killed": None, "status": None, "signal": None, "cpu": 0.0}
    watch = job["limits"]["processes"] if WATCH_PROCESSES else 0
    try:
        ready = _wait([signal_r, pidfd], job["import_timeout"], watch)
        if ready == "processes":
            answer["killed"] = "processes"
        elif not ready:
            answer["killed"] = "import"
        else:
            if signal_r in ready:
                os.read(signal_r, 1)
            left = job["timeout"] if signal_r in ready else job["import_timeout"] - (time.monotonic() - start)
            ready = _wait([pidfd], max(left, 0.0), watch)
            if ready == "processes":
                answer["killed"] = "processes"
            elif not ready:
                answer["killed"] = "run"
        if watch and not answer["killed"] and len(_descendants(os.getpid())) > watch:
            answer["killed"] = "processes"  # more were left running than the limit allows
        if answer["killed"]:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        answer["cpu"] = round(usage.ru_utime + usage.ru_stime, 3)
        if os.WIFSIGNALED(status):
            answer["signal"] = os.WTERMSIG(status)
        else:
            answer["status"] = os.WEXITSTATUS(status)
    finally:
        os.close(signal_r)
        os.close(pidfd)
        answer["left_behind"] = _kill_all()
        _wipe(WIPE, job["dir"])
    answer["seconds"] = round(time.monotonic() - start, 4)
    return answer


def main(protocol_source, config):
    global protocol, NUMERIC, np, importlib_util
    for folder in config["path"]:
        sys.path.insert(0, folder)
    import importlib.util as importlib_util

    import numpy as np

    protocol = _load_protocol(protocol_source)
    NUMERIC = protocol.NUMERIC
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem by a learner of the same uid
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a learner come back here, to be killed
    global WATCH_PROCESSES, WIPE
    WATCH_PROCESSES = config.get("watch_processes") is True
    WIPE = config.get("wipe", [])
    drop_to = config["uid"] if config.get("uid") is not None and os.getuid() == 0 else None
    inputs = protocol.Arrays(protocol.unpack(config["inputs"]))
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    replies.write(json.dumps({"ready": os.getpid(), "uid": os.getuid()}) + "\n")
    for line in sys.stdin:
        job = json.loads(line)
        replies.write(json.dumps(_run(job, inputs, drop_to)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
