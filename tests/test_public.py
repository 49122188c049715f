"""The public surface other code relies on: what `torchref` exports, the command's entry point, the pytest plugin.

A course's notebook calls `torchref.check`, its CI calls the `torchref` command and the
`torchref_check` fixture; moving a module inside the package must not move these.
"""

import importlib.metadata
import inspect

import torchref


def entry_point(group: str, name: str):
    found = [e for e in importlib.metadata.entry_points(group=group) if e.name == name]
    assert len(found) == 1, f"{group}:{name} is not installed once: {found}"
    return found[0]


def test_the_package_exports_check_and_assert_derivation():
    public = {name for name in vars(torchref) if not name.startswith("_")} - {"pytest_plugin"}  # loaded by pytest
    assert {"check", "assert_derivation"} <= public
    parameters = inspect.signature(torchref.check).parameters
    assert list(parameters)[:2] == ["path", "model"]
    assert {"backward", "forward", "source"} <= set(parameters)


def test_the_command_is_torchref_cli_main():
    point = entry_point("console_scripts", "torchref")
    assert point.value == "torchref.cli:main"
    main = point.load()
    assert main(["models"]) == 0


def test_the_pytest_plugin_gives_the_torchref_check_fixture():
    point = entry_point("pytest11", "torchref")
    plugin = point.load()
    assert point.value == "torchref.pytest_plugin"
    assert callable(getattr(plugin, "torchref_check", None))


def test_a_report_reads_as_the_contract_says(tmp_path):
    """`report.to_json()` carries the schema, the verdict and the first wrong link; missing files are unusable."""
    report = torchref.check(tmp_path / "nowhere.py", model="shallow", seed=0, cases=3)
    document = report.to_json()
    assert document["schema"].startswith("torchref.check/")
    assert document["verdict"] == "unusable" and report.exit_code == 2
    assert {"first_wrong", "cause", "line", "tensors", "seed"} <= set(document)
