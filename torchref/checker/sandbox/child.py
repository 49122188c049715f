"""Running one learner's file in the batch's sandbox, and reading what comes back as untrusted.

Everything the learner's process leaves is read with a cap (from the expected shapes for
the arrays, a tail for the printed output), without following links, only from regular
files, and checked against a schema; anything else makes the file "could not be judged"
with the reason, never a crash of the judge.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from torchref.checker.escape import clean
from torchref.checker.report import UnusableInput
from torchref.checker.sandbox import protocol
from torchref.checker.sandbox.sandbox import Batch, Limits, SandboxError, Server

if TYPE_CHECKING:
    from torchref.checker.sandbox.protocol import CallRecord, CaseRecord, Error, Plan, Result

STDOUT_TAIL = 4096  # bytes of the learner's printed output kept in the report
STDERR_TAIL = 2000
FORWARD_VALUE = re.compile(r"^[ZA]\d*$")  # Z1, A2, Z, A: values of the forward pass, never taken from backward


def run_file(
    batch: Batch,
    server: Server,
    name: str,
    source: bytes,
    n_cases: int,
    limits: Limits,
    expected_bytes: Callable[[], int],
    rules: Mapping[str, object],
    plan: Plan | None = None,
) -> tuple[Result, protocol.Arrays, dict[str, Any]]:
    """Run the learner's `source` on the batch's cases; (result, outputs, facts) or raise UnusableInput.

    `expected_bytes`: the bytes of arrays the file should return, asked for while it runs (the batch's reference
    may be computed then). `rules`: blocked and allowed imports, and the folders the learner may not read.
    `facts`: what the judge learnt besides the arrays (stdout, CPU seconds, processes left behind).
    """
    folder = batch.folder(server)
    try:
        copy = folder / "learner" / name
        copy.write_bytes(source)
        nonce = secrets.token_hex(8)
        job: dict[str, object] = {
            "dir": server.inside(folder),
            "file": server.inside(copy),
            "cases": n_cases,
            "nonce": nonce,
            "import_timeout": limits.import_timeout,
            "timeout": limits.timeout,
            "limits": {
                "memory_mb": limits.memory_mb,
                "cpu_seconds": int(limits.cpu_seconds),
                "file_mb": limits.file_mb,
                "processes": limits.processes,
            },
            "own": server.inside(server.workdir),
            **rules,
        }
        if plan:  # the contract's other functions: calls the runner makes as planned (pieces.plan)
            job["plan"] = plan
        expected: list[int] = []
        try:
            reply = _valid_reply(server.run(job, limits, lambda: expected.append(expected_bytes())))
        except SandboxError as exc:
            raise UnusableInput(str(exc)) from None
        facts = {
            "stdout": "\n".join(
                clean(line, 300) for line in _tail(folder / "stdout.txt", STDOUT_TAIL).splitlines()[-40:]
            ),
            "cpu": reply["cpu"],
            "left_behind": reply["left_behind"],
            "run_seconds": reply.get("seconds"),
        }
        stderr = _tail(folder / "stderr.txt", STDERR_TAIL)
        _limit_reached(reply, limits, folder, stderr)
        cap = int(limits.output_mb * 2**20) if limits.output_mb else 4 * expected[0] + 2**20
        try:
            calls = len(plan["calls"]) if plan else 0
            size = 64 * 1024 + 64 * 1024 * n_cases + 16 * 1024 * calls
            result = _valid_result(json.loads(_read(folder / "result.json", size)), nonce)
            outputs = protocol.unpack_bytes(_read(folder / "outputs.arrays", cap, what="output"))
        except _TooBig as exc:
            raise UnusableInput(
                f"returned {exc.size} bytes of arrays, over the output limit of {cap / 2**20:.1f} MiB "
                "(--output-mb; by default 4x the expected arrays)"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _died(reply, stderr, limits, exc)
        return result, _own(outputs), facts
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _TooBig(ValueError):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def _read(path: Path, cap: int, what: str = "") -> bytearray:
    """The whole of a regular file no larger than `cap` (read into one buffer of its size, which the arrays read from
    it then share: `protocol.unpack_bytes`); a link, a FIFO or a folder is refused."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if info.st_size > cap:
            if what:
                raise _TooBig(info.st_size)
            raise ValueError(f"{path.name} is larger than {cap} bytes")
        buffer = bytearray(info.st_size)  # its size, not the cap: no buffer of the cap's size each time
        view, read = memoryview(buffer), 0
        while read < len(buffer):
            got = os.readv(fd, [view[read:]])
            if got == 0:  # (it shrank since: what is there is read)
                break
            read += got
        view.release()
        del buffer[read:]
        return buffer
    finally:
        os.close(fd)


