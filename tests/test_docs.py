"""The documentation cannot drift: every command is in the CLI reference, real outputs match the JSON
schemas, the tolerance table is read from the code, and the README stays a short front door."""

import copy
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path
from unittest import mock

import jsonschema
import pytest
from classroom import SCALAR_DB2, derivation
from platform_formats import strict_json
from referencing import Registry, Resource

from torchref import cli
from torchref.checker.cases import SEED_ENV
from torchref.explain import template

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"
EXAMPLES = ROOT / "docs" / "examples"


def _docs_outputs():
    spec = importlib.util.spec_from_file_location("docs_outputs", ROOT / "scripts" / "docs_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs_outputs = _docs_outputs()


# ---- the command line's reference --------------------------------------------------------------------


def _cli_page() -> str:
    return (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")


def test_every_command_of_the_parser_is_documented_with_its_current_help():
    page, commands = _cli_page(), docs_outputs.commands()
    assert "check" in commands and "verify" in commands  # the walk finds the parser's commands
    undocumented = [name for name in commands if f"## `torchref {name}`" not in page]
    stale = [name for name in commands if docs_outputs.command_help(name).rstrip() not in page]
    assert not undocumented, f"commands missing from docs/reference/cli.md (run bash scripts/docs): {undocumented}"
    assert not stale, f"--help changed since docs/reference/cli.md was generated (run bash scripts/docs): {stale}"


def test_a_command_added_to_the_parser_is_reported_undocumented(monkeypatch):
    real = cli.parser

    def with_one_more():
        p = real()
        sub = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction")
        sub.add_parser("shiny", help="a command nobody documented")
        return p

    monkeypatch.setattr(cli, "parser", with_one_more)
    assert "shiny" in docs_outputs.commands()
    assert "## `torchref shiny`" not in _cli_page()
    assert "## `torchref shiny`" in docs_outputs.cli_reference()  # regenerating documents it


# ---- the JSON schemas, against real outputs ------------------------------------------------------


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(SCHEMAS.glob("*.schema.json"))]
    for schema in schemas:
        jsonschema.Draft202012Validator.check_schema(schema)
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in schemas])
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _errors(name: str, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(name).iter_errors(document)]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Real documents: check of one wrong file, of a class folder (with its class report), and verify."""
    tmp = tmp_path_factory.mktemp("outputs")
    shutil.copytree(EXAMPLES / "class", tmp / "class")
    (tmp / "class" / "frank").mkdir()  # alice's bytes handed in by another student: said in same_source_as
    shutil.copyfile(EXAMPLES / "class" / "alice" / "hw3.py", tmp / "class" / "frank" / "hw3.py")
    (tmp / "class" / "zed").mkdir()  # db2 summed over both axes: a shape that differs, whose error is no number
    (tmp / "class" / "zed" / "hw.py").write_text(derivation(SCALAR_DB2))
    (tmp / "class" / "yan").mkdir()  # the template as written: no case returns a number, every row "not run"
    (tmp / "class" / "yan" / "hw.py").write_text(template("shallow"))
    shutil.copyfile(EXAMPLES / "my_shallow.py", tmp / "my_shallow.py")
    common = ["--model", "shallow", "--cases", "2", "--seed", "1", "--quiet"]
    assert cli.main(["check", str(tmp / "my_shallow.py"), *common, "--json", str(tmp / "one.json")]) == 1
    folder = ["check", str(tmp / "class"), "--recursive", *common, "--json", str(tmp / "many.json")]
    assert cli.main([*folder, "--html", str(tmp / "report")]) == 1
    assert cli.main(["verify", "--models", "logistic", "--cases", "1", "--json", str(tmp / "verify.json")]) == 0
    secret = [c for c in common if c not in ("--seed", "1")]  # the seed from TORCHREF_SEED: secret, never written
    with mock.patch.dict(os.environ, {SEED_ENV: "918273645"}):
        assert cli.main(["check", str(tmp / "my_shallow.py"), *secret, "--json", str(tmp / "secret.json")]) == 1
    return {
        name: strict_json((tmp / path).read_text(encoding="utf-8"))
        for name, path in [
            ("one", "one.json"),
            ("many", "many.json"),
            ("verify", "verify.json"),
            ("secret", "secret.json"),
        ]
    } | {"class": strict_json((tmp / "report" / "report.json").read_text(encoding="utf-8"))}


@pytest.mark.parametrize(
    "output, schema",
    [("one", "check"), ("many", "check"), ("verify", "verify"), ("class", "class"), ("secret", "check")],
)
def test_real_outputs_match_their_schema(outputs, output, schema):
    assert _errors(schema, outputs[output]) == []


def test_the_outputs_hold_what_the_schemas_describe(outputs):
    """The documents are not trivially valid: every verdict of the class is there, with a wrong tensor's row."""
    verdicts = {f["verdict"] for f in outputs["many"]["files"]}
    assert verdicts == {"pass", "wrong", "skipped"}
    (zed,) = [f for f in outputs["many"]["files"] if f["student"] == "zed"]
    assert [t["max_abs"] for t in zed["tensors"] if t["status"] == "wrong"] == [None]  # JSON's null, not Infinity
    (yan,) = [f for f in outputs["many"]["files"] if f["student"] == "yan"]
    assert yan["tensors"] and {(t["status"], t["max_abs"]) for t in yan["tensors"]} == {("not run", None)}
    one = outputs["one"]
    assert one["first_wrong"] == "dZ1" and any(t["status"] == "wrong" and t["small_case"] for t in one["tensors"])
    assert one["seed"] == 1 and one["seed_secret"] is False
    assert outputs["secret"]["seed"] is None and outputs["secret"]["seed_secret"] is True
    shared = {f["student"]: f["same_source_as"] for f in outputs["many"]["files"] if f["same_source_as"]}
    assert shared == {
        "alice": [{"student": "frank", "file": "frank/hw3.py", "same": "bytes"}],
        "frank": [{"student": "alice", "file": "alice/hw3.py", "same": "bytes"}],
    }


