"""The judge of a contract's pieces: every function the file defines, on its cases, in the contract's order.

Each piece is a set of links (its named values: J, W, losses, θ, X_scaled) judged like the
backward's: compared with the reference on every case, the first wrong value named, a
cause stated only when a catalogued mistake reproduces the learner's values on every
failing case (`torchref.checker.pieces.mistakes`, `torchref.checker.pieces.loops`), the learner's line,
and the smallest failing case. Conventions the contract accepts become notes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from torchref import contracts
from torchref.checker.escape import clean
from torchref.checker.pieces import loops, plan, values, where
from torchref.checker.pieces.cases import Case, Values
from torchref.checker.pieces.mistakes import LOSS, MP, NORMALISE, RULE, UPDATE, Mistake
from torchref.contracts import LEARNER_NAMES, Contract
from torchref.registry import ModelPair

if TYPE_CHECKING:
    from torchref.checker.sandbox.protocol import Array, CallRecord, Error, Result

CATALOGUE = [*MP, *LOSS, *RULE, *UPDATE, *NORMALISE, *loops.TRAIN]


@dataclass
class Piece:
    """What is said about one contract function of the file."""

    name: str
    status: str = "not found"  # judged | not found
    verdict: str = ""  # pass | wrong | unusable | ""
    spelled: str = ""  # the learner's name for it
    cases: int = 0
    failed: int = 0
    raised: int = 0  # failing cases without a value to name (the code raised, or returned something unreadable)
    first_wrong: str = ""  # the first wrong value ("J", "W", "losses", ...)
    mistake: str = ""
    cause: str = ""
    line: str = ""
    reason: str = ""  # the sentence of the report when this is the first wrong piece
    small_case: dict[str, Any] = field(default_factory=dict)
    errors: list[Error] = field(default_factory=list)
    # a wrong loop: the step where it parts from the reference of its kind {"step", "value", "compared_with", "said"}
    parts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The piece as the report lists it: its verdict, and for a wrong one its first wrong value, the mistake and
        cause verified for it and the learner's line (every wrong piece, not only the first: rubric, class report)."""
        out: dict[str, object] = {
            "name": self.name,
            "status": self.status,
            "verdict": self.verdict,
            "cases": self.cases,
        }
        if self.status == "judged":
            wrong = self.verdict == "wrong"
            out.update(failed=self.failed if wrong else 0, raised=self.raised if wrong else 0)
            said = (self.first_wrong, self.mistake, self.cause, self.line) if wrong else ("", "", "", "")
            out.update(zip(("first_wrong", "mistake", "cause", "line"), said))
            if wrong and self.parts:  # the reference's number stays out (a report may hide the expected values)
                out["parts"] = {k: v for k, v in self.parts.items() if not k.startswith("_")}
        return out


@dataclass
class _Failure:
    case: Case
    values: Values
    wrong: list[str]  # the names that differ
    error: Error | None = None
    problem: str = ""
    mutated: list[str] = field(default_factory=list)


def judge(
    pair: ModelPair,
    cases: list[Case],
    result: Result,
    outputs: Mapping[str, Array],
    source: bytes,
    filename: str,
    skip: Sequence[str] = ("backward",),
) -> tuple[list[Piece], list[str]]:
    """(pieces, notes): every function of the pair's contract but `skip` (the backward's own judge)."""
    contract = pair.contract
    if contract is None:
        return [], []  # no functions to judge
    found = result.get("found", {})
    records = {c["id"]: c for c in result.get("calls", [])}
    perceptron = contract is contracts.PERCEPTRON
    notes: list[str] = []
    pieces: list[Piece] = []
    for name in contract.names:
        piece = Piece(name, spelled=found.get(name, ""))
        if piece.spelled:
            piece.status = "judged"
            if piece.spelled != name:
                notes.append(f"{piece.spelled} is judged as the contract's {contract[name].signature}")
        pieces.append(piece)
        if name in skip or not piece.spelled:
            continue
        failures: list[_Failure] = []
        piece_notes: list[str] = []
        for case in (c for c in cases if c.piece == name):
            record = records.get(plan.PREFIX + case.id)
            failure = _case(case, record, outputs, perceptron, piece_notes)
            if case.kind != "ordinary":
                piece_notes += _edge_note(case, failure, _returned(case, record, outputs))
                continue
            piece.cases += 1
            if failure is not None:
                failures.append(failure)
        notes += list(dict.fromkeys(piece_notes))
        piece.failed = len(failures)
        piece.verdict = "wrong" if failures else "pass"
        if failures:
            _diagnose(piece, failures, source, filename, contract)
    return pieces, notes


