"""This repository's .pre-commit-config.yaml, run by pre-commit over a copy of the tree: clean, and it catches."""

import subprocess
import sys

from wheel_env import clone, environ, run

GIT = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def _pre_commit(repo, tmp_path):
    env = environ(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), **GIT)
    argv = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_the_hooks_pass_on_the_tree_and_fix_or_refuse_what_they_must(tmp_path):
    repo = clone(tmp_path / "repo")
    (repo / ".venv").symlink_to(sys.prefix)  # the tools at their pinned versions, as scripts/setup made them
    run(["git", "init", "-q"], cwd=repo, env=environ(**GIT))
    run(["git", "add", "-A"], cwd=repo, env=environ(**GIT))
    done = _pre_commit(repo, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line.split("...")[0].rstrip(".") for line in done.stdout.splitlines() if line.endswith("Passed")]
    assert {
        "ruff format",
        "ruff check",
        "mypy",
        "trailing whitespace",
        "check yaml",
        "check json",
        "check toml",
    } <= set(ran)

    (repo / "docs" / "spaces.txt").write_text("a line   \n")
    (repo / "docs" / "bad.yaml").write_text("a: [1\n")
    (repo / "tests" / "catalogues" / "course").mkdir(parents=True, exist_ok=True)
    (repo / "tests" / "catalogues" / "course" / "as_written.py").write_text("x = 1  \n")
    run(["git", "add", "-A"], cwd=repo, env=environ(**GIT))
    done = _pre_commit(repo, tmp_path)
    assert done.returncode == 1
    failed = {line.split("...")[0].rstrip(".") for line in done.stdout.splitlines() if line.endswith("Failed")}
    assert failed == {"trailing whitespace", "check yaml"}, done.stdout
    assert (repo / "docs" / "spaces.txt").read_text() == "a line\n"  # fixed
    assert (repo / "tests" / "catalogues" / "course" / "as_written.py").read_text() == "x = 1  \n"  # test data kept
