"""Grader bundles for PrairieLearn and Coursera (a Dockerfile and the script the platform runs per submission), and
the template of a CodeRunner question.

    torchref autograder prairielearn --model shallow --out pl-grader/
    torchref autograder coursera --model shallow --out coursera-grader/     (or --part ID=MODEL, repeated)
    torchref autograder coderunner --model shallow --out coderunner/        (the question's template)

Both images are built by the teacher (`docker build`), never by the tool; both install, as
the Gradescope bundle does, the wheel of the running torchref shipped in the bundle with
`constraints.txt` (this environment's exact versions; torch's CPU build first) into a virtual
environment at /opt/torchref/venv, on Debian with the Python minor version the pins were
resolved under (Docker's official `python:X.Y-slim-bookworm`, which exists for every Python
torchref supports, unlike Gradescope's base image); and the script each runs always leaves
the platform's document, also when the check itself fails:

- PrairieLearn ("External grading"): the platform mounts the learner's files at /grade/student
  and reads /grade/results/results.json; the question's info.json names the image and the
  entry point (written here as `info.json`, with `question.html` as a starting point).
  `run_grader` grades /grade/student as one submission with `--prairielearn`.
- Coursera (custom graders): the learner's file is at /shared/submission/, the part in the
  environment (`partId`), no network; the grader writes /shared/feedback.json. `grader` picks
  the model for the part and grades /shared/submission with `--coursera`.

- Moodle CodeRunner (combinator template grader): no image; the question's template writes
  the answer to a file and prints what `torchref check FILE --coderunner -` prints. The
  sandbox that runs it (Jobe) must have torchref installed (the teacher's notes say how).

TORCHREF_GRADER_ROOT (default /grade or /shared) and TORCHREF_GRADER_PYTHON (default the
image's venv; for CodeRunner the template's own python) let the same scripts run against a
copy of those folders elsewhere (the tests do).
"""

from __future__ import annotations

import json
import shlex
import uuid
from importlib import metadata
from pathlib import Path

from torchref.grading.autograder import TORCH_CPU_INDEX, pins, python_version, running_wheel

VENV = "/opt/torchref/venv"
PRAIRIELEARN_TIMEOUT = 600  # seconds: PrairieLearn's largest grading timeout

DOCKERFILE = """# The grader's image for {platform}: build it with `docker build -t IMAGE .` in this folder.
FROM {base}
# bubblewrap: the sandbox learners' files run in (where a container forbids its namespaces, the check
# falls back to its basic sandbox and says so in every report)
# hadolint ignore=DL3008
RUN apt-get update \\
    && apt-get install -y --no-install-recommends bubblewrap \\
    && rm -rf /var/lib/apt/lists/*
COPY {script} {wheel} constraints.txt /opt/torchref/
# torch's CPU build first (PyPI's default one carries CUDA, several GB), then the wheel; everything at its pin
RUN python -m venv {venv} \\
    && {venv}/bin/pip install --no-cache-dir --constraint /opt/torchref/constraints.txt \\
        --index-url {index} {torch} \\
    && {venv}/bin/pip install --no-cache-dir --constraint /opt/torchref/constraints.txt \\
        "/opt/torchref/{wheel}[notebook]" \\
    && chmod 0755 /opt/torchref/{script}
{tail}"""

RUN_PRAIRIELEARN = """#!/usr/bin/env bash
# PrairieLearn runs this once per submission: the learner's files are in $root/student.
set -uo pipefail
root="${{TORCHREF_GRADER_ROOT:-/grade}}"
python="${{TORCHREF_GRADER_PYTHON:-{venv}/bin/python}}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
# exit status 1 (wrong) and 2 (could not be judged) are grades written into results.json, not failures
"$python" -m torchref check "$root/student" {check} --quiet --prairielearn "$results"
status=$?
if [ ! -s "$results" ]; then
    printf '{{"gradable": false, "format_errors": ["%s"]}}\\n' \\
        "The grader could not run the check (exit status $status): please tell your teacher." > "$results"
fi
exit 0
"""

RUN_COURSERA = """#!/usr/bin/env bash
# Coursera runs this once per submission: the learner's file is in $root/submission, the part in $partId.
set -uo pipefail
root="${{TORCHREF_GRADER_ROOT:-/shared}}"
python="${{TORCHREF_GRADER_PYTHON:-{venv}/bin/python}}"
feedback="$root/feedback.json"
rm -f "$feedback"
part="${{partId:-}}"
case "$part" in
{parts}
esac
if [ -z "$model" ]; then
    shown="$(printf '%s' "$part" | tr -cd 'A-Za-z0-9_-' | cut -c1-40)"
    printf '{{"fractionalScore": 0, "feedback": "%s", "feedbackType": "TXT"}}\\n' \\
        "This grader has no model for the part '$shown': please tell your teacher." > "$feedback"
    exit 0
fi
# exit status 1 (wrong) and 2 (could not be judged) are grades written into feedback.json, not failures
"$python" -m torchref check "$root/submission" --model "$model" {check} --quiet --coursera "$feedback"
status=$?
if [ ! -s "$feedback" ]; then
    printf '{{"fractionalScore": 0, "feedback": "%s", "feedbackType": "TXT"}}\\n' \\
        "The grader could not run the check (exit status $status): please tell your teacher." > "$feedback"
fi
exit 0
"""

