"""The contract's pieces in a batch: their cases and plan drawn once, and each file's pieces merged into its report.

The backward keeps its own judge (the notes' chain, link by link); every other function of
the contract is judged here, on the plan's calls made in the same run of the learner's
process. The report lists every piece (judged, or not found), and the first wrong one in
the contract's order is the report's: forward → loss → backward → update → train (fit for
the MP neuron; normalise → denormalise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from torchref.checker.messages import no_backward, none_of
from torchref.checker.pieces import cases as drawing
from torchref.checker.pieces import judge as pieces_judge
from torchref.checker.pieces import plan
from torchref.checker.report import FileReport
from torchref.checker.sandbox.child import FORWARD_VALUE
from torchref.registry import ModelPair

if TYPE_CHECKING:
    from torchref.checker.sandbox.protocol import Array, Result

ONE_OVER_M = (
    "1/m in update, not in backward: backward returns the summed gradients and update takes (1/m)(α ∘ ∂w), as the "
    "notes write the learning rule; their composition is the step W ← W − α (1/m) Xᵀ dZ (accepted)"
)


class Course:
    """One batch's cases of every piece of a pair's contract, and the plan of calls that runs them."""

    def __init__(self, pair: ModelPair, seed: int, hidden: int | tuple[int, ...] | None = None):
        """`hidden`: the depth (or the widths) the batch judges its files at (`drawing.draw`)."""
        if pair.contract is None:
            raise ValueError(f"{pair.name} has no contract: no functions of a learner's file to judge")
        self.pair, self.contract = pair, pair.contract
        self.cases = drawing.draw(pair, seed, hidden)
        self.inputs, self.plan = plan.build(pair.contract, self.cases)
        self.expected_bytes = plan.expected_bytes(self.cases)

    def merge(
        self,
        report: FileReport,
        result: Result,
        outputs: Mapping[str, Array],
        source: bytes,
        filename: str,
        backward_judged: bool,
    ) -> None:
        """Judge the pieces, then decide the report: its pieces, its first wrong piece, its notes, verdict and count.

        `report` holds the backward's judge (the chain, link by link, on the batch's cases) when
        `backward_judged`. That judge also compares the values of the file's forward (its cache) on
        those cases, and says more about a wrong one than the forward piece can (which link, its
        cause, the echoes after it): when it found the first wrong value in the forward, its words stay.
        `report.cases` becomes the cases of every piece judged (each piece's own in `report.pieces`).
        """
        chain = self.pair.differentiable  # the backward's own judge, link by link
        skip = ("backward",) if chain else ()
        pieces, notes = pieces_judge.judge(self.pair, self.cases, result, outputs, source, filename, skip)
        by_name = {p.name: p for p in pieces}
        backward, forward = by_name.get("backward"), by_name.get("forward")
        in_forward = backward_judged and report.has_forward and _forward_blamed(report)
        if backward is not None and chain:
            backward.status = "judged" if backward_judged else "not found"
            backward.cases = report.cases if backward_judged else 0
            backward.verdict = "" if not backward_judged else _backward_verdict(report, in_forward)
        if forward is not None and in_forward:
            forward.verdict = "wrong"  # the chain's cases showed it, whatever the forward's own cases did
        if backward is not None:
            update = by_name.get("update")
            if (
                backward.verdict == "wrong"
                and update is not None
                and update.mistake == "update-one-over-m-twice"
                and pieces_judge.step_passes(self.cases, result, outputs)
            ):  # the notes' perceptron rule: summed gradients, then (1/m)(α ∘ ∂w)
                backward.verdict = update.verdict = "pass"
                notes.append(ONE_OVER_M)
        judged = [p for p in pieces if p.status == "judged"]
        missing = chain and not backward_judged and bool(judged)  # judged without the backward: say so
        if missing:
            notes.append(f"{no_backward(source)}: the gradients are not judged")
        report.pieces = [p.to_json() for p in pieces]
        report.notes = list(dict.fromkeys(report.notes + notes))
        if not judged:
            report.verdict, report.reason = "unusable", none_of(self.contract, source)
            return
        report.cases = sum(p.cases for p in judged)
        first = next((p for p in pieces if p.verdict == "wrong"), None)
        if first is None:
            report.verdict, report.first_wrong_piece = "pass", ""
            report.first_wrong = report.cause = report.mistake = report.line = ""
            report.reason = ""
            return
        report.verdict, report.first_wrong_piece = "wrong", first.name
        if chain and (first is backward or (first is forward and in_forward)):
            return  # the backward's judge has said it all
        report.first_wrong, report.mistake, report.cause, report.line = (
            first.first_wrong,
            first.mistake,
            first.cause,
            first.line,
        )
        report.reason = first.reason  # what was not judged is a note, not part of the wrong piece's words
        report.small_case = first.small_case


def _forward_blamed(report: FileReport) -> bool:
    """The backward's judge found the file wrong in its forward: a first wrong link that is a forward value
    (Z1, A1, ...), or, with no wrong link, what the runner said of the forward's values in the failing cases."""
    if report.verdict != "wrong":
        return False
    if report.first_wrong:
        return bool(FORWARD_VALUE.match(report.first_wrong))
    return any(_FORWARD_SAID.search(error) for error in report.errors)


def _backward_verdict(report: FileReport, in_forward: bool) -> str:
    """The backward's own verdict: wrong when one of its values (or a case) failed, not for the echoes of a wrong
    forward value that its own lines carried on."""
    if report.verdict != "wrong":
        return report.verdict
    if not in_forward or report.errors:
        return "wrong"
    own = [t for t in report.tensors if not FORWARD_VALUE.match(t.name) and t.status in ("wrong", "missing")]
    return "wrong" if own else "pass"


# a case's error that is about the forward: where it raised, or the runner's words on its values
_FORWARD_SAID = re.compile(r" in forward: |forward returned |: (?:[ZA]\d*, )*[ZA]\d*\b.* are not numbers")
