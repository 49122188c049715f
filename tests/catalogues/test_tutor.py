"""The tutor, held to the truth on a catalogue of learners' files (tutor/manifest.py says what is true).

The files under tutor/files were written as learners of the course write them, from the notes,
before anything of the checker's diagnosis was read or run on them: 56 mistakes and 16 correct
files written in unusual ways, as `.py` files, notebooks and functions handed over as objects.
Each goes through the public entry point (`torchref.check` on a path, or on function objects),
and its `report.to_json()` must:

- flag every mistake at its exact first wrong tensor, and report every tensor that is wrong in
  its own right as wrong (not as an echo of another), and no other tensor as wrong; pass every
  correct file;
- state only true causes: a stated cause matches what the catalogue says a true one says, or is a
  formula (`computed`) that gives the learner's own values on fresh cases and is not degenerate
  (all zeros, or the same whatever the inputs). A formula that does not give them is false
  wherever it stands; so is a label known to be false for the file (manifest's `not_cause`), and
  a label that explains only part of the failing cases offered as the cause. Saying plainly that
  it cannot tell is no statement. No false statement at all, and a true cause for nine in ten;
- name the learner's line (the helper's line for a mistake in a helper) for nine in ten;
- show a repair for four in five, each re-applied here (the learner's line replaced by `after`)
  and the repaired file checked again: it must do what the repair's `result` says.
"""

import ast
import contextlib
import importlib.util
import io
import re
import sys
import types
import uuid
import warnings
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest

import torchref
from torchref.registry import REGISTRY, Shape
from torchref_handmade import activations

HERE = Path(__file__).resolve().parent / "tutor"
FILES = HERE / "files"
SEED = 20260522
CASES = 8  # per dtype: the named shapes first (every shallow one up to (7, 3, 5); all the logistic ones)


