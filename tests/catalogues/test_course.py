"""The whole course, checkable: the course catalogue through `torchref.check` and `torchref check`.

tests/catalogues/course/ holds learner files for every piece the notes teach (the MP neuron,
the perceptron rule, min–max normalisation, the loss, the update, the training loop, A02's
loop over the rows) and course/manifest.py what the checker must say about each, written
from the notes before the checker judged these pieces. Each file goes through the public
entry points only (`torchref.check(path, model=..., seed=1).to_json()`, the command line),
and the report is held to the contract: every mistake flagged at the right piece, every
variant passing with the notes its convention calls for, causes true and named for nine
files in ten, never a false statement, the learner's line exact for nine in ten, a verified
repair for eight in ten (each one doing what it says when the file is checked again), and a
loss that has lost its minus sign never passing.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import nbformat
import pytest

import torchref

COURSE = Path(__file__).resolve().parent / "course"
SEED = 1
CAUSES_NAMED = 0.9
LINES_EXACT = 0.9
REPAIRS_VERIFIED = 0.8
# the learners' names the contract recognises, and the contract's functions of each kind of model
LEARNER_NAMES = {
    "compute_cost": "loss",
    "cost": "loss",
    "backprop": "backward",
    "normalize": "normalise",
    "update_parameters": "update",
    "sigmoid_neuron": "forward",
}
CONTRACTS = {"mp_neuron": {"forward", "fit"}, "normalise": {"normalise", "denormalise"}}
TRAINABLE = {"forward", "loss", "backward", "update", "train"}


def _manifest():
    spec = importlib.util.spec_from_file_location("course_manifest", COURSE / "manifest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


MANIFEST = _manifest()
ENTRIES = MANIFEST.ENTRIES
MISTAKES = [e for e in ENTRIES if e.verdict == "wrong"]
VARIANTS = [e for e in ENTRIES if e.verdict == "pass"]
BY_FILE = {e.file: e for e in ENTRIES}


@cache
def report(file: str) -> dict:
    """The JSON report of one catalogue file, checked once per test session."""
    entry = BY_FILE[file]
    try:
        return torchref.check(COURSE / file, model=entry.model, seed=SEED).to_json()
    except Exception as exc:  # recorded as the verdict, so that every assertion below shows it
        return {"verdict": f"torchref.check raised {type(exc).__name__}: {exc}"}


def shown(r: dict) -> str:
    keys = ("verdict", "reason", "errors", "first_wrong_piece", "first_wrong", "mistake", "cause", "line", "repair")
    return "\n".join(f"  {key}: {r[key]!r}" for key in (*keys, "notes", "pieces") if key in r)


def code_lines(entry) -> list[list[str]]:
    """The file's lines, as one block for a .py file and one block per cell for a notebook."""
    path = COURSE / entry.file
    if entry.file.endswith(".ipynb"):
        return [cell.source.splitlines() for cell in nbformat.read(path, as_version=4).cells]
    return [path.read_text(encoding="utf-8").splitlines()]


