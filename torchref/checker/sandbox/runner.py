"""The server that runs learners' derivations inside the sandbox. The judge never imports this file.

    python -I -S -c <this file's text> <protocol.py's text> <config JSON>

The judge reads this file and `protocol.py` once per batch (their hash checked against the
files as imported) and starts this program inside the sandbox (`sandbox.py`). It imports
NumPy once, loads the batch's inputs into memory with the first job (before any learner's
code runs: the judge writes them while this server starts), then answers one job per line
on stdin: it forks one child per learner file, and that child (its own session, resource
limits, another uid when the server is root, an audit hook that refuses the reference)
imports the learner's file, runs its `forward` (when it has one) and `backward` on every
case and writes JOBDIR/outputs.arrays (plain arrays, never pickles) and
JOBDIR/result.json. The server enforces the two wall clocks (import, then cases), then
kills every process the child left behind (it is their subreaper) before it answers with
one JSON line. The judge compares the arrays itself: nothing done here can pass a
derivation. Only the standard library and NumPy are imported (the annotations are never
evaluated, and what they name is imported for the type checker only).

One file of over 400 lines, on purpose: it is not imported but sent whole, as the text of
`python -c`, into a sandbox where this package is absent, and the judge checks its hash;
the server loop, the child's limits and audit hook, and the loading of the learner's file
travel together or not at all (`protocol.py`, the wire format, is the one other file sent).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools  # (imported by contextlib already)
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

TYPE_CHECKING = False  # not `typing`'s: nothing more is imported before the learner's code
if TYPE_CHECKING:
    import importlib.util as importlib_util
    from collections.abc import Callable, Iterable
    from typing import Any, NoReturn, TypedDict

    import numpy as np

    from torchref.checker.sandbox import protocol
    from torchref.checker.sandbox.protocol import (
        ArgSpec,
        Array,
        CallRecord,
        CaseRecord,
        Error,
        Found,
        Job,
        PlannedCall,
        Reply,
        Result,
    )

    NUMERIC: str
    Watched = list[tuple[str, Callable[[], object], Array]]  # (name, its value now, a copy of it before)
    Out = protocol.Writer  # where the arrays a file returns go: written to its outputs file as they come

    class Watch(TypedDict):
        processes: int
        memory: int


PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 4, 36, 38
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET = (
    0x20000,
    0x4000000,
    0x8000000,
    0x10000000,
    0x40000000,
)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 0x4000, 0x40000
MNT_DETACH = 2
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")  # the folders anyone may write: each file gets them fresh and empty
INODES = 10_000  # files and folders a file may create in its own tmpfs
OUTPUTS = ("stdout.txt", "stderr.txt", "outputs.arrays", "result.json")  # opened before the learner runs
WATCH_PROCESSES = False  # count the learner's processes and threads (where RLIMIT_NPROC does not bind)
WATCH_MEMORY = False  # sum the memory of the learner's processes (where no cgroup holds them together)
WATCH_EVERY = 0.01  # seconds between two counts
CONFINE = False  # what a file may open, confined to its own folders (basic: the host's file system is in sight)
WIPE: list[str] = []  # without fresh namespaces: folders emptied after every file (bwrap: its /tmp and the work folder)
ISOLATE = False  # a fresh mount, IPC, network and UTS namespace (and a user one where needed) per file
# a network namespace per file, where the server's is the host's (basic); bwrap's server has its own already,
# with nothing in it but a loopback, and a file's sockets close with its processes (making one costs ~ms)
NEW_NETWORK = True
_libc = ctypes.CDLL(None, use_errno=True)


def _load_protocol(source: str) -> Any:  # the module protocol.py, made from its text (mypy: imported above)
    module = types.ModuleType("torchref_protocol")
    exec(compile(source, "protocol.py", "exec"), module.__dict__)
    return module


def _where(exc: BaseException, path: str) -> Error:
    """The innermost frame of the learner's file in the traceback: file, line, function, code."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == path:
            last = tb
        tb = tb.tb_next
    where: Error = {"type": type(exc).__name__, "message": str(exc)[:500]}
    if isinstance(exc, OSError) and exc.errno is not None:
        where["errno"] = exc.errno
    if last is not None:
        frame = traceback.extract_tb(last, limit=1)[0]
        local = last.tb_frame.f_locals
        shapes = {name: list(value.shape) for name, value in local.items() if isinstance(value, np.ndarray)}
        for name, value in local.items():  # params["W2"]: the arrays of a dict of the frame, keyed as written
            if type(value) is dict:  # (a plain dict: a subclass's items() is the learner's code)
                for key in [k for k in list(value)[:30] if type(k) is str]:  # (a str's hash is no learner's code)
                    if isinstance(entry := value[key], np.ndarray):
                        shapes[f"{name}[{key!r}]"] = list(entry.shape)
        where.update(
            {
                "file": os.path.basename(path),
                "line": frame.lineno,
                "function": frame.name,
                "code": (frame.line or "").split("#")[0].strip()[:200],
                "shapes": dict(list(shapes.items())[:60]),
            }
        )
    return where