def _manifest():
    spec = importlib.util.spec_from_file_location("tutor_manifest", HERE / "manifest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


M = _manifest()
MISTAKES = [c for c in M.CASES if c.verdict == "wrong"]
VARIANTS = [c for c in M.CASES if c.verdict == "pass"]
BY_ID = {c.id: c for c in M.CASES}


# ---- the learner's code, as the checker gets it and as this test runs it itself ----------------


def _import(path: Path) -> types.ModuleType:
    """A module of the api form, run from its file under a name of its own: its functions keep their source
    (inspect reads the file their code names) and no bytecode is written beside the catalogue."""
    module = types.ModuleType(f"tutor_learner_{path.stem}_{uuid.uuid4().hex[:8]}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def _check(case, path: Path | None = None) -> dict:
    """The report of one file, through the public entry points."""
    path = path or FILES / case.file
    options = dict(model=case.model, seed=SEED, cases=CASES)
    if case.form == "api":
        module = _import(path)
        return torchref.check(**{role: getattr(module, name) for role, name in case.api}, **options).to_json()
    return torchref.check(str(path), **options).to_json()


def _notebook_lines(nb) -> list[tuple[tuple[int, int], str]]:
    """((cell, line), text) for every line of every code cell; cells count from 1, markdown included."""
    out = []
    for c, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code":
            out += [((c, i), text) for i, text in enumerate(cell.source.split("\n"), 1)]
    return out


def _lines(case, path: Path | None = None) -> list[tuple[object, str]]:
    """(place, text) of every line of the learner's source: a file line, or (cell, line) in a notebook."""
    path = path or FILES / case.file
    if case.form == "ipynb":
        return _notebook_lines(nbformat.read(path, as_version=4))
    return list(enumerate(path.read_text().split("\n"), 1))


def _functions(case, path: Path | None = None) -> dict:
    """forward (or None) and backward of the learner, run in this process (the catalogue's own files)."""
    path = path or FILES / case.file
    if case.form == "api":
        module = _import(path)
        roles = {role: getattr(module, name) for role, name in case.api}
        return {"forward": roles.get("forward"), "backward": roles["backward"]}
    namespace = {"__name__": f"tutor_learner_{path.stem}"}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if case.form == "ipynb":
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.split("\n")]
                    exec(compile("\n".join(lines), str(path), "exec"), namespace)
        else:
            exec(compile(path.read_text(), str(path), "exec"), namespace)
    return {"forward": namespace.get("forward"), "backward": namespace["backward"]}


def _learner_values(fns: dict, s, reference: dict) -> dict:
    """Every tensor the learner's functions give on one case: the forward's cache, then backward's grads."""
    X, Y = s.X.copy(), s.Y.copy()
    params = {k: v.copy() for k, v in s.params.items()}
    values = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if fns["forward"] is not None:
            _, cache = fns["forward"](X, params)
            values.update(cache)
        else:
            cache = {k: v.copy() for k, v in reference.items() if k[:1] in ("Z", "A") and k != "J"}
        values.update(fns["backward"](X, Y, params, cache))
    return {k: np.asarray(v) for k, v in values.items() if isinstance(v, (np.ndarray, np.generic, float, int))}


def _fresh_shapes(model: str) -> list:
    """Shapes the checker's named cases do not use (some where a file that raises on most shapes runs)."""
    k = REGISTRY[model].shapes[0].k
    if model == "logistic":
        return [Shape(5, 3), Shape(6, 1), Shape(2, 2)]
    if model.startswith("deep"):
        return [Shape(5, 3, (4, 3), k), Shape(6, 4, (4, 4), k), Shape(3, 2, (1, 1), k)]
    return [Shape(5, 3, (4,)), Shape(6, 2, (1,)), Shape(4, 4, (4,))]


# ---- is a stated formula what the learner computed? ----------------------------------------------


@cache
def _formula_holds(case_id: str, formula: str) -> bool | None:
    """True: on fresh cases the formula (the notes' symbols, right upstream values) gives the learner's
    value of the first wrong tensor, and is neither all zeros nor the same for other inputs.
    False: it gives other values, or is degenerate. None: it cannot be evaluated here."""
    case = BY_ID[case_id]
    pair, fns, name = REGISTRY[case.model], _functions(case), case.first_wrong
    names = {n: getattr(activations, n) for n in dir(activations) if not n.startswith("_")}
    agreed, values = 0, []
    for i, shape in enumerate(_fresh_shapes(case.model)):
        for seed in (SEED + i, SEED + 100 + i):
            s = pair.sample(shape, "float64", seed)
            reference = pair.handmade(s)
            sizes = {"m": shape.m, "n": shape.n, **({"h": shape.hidden[0]} if shape.hidden else {})}
            env = {"np": np, **names, "X": s.X, "Y": s.Y, **sizes, **s.params, **reference}
            try:
                mine = _learner_values(fns, s, reference).get(name)
            except Exception:
                mine = None
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    said = np.asarray(eval(formula, env), dtype=np.float64)  # the report's own expression
            except Exception:
                return None
            values.append(said)
            if mine is None:
                continue
            if mine.shape != said.shape or not np.allclose(said, mine, rtol=1e-6, atol=1e-9, equal_nan=True):
                return False
            agreed += 1
    if not agreed:
        return None
    zeros = all(not np.any(v) for v in values)
    constant = all(
        a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=0.0) for a, b in zip(values[::2], values[1::2])
    )
    return not (zeros or constant)


# ---- what the report says, judged -----------------------------------------------------------------


def _tensors(report: dict) -> dict:
    return {t["name"]: t for t in report.get("tensors", [])}


# a report that says it does not know states no cause (the contract's way is an empty `cause`)
CANNOT_TELL = re.compile(r"\b(cannot|can't|could not) tell\b|^(layer \d+ of \d+: )?no known mistake", re.IGNORECASE)
PART = re.compile(r"explains (\d+)/(\d+)")  # "(explains 2/16 failing cases)"