def _shared(document: dict) -> dict:
    return next(f for f in document["files"] if f["same_source_as"])["same_source_as"][0]


@pytest.mark.parametrize(
    "output, schema, change",
    [
        ("one", "check", lambda d: d.pop("verdict")),  # a field dropped
        ("one", "check", lambda d: d.update(grade=None)),  # a field added without its schema
        ("one", "check", lambda d: d["pieces"][0].update(cases=-1)),
        ("one", "check", lambda d: d.update(verdict="maybe")),
        ("one", "check", lambda d: d.update(seed=-1)),
        ("secret", "check", lambda d: d.pop("seed_secret")),
        ("secret", "check", lambda d: d.update(seed_secret="yes")),
        ("one", "check", lambda d: d["tensors"][0].update(status="fine")),
        ("many", "check", lambda d: d["files"][0].pop("exit_code")),
        ("many", "check", lambda d: _shared(d).update(same="copied")),  # only what was verified: file | bytes
        ("many", "check", lambda d: _shared(d).pop("student")),
        ("class", "class", lambda d: _shared(d).update(why="")),
        ("verify", "verify", lambda d: d["rows"][0].update(failed=-1)),
        ("verify", "verify", lambda d: d.update(extra=1)),
        ("class", "class", lambda d: d["files"][0].pop("page")),
        ("class", "class", lambda d: d["counts"].update(maybe=1)),
    ],
)
def test_a_changed_field_fails_its_schema(outputs, output, schema, change):
    document = copy.deepcopy(outputs[output])
    change(document)
    assert _errors(schema, document)


# ---- tolerances, the README ----------------------------------------------------------------------


def test_the_tolerance_table_is_read_from_the_code():
    from torchref import tolerances
    from torchref.registry import REGISTRY

    found = [tol for _, _, tol in docs_outputs.tolerances()]
    assert all(any(tol is f for f in found) for _, tol in tolerances.TABLE)
    assert all(tol in found for pair in REGISTRY.values() for tol in pair.tolerances.values())
    table = docs_outputs.tolerance_table()
    assert table.count("\n") == len(found) + 2  # a header, a rule, a row per tolerance
    page = (ROOT / "docs" / "concepts" / "conventions.md").read_text(encoding="utf-8")
    assert table in page and docs_outputs.thresholds() in page
    assert "`torchref.tolerances.FD_STEP` | 1e-06 | ε of the central differences |" in docs_outputs.thresholds()