def _learner_line(path: str) -> int:
    """The line of the learner's file on the current stack (the innermost), or 0."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == path:
            return frame.f_lineno
        frame = frame.f_back
    return 0


class _Refused(ImportError):
    pass


ONLY_ALLOWED = "is not allowed in a derivation: only the standard library and NumPy (--allow-import NAME)"
PACKAGES = ("site-packages", "dist-packages")  # folders of installed packages
LISTINGS = ("open", "os.listdir", "os.scandir")  # events naming a file or folder read


def _inside(name: str, folders: Iterable[str]) -> bool:
    return any(name == folder or name.startswith(folder + os.sep) for folder in folders)


# a program started from a derivation would run without the audit hook (it could read the reference)
PROGRAMS = {"os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "pty.spawn"}


MEMORY = re.compile(r"/proc/[^/]+(/task/[^/]+)?/mem")


def _resolutions(name: str) -> list[str]:
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


def _by_the_import_system() -> bool:
    """Whether the import system (a finder listing a folder of sys.path) is on the current stack."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


# where a confined file (basic, which shares the host's file system) may open what exists, besides the standard
# library, NumPy and its own folder: its scratch folders (its own tmpfs), devices, the kernel's tables, /etc
OPEN_ANYWHERE = (*SCRATCH, "/dev", "/sys", "/etc", "/usr/share/zoneinfo")
_PROCESS = re.compile(r"/proc/(\d+)(/|$)")


def _own_process(name: str) -> bool:
    """Whether `name` under /proc is the kernel's (/proc/cpuinfo) or an entry of a process of the file's own uid (its
    own processes; under basic the judge is another uid): another process's command line names the judge's reports."""
    process = _PROCESS.match(name)
    try:
        return process is None or os.stat(f"/proc/{process.group(1)}").st_uid == os.getuid()
    except OSError:
        return True  # gone: nothing to read