def step_passes(cases: list[Case], result: Result, outputs: Mapping[str, Array]) -> bool:
    """The learner's backward composed with their update gives the reference's step on every case."""
    records = {c["id"]: c for c in result.get("calls", [])}
    steps = [c for c in cases if c.piece == "step"]
    for case in steps:
        record = records.get(plan.PREFIX + case.id)
        if record is None or record.get("missing") or record.get("error") or record["problems"]:
            return False
        got, problem = values.read(case, plan.returned(outputs, case.id), record["types"])
        if problem or values.wrong_names(case, got):
            return False
    return bool(steps)


def failure(
    case: Case, record: CallRecord | None, outputs: Mapping[str, Array], perceptron: bool, notes: list[str]
) -> _Failure | None:
    """What went wrong in one call of the learner's function (None when it is right, a convention the contract
    accepts said in `notes`): the names that differ, or the error or problem of the call."""
    return _case(case, record, outputs, perceptron, notes)


def _case(
    case: Case, record: CallRecord | None, outputs: Mapping[str, Array], perceptron: bool, notes: list[str]
) -> _Failure | None:
    """None when the learner's function is right on this case; else what went wrong."""
    if record is None or record.get("missing"):
        return _Failure(case, {}, [], problem="the call did not run")
    if record.get("error"):
        return _Failure(case, {}, [], error=record["error"])
    got, problem = values.read(case, plan.returned(outputs, case.id), record["types"])
    problem = "; ".join(p for p in [problem, *record["problems"]] if p)
    if problem:
        return _Failure(case, got, [], problem=problem)
    mutated = [m for m in record["mutated"] if m.startswith("grads")]
    if case.piece == "update" and record["mutated"] and record["returns_argument"] == "params":
        notes.append("update changes params in place and returns them (accepted: the caller's dict is the new one)")
    if case.piece == "train":
        kind, as_counts = loops.kind_of(case, got, perceptron)
        if kind:
            if kind == "per-example":
                notes.append(f"train is {loops.KINDS[kind]}; judged against that kind's trajectory")
            else:
                notes.append("train matches batch gradient descent (every step one update over all the rows)")
            if as_counts:
                notes.append("train's losses are counts of misclassified rows (read as error rates: count / m)")
            return None
        if not perceptron and loops.shuffled_together(case, got):
            notes.append("train shuffles X and Y together each epoch (per-example SGD over a fresh order of the rows)")
            return None
        reading = loops.counted(case, got) if perceptron else None
        got = reading or got
    wider = [k for k, v in got.items() if case.dtype == "float32" and getattr(v, "dtype", None) == np.float64]
    if case.piece in ("normalise", "denormalise") and wider:
        notes.append(f"{case.piece} turns float32 into float64 ({', '.join(wider)}): the contract keeps float32 as "
                     "float32 (integer input becomes float64); compute in X's own dtype")  # fmt: skip
    if case.piece == "loss" and perceptron and not values.wrong_names(case, {"J": np.asarray(got["J"]) / case.m}):
        notes.append("loss is the count of misclassified rows (read as the error rate: count / m)")
        return None
    wrong = values.wrong_names(case, got)
    if case.piece == "forward" and "theta" not in case.args:
        wrong = [w for w in wrong if w in got]
    if not wrong and not mutated:
        return None
    return _Failure(case, got, wrong or ["grads"], mutated=mutated)


def _returned(case: Case, record: CallRecord | None, outputs: Mapping[str, Array]) -> Values:
    """The values the learner's function returned on `case` ({} when the call raised or did not run)."""
    if record is None or record.get("missing") or record.get("error"):
        return {}
    return values.read(case, plan.returned(outputs, case.id), record["types"])[0]


def _finite(found: Values) -> bool:
    return all(np.all(np.isfinite(np.asarray(v, np.float64))) for v in found.values() if v is not None)


