"""The built wheel and fresh virtual environments: what a user gets from `pip install`, no source tree on the path.

Every environment installs the pinned torch first (scripts/constraints.txt: the CPU build; pip left to choose
would pull a multi-GB CUDA build), then the rest with PIP_CONSTRAINT set, so that pip's choices are the set-up's.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "scripts" / "constraints.txt"


def torch_pin() -> str:
    """The `torch==X` line of the constraints."""
    return next(line.strip() for line in CONSTRAINTS.read_text().splitlines() if line.startswith("torch=="))


def environ(**extra: str) -> dict[str, str]:
    """This process's environment less what would put the source tree or this venv on a path, constraints set."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP") and not key.startswith("COV_CORE_")
    }
    return {**env, "PIP_CONSTRAINT": str(CONSTRAINTS), **extra}


def run(argv, *, cwd=None, env=None, check=True, timeout=900, input=None) -> subprocess.CompletedProcess:
    """Run a command; on an unexpected status, fail with what it printed."""
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env or environ(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def clone(dest: Path) -> Path:
    """The files of the working tree that git tracks or would (not ignored), copied as a fresh clone has them.

    A build in the working tree itself would also read what an earlier build or the editable install left
    there (setuptools reads an existing *.egg-info/SOURCES.txt), and so pass where a fresh clone fails."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree but still in the index is gone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def build(outdir: Path) -> Path:
    """`python -m build` in a clean copy: the sdist, then the wheel built from it (so the sdist must hold
    everything the wheel needs); returns the wheel, the sdist lies beside it."""
    run([sys.executable, "-m", "build", "--outdir", outdir, clone(outdir / "source")])
    (wheel,) = outdir.glob("*.whl")
    return wheel


def shared_wheel(tmp_path_factory) -> Path:
    """The wheel built once per test session, shared by pytest-xdist's workers (a lock, a folder they all see)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    outdir = shared / "built-wheel"
    with open(shared / "built-wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wheels = list(outdir.glob("*.whl"))
        return wheels[0] if wheels else build(outdir)


def fresh_venv(path: Path, *requirements: str) -> Path:
    """A new virtual environment at `path` with the pinned torch, then `requirements`; its bin folder."""
    run([sys.executable, "-m", "venv", path])
    pip = [path / "bin" / "python", "-m", "pip", "install", "--quiet"]
    run([*pip, torch_pin()])
    if requirements:
        run([*pip, *requirements])
    return path / "bin"