def _guard(
    path: str,
    blocked: set[str],
    allowed: set[str],
    roots: list[tuple[str, str]],
    own: str,
    found: dict[str, Found],
    native: bool = False,
    only_allowed: bool = False,
    confine: bool = False,
) -> None:
    """An audit hook (it cannot be removed from Python code) refusing the reference to the learner's file.

    Importing a blocked top-level package, or opening a file under one of the reference's
    folders, raises; the first such attempt is recorded in `found` (reported by the judge
    as "imports the reference (line N)"). With `only_allowed`, importing anything but
    `allowed` (the standard library and NumPy) raises too, however the import is made
    (`importlib.import_module`, `__import__`, a name built at run time). With `confine` (basic,
    which shares the host's file system), opening an existing file anywhere but the standard
    library, NumPy, the file's own folder and OPEN_ANYWHERE is refused and recorded (another
    checkout of the reference in a world-readable folder); another uid's entries in /proc (the
    judge's command line, which names its reports) are refused without a word.
    """

    packages = [os.path.realpath(os.path.dirname(np.__file__))]
    packages.append(packages[0] + ".libs")  # numpy.libs: its bundled libraries
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    python = os.path.dirname(os.path.realpath(sys.executable))
    own_folders = [os.path.dirname(path), own]  # its file's folder, and its server's (the files it writes back)
    confined = [stdlib, python, *packages, *own_folders, *OPEN_ANYWHERE] if confine and not native else []

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "import" and len(args) > 1 and args[1] is not None and not native:
            # a compiled extension being loaded (its file named): only the standard library's and NumPy's; one the
            # file wrote out would read the reference with libc, which no audit event sees
            library = os.path.realpath(os.fsdecode(args[1]))
            parts = library.split(os.sep)
            if not (_inside(library, packages) or (_inside(library, [stdlib]) and not set(parts) & set(PACKAGES))):
                found.setdefault("extension", {"name": library[-200:], "line": _learner_line(path)})
                raise _Refused(f"loading the compiled extension {library[-120:]} is not allowed in a derivation")
        if event == "import":
            top = str(args[0]).split(".")[0]
            if top in blocked and top not in allowed:
                found.setdefault("import", {"name": str(args[0]), "line": _learner_line(path)})
                raise _Refused(f"importing {top} is not allowed in a derivation")
            if only_allowed and top not in allowed:
                raise _Refused(f"importing {top[:80]} {ONLY_ALLOWED}")
        elif event.startswith("ctypes.") and not native:  # native calls run without the hook: libc's open()
            found.setdefault("native", {"name": event, "line": _learner_line(path)})
            raise PermissionError("calling native code (ctypes) is not allowed in a derivation")
        elif event in PROGRAMS:
            found.setdefault("program", {"name": str(args[0])[:200], "line": _learner_line(path)})
            raise PermissionError("starting a program is not allowed in a derivation")
        elif only_allowed and event in LISTINGS and args and isinstance(args[0], (str, bytes)):
            # importlib.import_module raises no "import" event: what it must read (a package's files, or the
            # folder that lists it) is refused instead, outside NumPy's own folders; the learner's own code
            # reading there (a second install of the reference, found by a glob) is said
            for name in [os.path.realpath(os.fsdecode(args[0]))]:  # as the import system names them: whole
                parts = name.split(os.sep)
                if any(part in PACKAGES for part in parts) and not _inside(name, packages):
                    if confined and not _by_the_import_system():  # (under bwrap the folder is empty)
                        what = f"installed packages ({name[-120:]})"
                        found.setdefault("open", {"name": name, "what": what, "line": _learner_line(path)})
                    if parts[-1] in PACKAGES:  # the folder itself: the import system then finds nothing there
                        raise PermissionError(f"listing {name[-120:]} {ONLY_ALLOWED}")
                    raise _Refused(f"importing from {name[-120:]} {ONLY_ALLOWED}")
        if event == "open" and isinstance(args[0], (str, bytes)) and roots:
            for name in _resolutions(os.fsdecode(args[0])):
                if MEMORY.fullmatch(name):  # writing a process's memory would remove this hook
                    found.setdefault("native", {"name": name, "line": _learner_line(path)})
                    raise PermissionError("opening a process's memory is not allowed in a derivation")
                for root, what in roots if not name.startswith(own + os.sep) else ():
                    # a folder above a root is refused too: a relative name opened from it (dir_fd) reaches the root
                    if name == root or name.startswith(root + os.sep) or root.startswith(name.rstrip(os.sep) + os.sep):
                        found.setdefault("open", {"name": name, "what": what, "line": _learner_line(path)})
                        raise PermissionError(f"reading {what} is not allowed in a derivation")

        if event == "open" and confined and isinstance(args[0], (str, bytes)):
            for name in _resolutions(os.fsdecode(args[0])):
                if name.startswith("/proc/") and not _own_process(name):  # the judge's command line: not said
                    raise PermissionError(f"reading {name[-120:]} is not allowed in a derivation")
                if os.path.lexists(name) and not name.startswith("/proc/") and not _inside(name, confined):
                    what = f"{name[-70:]}, outside its own folders"
                    found.setdefault("open", {"name": name, "what": what, "line": _learner_line(path)})
                    raise PermissionError(f"reading {name[-120:]} is not allowed in a derivation")

    sys.addaudithook(hook)


