"""scripts/constraints.txt is a lock: every package the set-up installs is pinned there, at the version installed."""

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins():
    lines = (ROOT / "scripts" / "constraints.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _installed_by_setup():
    """The project's requirements with the extras scripts/setup installs, and theirs, as this environment holds them."""
    extras = set(re.search(r"-e '\.\[([\w,]+)\]'", (ROOT / "scripts" / "setup").read_text()).group(1).split(","))
    seen, todo, absent = {}, [("handmade-torchref", extras)], []
    while todo:
        name, wanted = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:  # required, not installed: an environment older than pyproject.toml
            absent.append(name)
            continue
        for text in dist.requires or []:
            requirement = Requirement(text)
            markers = [{"extra": extra} for extra in wanted or {""}]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in markers):
                continue
            key = canonicalize_name(requirement.name)
            if key not in seen or not requirement.extras <= seen[key]:
                seen[key] = seen.get(key, set()) | requirement.extras
                todo.append((requirement.name, requirement.extras))
    assert not absent, f"required but not installed here (run bash scripts/setup): {sorted(absent)}"
    return {name: Version(metadata.version(name)) for name in seen}


def test_every_package_the_setup_installs_is_pinned_at_its_installed_version():
    pins, installed = _pins(), _installed_by_setup()
    assert {"torch", "numpy", "pytest", "pre-commit", "build"} <= set(installed)
    missing = sorted(set(installed) - set(pins))
    assert not missing, f"not in scripts/constraints.txt (run scripts/lock): {missing}"
    differ = {name: (str(pins[name]), str(v)) for name, v in installed.items() if pins[name] != Version(v.public)}
    assert not differ, f"pinned, installed: {differ}"


def test_torch_is_pinned_to_its_cpu_build_release():
    assert str(_pins()["torch"]) == "2.13.0"