def _tail(path: Path, size: int) -> str:
    """The last `size` bytes of a regular file, as text; "" when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ""
        os.lseek(fd, max(0, info.st_size - size), os.SEEK_SET)
        data = os.read(fd, size)
        return data.decode("utf-8", "replace")
    finally:
        os.close(fd)


def _valid_reply(reply: dict[str, Any]) -> dict[str, Any]:
    ok = (
        reply.get("killed") in (None, "import", "run", "processes", "memory")
        and all(isinstance(reply.get(k), (int, type(None))) for k in ("status", "signal"))
        and isinstance(reply.get("cpu"), (int, float))
        and isinstance(reply.get("left_behind"), int)
    )
    if not ok:
        raise UnusableInput("the sandbox answered something that is not a reply")
    return reply


def _limit_reached(reply: dict[str, Any], limits: Limits, folder: Path, stderr: str) -> None:
    if reply.get("oom") is True:
        raise UnusableInput(
            f"over the memory limit of {limits.memory_mb} MiB (--memory-mb; its processes and the files it wrote "
            "in its tmpfs together, by its cgroup)"
        )
    if reply["killed"] == "import":
        raise UnusableInput(
            f"killed after the import time limit of {limits.import_timeout:g} s "
            "(--import-timeout; an endless loop at the top level of the file?)"
        )
    if reply["killed"] == "run":
        raise UnusableInput(f"killed after the time limit of {limits.timeout:g} s (--timeout; an endless loop?)")
    if reply["killed"] == "processes":
        raise UnusableInput(f"over the process limit of {limits.processes} (--max-processes; threads count)")
    if reply["killed"] == "memory":
        raise UnusableInput(
            f"over the memory limit of {limits.memory_mb} MiB (--memory-mb; its processes together, counted by "
            "the sandbox)"
        )
    sig = reply["signal"]
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and reply["cpu"] >= limits.cpu_seconds):
        raise UnusableInput(f"over the CPU time limit of {limits.cpu_seconds:g} s (--cpu-seconds)")
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        raise UnusableInput(f"over the file size limit of {limits.file_mb:g} MiB (--file-mb): it wrote too much")
    if "Resource temporarily unavailable" in stderr and "fork" in stderr:
        raise UnusableInput(f"over the process limit of {limits.processes} (--max-processes)")


def _died(reply: dict[str, Any], stderr: str, limits: Limits, exc: Exception) -> NoReturn:
    if reply["signal"]:
        try:
            name = signal.Signals(reply["signal"]).name
        except ValueError:
            name = f"signal {reply['signal']}"
        hint = " (over the memory limit?)" if "MemoryError" in stderr or name in ("SIGKILL", "SIGSEGV") else ""
        raise UnusableInput(f"the learner's process died with {name}{hint}") from None
    if "MemoryError" in stderr:
        raise UnusableInput(f"MemoryError: over the memory limit of {limits.memory_mb} MiB (--memory-mb)") from None
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    raise UnusableInput(
        f"the learner's process ended (exit status {reply['status']}) before returning its arrays"
        f"{': ' + clean(last, 300) if last else ''}"
    ) from exc


def _own(outputs: dict[str, protocol.Array]) -> protocol.Arrays:
    """The arrays in native byte order; forward values (Z, A) only from what forward returned, never from backward."""
    own = {}
    for key, value in outputs.items():
        part, _, name = key.partition("/")[2].partition("/")
        if part == "grads" and FORWARD_VALUE.match(name):
            continue
        if not value.dtype.isnative:
            value = value.astype(value.dtype.newbyteorder("="))
        own[key] = value
    return protocol.Arrays(own)


# ---------------------------------------------------------------- result.json's schema


def _str(value: object, limit: int = 500) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value[:limit]


def _error(value: object) -> Error:
    if not isinstance(value, dict):
        raise ValueError("an error must be an object")
    out: Error = {"type": _str(value.get("type"), 100), "message": _str(value.get("message", ""))}
    if "line" in value:
        if not isinstance(value["line"], int) or isinstance(value["line"], bool):
            raise ValueError("an error's line must be an integer")
        out.update(
            {
                "line": value["line"],
                "file": _str(value.get("file", ""), 200),
                "function": _str(value.get("function", "?"), 100),
                "code": _str(value.get("code", ""), 200),
            }
        )
    shapes = value.get("shapes", {})
    if not isinstance(shapes, dict) or len(shapes) > 30:
        raise ValueError("an error's shapes must be an object of at most 30 entries")
    out["shapes"] = {
        _str(k, 40): [int(d) for d in v[:8]]
        for k, v in shapes.items()
        if isinstance(v, list) and all(isinstance(d, int) for d in v)
    }
    if isinstance(value.get("errno"), int):
        out["errno"] = value["errno"]
    return out


def _valid_result(result: object, nonce: str) -> Result:
    """result.json as the runner writes it, or ValueError: every field typed, every string bounded."""
    if not isinstance(result, dict) or result.get("nonce") != nonce:
        raise ValueError("a result.json that the runner did not write")
    out: Result = {
        "import_error": None if result.get("import_error") is None else _error(result["import_error"]),
        "exit": None,
        "has_forward": result.get("has_forward") is True,
        "has_backward": result.get("has_backward") is True,
        "cases": [],
        "reference": {},
    }
    if result.get("exit") is not None:
        ex = result["exit"]
        if not isinstance(ex, dict):
            raise ValueError("exit must be an object")
        # sys.exit(obj): the repr of the learner's object, which may hold newlines, escapes and forged lines
        out["exit"] = {"where": clean(_str(ex.get("where"), 40)), "code": clean(_str(ex.get("code"), 100))}
    cases = result.get("cases")
    if not isinstance(cases, list):
        raise ValueError("cases must be a list")
    for case in cases:
        if not isinstance(case, dict):
            raise ValueError("a case must be an object")
        problems, mutated = case.get("problems", []), case.get("mutated", [])
        if not isinstance(problems, list) or not isinstance(mutated, list):
            raise ValueError("a case's problems and mutated must be lists")
        c: CaseRecord = {"problems": [_str(p) for p in problems[:20]], "mutated": [_str(m, 60) for m in mutated[:40]]}
        if case.get("error") is not None:
            c["error"] = _error(case["error"])
        if case.get("exit") is not None:
            c["exit"] = clean(_str(case["exit"], 100))
        out["cases"].append(c)
    out["found"], out["calls"] = _valid_calls(result)
    reference = result.get("reference", {})
    if not isinstance(reference, dict):
        raise ValueError("reference must be an object")
    for kind in ("import", "open", "program", "native", "extension"):
        found = reference.get(kind)
        if isinstance(found, dict) and isinstance(found.get("line"), int):
            out["reference"][kind] = {
                "name": _str(found.get("name", ""), 200),
                "what": _str(found.get("what", ""), 100),
                "line": found["line"],
            }
    return out


def _valid_calls(result: dict[str, Any]) -> tuple[dict[str, str], list[CallRecord]]:
    """The planned calls' records (pieces.plan): which function names were found, and each call's outcome."""
    names = result.get("found", {})
    if not isinstance(names, dict) or len(names) > 20:
        raise ValueError("found must be an object of at most 20 names")
    found = {_str(k, 40): _str(v, 40) for k, v in names.items()}
    calls = result.get("calls", [])
    if not isinstance(calls, list) or len(calls) > 10_000:
        raise ValueError("calls must be a list")
    out: list[CallRecord] = []
    for call in calls:
        if not isinstance(call, dict):
            raise ValueError("a call must be an object")
        problems, mutated, types = call.get("problems", []), call.get("mutated", []), call.get("types", {})
        if not isinstance(problems, list) or not isinstance(mutated, list) or not isinstance(types, dict):
            raise ValueError("a call's problems, mutated and types must be lists and an object")
        c: CallRecord = {
            "id": _str(call.get("id"), 40),
            "missing": call.get("missing") is True,
            "problems": [_str(p) for p in problems[:20]],
            "mutated": [_str(m, 60) for m in mutated[:40]],
            "types": {_str(k, 100): _str(v, 40) for k, v in list(types.items())[:200]},
            "returns_argument": _str(call.get("returns_argument", ""), 40),
        }
        if call.get("error") is not None:
            c["error"] = _error(call["error"])
        if call.get("exit") is not None:
            c["exit"] = clean(_str(call["exit"], 100))
        out.append(c)
    return found, out