def _cause(case, report: dict) -> tuple[str, str]:
    """("true" | "honest" | "none" | "false", why) for the report's statement of cause."""
    cause = report.get("cause") or ""
    formula = _tensors(report).get(report.get("first_wrong"), {}).get("computed") or ""
    holds = _formula_holds(case.id, formula) if formula and case.verdict == "wrong" else None
    if formula and (case.verdict == "pass" or holds is False):
        return "false", f"the formula {formula!r} is not what the learner computed (or is degenerate)"
    if not cause or CANNOT_TELL.search(cause):
        return ("honest" if case.cause is None else "none"), ""
    if case.verdict == "pass":
        return "false", f"a cause for a correct file: {cause!r}"
    if (part := PART.search(cause)) and int(part[1]) < int(part[2]):
        return "false", f"a label that explains only part of the failing cases, as the cause: {cause!r}"
    if case.not_cause is not None and re.search(case.not_cause, cause, re.IGNORECASE):
        return "false", f"{cause!r} says what the catalogue knows to be false here ({case.not_cause!r})"
    if case.cause is not None and re.search(case.cause, cause, re.IGNORECASE):
        return "true", ""
    if holds:
        return "true", ""
    return "false", f"{cause!r} is not a true cause (a true one matches {case.cause!r})"


def _places(case) -> set:
    """Every way a report may name the learner's line: file:N, cell C, line L, or function, line L."""
    wanted = {case.line, *case.also_lines}
    places = set()
    for line in wanted:
        if case.form == "ipynb":
            places.add(("cell", *line))
            continue
        places.add(("file", line))
        if case.form == "api":
            for node in ast.parse((FILES / case.file).read_text()).body:
                if node.lineno <= line <= node.end_lineno:
                    if isinstance(node, ast.FunctionDef):
                        places.add(("function", node.name, line - node.lineno + 1))
                    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                        places.add(("function", node.targets[0].id, line - node.lineno + 1))
    return places


def _place(text: str):
    label = (text or "").split("  ", 1)[0]
    if found := re.search(r"cell (\d+), line (\d+)$", label):
        return ("cell", int(found[1]), int(found[2]))
    if found := re.search(r"(\w+), line (\d+)$", label):
        return ("function", found[1], int(found[2]))
    if found := re.search(r":(\d+)$", label):
        return ("file", int(found[1]))
    return None


def _repaired_file(case, repair: dict, report: dict, workdir: Path) -> Path:
    """The learner's file with the repair's line replaced by `after`, written beside the others' copies."""
    before = (repair.get("before") or "").strip()
    after = repair.get("after")
    assert before and after is not None and after.strip() != before, f"an empty or unchanged repair: {repair}"
    lines = _lines(case)
    spots = [place for place, text in lines if text.strip() == before]
    if len(spots) > 1:  # the same text twice: the repair's line number (or the report's line) decides
        named = {repair.get("line"), _place(report.get("line", ""))}
        spots = [p for p in spots if p in named or ("file", p) in named or ("cell", *p) in named]
    assert len(spots) == 1, f"the repair's line {before!r} is not one line of {case.file}: {spots}"
    (spot,) = spots
    old = dict(lines)[spot]
    indent = old[: len(old) - len(old.lstrip())]
    new = "\n".join(indent + part.strip() for part in after.split("\n")) if after.strip() else ""
    target = workdir / uuid.uuid4().hex[:8] / case.file
    target.parent.mkdir(parents=True)
    if case.form == "ipynb":
        nb = nbformat.read(FILES / case.file, as_version=4)
        cell, number = spot
        source = nb.cells[cell - 1].source.split("\n")
        source[number - 1] = new
        nb.cells[cell - 1].source = "\n".join(source)
        nbformat.write(nb, target)
    else:
        text = (FILES / case.file).read_text().split("\n")
        text[spot - 1] = new
        target.write_text("\n".join(text))
    return target


