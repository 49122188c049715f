"""The contract's pieces in a batch: their cases and plan drawn once, and each file's pieces merged into its report.

The backward keeps its own judge (the notes' chain, link by link); every other function of
the contract is judged here, on the plan's calls made in the same run of the learner's
process. The report lists every piece (judged, or not found), and the first wrong one in
the contract's order is the report's: forward → loss → backward → update → train (fit for
the MP neuron; normalise → denormalise).
"""

from __future__ import annotations

from torchref.checker.pieces import cases as drawing
from torchref.checker.pieces import judge as pieces_judge
from torchref.checker.pieces import plan
from torchref.checker.pieces import values as pieces_values
from torchref.checker.sandbox.child import FORWARD_VALUE

ONE_OVER_M = (
    "1/m in update, not in backward: backward returns the summed gradients and update takes (1/m)(α ∘ ∂w), as the "
    "notes write the learning rule; their composition is the step W ← W − α (1/m) Xᵀ dZ (accepted)"
)


class Course:
    """One batch's cases of every piece of a pair's contract, and the plan of calls that runs them."""

    def __init__(self, pair, seed: int):
        self.pair = pair
        self.cases = drawing.draw(pair, seed)
        self.inputs, self.plan = plan.build(pair.contract, self.cases)
        self.expected_bytes = plan.expected_bytes(self.cases)
        self.values: dict = {}  # each function's values in the order they are judged (what a repair moves past)
        for case in self.cases:
            order = [*pieces_values.ORDER.get(case.piece, ()), *case.expected]
            self.values.setdefault(case.piece, list(dict.fromkeys(k for k in order if not k.startswith("_"))))

    def found(self, result: dict) -> dict:
        return {k: v for k, v in result.get("found", {}).items() if v}

    def merge(self, report, result: dict, outputs, source: bytes, filename: str, backward_judged: bool) -> None:
        """Judge the pieces, then decide the report: its pieces, its first wrong piece, its notes and verdict."""
        found = self.found(result)
        chain = self.pair.differentiable  # the backward's own judge, link by link
        skip = ("backward",) if chain else ()
        pieces, notes = pieces_judge.judge(self.pair, self.cases, result, outputs, source, filename, skip)
        by_name = {p.name: p for p in pieces}
        backward = by_name.get("backward")
        if backward is not None:
            if chain:
                backward.status = "judged" if backward_judged else "not found"
                backward.verdict = report.verdict if backward_judged else ""
            update = by_name.get("update")
            if (
                backward.verdict == "wrong"
                and update is not None
                and update.mistake == "update-one-over-m-twice"
                and pieces_judge.step_passes(self.cases, result, outputs)
            ):  # the notes' perceptron rule: summed gradients, then (1/m)(α ∘ ∂w)
                backward.verdict = update.verdict = "pass"
                notes.append(ONE_OVER_M)
        report.pieces = [p.to_json() for p in pieces]
        report.notes = list(dict.fromkeys(report.notes + notes))
        judged = [p for p in pieces if p.status == "judged"]
        if not judged:
            names = ", ".join(self.pair.contract[n].signature for n in self.pair.contract.names)
            report.verdict = "unusable"
            report.reason = f"the file defines none of the contract's functions: {names}" + (
                f" (found {', '.join(found)})" if found else ""
            )
            return
        first = next((p for p in pieces if p.verdict == "wrong"), None)
        if first is None:
            report.verdict, report.first_wrong_piece = "pass", ""
            report.first_wrong = report.cause = report.mistake = report.line = ""
            report.reason = ""
            report.cases = max(report.cases, sum(p.cases for p in pieces))
            return
        report.verdict, report.first_wrong_piece = "wrong", first.name
        report.cases = max(report.cases, sum(p.cases for p in pieces))
        if first.name == "backward" and chain:
            return  # the backward's judge has said it all
        if first.name == "forward" and chain and backward_judged and FORWARD_VALUE.match(report.first_wrong or ""):
            return  # the chain's judge named the forward's first wrong value (Z1, A1, ...) with its own line and cause
        report.first_wrong, report.mistake, report.cause, report.line = (
            first.first_wrong,
            first.mistake,
            first.cause,
            first.line,
        )
        report.reason = first.reason
        report.small_case = first.small_case
