"""An autograder bundle for Gradescope: `torchref autograder gradescope --model MODEL --out DIR [options]`.

Gradescope builds one container image from the bundle's `setup.sh`, then for every submission
copies the learner's files to /autograder/submission, runs /autograder/run_autograder from
/autograder and reads /autograder/results/results.json (its autograder specification). The
bundle written here, every file at the root of `autograder.zip` as Gradescope wants it:

- the wheel of the running torchref (copied when this install came from a wheel, built when it
  came from a source tree, an sdist or a git commit, else downloaded at this version) and `constraints.txt`, the exact
  versions of this environment; `setup.sh` installs the wheel from the bundle, torch's CPU
  build first, everything pinned, into /autograder/venv, with the Python minor version the
  pins were resolved under (from the image's own archive);
- `run_autograder`: `torchref check` over the submission with the model and the checker's
  options fixed when the bundle was written, a fresh random seed per submission, then
  `python -m torchref.grading.autograder finish`, which gives every test the bundle's visibility and
  leaves a results.json whatever happened (no file, a crash of the check, the deadline).

Written for Gradescope's base image "Ubuntu 22.04" (its default; the newest Ubuntu it documents),
whose archive has Python 3.10 and 3.11: a bundle written from another Python is refused, since
its pins may not install under the image's (write it from a 3.10 or 3.11 environment). The
environment variables TORCHREF_AUTOGRADER_ROOT (default /autograder), TORCHREF_AUTOGRADER_PYTHON
(default the bundle's venv) and TORCHREF_TORCH_INDEX (default PyTorch's CPU index; empty: the
default index) let the same scripts run against a copy of that tree elsewhere.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

import torchref

BASE_IMAGE = "Ubuntu 22.04"  # Gradescope's base image the bundle is written for (its default)
BASE_PYTHONS = ("3.10", "3.11")  # the Pythons of that image's archive: python3.10 (its python3), python3.11 (universe)
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's visibility values
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyPI's default torch for Linux carries CUDA: several GB

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# Written for Gradescope's base image {image}, whose archive has Python {pythons}. The pins
# in constraints.txt were resolved under Python {python}, so the venv is made with python{python},
# from the image's own archive.
set -euo pipefail
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
root="${{TORCHREF_AUTOGRADER_ROOT:-/autograder}}"
apt-get update
apt-get install -y --no-install-recommends python{python} python{python}-venv bubblewrap
python{python} -m venv "$root/venv"
pip=("$root/venv/bin/python" -m pip install --disable-pip-version-check --constraint "$here/constraints.txt")
"${{pip[@]}}" --upgrade pip
# torch first, its CPU build, at the pin: nothing after it may choose another
index="${{TORCHREF_TORCH_INDEX-{index}}}"
"${{pip[@]}}" ${{index:+--index-url "$index"}} {torch}
"${{pip[@]}}" "$here/{wheel}[notebook]"
"$root/venv/bin/torchref" --version
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this once per submission, from $root: the learner's files are in
# $root/submission, the results go to $root/results/results.json.
set -uo pipefail
root="${{TORCHREF_AUTOGRADER_ROOT:-/autograder}}"
python="${{TORCHREF_AUTOGRADER_PYTHON:-$root/venv/bin/python}}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
cd "$root"
# exit status 1 (wrong) and 2 (could not be judged) are grades, not failures of the autograder
# a results.json FILE: the submission is read as one, its files at any depth (a zip's folders too)
timeout --kill-after=10 {deadline} "$python" -m torchref check "$root/submission" {check} \\
    --quiet --gradescope "$results"
status=$?
"$python" -m torchref.grading.autograder finish "$results" --status "$status" \\
    --visibility {visibility} --deadline {deadline}
if [ ! -s "$results" ]; then  # not even Python could run: still a result, never a failed autograder
    message="The autograder could not run the check (exit status $status): please tell your teacher."
    printf '{{"score": 0, "output": "%s", "visibility": "{visibility}", "tests": []}}\\n' "$message" > "$results"
fi
exit 0
"""


