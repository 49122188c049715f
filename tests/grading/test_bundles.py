"""The PrairieLearn and Coursera grader bundles: Dockerfiles that hadolint passes, PrairieLearn's info.json against
its documented fields, and each entry point run against a folder shaped like the platform's."""

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest
from classroom import TANH, derivation
from platform_formats import valid_coderunner, valid_coursera, valid_prairielearn

from torchref import cli
from torchref.grading import bundles
from torchref.grading.autograder import wheel_name

# PrairieLearn's info.json of a question ("Question info" and "External grading"): uuid, type, title and topic
# required; an external grader names its image and entry point; its timeout is whole seconds, at most 600
INFO = {
    "type": "object",
    "required": ["uuid", "type", "title", "topic"],
    "properties": {
        "uuid": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"},
        "type": {"const": "v3"},
        "title": {"type": "string"},
        "topic": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "singleVariant": {"type": "boolean"},
        "gradingMethod": {"enum": ["Internal", "External", "Manual"]},
        "externalGradingOptions": {
            "type": "object",
            "required": ["image", "entrypoint"],
            "properties": {
                "enabled": {"type": "boolean"},
                "image": {"type": "string", "minLength": 1},
                "entrypoint": {"type": "string", "pattern": "^/"},
                "serverFilesCourse": {"type": "array", "items": {"type": "string"}},
                "timeout": {"type": "integer", "minimum": 1, "maximum": 600},
                "enableNetworking": {"type": "boolean"},
                "environment": {"type": "object"},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
PYTHON = sys.executable  # the image's venv stands in for this one


def fake_wheel(folder: Path) -> Path:
    """A file named as the running torchref's wheel: what the Dockerfiles copy (no image is built here)."""
    wheel = folder / wheel_name()
    wheel.write_bytes(b"PK")
    return wheel


def hadolint(dockerfile: Path) -> None:
    """hadolint (the test extra installs it from PyPI) finds nothing, not even at its "info" level."""
    binary = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert binary, "hadolint is not installed: pip install -e '.[test]'"
    done = subprocess.run([binary, "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_prairielearn_bundle_names_its_image_and_entry_point(tmp_path, capsys):
    out, wheel = tmp_path / "pl", fake_wheel(tmp_path)
    argv = ["autograder", "prairielearn", "--model", "shallow", "--out", str(out), "--image", "me/g:1"]
    assert cli.main([*argv, "--wheel", str(wheel), "--timeout", "30"]) == 0
    info = json.loads((out / "info.json").read_text())
    jsonschema.validate(info, INFO)
    grading = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and grading["enabled"] is True and grading["image"] == "me/g:1"
    dockerfile = (out / "Dockerfile").read_text()
    assert grading["entrypoint"] == "/opt/torchref/run_grader" and grading["timeout"] == 180  # 2 x 30 s + 120 s
    assert f"COPY run_grader {wheel.name} constraints.txt /opt/torchref/" in dockerfile
    assert f'"/opt/torchref/{wheel.name}[notebook]"' in dockerfile and "--constraint" in dockerfile
    assert "--timeout 30" in (out / "run_grader").read_text()
    hadolint(out / "Dockerfile")
    assert "USER" not in dockerfile  # root: the judge then runs the learner's code as another user
    assert "<pl-external-grader-results>" in (out / "question.html").read_text()
    assert str(out / "Dockerfile") in capsys.readouterr().out


def test_the_coursera_bundle_runs_its_grader_as_a_user_without_privileges(tmp_path):
    out, wheel = tmp_path / "co", fake_wheel(tmp_path)
    argv = ["autograder", "coursera", "--part", "aB3x=shallow", "--out", str(out), "--cases", "3"]
    assert cli.main([*argv, "--wheel", str(wheel)]) == 0
    dockerfile = (out / "Dockerfile").read_text()
    hadolint(out / "Dockerfile")
    assert dockerfile.rstrip().endswith('ENTRYPOINT ["/opt/torchref/grader"]') and "USER 1000:1000" in dockerfile
    assert "aB3x) model=shallow ;;" in (out / "grader").read_text()


def test_the_images_install_the_pins_of_this_environment(tmp_path):
    bundles.coursera(tmp_path / "co", {"*": "shallow"}, wheel=fake_wheel(tmp_path))
    pins = (tmp_path / "co" / "constraints.txt").read_text()
    assert f"torch=={metadata.version('torch').split('+')[0]}\n" in pins and "numpy==" in pins
    assert (
        f"FROM python:{sys.version_info.major}.{sys.version_info.minor}-slim-bookworm"
        in (tmp_path / "co" / "Dockerfile").read_text()
    )  # the Python the pins were resolved under


@pytest.mark.parametrize(
    "argv, says",
    [
        (["coursera", "--out", "x"], "give --model MODEL, or --part ID=MODEL for each part"),
        (["coursera", "--part", "abc", "--out", "x"], "--part: expected ID=MODEL"),
        (["coursera", "--part", "abc=nope", "--out", "x"], "unknown model 'nope'"),
        (["prairielearn", "--out", "x"], "prairielearn needs --model"),
        (
            ["prairielearn", "--model", "shallow", "--out", "x", "--wheel", "other-1.0-py3-none-any.whl"],
            "--wheel must be",
        ),
    ],
)
def test_bad_bundle_arguments_are_one_line(argv, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        status = cli.main(["autograder", *argv])
    except SystemExit as exc:  # argparse's refusal
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "platform, script", [("prairielearn", "run_grader"), ("coursera", "grader"), ("coderunner", "template.py")]
)
def test_every_bundle_passes_hide_values_to_the_check_it_runs(platform, script, tmp_path):
    wheel = fake_wheel(tmp_path)
    for hide in (True, False):
        out = tmp_path / f"{platform}-{hide}"
        argv = ["autograder", platform, "--model", "shallow", "--out", str(out), "--wheel", str(wheel)]
        assert cli.main([*argv, *(["--hide-values"] if hide else [])]) == 0
        runs = [
            line
            for line in (out / script).read_text().splitlines()
            if ("torchref check" in line or '"torchref", "check"' in line) and not line.startswith("#")
        ]  # the line that runs the check
        assert len(runs) == 1 and ("--hide-values" in runs[0]) is hide, runs


def _run(script: Path, root: Path, **env) -> None:
    environ = {**os.environ, "TORCHREF_GRADER_ROOT": str(root), "TORCHREF_GRADER_PYTHON": PYTHON, **env}
    done = subprocess.run(["bash", str(script)], env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # a grade is never a failure of the grader


@pytest.fixture(scope="module")
def pl_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("pl")
    bundles.prairielearn(out, "shallow", ["--cases", "3"], wheel=fake_wheel(out))
    return out / "run_grader"


@pytest.mark.parametrize(
    "files, expect",
    [
        ({"derivation.py": derivation(TANH)}, {"gradable": True, "score": 0.5}),
        ({"derivation.py": "def backward(:\n"}, {"gradable": False}),
        ({}, {"gradable": False}),
        ({"hw/derivation.py": derivation(), "scratch.py": "x = 1\n"}, {"gradable": True, "score": 1.0}),
    ],
)
def test_the_prairielearn_entry_point_against_a_grade_folder(pl_bundle, tmp_path, files, expect):
    grade = tmp_path / "grade"
    (grade / "student").mkdir(parents=True)
    (grade / "data").mkdir()
    (grade / "data" / "data.json").write_text('{"params": {}, "correct_answers": {}}')
    for name, text in files.items():
        (grade / "student" / name).parent.mkdir(parents=True, exist_ok=True)
        (grade / "student" / name).write_text(text)
    _run(pl_bundle, grade)
    results = valid_prairielearn(json.loads((grade / "results" / "results.json").read_text()))
    assert {k: results.get(k) for k in expect} == expect


def test_the_prairielearn_entry_point_leaves_results_when_the_check_cannot_run(pl_bundle, tmp_path):
    (tmp_path / "student").mkdir()
    _run(pl_bundle, tmp_path, TORCHREF_GRADER_PYTHON="/bin/false")
    results = valid_prairielearn(json.loads((tmp_path / "results" / "results.json").read_text()))
    assert results["gradable"] is False and "exit status 1" in results["format_errors"][0]


@pytest.fixture(scope="module")
def co_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("co")
    bundles.coursera(out, {"aB3x": "shallow", "zz": "logistic"}, ["--cases", "3"], wheel=fake_wheel(out))
    return out / "grader"


def test_the_coursera_entry_point_grades_the_part_it_is_given(co_bundle, tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "derivation.py").write_text(derivation(TANH))
    _run(co_bundle, tmp_path, partId="aB3x")
    feedback = valid_coursera(json.loads((tmp_path / "feedback.json").read_text()))
    assert feedback["fractionalScore"] == 0.5 and "first wrong link dZ1" in feedback["feedback"]
    _run(co_bundle, tmp_path, partId="zz")  # the same file judged as a logistic one: not a logistic derivation
    assert json.loads((tmp_path / "feedback.json").read_text())["fractionalScore"] == 0


def test_the_coursera_entry_point_names_an_unknown_part_and_a_check_that_cannot_run(co_bundle, tmp_path):
    (tmp_path / "submission").mkdir()
    _run(co_bundle, tmp_path, partId='x"; rm -rf /; echo "')
    feedback = json.loads((tmp_path / "feedback.json").read_text())
    jsonschema.validate(feedback, {"required": ["fractionalScore", "feedback"]})
    assert feedback["fractionalScore"] == 0 and "no model for the part 'xrm-rfecho'" in feedback["feedback"]
    _run(co_bundle, tmp_path, partId="aB3x", TORCHREF_GRADER_PYTHON="/bin/false")
    feedback = json.loads((tmp_path / "feedback.json").read_text())
    assert feedback["fractionalScore"] == 0 and "exit status 1" in feedback["feedback"]


def _rendered(template: str, answer: str) -> str:
    """The template as CodeRunner's Twig renders it: e('py') puts a backslash before each backslash and double quote."""
    escaped = answer.replace("\\", "\\\\").replace('"', '\\"')
    return template.replace("{{ STUDENT_ANSWER | e('py') }}", escaped)


@pytest.mark.parametrize(
    "answer, fraction",
    [
        (derivation(), 1.0),
        (derivation(TANH) + '\nNOTE = """a learner\'s triple quotes \\\\ and "quotes" """\n', 0.5),
        ("def backward(:\n", 0.0),
    ],
)
def test_the_coderunner_template_prints_the_combinator_json(tmp_path, answer, fraction, capsys):
    assert cli.main(["autograder", "coderunner", "--model", "shallow", "--out", str(tmp_path), "--cases", "3"]) == 0
    program = tmp_path / "prog.py"
    program.write_text(_rendered((tmp_path / "template.py").read_text(), answer))
    done = subprocess.run([PYTHON, str(program)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == ""  # CodeRunner reads anything on stderr as a crash
    result = valid_coderunner(json.loads(done.stdout))
    assert result["fraction"] == fraction
    if fraction == 0.0:
        assert "testresults" not in result and "invalid syntax" in result["prologuehtml"]


def test_the_coderunner_template_says_when_the_checker_cannot_run(tmp_path, capsys):
    bundles.coderunner(tmp_path, "shallow")
    program = tmp_path / "prog.py"
    program.write_text(_rendered((tmp_path / "template.py").read_text(), derivation()))
    env = {**os.environ, "TORCHREF_GRADER_PYTHON": "/bin/false"}
    done = subprocess.run([PYTHON, str(program)], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    result = valid_coderunner(json.loads(done.stdout))
    assert result["fraction"] == 0.0 and "could not run (exit status 1)" in result["prologuehtml"]
