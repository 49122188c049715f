"""A warm interpreter that forks one judge per request: torch and torchref are imported once, every judge is a
process of its own.

    python judge_server.py        # then one JSON request per line on stdin, one JSON reply per line on stdout

A request names what to run ("cli": `torchref check ...`'s arguments, as `python -m torchref` runs them;
"api": a request of drive_api.py, `torchref.check` and every view of its report), the working folder, the
whole environment, the address-space cap and where the judge's standard output and error go. The server
forks; the child takes a session of its own, the request's folder, environment and cap, opens its standard
streams as a fresh interpreter does under a UTF-8 locale (stdout strict: text that is not UTF-8 raises;
stderr backslashreplace), runs the command and exits with its status, an uncaught exception printed as the
interpreter prints it (a traceback, status 1). The reply is its exit status (-N: killed by signal N), the
server having killed its whole session when it ran past its time.

The server itself imports, but never runs, torch (a fork of a process whose thread pools have run may hang).
What depends on how the interpreter was started (its command line in /proc, its environment block, the
working folder first on its import path) is not the same here: the catalogue runs those entries as
`python -m torchref` (`test_hostile_round3.cold`).
"""

import io
import json
import os
import resource
import select
import signal
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _warm() -> None:
    """What a judge imports, imported once here (nothing of it runs)."""
    import nbformat  # noqa: F401
    import tqdm  # noqa: F401

    import torchref.checker
    import torchref.cli
    import torchref.grading.classreport
    import torchref.grading.gradebook
    import torchref.grading.outputs  # noqa: F401

    sys.path.insert(0, HERE)
    import drive_api  # noqa: F401


def _streams() -> None:
    """stdin, stdout and stderr as a fresh interpreter opens them under LC_ALL=C.UTF-8 (not a terminal)."""

    def stream(fd: int, mode: str, errors: str, line_buffering: bool = False):
        return io.TextIOWrapper(
            io.open(fd, mode + "b", closefd=False),  # noqa: UP020
            encoding="utf-8",
            errors=errors,
            line_buffering=line_buffering,
        )

    sys.stdin = stream(0, "r", "strict")
    sys.stdout = stream(1, "w", "strict")
    sys.stderr = stream(2, "w", "backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def _judge(request: dict) -> None:
    """The forked child: the request's process, then its exit status. Never returns."""
    status = 1
    try:
        os.setsid()
        streams = [
            os.open(os.devnull, os.O_RDONLY),
            os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        ]
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
        os.closerange(3, 4096)  # the server's pipes and files: a new process holds none of them
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (request["memory"], hard))
        _streams()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        status = _run(request)
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            status = code or 0
        else:
            print(code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # as the interpreter at exit: said, status 120
        status = 120
    os._exit(status if isinstance(status, int) else 1)


def _run(request: dict) -> int:
    if request["kind"] == "cli":
        from torchref.cli import main

        sys.argv = [os.path.join(os.path.dirname(sys.modules["torchref"].__file__), "__main__.py"), *request["argv"]]
        return main(request["argv"])
    import drive_api

    sys.argv = [drive_api.__file__, json.dumps(request["request"])]
    drive_api.main(request["request"])
    return 0


def _wait(pid: int, seconds: float) -> int:
    """The child's exit status (-N for signal N), its whole session killed once `seconds` have passed."""
    pidfd = os.pidfd_open(pid)
    try:
        if not select.select([pidfd], [], [], seconds)[0]:
            os.killpg(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def main() -> None:
    _warm()
    replies = sys.stdout
    print(json.dumps({"ready": os.getpid()}), file=replies, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _judge(request)
        print(json.dumps({"status": _wait(pid, request["seconds"])}), file=replies, flush=True)


if __name__ == "__main__":
    main()
