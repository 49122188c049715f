"""mypy is clean as pyproject.toml configures it (strict on the checker and the registry), and a module
that waits on the list of those not strict yet leaves it the day it passes strict."""

import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: mypy brings tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# an override that turns one of these strict flags off (or ignores the errors) lists modules not strict yet
RELAXED = {"disallow_untyped_defs", "disallow_untyped_calls", "check_untyped_defs"}


def _mypy(*args):
    done = subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True)
    assert "error: " in done.stdout or done.returncode == 0, done.stdout + done.stderr
    return done


def _config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _waiting(override):
    return override.get("ignore_errors") is True or any(override.get(flag) is False for flag in RELAXED)


def _matches(pattern, module):
    """mypy's module patterns: a name, or `package.*` for the package and everything under it."""
    base = pattern.removesuffix(".*")
    return module == base or (pattern.endswith(".*") and module.startswith(base + "."))


def _ini_value(value):
    if isinstance(value, bool):
        return str(value)
    return ",".join(value) if isinstance(value, list) else str(value)


def test_mypy_is_clean_as_configured():
    done = _mypy()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found"), done.stdout


def test_the_modules_not_strict_yet_each_fail_strict(tmp_path):
    """Run once more with every module strict: each module still listed as not strict yet must have an error."""
    config = _config()
    overrides = config.pop("overrides")
    waiting = [name for override in overrides if _waiting(override) for name in override["module"]]
    assert waiting == sorted(set(waiting), key=waiting.index), "a module is listed twice"
    for name in waiting:  # a module renamed or removed leaves no stale name behind
        path = ROOT / name.removesuffix(".*").replace(".", "/")
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), f"no module {name}"
    for prefix in config["untyped_calls_exclude"]:  # calls into our modules are let through only while they wait
        ours = prefix.split(".")[0] == "torchref"
        assert not ours or any(name == prefix or name.startswith(prefix + ".") for name in waiting), prefix
    sections = [("mypy", config)] + [(",".join(o["module"]), o) for o in overrides if not _waiting(o)]
    ini = "".join(
        f"[{'mypy' if name == 'mypy' else 'mypy-' + name}]\n"
        + "".join(f"{key} = {_ini_value(value)}\n" for key, value in section.items() if key != "module")
        for name, section in sections
    )
    (tmp_path / "mypy.ini").write_text(ini)
    done = _mypy("--config-file", str(tmp_path / "mypy.ini"))
    failing = set()
    for path in re.findall(r"^(torchref/\S+?)\.py:\d+: error:", done.stdout, re.M):
        failing.add(path.removesuffix("/__init__").replace("/", "."))
    passing = [name for name in waiting if not any(_matches(name, module) for module in failing)]
    assert not passing, f"strict now: take them off the not-yet lists of pyproject.toml [tool.mypy]: {passing}"