class Catalogue:
    """Each file checked once; each repair the report shows re-applied and checked once."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self._reports, self._repairs = {}, {}

    def report(self, case) -> dict:
        if case.id not in self._reports:
            self._reports[case.id] = _check(case)
        return self._reports[case.id]

    def repair(self, case) -> tuple[str, str]:
        """("absent" | "verified" | "false", why)."""
        if case.id not in self._repairs:
            self._repairs[case.id] = self._verify(case)
        return self._repairs[case.id]

    def _verify(self, case) -> tuple[str, str]:
        report = self.report(case)
        repair = report.get("repair")
        if not repair:
            return "absent", ""
        result = repair.get("result") or ""
        passes = re.search(r"all \d+ cases pass", result)
        following = re.search(r"next wrong:\s*`?([A-Za-z]\w*)", result)
        if not (passes or following):
            return "false", f"the repair's result says neither that the cases pass nor what is wrong next: {result!r}"
        try:
            again = _check(case, _repaired_file(case, repair, report, self.workdir))
        except AssertionError as exc:
            return "false", str(exc)
        if following:
            if (again["verdict"], again["first_wrong"]) != ("wrong", following[1]):
                return "false", f"{repair} gives {again['verdict']} at {again['first_wrong']!r}, not {result!r}"
        elif again["verdict"] != "pass":
            return "false", f"{repair} gives {again['verdict']} at {again['first_wrong']!r}, not {result!r}"
        return "verified", ""


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    return Catalogue(tmp_path_factory.mktemp("tutor"))


# ---- the catalogue itself ----------------------------------------------------------------------


def test_the_catalogue_is_large_covers_every_form_model_and_kind():
    assert len(MISTAKES) >= 44 and len(VARIANTS) >= 14
    assert len(BY_ID) == len(M.CASES) and len({c.file for c in M.CASES}) == len(M.CASES)
    learners = {f.name for f in FILES.iterdir() if f.suffix in (".py", ".ipynb")}
    assert learners == {c.file for c in M.CASES}, "every file is a case, once"
    for group in (MISTAKES, VARIANTS):
        assert {c.form for c in group} == {"py", "ipynb", "api"}
        families = {"deep" if c.model.startswith("deep_") else c.model for c in group}
        assert families == {"logistic", "shallow", "deep"}
    assert not set(M.REQUIRED_KINDS) - {c.kind for c in MISTAKES}


@pytest.mark.parametrize("case", MISTAKES, ids=[c.id for c in MISTAKES])
def test_each_entry_names_a_real_line_of_its_file(case):
    lines = dict(_lines(case))
    assert lines[case.line].strip() == case.code
    assert all(place in lines for place in case.also_lines)
    assert case.wrong[0] == case.first_wrong and case.repair_result
    assert case.cause is None or re.compile(case.cause)


@pytest.mark.parametrize("case", M.CASES, ids=[c.id for c in M.CASES])
def test_each_learner_file_runs(case):
    """Imports (a notebook's cells run in order) and runs on the course's shapes: all for a correct
    file; at least one for a mistake (some raise on most shapes, as the learner's did)."""
    if case.form == "ipynb":
        nbformat.validate(nbformat.read(FILES / case.file, as_version=4))
    fns = _functions(case)
    pair, ran = REGISTRY[case.model], 0
    shapes = pair.shapes
    if case.model.startswith("deep"):  # the depth a loop file is judged at: two hidden layers
        shapes = [Shape(s.m, s.n, (s.hidden * 2)[:2], s.k) for s in shapes]
    for i, shape in enumerate(shapes):
        s = pair.sample(shape, "float64", SEED + i)
        try:
            _learner_values(fns, s, pair.handmade(s))
            ran += 1
        except Exception:
            assert case.verdict == "wrong", f"a correct file raised on {shape}"
    assert ran >= 1


# ---- the reports, case by case -------------------------------------------------------------------


@pytest.mark.parametrize("case", MISTAKES, ids=[c.id for c in MISTAKES])
def test_a_mistake_is_flagged_at_its_first_wrong_link_and_nothing_false_is_said(catalogue, case):
    report = catalogue.report(case)
    assert report["verdict"] == "wrong", report.get("reason")
    assert report["first_wrong"] == case.first_wrong, report.get("reason")
    tensors = _tensors(report)
    for name in case.wrong:
        assert name in tensors and tensors[name]["status"] not in ("ok", "echo"), (name, tensors.get(name))
    blamed = {n: t["diagnosis"] for n, t in tensors.items() if t["status"] == "wrong" and n not in case.wrong}
    assert not blamed, f"wrong in its own right, the report says, though each is an echo: {blamed}"
    verdict, why = _cause(case, report)
    assert verdict != "false", why
    repaired, why = catalogue.repair(case)
    assert repaired != "false", why


@pytest.mark.parametrize("case", VARIANTS, ids=[c.id for c in VARIANTS])
def test_a_correct_file_written_its_own_way_passes(catalogue, case):
    report = catalogue.report(case)
    assert report["verdict"] == "pass", report.get("reason")
    assert not report.get("cause") and not report.get("line") and not report.get("mistake")
    assert not report.get("repair")


# ---- the catalogue as a whole --------------------------------------------------------------------


def test_every_mistake_flagged_at_its_first_wrong_link_and_every_variant_passes(catalogue):
    missed = [c.id for c in MISTAKES if catalogue.report(c)["verdict"] != "wrong"]
    elsewhere = [
        f"{c.id}: {catalogue.report(c)['first_wrong']!r}, not {c.first_wrong!r}"
        for c in MISTAKES
        if catalogue.report(c)["first_wrong"] != c.first_wrong
    ]
    failed = [c.id for c in VARIANTS if catalogue.report(c)["verdict"] != "pass"]
    assert not missed and not elsewhere and not failed, (missed, elsewhere, failed)


def test_each_link_wrong_in_its_own_right_is_reported_wrong_not_an_echo(catalogue):
    wrong = []
    for case in MISTAKES:
        tensors = _tensors(catalogue.report(case))
        wrong += [f"{case.id}: {n} {tensors.get(n, {}).get('status')}" for n in case.wrong if n not in tensors]
        wrong += [
            f"{case.id}: {n} reported {tensors[n]['status']}"
            for n in case.wrong
            if n in tensors and tensors[n]["status"] in ("ok", "echo")
        ]
    assert not wrong, wrong


def test_no_link_is_called_wrong_that_is_only_an_echo(catalogue):
    """A link whose own line is right is never reported `wrong`, even when it reads values the file does not
    return (dZ2, dA1, dZ1 computed in backward and dropped)."""
    blamed = []
    for case in MISTAKES:
        tensors = _tensors(catalogue.report(case))
        blamed += [f"{case.id}: {n}" for n, t in tensors.items() if t["status"] == "wrong" and n not in case.wrong]
    assert not blamed, blamed


def test_a_backward_whose_values_only_echo_a_wrong_forward_is_not_called_wrong(catalogue):
    """Z2 = A1 @ W2 - b2, and a right backward that returns only the gradients (dZ2, dA1, dZ1 dropped): each
    gradient follows from the forward's mistake through values the file does not return, and says so."""
    report = catalogue.report(BY_ID["shallow-b2-sign-backward-returns-grads-only"])
    pieces = {p["name"]: p.get("verdict") for p in report["pieces"]}
    assert (pieces["forward"], pieces["backward"]) == ("wrong", "pass"), report["pieces"]
    for name in ("dW2", "db2", "dW1", "db1"):
        t = _tensors(report)[name]
        assert t["status"] == "echo" and "which the file does not return" in t["diagnosis"], t


def test_no_false_statement_and_a_true_cause_for_nine_in_ten(catalogue):
    said = {c.id: _cause(c, catalogue.report(c)) for c in M.CASES}
    false = [f"{i}: {why}" for i, (verdict, why) in said.items() if verdict == "false"]
    true = [c.id for c in MISTAKES if said[c.id][0] in ("true", "honest")]
    assert not false, false
    assert len(true) >= 0.9 * len(MISTAKES), sorted({c.id for c in MISTAKES} - set(true))


def test_the_learners_line_for_nine_in_ten(catalogue):
    exact = [c.id for c in MISTAKES if _place(catalogue.report(c).get("line", "")) in _places(c)]
    missed = {c.id: catalogue.report(c).get("line", "") for c in MISTAKES if c.id not in exact}
    assert len(exact) >= 0.9 * len(MISTAKES), missed


def test_a_verified_repair_for_four_in_five_and_no_repair_that_does_not_do_what_it_says(catalogue):
    outcome = {c.id: catalogue.repair(c) for c in MISTAKES}
    false = [f"{i}: {why}" for i, (verdict, why) in outcome.items() if verdict == "false"]
    verified = [i for i, (verdict, _) in outcome.items() if verdict == "verified"]
    assert not false, false
    assert len(verified) >= 0.8 * len(MISTAKES), sorted(set(outcome) - set(verified))