class BundleError(Exception):
    """What stops a bundle from being written, in one line for the command line."""


def _distribution():
    """The installed distribution that holds the `torchref` package (its PyPI name is pyproject.toml's)."""
    names = metadata.packages_distributions().get("torchref", [])
    if not names:
        raise BundleError("torchref is not installed as a distribution (pip install it, or pass --wheel)")
    # the installed one, which says where it came from, before an *.egg-info a build left in the working folder
    found = list(metadata.distributions(name=names[0]))
    return next((dist for dist in found if dist.read_text("direct_url.json")), found[0])


def wheel_name(version: str = torchref.__version__) -> str:
    name = _distribution().metadata["Name"].replace("-", "_").lower()
    return f"{name}-{version}-py3-none-any.whl"


def _given_wheel(given) -> Path:
    given, want = Path(given), wheel_name()
    if given.name != want:
        raise BundleError(f"--wheel must be {want}, the wheel of the running torchref, got {given.name}")
    if not given.is_file():
        raise BundleError(f"--wheel must be an existing file, got {given}")
    return given


def running_wheel(dest: Path, given: str | Path | None = None) -> Path:
    """The wheel of the running version in `dest`: `given`, the wheel this install came from, a build
    of the source tree, sdist or git commit it came from, or the published one at this version."""
    want = wheel_name()
    if given is not None:
        given = _given_wheel(given)
        (dest / want).write_bytes(given.read_bytes())
        return dest / want
    dist = _distribution()
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    url = urlparse(origin.get("url", ""))
    path = Path(unquote(url.path)) if url.scheme == "file" else None
    with tempfile.TemporaryDirectory() as tmp:
        if path is not None and path.name == want and path.is_file():  # installed from this wheel
            (dest / want).write_bytes(path.read_bytes())
            return dest / want
        vcs = origin.get("vcs_info", {})
        source = str(path) if path is not None and ("dir_info" in origin or path.is_file()) else None
        if vcs.get("commit_id"):  # pip install 'handmade-torchref @ git+URL': the commit installed
            source = f"{vcs.get('vcs', 'git')}+{origin['url']}@{vcs['commit_id']}"
        if source is not None:  # a source tree (editable or not), an sdist or a repository's commit: build it
            argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp, source]
            what = f"build the wheel of {source}"
        else:
            argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
            argv += ["--dest", tmp, f"{dist.metadata['Name']}=={torchref.__version__}"]
            what = f"download {dist.metadata['Name']} {torchref.__version__}"
        done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        built = Path(tmp) / want
        if done.returncode != 0 or not built.is_file():
            last = (done.stderr.strip().splitlines() or ["no wheel came out"])[-1]
            raise BundleError(f"cannot {what} ({last}); pass the wheel with --wheel")
        (dest / want).write_bytes(built.read_bytes())
    return dest / want