def _edge_note(case: Case, failure: _Failure | None, got: Values) -> list[str]:
    """What the learner's function does on an edge case, said on its own (never the verdict). Normalisation's edge
    cases (a constant column, a single row: max − min = 0) are said whatever comes back, the reference's NaN too."""
    what = f"{case.piece} on {case.label}"
    if failure is not None and failure.error:
        return [
            f"{what} raises {clean(failure.error.get('type', 'an error'))}: reported on its own, not in the verdict"
        ]
    got = failure.values if failure is not None and failure.values else got
    if not got:
        return []
    if case.kind == "saturated":
        if _finite(got):
            return []
        return [f"{what}: J is inf/NaN (log of 0); clip a to [ε, 1 − ε] (np.clip) so that a saturated σ keeps J "
                "finite (in float32 an ε of at least 1e-7: 1 − 1e-8 rounds to 1): not part of the verdict"]  # fmt: skip
    ours = "" if _finite(case.expected) else ", as the reference's own min–max does"
    if not _finite(got):
        return [f"{what} gives NaN/inf: max − min = 0 there, so x' = 0/0{ours}; 0/0 needs a rule (e.g. leave such a "
                "column at 0): reported on its own, not in the verdict"]  # fmt: skip
    theirs = " (the reference's are NaN: max − min = 0, 0/0)" if ours else ""
    return [f"{what} gives finite values{theirs}: reported on its own, not in the verdict"]


def _diagnose(piece: Piece, failures: list[_Failure], source: bytes, filename: str, contract: Contract) -> None:
    """The first wrong value, a verified cause, the learner's line, the smallest failing case."""
    code = where.parse(source, piece.spelled)
    verifying = failures  # the mistakes reproduce values of both kinds of loop themselves
    if piece.name == "train":
        failures = _own_kind(piece, failures, code)
    named = [f for f in failures if f.wrong]
    piece.raised = len(failures) - len(named)
    order = [*values.ORDER.get(piece.name, ()), *(f.wrong[0] for f in named)]
    piece.first_wrong = next((n for n in order if any(n in f.wrong for f in named)), "")
    if not named:  # every failing case raised or returned something unreadable
        piece.first_wrong = piece.first_wrong or next(iter(failures[0].case.expected), "")
    mistake, detail = _verified(piece.name, verifying, code, contract)
    errors = [f.error for f in failures if f.error]
    if any(f.mutated for f in failures):
        mutated = sorted({m for f in failures for m in f.mutated})
        piece.first_wrong = "grads"
        piece.mistake = "update-changes-grads"
        piece.cause = (
            f"update changes the caller's grads in place ({', '.join(mutated)}): the gradients belong to the "
            "caller; compute the step in new arrays"
        )
        line = where.writes_into(code, 1) if code else None
    elif mistake is not None:
        piece.mistake = mistake.name
        piece.cause = mistake.cause.replace("{detail}", detail)
        locate = (lambda c: where.defining(c, piece.first_wrong)) if mistake.where is where.defining else mistake.where
        line = (locate(code) if locate and code else None) or (
            where.defining(code, piece.first_wrong) if code and not mistake.mechanism else None
        )
    elif piece.name == "train" and code is not None and where.separate_shuffles(code):
        piece.mistake, piece.cause, line = "train-shuffled-apart", loops.SHUFFLED_APART, None
    else:
        line = errors[0].get("line") if errors else (where.defining(code, piece.first_wrong) if code else None)
    if line and code is not None and 0 < line <= len(code.lines):
        piece.line = f"{filename}:{line}  {clean(code.lines[line - 1].strip(), 200)}"
    piece.small_case = _small_case(failures)
    parted = f"; {piece.parts['said']}" if piece.parts else ""  # a loop: where it parts from its kind's reference
    if piece.cause:
        piece.reason = f"{piece.name}: {piece.first_wrong}: {piece.cause}{parted}"
    elif errors:
        e = errors[0]
        place = f" at line {e['line']}" if e.get("line") else ""
        piece.reason = (
            f"{piece.name}: the learner's code raised in {len(errors)}/{piece.cases} cases: "
            f"{clean(e.get('type', ''))}{place}: {clean(e.get('message', ''), 200)}{parted}"
        )
    elif any(f.problem for f in failures):
        piece.reason = f"{piece.name}: {clean(next(f.problem for f in failures if f.problem), 300)}{parted}"
    else:
        piece.reason = (
            f"{piece.name}: {piece.first_wrong} differs from the reference in {len(failures)}/{piece.cases} cases"
            f"{parted}; I cannot tell which mistake it is: look at your line and the smallest failing case"
        )


