"""The guard of tests/bwrap_guard.py: where bwrap is installed, a skipped sandbox test fails the run, with the
namespace probe retried and bwrap's own error shown. A fake `bwrap` on PATH plays each machine."""

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
INNER = """
import pytest


@pytest.mark.bwrap
def test_marked():
    pytest.skip("bubblewrap (bwrap) is not installed or cannot create namespaces here")


@pytest.mark.parametrize("sandbox", ["basic", pytest.param("bwrap", marks=pytest.mark.bwrap)])
def test_parametrized(sandbox):
    if sandbox == "bwrap":
        pytest.skip("no namespaces")


def test_said_in_the_reason():
    pytest.skip("needs bwrap, which cannot run here")


def test_another_skip():
    pytest.skip("needs a GPU")


def test_passes():
    pass
"""


def _fake_bwrap(folder: Path, status: int, message: str = "") -> Path:
    """A `bwrap` that exits with `status` (and says `message`), counting its calls in folder/calls."""
    folder.mkdir()
    fake = folder / "bwrap"
    fake.write_text(f"#!/bin/sh\necho x >> {folder}/calls\necho '{message}' >&2\nexit {status}\n")
    fake.chmod(0o755)
    return folder


def _run(pytester, monkeypatch, bin_folder):
    monkeypatch.setenv("PATH", f"{bin_folder}:/usr/bin:/bin" if bin_folder else "/usr/bin/nonexistent")
    monkeypatch.setenv("PYTHONPATH", str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    pytester.makepyfile(test_inner=INNER)
    return pytester.runpytest_subprocess("-p", "bwrap_guard", "-p", "no:torchref", "-rs")


def test_a_skipped_sandbox_test_fails_the_run_where_bwrap_is_installed(pytester, monkeypatch, tmp_path):
    calls = _fake_bwrap(tmp_path / "bin", 1, "bwrap: No permissions to create new namespace")
    result = _run(pytester, monkeypatch, calls)
    result.assert_outcomes(passed=2, skipped=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "3 sandbox test(s) skipped while bwrap is installed" in out
    assert "cannot create its namespaces here: exit status 1: bwrap: No permissions to create new namespace" in out
    assert "(after 3 tries)" in out and (calls / "calls").read_text().count("x") == 3
    for name in ("test_marked", "test_parametrized[bwrap]", "test_said_in_the_reason"):
        assert f"test_inner.py::{name}: " in out
    assert "test_another_skip: " not in out and "test_parametrized[basic]" not in out


def test_the_message_says_when_the_probe_works_again(pytester, monkeypatch, tmp_path):
    result = _run(pytester, monkeypatch, _fake_bwrap(tmp_path / "bin", 0))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "bwrap's namespaces work now: the skips came from a probe that failed for a moment" in result.stdout.str()


def test_without_bwrap_the_skips_are_only_skips(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, None)
    result.assert_outcomes(passed=2, skipped=4)
    assert result.ret == pytest.ExitCode.OK
    assert "skipped while bwrap is installed" not in result.stdout.str()
