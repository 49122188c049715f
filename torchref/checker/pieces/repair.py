"""A verified repair of the first wrong piece: one change on the learner's line, in their names, judged again.

The backward's chain has its own edits (`torchref.checker.repair`); the other functions of a
contract (the loss, the update, the training loop, the MP neuron, normalisation) get the edits
of `torchref.checker.pieces.edits`, on the learner's line and on the assignments it reads. Those
that undo the mistake the judge named come first (`FIRST`); each candidate is judged again with
the batch's cases (`Session.rejudge`) and `torchref.checker.repair.verified` keeps the first that
passes every case, or that makes the first wrong value a later one: no other repair is shown.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from torchref import contracts
from torchref.checker import repair as chain_repair
from torchref.checker.pieces import values, where
from torchref.checker.pieces.cases import Case
from torchref.checker.pieces.edits import Place, edits
from torchref.checker.repair import Edit
from torchref.checker.report import FileReport
from torchref.contracts import Contract
from torchref.registry import ModelPair

if TYPE_CHECKING:
    from torchref.checker.pieces.session import Course

# the edits that undo a named mistake, tried first (in this order)
FIRST = {
    "mp-strict-threshold": ("compare",),
    "forward-strict-step": ("compare",),
    "mp-inhibitory-all": ("any",),
    "train-update-discarded": ("assign",),
    "mp-theta-off-by-one": ("compare", "plus one"),
    "mp-fit-theta-one-low": ("plus one",),
    "mp-fit-largest-theta": ("return first",),
    "mp-fit-never-none": ("none unless",),
    "mp-fit-inhibitory-ignored": ("argument",),
    "mp-fit-never-tries-zero": ("range",),
    "loss-missing-minus": ("negate",),
    "loss-sum-for-mean": ("mean", "add m"),
    "loss-only-y-log-a": ("second term",),
    "loss-minus-on-first-term": ("sign",),
    "backward-missing-one-over-m": ("add m",),
    "backward-b-with-x": ("drop factor",),
    "backward-z-for-a": ("name",),
    "update-plus-for-minus": ("sign",),
    "update-one-over-m-twice": ("drop factor",),
    "update-alpha-twice": ("drop factor",),
    "update-parameter-left-out": ("range",),
    "update-changes-grads": ("copy",),
    "normalise-global-min-max": ("axis", "notes"),
    "normalise-max-only": ("notes",),
    "normalise-z-score": ("notes",),
    "normalise-rows": ("axis",),
    "normalise-floor-division": ("div",),
    "normalise-integer-result": ("dtype",),
    "denormalise-own-statistics": ("delete",),
    "denormalise-high-not-range": ("notes",),
    "train-steps-off-by-one": ("range",),
    "train-learning-rate-schedule": ("delete",),
    "train-sgd-one-over-m": ("m = 1", "drop factor"),
    "train-log-of-z": ("name",),
    "train-loss-y-log-a-only": ("second term",),
}
# edits tried only when the named mistake calls for them (they change more than one symbol's meaning)
ONLY_WHEN_NAMED = {"delete", "m = 1", "return first", "none unless", "assign"}
# the pieces whose values are made one after another and each judged on its own (dZ, then dW from it; W, then b):
# one of them right and a later one wrong is progress. A loop's losses and parameters are one trajectory: not so.
ONE_BY_ONE = ("backward", "update")
# ---- verified ---------------------------------------------------------------------------------------


def candidates(
    text: str, code: where.Code, number: int, mistake: str, piece: str, spellings: dict[str, str], loss: str = ""
) -> list[Edit]:
    """Every one-change edit, in the order they are judged: those that undo the named mistake (on the learner's
    line, then on the assignments it reads), then the notes' line, then the others of the learner's line, then
    those of the lines it reads."""
    place = Place(text, code, number, piece, spellings, loss)
    first = FIRST.get(mistake, ())
    seen: set[tuple[int, str]] = set()
    ranked: list[tuple[tuple[int, int], int, Edit]] = []
    for s, site in enumerate(place.sites()):
        for label, after in edits(place, site):
            before = place.lines[site.lineno - 1]
            if after == before or (site.lineno, after) in seen:
                continue
            if label in ONLY_WHEN_NAMED and label not in first:
                continue
            seen.add((site.lineno, after))
            rank = (
                (first.index(label), s) if label in first else (len(first), 0 if (label, s) == ("notes", 0) else 1 + s)
            )
            ranked.append((rank, len(ranked), Edit(site.lineno, before, after)))
    return [edit for _, _, edit in sorted(ranked, key=lambda r: (r[0], r[1]))]


def attempt(
    rejudge: Callable[[str], FileReport], course: Course, report: FileReport, source: bytes | str
) -> dict[str, Any] | None:
    """The verified repair of the report's first wrong piece (not the backward's chain), or None.

    `rejudge(source) -> FileReport` judges an edited source on the batch's cases; `course` is the batch's
    `Course` (the contract, and the order of each piece's values)."""
    piece = report.first_wrong_piece
    contract = course.contract
    if report.verdict != "wrong" or piece not in contract or not report.line:
        return None
    if piece == "backward" and course.pair.differentiable:
        return None  # the chain's own repair
    number = _line_number(report.line)
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    spellings = _spellings(text, contract)
    code = where.parse(text, spellings.get(piece, piece))
    if number is None or code is None or code.fn is None:
        return None
    edits = candidates(text, code, number, report.mistake, piece, spellings, _loss_formula(course.pair))
    order = contract.names
    named = _value_order(course.cases, piece)

    def result(again: FileReport) -> str:
        if again.verdict == "pass":
            return chain_repair.all_pass(again)
        judged = {p["name"]: p for p in again.pieces}
        if again.verdict != "wrong" or judged.get(piece, {}).get("status") != "judged":
            return ""
        later = again.first_wrong_piece
        if later in order and order.index(later) > order.index(piece):
            return f"with this change, {piece} is right; next wrong: {later} ({again.first_wrong})"
        mine = judged[piece]
        if (
            later == piece
            and piece in ONE_BY_ONE
            and not mine.get("raised")
            and report.first_wrong in named
            and again.first_wrong in named
            and named.index(again.first_wrong) > named.index(report.first_wrong)
        ):
            return f"with this change, {report.first_wrong} is right; next wrong: {again.first_wrong}"
        return ""

    repaired: dict[str, Any] | None = chain_repair.verified(rejudge, text, edits, result)
    return repaired


def _value_order(cases: Iterable[Case], piece: str) -> list[str]:
    """The names a piece's values are compared in (the first wrong one is the piece's)."""
    case = next((c for c in cases if c.piece == piece), None)
    names = [*values.ORDER.get(piece, ()), *(case.expected if case is not None else ())]
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def _loss_formula(pair: ModelPair) -> str:
    """The notes' loss in Python, {A}, {Y} and {np} to fill in with the learner's names ("" when none)."""
    if pair.contract is contracts.PERCEPTRON:
        return "{np}.mean({np}.abs({A} - {Y}))"
    if pair.contract is not None and "loss" in pair.contract and getattr(pair, "output", "") == "sigmoid":
        return "-{np}.mean({Y} * {np}.log({A}) + (1 - {Y}) * {np}.log(1 - {A}))"
    return ""


def _line_number(line: str) -> int | None:
    place = line.partition("  ")[0]
    number = place.rpartition(":")[2]
    return int(number) if number.isdigit() else None


def _spellings(text: str, contract: Contract) -> dict[str, str]:
    """{contract name: the file's name for it}: the first of its spellings the file defines at module level."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    out: dict[str, str] = {}
    for name in contract.names:
        spelled = next((s for s in contract.spellings(name) if s in defined), "")
        if spelled:
            out[name] = spelled
    return out