def _own_kind(piece: Piece, failures: list[_Failure], code: where.Code | None) -> list[_Failure]:
    """A wrong loop's failures compared with the reference trajectory of its own kind, and in `piece.parts` the
    earliest step where it parts from it (of the smallest case, at a tie)."""
    shown = [against_own_kind(f, code) for f in failures]
    parted = [(parts["step"], f.case.m, parts) for f, parts in shown if parts]
    if parted:
        piece.parts = min(parted, key=lambda p: p[:2])[2]
    return [f for f, _ in shown]


def against_own_kind(f: _Failure, code: where.Code | None) -> tuple[_Failure, dict[str, Any]]:
    """(the failure of a loop compared with the reference trajectory of its own kind, where it parts from it):
    per-example SGD when its code loops over the rows, batch gradient descent when it does not
    (`loops.compared_kind` without code to read); {"step", "value", "compared_with", "said"}, read from the values,
    or {} (no values)."""
    if f.error is not None or f.problem or not f.values:
        return f, {}
    rows = where.loops_over_rows(code) is not None if code is not None and code.fn is not None else None
    kind, why = loops.compared_kind(f.case, f.values, rows)
    case = dataclasses.replace(f.case, expected=loops.trajectory(f.case, kind))
    shown = dataclasses.replace(f, case=case, wrong=values.wrong_names(case, f.values) or f.wrong)
    parted = loops.parting(case, f.values, case.expected)
    if parted is None:
        return shown, {}
    t, value, what, reference = parted
    said = loops.parting_said(kind, why, t, what)
    return shown, {"step": t, "value": value, "compared_with": kind, "said": said, "_reference": reference}


def _verified(
    name: str, failures: list[_Failure], code: where.Code | None, contract: Contract
) -> tuple[Mistake | None, str]:
    """The catalogued mistake of this piece that reproduces the learner's values on every failing case.

    When several do (the cases cannot tell them apart), the one whose construct is in the learner's code is
    stated; if that leaves more than one, or none, no cause is stated.
    """
    verified = list(_reproducing(name, failures, code, contract))
    if len(verified) > 1:
        verified = [(m, d) for m, d in verified if m.where is not None and code is not None and m.where(code)]
    return verified[0] if len(verified) == 1 else (None, "")


def _reproducing(
    name: str, failures: list[_Failure], code: where.Code | None, contract: Contract
) -> Iterator[tuple[Mistake, str]]:
    for mistake in CATALOGUE:
        if mistake.piece != name or (mistake.only and not set(mistake.only) <= set(contract.names)):
            continue
        if mistake.mechanism and (code is None or mistake.where is None or mistake.where(code) is None):
            continue
        keys: list[object] = []
        details: list[str] = []
        explained = True
        for f in failures:
            if f.error is not None and mistake.raises is not None and mistake.raises(f.case, f.error):
                continue
            if f.error is not None or f.problem and not f.values or f.mutated:
                explained = False
                break
            reproduced = mistake.reproduce(f.case, f.values)
            if reproduced is None or not values.explains(f.case, f.values, reproduced):
                explained = False
                break
            keys.append(reproduced.get("_key"))
            details.append(reproduced.get("_detail", ""))
        if explained and details and len({repr(k) for k in keys}) == 1:
            yield mistake, details[0]


def _small_case(failures: list[_Failure]) -> dict[str, Any]:
    """The smallest failing case: its arguments, the reference's values and the learner's."""
    f = min(failures, key=lambda f: (f.case.m, f.case.dtype != "float64"))
    args: dict[str, object] = {}
    for k, v in f.case.args.items():
        if isinstance(v, dict):
            args[k] = {kk: np.asarray(vv).tolist() for kk, vv in v.items()}
        else:
            args[k] = np.asarray(v).tolist() if v is not None else None
    out: dict[str, Any] = {"case": f.case.label, "piece": f.case.piece, "arguments": args}
    out["expected"] = {k: values.show(v) for k, v in f.case.expected.items() if not k.startswith("_")}
    out["yours"] = {k: values.show(v) for k, v in f.values.items()}
    if f.error:
        out["raised"] = clean(f"{f.error.get('type')}: {f.error.get('message', '')}", 300)
    return out


def learner_names_note(found: Mapping[str, str]) -> list[str]:
    """Functions of the file named as learners name them but not matching this contract (for the reason)."""
    return [f"{alias} (the contract's {meant})" for alias, meant in LEARNER_NAMES.items() if alias in found]