def defined_pieces(entry) -> set[str]:
    """The contract's functions the file defines at module level, by the learner's names too."""
    path = COURSE / entry.file
    if entry.file.endswith(".ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        sources = [cell.source for cell in cells if cell.cell_type == "code"]
    else:
        sources = [path.read_text(encoding="utf-8")]
    names = set()
    for source in sources:
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    contract = CONTRACTS.get(entry.model, TRAINABLE)
    return {LEARNER_NAMES.get(name, name) for name in names} & contract


def line_number(entry, line: str):
    """The learner's line a report names: an int for a .py file, (cell, line) for a notebook; None if none."""
    if entry.file.endswith(".ipynb"):
        found = re.search(r"cell (\d+), line (\d+)", line or "")
        return (int(found[1]), int(found[2])) if found else None
    found = re.search(rf"(?:^|[\s/\\]){re.escape(entry.file)}:(\d+)\b", line or "")
    return int(found[1]) if found else None


def repair_is_faithful(entry, repair: dict) -> bool:
    """A repair quotes the learner's own line (with or without its comment) at the line it names."""
    if not isinstance(repair, dict) or not isinstance(repair.get("line"), int):
        return False
    before = str(repair.get("before", "")).strip()

    def quoted(text: str) -> bool:
        return bool(before) and before in (text.strip(), text.split("  #")[0].strip())

    blocks = code_lines(entry)
    if entry.file.endswith(".ipynb"):  # a notebook's repair line is placed within its cell
        return any(quoted(text) for block in blocks for text in block)
    lines = blocks[0]
    return 1 <= repair["line"] <= len(lines) and quoted(lines[repair["line"] - 1])


def false_statements(entry, r: dict) -> list[str]:
    """What the report states that is not true of this file: a cause that the mistake's regex does
    not match (or any cause where none can be known, or on a passing file), a repair that does
    not quote the learner's line, or a repair offered for a file that passes."""
    false = []
    cause, repair = r.get("cause", ""), r.get("repair")
    if cause and (entry.verdict == "pass" or entry.cause is None or not re.search(entry.cause, cause)):
        false.append(f"{entry.id}: cause {cause!r}")
    if repair is not None and (entry.verdict == "pass" or not repair_is_faithful(entry, repair)):
        false.append(f"{entry.id}: repair {repair!r}")
    return false


def cause_is_named(entry, r: dict) -> bool:
    return bool(entry.cause and r.get("cause") and re.search(entry.cause, r["cause"]))


def repair_is_verified(entry, r: dict) -> bool:
    repair = r.get("repair")
    result = str(repair.get("result", "")) if isinstance(repair, dict) else ""
    verified = re.search(r"all \d+ cases pass|next wrong", result)
    return bool(verified) and repair_is_faithful(entry, repair)


# --- the catalogue itself: what the expectations below stand on -----------------------------------------


def test_the_catalogue_covers_every_piece_of_the_course():
    assert len(MISTAKES) >= 34 and len(VARIANTS) >= 12, (len(MISTAKES), len(VARIANTS))
    assert len(BY_FILE) == len(ENTRIES), "a file is listed twice"
    on_disk = {p.name for p in COURSE.iterdir() if p.suffix in {".py", ".ipynb"} and p.name != "manifest.py"}
    assert on_disk == set(BY_FILE), on_disk ^ set(BY_FILE)
    covered = {(e.model, e.piece) for e in MISTAKES}
    for model, piece in [
        ("mp_neuron", "forward"),
        ("mp_neuron", "fit"),
        ("perceptron", "backward"),
        ("perceptron", "update"),
        ("perceptron", "train"),
        ("normalise", "normalise"),
        ("normalise", "denormalise"),
        ("logistic", "loss"),
        ("logistic", "update"),
        ("logistic", "train"),
    ]:
        assert (model, piece) in covered, (model, piece)
    assert sum(e.file.endswith(".ipynb") for e in MISTAKES) >= 3
    assert sum(e.missing_minus for e in MISTAKES) >= 3


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_the_manifest_says_what_the_file_holds(entry):
    """Each mistake's line holds the code it names, and every file defines a piece of its model."""
    assert defined_pieces(entry), f"{entry.file} defines none of the functions of {entry.model}"
    for pattern in ([entry.cause] if entry.cause else []) + list(entry.notes):
        re.compile(pattern)
    if entry.verdict == "pass":
        assert not (entry.piece or entry.first_wrong or entry.cause or entry.line or entry.repair)
        return
    assert entry.piece in defined_pieces(entry) and entry.first_wrong
    if entry.line is not None:
        blocks = code_lines(entry)
        cell, number = entry.line if isinstance(entry.line, tuple) else (1, entry.line)
        assert entry.code in blocks[cell - 1][number - 1], (entry.line, blocks[cell - 1][number - 1])


# --- one file at a time ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_each_file_gets_its_verdict_at_its_first_wrong_piece(entry):
    r = report(entry.file)
    assert r.get("verdict") == entry.verdict, f"{entry.description}\n{shown(r)}"
    pieces = {p.get("name"): p for p in r.get("pieces", [])}
    not_judged = {name for name in defined_pieces(entry) if pieces.get(name, {}).get("status") != "judged"}
    assert not not_judged, f"defined but not judged: {sorted(not_judged)}\n{shown(r)}"
    if entry.verdict == "wrong":
        assert r.get("first_wrong_piece") == entry.piece, shown(r)
        assert pieces[entry.piece].get("verdict") == "wrong", shown(r)
        assert r.get("first_wrong") in entry.first_wrong, shown(r)
    else:
        assert r.get("first_wrong_piece") == "", shown(r)
        assert all(p.get("verdict") == "pass" for p in pieces.values() if p.get("status") == "judged"), shown(r)
    assert not false_statements(entry, r), shown(r)
    missing = [note for note in entry.notes if not any(re.search(note, text) for text in r.get("notes", []))]
    assert not missing, f"no note matches {missing}\n{shown(r)}"


# --- the catalogue as a whole ----------------------------------------------------------------------------


def test_every_mistake_is_flagged():
    missed = [f"{e.id}: {report(e.file).get('verdict')}" for e in MISTAKES if report(e.file).get("verdict") != "wrong"]
    assert not missed, missed


def test_every_variant_passes():
    failed = [f"{e.id}: {report(e.file).get('verdict')}" for e in VARIANTS if report(e.file).get("verdict") != "pass"]
    assert not failed, failed


def test_the_first_wrong_piece_is_right_for_every_mistake():
    misplaced = [
        f"{e.id}: {report(e.file).get('first_wrong_piece')!r}, expected {e.piece!r}"
        for e in MISTAKES
        if report(e.file).get("first_wrong_piece") != e.piece
    ]
    assert not misplaced, misplaced


def test_a_true_cause_is_named_for_nine_mistakes_in_ten():
    knowable = [e for e in MISTAKES if e.cause is not None]
    named = [e.id for e in knowable if cause_is_named(e, report(e.file))]
    unnamed = sorted({e.id for e in knowable} - set(named))
    assert len(named) >= CAUSES_NAMED * len(knowable), f"{len(named)}/{len(knowable)}; not named: {unnamed}"


def test_nothing_the_reports_state_is_false():
    false = [statement for e in ENTRIES for statement in false_statements(e, report(e.file))]
    assert not false, false


def test_the_learners_line_is_exact_for_nine_mistakes_in_ten():
    placed = [e for e in MISTAKES if e.line is not None]
    exact = [e.id for e in placed if line_number(e, report(e.file).get("line", "")) == e.line]
    wrong = [f"{e.id}: {report(e.file).get('line')!r}, expected {e.line}" for e in placed if e.id not in exact]
    assert len(exact) >= LINES_EXACT * len(placed), f"{len(exact)}/{len(placed)}; {wrong}"


def test_a_verified_repair_for_eight_mistakes_in_ten():
    repairable = [e for e in MISTAKES if e.repair]
    repaired = [e.id for e in repairable if repair_is_verified(e, report(e.file))]
    missing = sorted({e.id for e in repairable} - set(repaired))
    assert len(repaired) >= REPAIRS_VERIFIED * len(repairable), f"{len(repaired)}/{len(repairable)}; {missing}"


# --- a loss without its minus sign, however it is handed in ----------------------------------------------

MINUS_LOST = [e for e in MISTAKES if e.missing_minus]


def _learner_loss(entry):
    spec = importlib.util.spec_from_file_location(f"learner_{entry.id}", COURSE / entry.file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(getattr(module, name) for name in ("loss", "compute_cost", "cost") if hasattr(module, name))


@pytest.mark.parametrize("entry", MINUS_LOST, ids=lambda e: e.id)
def test_a_loss_missing_its_minus_sign_never_passes(entry):
    """As a file, as its bytes, as a cell's text and as a function object: always wrong, at the loss."""
    path, model = COURSE / entry.file, entry.model
    handed_in = [
        ("file", lambda: report(entry.file)),
        ("bytes", lambda: torchref.check(source=path.read_bytes(), path=entry.file, model=model, seed=SEED)),
    ]
    if entry.file.endswith(".py"):
        text = path.read_text(encoding="utf-8")
        handed_in += [
            ("text", lambda: torchref.check(source=text, path=entry.file, model=model, seed=SEED)),
            ("function", lambda: torchref.check(model=model, loss=_learner_loss(entry), seed=SEED)),
        ]
    for how, judge in handed_in:
        r = judge()
        r = r if isinstance(r, dict) else r.to_json()
        assert r.get("verdict") == "wrong" and r.get("first_wrong_piece") == "loss", f"as {how}:\n{shown(r)}"


# --- the command line ------------------------------------------------------------------------------------

ON_THE_COMMAND_LINE = [
    "mp_strict_greater.py",
    "perc_update_plus.py",
    "norm_global_minmax.py",
    "loss_missing_minus.py",
    "train_cost_after_update.py",
    "update_in_place_ok.py",
    "nb_norm_global.ipynb",
]


@pytest.mark.parametrize("file", ON_THE_COMMAND_LINE)
def test_the_command_line_says_what_the_api_says(file, tmp_path):
    entry = BY_FILE[file]
    out = tmp_path / "report.json"
    argv = ["check", str(COURSE / file), "--model", entry.model, "--json", str(out), "--seed", str(SEED)]
    done = subprocess.run([sys.executable, "-m", "torchref", *argv], capture_output=True, text=True)
    assert done.returncode == (1 if entry.verdict == "wrong" else 0), done.stdout + done.stderr
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r.get("verdict") == entry.verdict and r.get("first_wrong_piece") == entry.piece, shown(r)
    api = report(file)
    for key in ("verdict", "first_wrong_piece", "first_wrong", "cause", "line"):
        assert r.get(key) == api.get(key), (key, r.get(key), api.get(key))


# --- a repair does what it says --------------------------------------------------------------------------


def test_every_repair_shown_does_what_it_says_when_the_file_is_checked_again():
    """Each .py file's repair put into the learner's file, checked again from scratch through the public API:
    every case passes when the repair says so, else the next wrong value is the one it names."""
    shown_repairs = [e for e in MISTAKES if e.file.endswith(".py") and report(e.file).get("repair")]
    assert len(shown_repairs) >= REPAIRS_VERIFIED * sum(e.repair for e in MISTAKES if e.file.endswith(".py"))
    untrue = []
    for entry in shown_repairs:
        repair = report(entry.file)["repair"]
        lines = (COURSE / entry.file).read_text(encoding="utf-8").split("\n")
        old = lines[repair["line"] - 1]
        lines[repair["line"] - 1] = old[: len(old) - len(old.lstrip())] + repair["after"] if repair["after"] else ""
        again = torchref.check(source="\n".join(lines), path=entry.file, model=entry.model, seed=SEED).to_json()
        said = re.search(r"next wrong: (\w+)", repair["result"])
        if said is None:
            true = (
                re.fullmatch(r"with this change, all \d+ cases pass", repair["result"]) and again["verdict"] == "pass"
            )
        else:
            true = again["verdict"] == "wrong" and said[1] in (again["first_wrong_piece"], again["first_wrong"])
        if not true:
            untrue.append(f"{entry.id}: {repair}\n{shown(again)}")
    assert not untrue, "\n".join(untrue)


def test_each_wrong_piece_of_a_notebook_names_its_cell():
    """report.pieces says each wrong piece's line as the report does: in the notebook's cells, not the judged .py."""
    notebooks = [e for e in MISTAKES if e.file.endswith(".ipynb")]
    for entry in notebooks:
        r = report(entry.file)
        first = next(p for p in r["pieces"] if p["name"] == entry.piece)
        assert first["line"] == r["line"] and re.search(r"\.ipynb cell \d+, line \d+", first["line"]), shown(r)


# --- a training loop: compared with the reference of its own kind, named at the step where it parts ------


def _losses(shown: str) -> list[float]:
    return [float(x) for x in shown.strip("[]").split()]


def _a02_epochs(X, Y, W, b, lr, steps):
    """A02's loop, from the notes: per row a = σ(x W + b), dz = a − y, W ← W − α xᵀ dz, b ← b − α dz."""
    import numpy as np

    X, Y, W, b = (np.array(v, dtype=np.float64) for v in (X, Y, W, b))
    for _ in range(steps):
        for x, y in zip(X, Y):
            a = 1 / (1 + np.exp(-(x[None, :] @ W + b)))
            W, b = W - lr * x[:, None] @ (a - y), b - lr * (a - y)
    return W, b


def test_a_wrong_loop_is_named_at_the_step_where_it_parts_from_the_reference():
    """The step t where the learner's losses (J after t updates) or parameters first differ, in the reason and the
    piece's JSON, as the smallest failing case's values show it."""
    for file, step in (("train_stale_grads.py", 2), ("train_cost_after_update.py", 0)):
        r = report(file)
        parts = next(p for p in r["pieces"] if p["name"] == "train")["parts"]
        assert parts["step"] == step and parts["value"] == f"losses[{step}]", shown(r)
        assert parts["compared_with"] == "batch" and parts["said"] in r["reason"], shown(r)
        when = "before any update" if step == 0 else f"after {step} updates"
        assert f"train parts from it at step {step} ({when}): losses[{step}] = " in r["reason"], shown(r)
        yours, expected = (_losses(r["small_case"][k]["losses"]) for k in ("yours", "expected"))
        parted = next(t for t, (a, e) in enumerate(zip(yours, expected)) if abs(a - e) > 1e-3 * abs(e))
        assert parted == step, (yours, expected)
    short = report("train_range_from_one.py")  # range(1, steps): one loss too few at steps = 1
    assert next(p for p in short["pieces"] if p["name"] == "train")["parts"]["step"] == 1, shown(short)
    assert "losses[1] is missing: losses has 1 value, the reference's 2 (steps + 1)" in short["reason"], shown(short)


def test_a_wrong_loop_over_the_rows_is_compared_with_per_example_sgd():
    """A02's row loop with + for −: compared with, and shown, the per-example trajectory (the notes' A02 loop,
    recomputed here), and said so; a right batch loop gets its own note."""
    r = report("train_sgd_plus_sign.py")
    parts = next(p for p in r["pieces"] if p["name"] == "train")["parts"]
    assert parts["compared_with"] == "per-example" and parts["step"] == 1, shown(r)
    assert "compared with per-example SGD" in r["reason"] and "(its code loops over the rows)" in r["reason"]
    small = r["small_case"]
    args = small["arguments"]
    W, b = _a02_epochs(args["X"], args["Y"], args["params"]["W"], args["params"]["b"], args["lr"], args["steps"])
    assert W.size == 1 and float(small["expected"]["W"]) == pytest.approx(float(W[0, 0]), rel=1e-5), small
    assert float(small["expected"]["b"]) == pytest.approx(float(b[0, 0]), rel=1e-5), small
    batch = report("train_losses_array_ok.py")
    assert any("train matches batch gradient descent" in note for note in batch["notes"]), shown(batch)


@pytest.mark.parametrize(
    "file", ["train_cost_after_update_padded.py", "train_cost_missing_minus.py", "train_sgd_plus_sign.py"]
)
def test_a_loops_cost_or_sign_mistake_is_named_at_its_line(file):
    """The cost logged after the update (the first value repeated), the cost without its minus (losses = −J) and
    a step uphill (+ α dW): each verified from the values, named, at the learner's line."""
    entry = BY_FILE[file]
    r = report(file)
    assert cause_is_named(entry, r) and line_number(entry, r.get("line", "")) == entry.line, shown(r)


def test_where_a_loop_parts_gives_no_expected_value_away_when_values_are_hidden():
    """The step is said with the learner's number only: a report with the expected values hidden keeps none."""
    from torchref.grading.rubric import hide_values

    hidden = hide_values(torchref.check(COURSE / "train_sgd_plus_sign.py", model="logistic", seed=SEED))
    text = json.dumps(hidden.to_json())
    expected = report("train_sgd_plus_sign.py")["small_case"]["expected"]["losses"]  # the reference's own numbers
    assert "train parts from it at step 1" in text and "losses[1] = " in text
    assert not [x for x in _losses(expected)[1:] if f"{x:g}"[:5] in text], (expected, hidden.reason)
