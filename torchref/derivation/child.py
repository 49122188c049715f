"""Running a learner's file: a child process with its own clocks and limits, arrays in, arrays out."""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import subprocess
import sys
from pathlib import Path

from torchref.derivation import protocol
from torchref.derivation.report import UnusableInput

RUNNER = Path(__file__).with_name("runner.py")


def run_child(
    path: Path, inputs: dict, n_cases: int, timeout: float, import_timeout: float, memory_mb: int, workdir: Path
):
    """Run the learner's file on every case in a child process; return (result, outputs) or raise UnusableInput.

    Two clocks: importing the file may take `import_timeout` seconds (a file that imports
    torch pays ~3 s before its first line runs); running every case after that, `timeout`.
    The child says it has imported by writing one byte to a pipe; a file that closes or
    writes to that pipe itself only starts its shorter clock early.
    """
    nonce = secrets.token_hex(8)
    protocol.pack(workdir / "inputs.arrays", inputs)
    imported_r, imported_w = os.pipe()
    (workdir / "job.json").write_text(
        json.dumps({"file": str(path), "cases": n_cases, "nonce": nonce, "imported_fd": imported_w})
    )

    def limits():  # in the child, before exec
        import resource

        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    env = {
        "PATH": os.environ.get("PATH", ""),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "HOME": str(workdir),
    }
    with (
        open(workdir / "stdout.txt", "wb") as out,
        open(workdir / "stderr.txt", "wb") as err,
        os.fdopen(imported_r, "rb", buffering=0) as imported,
    ):
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(RUNNER), str(workdir)],
                cwd=path.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=limits,
                start_new_session=True,
                pass_fds=(imported_w,),
            )
        finally:
            os.close(imported_w)  # the child holds the only writing end now
        try:
            if not select.select([imported], [], [], import_timeout)[0]:
                raise _Killed(
                    f"killed after the import time limit of {import_timeout:g} s "
                    "(an endless loop at the top level of the file?)"
                )
            imported.read(1)  # a byte: imported; b"": the child closed it or ended
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise _Killed(f"killed after the time limit of {timeout:g} s (an endless loop?)") from None
        except _Killed as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise UnusableInput(str(exc)) from None
        finally:
            if proc.poll() is None:  # pragma: no cover - only when a wait itself was interrupted
                os.killpg(proc.pid, signal.SIGKILL)
    stderr = (workdir / "stderr.txt").read_bytes()[-2000:].decode("utf-8", "replace")
    try:
        result = json.loads((workdir / "result.json").read_text())
        if result.get("nonce") != nonce:
            raise ValueError("a result.json that the runner did not write")
        outputs = protocol.unpack(workdir / "outputs.arrays")
    except (OSError, ValueError, KeyError) as exc:
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (over the memory limit?)" if "MemoryError" in stderr or name in ("SIGKILL", "SIGSEGV") else ""
            raise UnusableInput(f"the learner's process died with {name}{hint}") from None
        if "MemoryError" in stderr:
            raise UnusableInput(f"MemoryError: over the memory limit of {memory_mb} MiB") from None
        raise UnusableInput(
            f"the learner's process ended (exit status {code}) before returning its arrays"
            f"{': ' + stderr.strip().splitlines()[-1] if stderr.strip() else ''}"
        ) from exc
    return result, outputs


class _Killed(Exception):
    """The learner's process ran out of one of its two clocks."""