def pins() -> str:
    """constraints.txt: every distribution of this environment at its version (local labels such as
    +cpu dropped), the project itself left out: its wheel is in the bundle."""
    own = _distribution().metadata["Name"].lower()
    seen = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name and name != own and name not in seen:
            seen[name] = f"{dist.metadata['Name']}=={dist.version.split('+')[0]}"
    header = f"# the versions the bundle was written from (Python {python_version()}); setup.sh installs under them\n"
    return header + "".join(f"{line}\n" for _, line in sorted(seen.items()))


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def bundle(
    out, model: str, check: list[str] | None = None, visibility: str = "visible", wheel=None, deadline: int = 540
) -> list[Path]:
    """Write the bundle into `out`: the wheel, constraints.txt, setup.sh, run_autograder and autograder.zip.

    `check`: options of `torchref check` for every submission (`--timeout 30`, `--allow-import scipy`,
    `--hidden 4,3`, `--hide-values`, ...), fixed in run_autograder; `deadline`: seconds the whole
    check of one submission may take before results.json says so (under Gradescope's own limit).
    """
    if visibility not in VISIBILITIES:
        raise BundleError(f"--visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    python = python_version()
    if python not in BASE_PYTHONS:  # setup.sh could not install it: the image's build would fail
        raise BundleError(
            f"the bundle installs the Python it is written from, here Python {python}, but Gradescope's base image "
            f"{BASE_IMAGE} has only Python {' and '.join(BASE_PYTHONS)}: write it from a Python "
            f"{' or '.join(BASE_PYTHONS)} environment (python3.11 -m venv DIR, then install torchref there)"
        )
    if wheel is not None:
        _given_wheel(wheel)  # refused before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    whl = running_wheel(out, wheel)
    (out / "constraints.txt").write_text(pins())
    torch = f"torch=={metadata.version('torch').split('+')[0]}"
    pythons = " and ".join(BASE_PYTHONS)
    setup = SETUP.format(
        image=BASE_IMAGE, pythons=pythons, python=python, index=TORCH_CPU_INDEX, torch=torch, wheel=whl.name
    )
    (out / "setup.sh").write_text(setup)
    command = shlex.join(["--model", model, *(check or [])])
    run = RUN.format(check=command, visibility=visibility, deadline=int(deadline))
    (out / "run_autograder").write_text(run)
    files = [out / "setup.sh", out / "run_autograder", whl, out / "constraints.txt"]
    for path in files[:2]:
        path.chmod(0o755)
    with zipfile.ZipFile(out / "autograder.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.name)
            info.external_attr = (0o100755 if path in files[:2] else 0o100644) << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return [*files, out / "autograder.zip"]


def finish(results: Path, status: int, visibility: str, deadline: int) -> dict:
    """After the check: results.json with the bundle's visibility on it and on every test, or, when the
    check left none (it crashed, or ran past the deadline), one that says so with a score of 0."""
    from torchref.grading.writers import write_json

    try:
        document = json.loads(results.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not an object")
    except (OSError, ValueError):
        if status == 124:  # timeout(1)'s status
            reason = f"the check of your submission did not finish within {deadline} s"
        else:
            reason = f"the check of your submission stopped with exit status {status}"
        document = {"score": 0.0, "output": f"The autograder could not grade it: {reason}. Please tell your teacher."}
        document["tests"] = []
    document["visibility"] = visibility
    for test in document.get("tests", []):
        test["visibility"] = visibility
    document.setdefault("stdout_visibility", "hidden")
    write_json(results, document)
    return document


def check_argv(args) -> list[str]:
    """The options of `torchref check` a bundle fixes for every submission, from `torchref autograder`'s arguments
    (every platform's bundle: Gradescope's here, PrairieLearn's, Coursera's and CodeRunner's in `bundles`)."""
    check = []
    for flag, value in (("--cases", args.cases), ("--timeout", args.timeout), ("--memory-mb", args.memory_mb)):
        if value is not None:
            check += [flag, str(value)]
    if args.hidden is not None:
        check += ["--hidden", ",".join(map(str, args.hidden))]
    for name in args.allow_import:
        check += ["--allow-import", name]
    if args.hide_values:
        check.append("--hide-values")
    return check


def cli(args) -> int:
    try:
        paths = bundle(args.out, args.model, check_argv(args), args.visibility, args.wheel, args.deadline)
    except BundleError as exc:
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"torchref: cannot write --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    print(
        f"upload {paths[-1]} in Gradescope's autograder settings, with the base image {BASE_IMAGE} "
        f"(the bundle installs Python {python_version()}, torch and torchref {torchref.__version__} "
        "from the wheel inside)"
    )
    return 0


def main(argv=None) -> int:
    """run_autograder's last step: `python -m torchref.grading.autograder finish RESULTS --status N ...`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m torchref.grading.autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("finish")
    f.add_argument("results", type=Path)
    f.add_argument("--status", type=int, required=True)
    f.add_argument("--visibility", choices=VISIBILITIES, required=True)
    f.add_argument("--deadline", type=int, required=True)
    args = parser.parse_args(argv)
    finish(args.results, args.status, args.visibility, args.deadline)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
