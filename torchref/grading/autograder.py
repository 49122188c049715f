"""An autograder bundle for Gradescope: `torchref autograder gradescope --model shallow --out DIR`.

Gradescope builds one container image from `setup.sh`, then for every submission copies
the learner's files to /autograder/submission, runs /autograder/run_autograder and reads
/autograder/results/results.json (its autograder specification). The bundle written here:

- `setup.sh`: a virtual environment in /autograder/venv with this version of torchref
  (and the CPU build of torch) installed;
- `run_autograder`: `torchref check /autograder/submission --gradescope .../results.json`
  (a results.json FILE: the folder is read as one submission, its files at any depth),
  with the model and cases fixed when the bundle was written and a fresh random seed per
  submission; it always leaves a results.json, also when the check itself fails;
- `autograder.zip`: both at the root of the archive, as Gradescope wants it uploaded.

TORCHREF_AUTOGRADER_ROOT (default /autograder) and TORCHREF_AUTOGRADER_PYTHON (default the
bundle's venv) let the same script run against a copy of that tree elsewhere.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import zipfile
from importlib import metadata
from pathlib import Path

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image (Ubuntu, as root).
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
# torch's CPU build (the default one on PyPI carries CUDA, several GB)
/autograder/venv/bin/pip install --extra-index-url https://download.pytorch.org/whl/cpu \\
    {torch} {requirement}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this once per submission: the learner's files are in $root/submission.
set -uo pipefail
root="${{TORCHREF_AUTOGRADER_ROOT:-/autograder}}"
python="${{TORCHREF_AUTOGRADER_PYTHON:-$root/venv/bin/python}}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
cd "$root"
# exit status 1 (wrong) and 2 (could not be judged) are grades, not failures of the autograder
"$python" -m torchref check "$root/submission" --model {model} --cases {cases} --quiet \\
    --gradescope "$results"{hide}
status=$?
if [ ! -s "$results" ]; then
    message="The autograder could not run the check (exit status $status): please tell your teacher."
    printf '{{"score": 0, "output": "%s", "visibility": "visible", "tests": []}}\\n' "$message" > "$results"
fi
exit 0
"""


def bundle(out, model: str, cases: int = 20, hide_values: bool = False, requirement: str | None = None) -> list[Path]:
    """Write setup.sh, run_autograder and autograder.zip into `out`; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    version = metadata.version("torchref")
    extras = "[notebook]"
    files = []
    if requirement is None:
        requirement = f"torchref{extras}=={version}"
    elif Path(requirement).is_file():  # a wheel or sdist: shipped inside the bundle
        shutil.copy(requirement, out / Path(requirement).name)
        files.append(out / Path(requirement).name)
        requirement = f"/autograder/source/{Path(requirement).name}{extras}"
    torch = f"torch=={metadata.version('torch').split('+')[0]}"
    (out / "setup.sh").write_text(SETUP.format(torch=shlex.quote(torch), requirement=shlex.quote(requirement)))
    hide = " --hide-values" if hide_values else ""
    (out / "run_autograder").write_text(RUN.format(model=shlex.quote(model), cases=int(cases), hide=hide))
    for name in ("setup.sh", "run_autograder"):
        (out / name).chmod(0o755)
    files = [out / "setup.sh", out / "run_autograder", *files]
    with zipfile.ZipFile(out / "autograder.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.name)
            info.external_attr = (0o100755 if path.suffix != ".whl" else 0o100644) << 16
            archive.writestr(info, path.read_bytes())
    return [*files, out / "autograder.zip"]


def cli(args) -> int:
    try:
        paths = bundle(args.out, args.model, args.cases, args.hide_values, args.requirement)
    except OSError as exc:
        print(f"torchref: cannot write --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    print("upload autograder.zip in Gradescope's autograder settings (base image: Ubuntu)")
    return 0
