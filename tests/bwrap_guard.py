"""The sandbox tests cannot pass by skipping: where bubblewrap is installed, a sandbox test that skipped fails the run.

A test of the bwrap sandbox skips where bwrap cannot run. Once, with other work on the machine,
one failed probe of bwrap's namespaces skipped every such test of a run, and the run went
green with the whole bwrap layer untested. This plugin (loaded by `tests/conftest.py`) counts
the skipped sandbox tests: a test marked `bwrap`, or one whose skip reason names bwrap or
bubblewrap. At the end of a run in which any of them skipped while a `bwrap` executable is on
PATH, it probes bwrap's namespaces again (a few tries, waiting between them), prints each
skipped test, whether the probe works now and, if not, bwrap's own error, and fails the run.

    @pytest.mark.bwrap                  # or a skip reason that says bwrap cannot run here
    def test_something_under_bwrap(): ...
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

WORDS = ("bwrap", "bubblewrap")
# the namespaces the sandbox unshares, over a read-only root: what `--sandbox bwrap` needs to start
PROBE = ["--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"]
TRIES = 3
WAIT = 0.5  # seconds before the second try; twice that before the third
SKIPS = pytest.StashKey[list]()
VERDICT = pytest.StashKey[list]()
_CONFIG: list = []  # the runs' configs, innermost last (pytester nests runs), for the report hook


def probe(tries: int = TRIES, wait: float = WAIT) -> tuple[bool, str]:
    """(True, "") when bwrap can create its namespaces here, else (False, why): bwrap's own message, after `tries`."""
    path = shutil.which("bwrap")
    if path is None:
        return False, "no bwrap on PATH"
    why = ""
    for attempt in range(tries):
        if attempt:
            time.sleep(wait * attempt)
        try:
            done = subprocess.run([path, *PROBE], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            continue
        if done.returncode == 0:
            return True, ""
        why = f"exit status {done.returncode}: {done.stderr.strip() or 'no message'}"
    return False, f"{why} (after {tries} tries)"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "bwrap: a test of the bubblewrap sandbox; where bwrap is installed it may not skip"
    )
    config.stash[SKIPS] = []
    _CONFIG.append(config)


def pytest_unconfigure(config) -> None:
    if config in _CONFIG:
        _CONFIG.remove(config)


def _reason(report) -> str:
    longrepr = report.longrepr
    return str(longrepr[-1]) if isinstance(longrepr, tuple) else str(longrepr)


def pytest_runtest_logreport(report) -> None:
    """Every report reaches here, also a worker's under pytest-xdist (in the controller)."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _reason(report)
    if "bwrap" in report.keywords or any(word in reason.lower() for word in WORDS):
        _CONFIG[-1].stash[SKIPS].append((report.nodeid, reason.removeprefix("Skipped: ")))


def _verdict(config) -> list[str] | None:
    """The lines that fail the run, or None when no sandbox test skipped or bwrap is not installed."""
    skips = config.stash.get(SKIPS, [])
    if not skips or shutil.which("bwrap") is None or hasattr(config, "workerinput"):
        return None
    works, why = probe()
    state = (
        "bwrap's namespaces work now: the skips came from a probe that failed for a moment (a loaded machine?)"
        if works
        else f"bwrap is installed but cannot create its namespaces here: {why}"
    )
    lines = [f"{len(skips)} sandbox test(s) skipped while bwrap is installed; {state}"]
    lines += [f"  {nodeid}: {reason}" for nodeid, reason in skips]
    return lines


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus) -> None:
    lines = _verdict(session.config)
    if lines is None:
        return
    session.config.stash[VERDICT] = lines
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = config.stash.get(VERDICT, None)
    if lines:
        terminalreporter.section("sandbox tests skipped", sep="=", red=True, bold=True)
        for line in lines:
            terminalreporter.line(line, red=True)