def _arrays(prefix: str, mapping: object, out: Out, problems: list[str]) -> None:
    """Write a dict of arrays to `out` under `prefix` (now: what is later done to them changes nothing written);
    anything that is not numeric is a problem."""
    if not isinstance(mapping, dict):
        problems.append(f"{prefix.rstrip('/')} must be a dict of arrays, got {type(mapping).__name__}")
        return
    for key, value in list(mapping.items())[:1000]:
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 40:
            problems.append(f"{prefix}{str(key)[:40]!r}: keys must be names such as 'dW1'")
            continue
        try:
            arr = np.asarray(value)
        except Exception as exc:
            problems.append(f"{prefix}{key}: cannot be read as an array ({type(exc).__name__})")
            continue
        if arr.dtype.kind not in NUMERIC:
            problems.append(f"{prefix}{key}: dtype {arr.dtype} is not numeric")
            continue
        out[prefix + key] = arr


def _read_only(array: Array) -> Array:
    """A copy that cannot be written, nor made writable: a view of an immutable bytes object."""
    return np.frombuffer(array.tobytes(), array.dtype).reshape(array.shape)


def _run_case(
    i: int,
    inputs: protocol.Arrays,
    forward: Callable[..., object] | None,
    backward: Callable[..., object],
    path: str,
    out: Out,
    strict: bool = False,
) -> CaseRecord:
    p = protocol
    give: Callable[[Array], Array] = _read_only if strict else np.copy
    X, Y = give(inputs[p.key(i, "X")]), give(inputs[p.key(i, "Y")])
    params = {k: give(v) for k, v in p.take(inputs, i, "params").items()}
    cache = {k: give(v) for k, v in p.take(inputs, i, "cache").items()}
    watched = {"X": X, "Y": Y, **{f"params[{k!r}]": v for k, v in params.items()}}
    if forward is None:  # the cache the judge supplied is an input too
        watched.update({f"cache[{k!r}]": v for k, v in cache.items()})
    case: CaseRecord = {"problems": [], "mutated": []}
    try:
        if forward is not None:
            fwd = forward(X, params)
            if not (isinstance(fwd, tuple) and len(fwd) == 2):
                case["problems"].append(f"forward must return (A, cache), got {type(fwd).__name__}")
                return case
            A, cache = fwd
            # written now: what backward later does to these objects cannot change what forward returned
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
    case["mutated"] = [name for name, value in watched.items() if _changed(value, originals[name])]
    return case


def _spellings(job: Job, name: str) -> list[str]:
    """The names the judge's plan accepts for a contract function (the learners' usual ones after its own)."""
    plan = job.get("plan")
    return plan["names"].get(name, [name]) if plan else [name]


def _function(module: types.ModuleType, names: list[str]) -> tuple[str, Callable[..., object] | None]:
    """(name, function): the first of `names` the module defines as something callable; ("", None) if none."""
    for name in names:
        value = getattr(module, name, None)
        if callable(value):
            return name, value
    return "", None


def _copy(value: object) -> object:
    """A deep copy of arrays, dicts, lists and tuples (what a call's arguments are made of)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _argument(spec: ArgSpec, inputs: protocol.Arrays, returned: dict[str, object]) -> object:
    """One argument of a planned call, built fresh: an input array, a dict of them, a literal, or an earlier
    call's returned value (or a part of it)."""
    if "in" in spec:
        return inputs[spec["in"]].copy()
    if "dict" in spec:
        case, part = spec["dict"]
        return {k: v.copy() for k, v in protocol.take(inputs, case, part).items()}
    if "ret" in spec:
        value: Any = returned.get(spec["ret"])  # whatever the learner's function returned
        for step in spec.get("path", []):
            value = value[step]
        return _copy(value)
    return spec.get("value")


def _flatten(
    path: str, value: object, out: dict[str, Array], types: dict[str, str], problems: list[str], depth: int = 0
) -> None:
    """A returned value as arrays keyed by their path ("", "0", "1.W"), with the type of every node."""
    types[path] = type(value).__name__
    if len(types) > 200 or value is None:
        return
    if isinstance(value, dict) and depth < 3:
        for key, item in list(value.items())[:100]:
            if not (isinstance(key, int) or isinstance(key, str) and key.isidentifier() and len(key) <= 40):
                problems.append(f"{path or 'the result'}: key {str(key)[:40]!r} is not a name")
                continue
            _flatten(f"{path}.{key}" if path else str(key), item, out, types, problems, depth + 1)
        return
    if isinstance(value, (list, tuple)) and depth < 3:
        try:
            array: Array | None = np.array(value)
        except Exception:
            array = None
        if array is None or array.dtype.kind not in NUMERIC or array.size > 10**6:
            for i, item in enumerate(value[:100]):
                _flatten(f"{path}.{i}" if path else str(i), item, out, types, problems, depth + 1)
            return
        out[path] = array
        return
    try:
        array = np.array(value)
    except Exception as exc:
        problems.append(f"{path or 'the result'}: cannot be read as an array ({type(exc).__name__})")
        return
    if array.dtype.kind in NUMERIC:
        out[path] = array


