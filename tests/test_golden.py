"""Golden outputs: what the public entry points write for fixed seeds, frozen as JSON under tests/golden/.

Each test runs one public entry point (the command line's `check` of a file, of a folder and
of a notebook, `torchref.check` on a path and on function objects, `verify --json`, the class
report's report.json) and compares its JSON, normalised, with the stored file. A deliberate
change of behaviour regenerates them (`scripts/golden`, or `TORCHREF_GOLDEN=update` with
pytest) and the change is read as a diff in review.

Normalised, because it differs from run to run or machine to machine and is not behaviour:
- the time a file took (`seconds`, Gradescope's `execution_time`): wall clock;
- absolute paths: the temporary folder of the test and this checkout's location;
- the sandbox's kind (`bwrap` or `basic`): `auto` takes bubblewrap where it is installed;
  with it, what each file had of its own (`isolation`) and the resource controllers the
  machine's cgroups offer (`resources`);
- the differences of a tensor that never failed (`max_abs`, `max_rel`, `fd_max_abs` when
  `failed` is 0): round-off, whose last bits depend on the BLAS build; any other number is
  kept, rounded to 6 significant digits (also inside a message's text).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

from classroom import SIGN, TANH, derivation, notebook, one_folder_per_student

import torchref
from torchref.cli import main

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TORCHREF_GOLDEN") == "update"
PACKAGE = str(Path(torchref.__file__).resolve().parent)
ROUNDOFF = ("max_abs", "max_rel", "fd_max_abs")
VOLATILE = {
    "seconds": 0.0,
    "execution_time": 0.0,
    "sandbox": "<sandbox>",
    "isolation": "<isolation>",
    "resources": "<resources>",
}


def normalise(value, tmp: Path):
    """The document without what varies between runs and machines (the module's docstring lists it)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in VOLATILE and item not in ("", None):
                out[key] = VOLATILE[key]
            elif key in ROUNDOFF and value.get("failed") == 0:
                out[key] = "roundoff"
            else:
                out[key] = normalise(item, tmp)
        return out
    if isinstance(value, list):
        return [normalise(item, tmp) for item in value]
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, str):
        for path, name in ((str(tmp.resolve()), "<tmp>"), (str(tmp), "<tmp>"), (PACKAGE, "<torchref>")):
            value = value.replace(path, name)
        value = re.sub(r"\d+\.\d{7,}(e[-+]?\d+)?", lambda found: f"{float(found.group()):.6g}", value)
        return re.sub(r"\bsandbox (bwrap|basic)\b", "sandbox <sandbox>", value)
    return value


def agrees(name: str, document, tmp: Path) -> None:
    """The normalised document equals tests/golden/NAME.json (written instead, with TORCHREF_GOLDEN=update)."""
    got = normalise(document, tmp)
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run scripts/golden"
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got == want, f"{name} differs from tests/golden/{name}.json (a deliberate change: scripts/golden)"


def run(argv: list[str]) -> int:
    return main([str(a) for a in argv])


def csv_rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_check_of_one_wrong_file(tmp_path, capsys):
    path = tmp_path / "hw3.py"
    path.write_text(derivation(TANH))
    assert run(["check", path, "--model", "shallow", "--seed", 1, "--cases", 6, "--json", tmp_path / "out.json"]) == 1
    agrees("check_file", json.loads((tmp_path / "out.json").read_text()), tmp_path)


def test_check_of_a_class_folder_with_its_gradebook_and_class_report(tmp_path, capsys):
    """The classroom: a right file, wrong ones, a crashing one, a notebook, a .txt, an empty folder."""
    root = tmp_path / "class"
    root.mkdir()
    one_folder_per_student(root)
    out = tmp_path / "out"
    status = run(
        [
            "check", root, "--model", "shallow", "--recursive", "--seed", 3, "--cases", 6, "-j", 1, "--quiet",
            "--json", tmp_path / "class.json", "--csv", tmp_path / "grades.csv",
            "--gradescope", f"{tmp_path}/gradescope/", "--html", out,
        ]
    )  # fmt: skip
    assert status == 1
    agrees("check_folder", json.loads((tmp_path / "class.json").read_text()), tmp_path)
    agrees("check_folder_csv", csv_rows(tmp_path / "grades.csv"), tmp_path)
    per_student = {p.parent.name: json.loads(p.read_text()) for p in sorted((tmp_path / "gradescope").glob("*/*"))}
    agrees("check_folder_gradescope", per_student, tmp_path)
    agrees("class_report", json.loads((out / "report.json").read_text()), tmp_path)


def test_check_of_a_notebook(tmp_path, capsys):
    path = tmp_path / "hw3.ipynb"
    path.write_text(notebook(derivation(SIGN)))
    assert run(["check", path, "--model", "shallow", "--seed", 2, "--cases", 6, "--json", tmp_path / "nb.json"]) == 1
    agrees("check_notebook", json.loads((tmp_path / "nb.json").read_text()), tmp_path)


def test_the_api_on_a_path_source_text_and_function_objects(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(derivation())
    documents = {"path": torchref.check(path, model="shallow", seed=4, cases=6).to_json()}
    text = derivation(TANH)
    documents["source"] = torchref.check(source=text, model="shallow", seed=4, cases=6).to_json()
    module_path = tmp_path / "learner_module.py"
    module_path.write_text(derivation(SIGN))
    spec = importlib.util.spec_from_file_location("learner_module", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_module"] = module
    try:
        spec.loader.exec_module(module)
        report = torchref.check(backward=module.backward, forward=module.forward, model="shallow", seed=4, cases=6)
    finally:
        del sys.modules["learner_module"]
    documents["functions"] = report.to_json()
    agrees("api", documents, tmp_path)


def test_verify_json_of_two_models(tmp_path, capsys):
    argv = ["verify", "--models", "logistic,shallow", "--cases", 3, "--seed", 0, "--json", tmp_path / "v.json"]
    assert run(argv) == 0
    agrees("verify", json.loads((tmp_path / "v.json").read_text()), tmp_path)


def test_normalise_keeps_behaviour_and_drops_only_what_varies(tmp_path):
    """The normalisation itself: a path in the test's folder, the sandbox's name and digits past the 6th go."""
    assert normalise({"seconds": 3.2, "failed": 0, "max_abs": 1e-7}, tmp_path) == {
        "seconds": 0.0,
        "failed": 0,
        "max_abs": "roundoff",
    }
    assert normalise({"failed": 1, "max_abs": 0.123456789}, tmp_path) == {"failed": 1, "max_abs": 0.123457}
    assert normalise(str(tmp_path / "a.py"), tmp_path) == "<tmp>/a.py"
    assert normalise("seed 1 · sandbox basic", tmp_path) == "seed 1 · sandbox <sandbox>"
    assert normalise("difference: 0.66831374168396 at", tmp_path) == "difference: 0.668314 at"
