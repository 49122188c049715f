"""docs/examples/torchref-ci.yml: the workflow a course copies runs commands that exist, as written."""

import shlex
from pathlib import Path

import pytest
import yaml
from classroom import TANH, derivation
from wheel_env import environ, run

import torchref
from torchref import cli

WORKFLOW = Path(__file__).resolve().parents[1] / "docs" / "examples" / "torchref-ci.yml"


def _steps():
    doc = yaml.safe_load(WORKFLOW.read_text())
    (job,) = doc["jobs"].values()
    return doc, job["steps"]


def _commands(step):
    """The shell lines of a step, with the workflow's variables replaced by their values."""
    doc, _ = _steps()
    text = step.get("run", "")
    for name, value in doc["env"].items():
        text = text.replace(f'"${name}"', value).replace(f"${name}", value)
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def test_the_workflow_installs_torch_pinned_first_and_uploads_the_reports():
    doc, steps = _steps()
    lines = [words for step in steps for words in _commands(step)]
    installs = [words for words in lines if words[:4] == ["python", "-m", "pip", "install"]]
    pin = next(
        line
        for line in (Path(WORKFLOW).parents[2] / "scripts" / "constraints.txt").read_text().splitlines()
        if line.startswith("torch==")
    )
    assert installs[0][4] == pin and installs[1][4] == f"handmade-torchref[notebook]=={torchref.__version__}"
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    written = {words[words.index("--json") + 1] for words in lines if "--json" in words}
    written |= {words[words.index("--csv") + 1] for words in lines if "--csv" in words}
    assert written == set(upload["with"]["path"].split()) and upload["if"] == "always()"


def test_every_torchref_command_of_the_workflow_exists_in_the_cli():
    lines = [words for step in _steps()[1] for words in _commands(step) if words[0] == "torchref"]
    assert len(lines) == 3
    parser = cli.parser()
    for words in lines:
        if words[1:] == ["--version"]:
            assert "--version" in parser._option_string_actions
            continue
        try:
            args = parser.parse_args(words[1:])
        except SystemExit:
            pytest.fail(f"the workflow runs {shlex.join(words)}, which torchref refuses")
        assert args.command in cli.COMMANDS


def test_the_check_step_runs_as_written_on_a_course_repository(tmp_path):
    """The workflow's check line, run in a repository shaped as it expects: a wrong file fails it, reports stay."""
    (step,) = [s for s in _steps()[1] if "torchref check" in s.get("run", "")]
    (words,) = _commands(step)
    for learner, text in (("ann", derivation()), ("bob", derivation(TANH))):
        (tmp_path / "homework" / learner).mkdir(parents=True)
        (tmp_path / "homework" / learner / "hw3.py").write_text(text)
    import sys

    torchref = Path(sys.executable).parent / "torchref"
    done = run([torchref, *words[1:], "--cases", "2"], cwd=tmp_path, env=environ(), check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (tmp_path / "torchref.json").stat().st_size and "bob" in (tmp_path / "grades.csv").read_text()