# ---- the stored bench records ------------------------------------------------------------------------


def _bench_record(folder: Path, date: str, **figures) -> None:
    """A stored record as `record_bench` writes it: the machine, the date, the command and the bench's figures."""
    machine = {"cpu": "AMD EPYC", "cores": 2, "python": "3.11.7", "torch": "2.13.0+cpu", "bwrap": True}
    record = {
        "date": date,
        "command": "torchref bench" + ("" if "sharded_files" in figures else " --quick") + " --json bench.json",
        "machine": {**machine, "load_average": [1.5, 1.3, 1.3]},
        "load_average_after": [2.5, 1.6, 1.4],
        "bench": {"shell_import_torch": {"wall": 1.31}, **figures},
    }
    (folder / f"bench-{date}.json").write_text(json.dumps(record))


SHARDED = {
    "sharded_files": 1000,
    "sharded_shards": 4,
    "sharded_shard_files": [253, 257, 237, 253],
    "one_machine_seconds": 74.5,
    "shards_sum_seconds": 75.6,
    "largest_shard_seconds": 21.9,
    "merge_seconds": 3.5,
    "merged_same_gradebook": True,
    "sharded_load_average": [2.1, 3.9],
}


def test_the_sharded_figures_come_from_the_newest_record_that_holds_them_with_its_machine_load_and_date(tmp_path):
    _bench_record(tmp_path, "2026-12-01", **SHARDED)
    _bench_record(tmp_path, "2026-12-03")  # a newer --quick run: no sharded class in it
    page = docs_outputs.sharded_page(tmp_path)
    assert page.startswith("Measured on **2026-12-01** with `torchref bench --json bench.json` on AMD EPYC, 2 cores")
    assert "load average (1 min) 2.1 before these runs and 3.9 after them" in page
    assert "| 4 shards one after another (253, 257, 237, 253 files) | 75.6 (the sum: +1.5%) |" in page
    assert "about 25 s of wall time" in page and "2.9× faster than one, for 1.5% more machine time" in page
    assert "`import torch` included (1.3 s alone in this run), the merge's too" in page
    assert docs_outputs.latest_bench(folder=tmp_path).endswith("bench-2026-12-03.json")  # the performance page's


def test_without_a_record_that_holds_them_the_page_says_so_and_how_to_make_one(tmp_path):
    _bench_record(tmp_path, "2026-12-03")
    page = docs_outputs.sharded_page(tmp_path)
    assert page.startswith("No stored bench record holds these figures yet") and "| " not in page
    assert "bash scripts/docs --bench-full" in page


def test_the_readme_is_a_short_front_door_with_the_ci_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 8 * 1024
    for command in (
        "bash scripts/setup && .venv/bin/torchref verify",
        "bash scripts/setup && .venv/bin/python -m pytest --cov -n auto",
    ):
        assert command in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/setup && .venv/bin/python -m pytest --cov -n auto" in ci  # the README's command, verbatim
    for link in re.findall(r"\]\(((?:docs/|[A-Z]+\.md)[^)#]*)", readme):
        assert (ROOT / link).is_file(), f"README links to a missing file: {link}"


def test_ci_runs_the_readmes_two_commands_set_up_and_tests_verbatim():
    """The README's test command is what CI runs, so a reader's run of it is CI's run."""
    commands = [
        line.split("   #")[0].strip()
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("bash scripts/setup && ")
    ]
    assert len(commands) == 2, commands  # the main job, the tests
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1] in ci, f"{commands[1]!r} is not a line of .ci/run"
    at = ci.index(commands[1])
    # `set -e` does not stop at a failure in the middle of an && list: the list runs in a subshell
    assert ci[at - 1 : at + 2] == ["(", commands[1], ")"], ci[at - 1 : at + 2]