def _watch(name: str, value: object, watched: Watched) -> None:
    """The arrays of an argument (itself, or a dict's members), kept with a copy to see what the call changes:
    an array changed in place, or a dict's entry replaced."""
    if isinstance(value, np.ndarray):
        watched.append((name, lambda: value, value.copy()))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, np.ndarray):
                watched.append((f"{name}[{key!r}]", functools.partial(value.get, key), item.copy()))


def _changed(now: object, before: Array) -> bool:
    """Whether an argument is no longer the array it was (nan equal to nan): one comparison where nothing changed,
    array_equal's slower nan-aware one only where that finds a difference."""
    if not isinstance(now, np.ndarray) or now.shape != before.shape:
        return True
    return not (bool((now == before).all()) or np.array_equal(now, before, equal_nan=True))


def _call(
    call: PlannedCall,
    module: types.ModuleType,
    job: Job,
    inputs: protocol.Arrays,
    returned: dict[str, object],
    path: str,
    out: Out,
) -> CallRecord:
    """One planned call of a learner's function, on fresh copies of its arguments."""
    record: CallRecord = {"id": call["id"], "problems": [], "mutated": [], "types": {}, "returns_argument": ""}
    name, function = _function(module, _spellings(job, call["fn"]))
    if function is None:
        record["missing"] = True
        return record
    args: list[object] = []
    watched: Watched = []
    for arg_name, spec in call["args"]:
        value = _argument(spec, inputs, returned)
        args.append(value)
        _watch(arg_name, value, watched)
    try:
        value = function(*args)
        returned[call["id"]] = value
        arrays: dict[str, Array] = {}
        _flatten("", value, arrays, record["types"], record["problems"])
        out.update({protocol.key(call["id"], "ret", k): v for k, v in arrays.items()})
        for (arg_name, _), arg in zip(call["args"], args):
            first = value[0] if isinstance(value, tuple) and value else value
            if arg is not None and not isinstance(arg, (int, float, str)) and (value is arg or first is arg):
                record["returns_argument"] = arg_name
    except SystemExit as exc:
        record["exit"] = repr(exc.code)[:100]
    except BaseException as exc:
        record["error"] = _where(exc, path)
    record["mutated"] = [name for name, now, before in watched if _changed(now(), before)]
    return record


def _plan(
    job: Job, module: types.ModuleType, inputs: protocol.Arrays, path: str, out: Out
) -> tuple[dict[str, str], list[CallRecord]]:
    """Every call of the judge's plan, in order; which contract functions the file defines, by which name."""
    plan = job["plan"]
    found = {fn: _function(module, names)[0] for fn, names in plan["names"].items()}
    returned: dict[str, object] = {}
    calls: list[CallRecord] = []
    for call in plan["calls"]:
        calls.append(_call(call, module, job, inputs, returned, path, out))
        if calls[-1].get("exit"):
            break
    return found, calls