# Coursera runs graders as a user without privileges: so does the image
CODA_COURSERA = """RUN useradd --create-home --uid 1000 grader
USER 1000:1000
ENTRYPOINT ["/opt/torchref/grader"]
"""

QUESTION_HTML = """<pl-question-panel>
  <p>Upload your derivation for the model <code>{model}</code>: a file <code>derivation.py</code> that
  defines <code>forward</code> and <code>backward</code> as the notes write them
  (<code>torchref template {model}</code> writes a skeleton to fill in).</p>
</pl-question-panel>

<pl-file-upload file-names="derivation.py"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


CODERUNNER_TEMPLATE = """# CodeRunner combinator template grader: torchref checks the answer (model {model}).
# The question: type python3, "Is combinator" and "Template grader" on; the sandbox (Jobe) has torchref
# installed for the python3 that runs this, and limits that fit torch (MemLimit, TimeLimit of the question).
import json
import os
import subprocess
import sys
import tempfile

PYTHON = os.environ.get("TORCHREF_GRADER_PYTHON", sys.executable)
answer = \"\"\"{{{{ STUDENT_ANSWER | e('py') }}}}\"\"\"
folder = tempfile.mkdtemp(dir=os.getcwd())  # the sandbox's own working folder
path = os.path.join(folder, "answer.py")
with open(path, "w", encoding="utf-8") as fh:
    fh.write(answer)
argv = [PYTHON, "-m", "torchref", "check", path] + {argv} + ["--quiet", "--coderunner", "-"]
done = subprocess.run(argv, capture_output=True, text=True)  # stderr kept: CodeRunner reads it as a crash
try:
    result = json.loads(done.stdout)
except ValueError:
    said = "<p>The checker could not run (exit status %d): please tell your teacher.</p>" % done.returncode
    result = {{"fraction": 0.0, "prologuehtml": said}}
print(json.dumps(result))
"""


def _dockerfile(out: Path, platform: str, script: str, wheel, tail: str) -> list[Path]:
    """The Dockerfile, the wheel of the running torchref and constraints.txt in `out`."""
    whl = running_wheel(out, wheel)
    constraints = _write(out / "constraints.txt", pins())
    torch = f"torch=={metadata.version('torch').split('+')[0]}"
    text = DOCKERFILE.format(
        platform=platform,
        base=f"python:{python_version()}-slim-bookworm",
        script=script,
        wheel=whl.name,
        venv=VENV,
        index=TORCH_CPU_INDEX,
        torch=shlex.quote(torch),
        tail=tail,
    )
    return [_write(out / "Dockerfile", text), whl, constraints]


def _write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def prairielearn(out, model: str, check=(), image: str = "torchref-grader", wheel=None, timeout=None) -> list[Path]:
    """Dockerfile (with the wheel and constraints.txt), run_grader, info.json and question.html for an externally
    graded PrairieLearn question; `check`: the options of `torchref check` fixed for every submission."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    argv = shlex.join(["--model", model, *check])
    run = _write(out / "run_grader", RUN_PRAIRIELEARN.format(venv=VENV, check=argv), 0o755)
    # no USER: PrairieLearn runs its graders as root, and a judge that is root runs the learner's code as
    # another user (uid 65534) even where the container forbids bubblewrap
    docker = _dockerfile(out, "PrairieLearn", "run_grader", wheel, "")
    # the check's own limits, torch's import and the reference: within PrairieLearn's largest timeout
    seconds = min(PRAIRIELEARN_TIMEOUT, int(timeout or 60) * 2 + 120)
    info = {
        "uuid": str(uuid.uuid4()),
        "title": f"Backpropagation: {model}",
        "topic": "Backpropagation",
        "tags": ["torchref"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": "/opt/torchref/run_grader",
            "timeout": seconds,
        },
    }
    info_path = _write(out / "info.json", json.dumps(info, indent=2) + "\n")
    question = _write(out / "question.html", QUESTION_HTML.format(model=model))
    return [docker[0], run, info_path, question, *docker[1:]]


def coursera(out, parts: dict, check=(), wheel=None) -> list[Path]:
    """Dockerfile (with the wheel and constraints.txt) and grader for a Coursera programming assignment; `parts`
    maps a part id to its model ("*": the model of any other part)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cases = [f"    {shlex.quote(part) if part != '*' else '*'}) model={shlex.quote(m)} ;;" for part, m in parts.items()]
    if "*" not in parts:
        cases.append("    *) model= ;;")
    else:  # the shell takes the first pattern that matches: the catch-all goes last
        cases.append(cases.pop(list(parts).index("*")))
    script = RUN_COURSERA.format(venv=VENV, parts="\n".join(cases), check=shlex.join(list(check)))
    grader = _write(out / "grader", script, 0o755)
    docker = _dockerfile(out, "Coursera", "grader", wheel, CODA_COURSERA)
    return [docker[0], grader, *docker[1:]]


def coderunner(out, model: str, check=()) -> list[Path]:
    """template.py: the combinator template grader of a CodeRunner question that torchref checks."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    argv = ["--model", model, *check]
    return [_write(out / "template.py", CODERUNNER_TEMPLATE.format(model=model, argv=json.dumps(argv)))]
