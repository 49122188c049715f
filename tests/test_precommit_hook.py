""".pre-commit-hooks.yaml, run by pre-commit itself in a temporary repository, as a course's repository runs it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from classroom import TANH, derivation
from wheel_env import clone, environ, run, torch_pin

HOOKS = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"
GIT = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t"}
GIT |= {"GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _git(repo, *argv):
    return run(["git", *argv], cwd=repo, env=environ(**GIT)).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """This project as pre-commit fetches it: a git repository with .pre-commit-hooks.yaml, at a commit."""
    repo = clone(tmp_path_factory.mktemp("hook-repo"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the hooks")
    return repo, _git(repo, "rev-parse", "HEAD").strip()


def _course(tmp_path, hook_repo, hook):
    """A course's repository whose config uses the hook on homework/ with the model as an argument."""
    repo_url, rev = hook_repo
    course = tmp_path / "course"
    (course / "homework").mkdir(parents=True)
    (course / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo_url}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n"
        "        args: [--model, shallow, --cases, '2']\n        files: ^homework/\n"
    )
    _git(course, "init", "-q")
    return course


def _pre_commit(course, tmp_path, *argv, **env):
    """`pre-commit run` in the course's repository, this environment's torchref on PATH (the system hook's)."""
    path = f"{Path(sys.executable).parent}:{environ()['PATH']}"
    env = environ(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PATH=path, **GIT, **env)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *argv],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        stdin=subprocess.DEVNULL,
    )


def test_the_hooks_file_declares_what_the_docs_say():
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text())}
    assert {hooks[h]["language"] for h in hooks} == {"python", "system"}
    for hook in hooks.values():
        assert hook["entry"] == "torchref-pre-commit" and set(hook["types_or"]) == {"python", "jupyter"}


def test_the_system_hook_judges_the_staged_derivations_only(hook_repo, tmp_path):
    course = _course(tmp_path, hook_repo, "torchref-check-system")
    (course / "homework" / "ann.py").write_text(derivation())
    (course / "homework" / "bob.py").write_text(derivation(TANH))
    (course / "notes.py").write_text("print('not homework')\n")
    _git(course, "add", "-A")
    done = _pre_commit(course, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "homework/ann.py: PASS (12 cases: forward 8, backward 4)" in done.stdout
    assert "homework/bob.py: WRONG: first wrong link dZ1: tanh′ written as 1 − A" in done.stdout
    assert "notes.py" not in done.stdout
    _git(course, "commit", "-q", "--no-verify", "-m", "homework")
    (course / "notes.py").write_text("print('still not homework')\n")
    _git(course, "add", "-A")
    done = _pre_commit(course, tmp_path)
    assert done.returncode == 0 and "(no files to check)Skipped" in done.stdout, done.stdout + done.stderr
    (course / "homework" / "bob.py").write_text(derivation())
    _git(course, "add", "-A")
    done = _pre_commit(course, tmp_path, "--verbose")  # a passing hook's output is shown only then
    assert done.returncode == 0 and "homework/bob.py: PASS" in done.stdout, done.stdout + done.stderr
    assert "ann.py" not in done.stdout  # unchanged: not judged again


def test_the_hook_refuses_a_missing_model_in_one_line(hook_repo, tmp_path):
    course = _course(tmp_path, hook_repo, "torchref-check-system")
    config = course / ".pre-commit-config.yaml"
    config.write_text(config.read_text().replace("args: [--model, shallow, --cases, '2']", "args: [--cases, '2']"))
    (course / "homework" / "ann.py").write_text(derivation())
    _git(course, "add", "-A")
    done = _pre_commit(course, tmp_path)
    assert done.returncode == 1 and "the following arguments are required: --model" in done.stdout, done.stdout


@pytest.mark.wheel
def test_the_python_hook_installs_its_own_environment_with_the_pinned_torch(hook_repo, tmp_path):
    """language: python: pre-commit builds a virtual environment from the hook's repository (PIP_CONSTRAINT set)."""
    course = _course(tmp_path, hook_repo, "torchref-check")
    (course / "homework" / "bob.ipynb").write_text(_notebook(derivation(TANH)))
    _git(course, "add", "-A")
    done = _pre_commit(course, tmp_path, "--files", "homework/bob.ipynb")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "homework/bob.ipynb: WRONG: first wrong link dZ1" in done.stdout
    (venv,) = (tmp_path / "pre-commit-home").glob("repo*/py_env-*")
    torch = run([venv / "bin" / "python", "-c", "import torch; print(torch.__version__)"]).stdout
    assert torch_pin() == f"torch=={torch.strip().split('+')[0]}"  # the CPU build's local version: +cpu


def _notebook(text):
    from classroom import notebook

    return notebook(text)


def test_the_hooks_command_judges_each_file_it_is_given(tmp_path, capsys):
    from torchref.precommit import main

    (tmp_path / "ann.py").write_text(derivation())
    (tmp_path / "bob.py").write_text(derivation(TANH))
    files = [str(tmp_path / "ann.py"), str(tmp_path / "bob.py")]
    assert main(["--model", "shallow", "--cases", "2", *files]) == 1
    out = capsys.readouterr().out
    assert (
        f"{files[0]}: PASS (12 cases: forward 8, backward 4)" in out
        and f"{files[1]}: WRONG: first wrong link dZ1" in out
    )
    assert main(["--model", "shallow", "--cases", "2", files[0]]) == 0
    assert main(["--model", "shallow"]) == 0  # pre-commit gave no file
    assert main(["--model", "shallow", "--csv", "g.csv", *files]) == 2
    assert main(["--model", "shallow", "--bogus", *files]) == 2
    err = capsys.readouterr().err
    assert "--csv is for torchref check over a folder" in err and "unknown option --bogus (see" in err


def test_the_hooks_command_refuses_a_short_option_it_does_not_know_rather_than_judge_it_as_a_file(tmp_path, capsys):
    from torchref.precommit import main

    (tmp_path / "ann.py").write_text(derivation())
    assert main(["--model", "shallow", "-z", str(tmp_path / "ann.py")]) == 2
    captured = capsys.readouterr()
    assert captured.err == "torchref: error: unrecognized arguments: -z (see torchref --help)\n"
    assert "ann.py" not in captured.out  # nothing judged


def test_the_hooks_command_says_a_bad_seed_variable_in_one_line(tmp_path, capsys, monkeypatch):
    from torchref.precommit import main

    (tmp_path / "ann.py").write_text(derivation())
    monkeypatch.setenv("TORCHREF_SEED", "abc")
    assert main(["--model", "shallow", str(tmp_path / "ann.py")]) == 2
    assert capsys.readouterr().err == "torchref: error: TORCHREF_SEED must be an integer >= 0, got 'abc'\n"


def test_the_hooks_command_interrupted_says_one_line_and_exits_130(tmp_path, capsys, monkeypatch):
    import torchref
    from torchref.precommit import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while a file is judged

    (tmp_path / "ann.py").write_text(derivation())
    monkeypatch.setattr(torchref, "check", interrupted)
    assert main(["--model", "shallow", str(tmp_path / "ann.py")]) == 130
    assert capsys.readouterr().err == "torchref: interrupted\n"