def _learner(job: Job, inputs: protocol.Arrays, signal_fd: int, arrays_fd: int, result_fd: int) -> None:
    """In the forked child: run the learner's file on every case, write the arrays and result.json (through
    descriptors opened before it ran: the job's folder is read-only to the learner)."""
    path = os.path.abspath(job["file"])
    found: dict[str, Found] = {}
    result: Result = {
        "nonce": job["nonce"],
        "import_error": None,
        "exit": None,
        "has_forward": False,
        "has_backward": False,
        "cases": [],
        "reference": found,  # filled by the audit hook as the learner's code runs
    }
    out = protocol.Writer(arrays_fd)  # each array written as it comes: none is held, nor copied, here
    native = job.get("native") is True  # a package a teacher allows: its own imports and native libraries
    rules = (set(job["blocked"]), set(job["allowed"]), job["roots"], job["own"], found, native, not native, CONFINE)
    _guard(path, *rules)
    try:
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib_util.spec_from_file_location("derivation", path)
        if spec is None or spec.loader is None:  # never: the judge names every file it sends *.py
            raise ImportError(f"no loader for {os.path.basename(path)}")
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
        backward = _function(module, _spellings(job, "backward"))[1]
        forward = _function(module, _spellings(job, "forward"))[1]
        result["has_backward"] = callable(backward)
        result["has_forward"] = callable(forward)
        for i in range(job["cases"] if backward is not None else 0):
            assert backward is not None  # (mypy does not carry the range's test into the loop)
            case = _run_case(i, inputs, forward, backward, path, out, job.get("strict") is True)
            result["cases"].append(case)
            if case.get("exit"):
                result["exit"] = {"where": f"case {i}", "code": case["exit"]}
                break
        if job.get("plan") and result["exit"] is None:
            result["found"], result["calls"] = _plan(job, module, inputs, path, out)
            stopped = [c for c in result["calls"] if c.get("exit")]
            if stopped:
                result["exit"] = {"where": f"call {stopped[0]['id']}", "code": stopped[0]["exit"]}
    out.close()
    with open(f"/proc/self/fd/{result_fd}", "w", encoding="utf-8") as fh:
        fh.write(json.dumps(result))  # (dumps: the C encoder; dump writes through the pure-Python one, ~10x slower)


def _moved(entry: str, moved: dict[str, str]) -> str:
    """`entry` under the folder descriptor that replaced its import-path folder, if any."""
    for old, new in moved.items():
        if entry == old or entry.startswith(old + os.sep):
            return new + entry[len(old) :]
    return entry


def _child(job: Job, inputs: protocol.Arrays, signal_r: int, signal_w: int, drop_to: int | None) -> NoReturn:
    """The forked child's set-up, then the learner: never returns."""
    code = 0
    try:
        os.setsid()
        os.close(signal_r)
        jobdir = job["dir"]
        null = os.open(os.devnull, os.O_RDONLY)
        made = [os.open(os.path.join(jobdir, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) for name in OUTPUTS]
        if drop_to is not None:
            for fd in made:  # its own to write again (by /proc/self/fd) once it runs as the learner
                os.fchown(fd, drop_to, drop_to)
        for fd, target in ((null, 0), (made[0], 1), (made[1], 2), (signal_w, 3), (made[2], 4), (made[3], 5)):
            os.dup2(fd, target)
        # only the three standard streams, the import signal and the two result files stay open
        os.closerange(6, 65536)
        limits = job["limits"]
        if ISOLATE:
            _isolate(job, 2 * limits["file_mb"], drop_to)
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
            if not ISOLATE:  # its own folder is its to write (with fresh namespaces: a tmpfs made its own)
                for folder, _, names in os.walk(os.path.dirname(job["file"])):
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
        sys.path_importer_cache.clear()  # no folder listing of the server's: an import lists its folder again
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        os.chdir(os.path.dirname(os.path.abspath(job["file"])))
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        _learner(job, inputs, 3, 4, 5)
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


def _mount(source: str | None, target: str, fstype: str | None = None, flags: int = 0, data: str | None = None) -> None:
    src, dst, kind, options = (None if x is None else os.fsencode(x) for x in (source, target, fstype, data))
    if _libc.mount(src, dst, kind, flags, options) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {src!s} on {dst!s}: {os.strerror(errno)}")


def _namespaces(net: bool = True) -> bool:
    """This process in new mount, IPC, network and UTS namespaces: in a new user namespace too unless it is root
    (in bwrap the server is uid 65534 without capabilities; the new user namespace gives it the capabilities
    to mount, over its own mount namespace only)."""
    uid, gid = os.getuid(), os.getgid()
    user = os.geteuid() != 0
    flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (CLONE_NEWNET if net else 0) | (CLONE_NEWUSER if user else 0)
    if _libc.unshare(flags):
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    if user:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the server's namespace
    return user


def _isolate(job: Job, size_mb: int, drop_to: int | None) -> None:
    """One file's own view (in the forked child, before any of its code runs): new namespaces, one tmpfs of
    `size_mb` for all it may write (/tmp, /var/tmp, /dev/shm and its folder, with a copy of its file), the work
    folder read-only, its capabilities dropped and no user namespace of its own. Everything it writes or starts
    there dies with it: the next file of the server starts from the same empty state."""
    path = os.path.abspath(job["file"])
    with open(path, "rb") as fh:
        source = fh.read()
    user = _namespaces(NEW_NETWORK)
    own = job["own"]
    _mount(own, own, None, MS_BIND | MS_REC)
    _mount(None, own, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    scratch = os.path.join(job["dir"], "scratch")
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size_mb)}m,nr_inodes={INODES},mode=0755")
    root = os.open(scratch, os.O_PATH | os.O_DIRECTORY)
    os.mkdir(os.path.join(scratch, "tmp"), 0o1777)
    os.chmod(os.path.join(scratch, "tmp"), 0o1777)
    # its folder: where its file is, inside the shared folders when the work folder is one of them (basic)
    folder = os.path.dirname(path)
    under = next((f for f in SCRATCH if folder.startswith(f + os.sep)), None)
    mine = os.path.join(scratch, "tmp", os.path.relpath(folder, under)) if under else os.path.join(scratch, "mine")
    os.makedirs(mine, 0o755)
    with open(os.path.join(mine, os.path.basename(path)), "wb") as fh:
        fh.write(source)
    if drop_to is not None:
        os.chown(mine, drop_to, drop_to)
    fresh = f"/proc/self/fd/{root}"
    if not under:
        _mount(f"{fresh}/mine", folder, None, MS_BIND)
    for shared in SCRATCH:
        if os.path.isdir(shared) and not os.path.islink(shared):
            _mount(f"{fresh}/tmp", shared, None, MS_BIND | MS_NOSUID | MS_NODEV)
    _libc.umount2(os.fsencode(fresh), MNT_DETACH)  # the tmpfs's own root: reached by nothing from now on
    os.close(root)
    if user:
        with open("/proc/sys/user/max_user_namespaces", "w") as fh:  # no namespace of its own: no tmpfs past its size
            fh.write("0")
        _drop_capabilities()


def _drop_capabilities() -> None:
    """Empty effective, permitted and inheritable sets (what the new user namespace gave)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    if _libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()) != 0:  # _LINUX_CAPABILITY_VERSION_3
        errno = ctypes.get_errno()
        raise OSError(errno, f"capset: {os.strerror(errno)}")


def _can_isolate() -> str:
    """ "" when a forked child can take its own namespaces here, else why not (one fork at the server's start)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            _namespaces()
            os.write(w, b"")
            code = 0
        except BaseException as exc:
            os.write(w, str(exc).encode()[:200])
            code = 1
        os._exit(code)
    os.close(w)
    why = os.read(r, 300).decode()
    os.close(r)
    _, status = os.waitpid(pid, 0)
    return "" if status == 0 else why or f"the probe ended with status {status}"


def _descendants(me: int) -> dict[int, int]:
    """Every process whose chain of parents leads to `me` (all of them are its children or below), as
    {pid: its number of threads} (each thread counts against the process limit)."""
    parent: dict[int, int] = {}
    count: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
                fields = stat[stat.rindex(b")") + 2 :].split()
                parent[int(entry)], count[int(entry)] = int(fields[1]), int(fields[17])
            except (OSError, ValueError, IndexError):
                continue
    below: set[int] = set()
    frontier = {me}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier and pid not in below}
        below |= frontier
    return {pid: count[pid] for pid in below}


PAGE = os.sysconf("SC_PAGE_SIZE")


def _usage(me: int) -> tuple[int, int]:
    """(processes and threads, bytes of private resident memory) of everything below `me`; the memory is summed
    only when there are several processes (one is bounded by its own RLIMIT_AS already)."""
    below = _descendants(me)
    memory = 0
    if len(below) > 1:
        for pid in below:
            try:
                with open(f"/proc/{pid}/statm", "rb") as fh:
                    fields = fh.read().split()
                memory += (int(fields[1]) - int(fields[2])) * PAGE  # resident, less what maps a file or shmem
            except (OSError, ValueError, IndexError):
                continue
    return sum(below.values()), memory


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_all() -> int:
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


def _wipe(folders: list[str], keep: str) -> None:
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


def _wait(fds: list[int], seconds: float, watch: Watch) -> list[int] | str:
    """select() on `fds` for `seconds`; with `watch` ({"processes": N, "memory": bytes}, 0 for what is not watched),
    also count the learner's processes and threads, and sum their memory, every WATCH_EVERY seconds: "processes"
    or "memory" when there are more (where RLIMIT_NPROC does not bind, the uid outside being root; where no cgroup
    holds a file's processes together, each being bounded by RLIMIT_AS alone)."""
    if not any(watch.values()):
        return select.select(fds, [], [], seconds)[0]
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        ready = select.select(fds, [], [], max(0.0, min(left, WATCH_EVERY)))[0]
        if ready or left <= 0:
            return ready
        over = _over(watch)
        if over:
            return over


def _over(watch: Watch) -> str:
    """ "processes" or "memory" when what runs below this server is over `watch`, else ""."""
    tasks, memory = _usage(os.getpid())
    if watch["processes"] and tasks > watch["processes"]:
        return "processes"
    if watch["memory"] and memory > watch["memory"]:
        return "memory"
    return ""


def _run(job: Job, inputs: protocol.Arrays, drop_to: int | None) -> Reply:
    signal_r, signal_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job, inputs, signal_r, signal_w, drop_to)
    os.close(signal_w)
    pidfd = os.pidfd_open(pid)
    answer: Reply = {"killed": None, "status": None, "signal": None, "cpu": 0.0, "left_behind": 0, "seconds": 0.0}
    limits = job["limits"]
    watch: Watch = {
        "processes": limits["processes"] if WATCH_PROCESSES else 0,
        "memory": limits["memory_mb"] * 2**20 if WATCH_MEMORY else 0,
    }
    try:
        ready = _wait([signal_r, pidfd], job["import_timeout"], watch)
        if ready in ("processes", "memory"):
            answer["killed"] = ready
        elif not ready:
            answer["killed"] = "import"
        else:
            if signal_r in ready:
                os.read(signal_r, 1)
            left = job["timeout"] if signal_r in ready else job["import_timeout"] - (time.monotonic() - start)
            ready = _wait([pidfd], max(left, 0.0), watch)
            if ready in ("processes", "memory"):
                answer["killed"] = ready
            elif not ready:
                answer["killed"] = "run"
        if any(watch.values()) and not answer["killed"]:
            answer["killed"] = _over(watch) or None  # more were left running than the limits allow
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


def main(protocol_source: str, config: dict[str, Any]) -> None:
    global protocol, NUMERIC, np, importlib_util
    sys.path.extend(config["path"])  # after the standard library: a standard module is never looked for there
    import importlib.util as importlib_util

    import numpy as np

    protocol = _load_protocol(protocol_source)
    NUMERIC = protocol.NUMERIC
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem by a learner of the same uid
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a learner come back here, to be killed
    global WATCH_PROCESSES, WATCH_MEMORY, WATCH_EVERY, CONFINE, WIPE, ISOLATE, NEW_NETWORK
    CONFINE = config.get("confine") is True
    WATCH_PROCESSES = config.get("watch_processes") is True
    WATCH_MEMORY = config.get("watch_memory") is True
    WATCH_EVERY = float(config.get("watch_every", WATCH_EVERY))
    NEW_NETWORK = config.get("new_network", True) is not False
    # a fresh set of namespaces per file where the platform allows it; else the shared folders are emptied
    why = _can_isolate() if config.get("isolate") is True else "not asked for"
    ISOLATE = not why
    WIPE = [] if ISOLATE else config.get("wipe", [])
    drop_to = config["uid"] if config.get("uid") is not None and os.getuid() == 0 else None
    inputs = None  # read with the first job (the judge writes them while this server starts), before any fork
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    replies.write(json.dumps({"ready": os.getpid(), "uid": os.getuid(), "isolation": why}) + "\n")
    for line in sys.stdin:
        job = json.loads(line)
        if inputs is None:
            inputs = protocol.Arrays(protocol.unpack(config["inputs"]))
        replies.write(json.dumps(_run(job, inputs, drop_to)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
