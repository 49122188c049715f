"""The rubric: the points of a file, and what the learner reads about each item it is scored on.

Every required gradient of the model (dW1, db1, dW2, db2 for `shallow`; dW, db for
`logistic`; dW1..dWL, db1..dbL for a deep model, at the depth its file is judged) is worth
one point, earned when it agrees with autograd in **every** case of the sweep. A case in
which the learner's code raised (or returned something that is not a dict of arrays) counts
as failed for every tensor, so a file that crashed in 34 of 40 cases earns nothing for the
tensors it returned in the other 6. A file that could not be judged scores 0 of the model's
usual maximum; an entry that is not a submission (a .txt, a figure) has no score.

The contract's other functions are scored by their pieces (`report.pieces`): each is worth
one point, earned when the checker judged it right in every case. A model without a
backward chain (the MP neuron, the perceptron, normalisation) is scored on its contract's
required functions (`Function.required`: the MP neuron's forward, the perceptron's backward
and update, normalise) in every file, a function not found earning nothing, and on each
other function the file defines. A model with a backward chain is scored on its gradients
and on each of loss, update and train the file defines (its forward is judged as the chain's
links and earns no point of its own): a wrong loss beside a right backward never scores full
marks.

A student with several files (a folder of them with --recursive, alice.py beside alice.ipynb
in a flat folder) is graded by one: the file with the highest score; at the same score a
pass before a wrong file, a wrong file before one that could not be judged, then the first
listed (`graded`). The gradebook has one row per student, naming that file and how many
files of the student were judged; Gradescope's and the other platforms' documents grade it
and name the others.
"""

from __future__ import annotations

from torchref.checker.report import NOT_RUN, FileReport, TensorVerdict
from torchref.registry import REGISTRY

POINTS = 1.0  # per required gradient, and per function of the contract scored by its piece
CHAIN = ("forward", "backward")  # a backward chain's functions: scored by its gradients
# what --hide-values removes: the numbers of the expected values and of the case
VALUE_FIELDS = ("max_abs", "max_rel", "worst_index", "message", "fd_max_abs")
CASE_FIELDS = ("small_case",)
VERDICT_RANK = {"pass": 3, "wrong": 2, "unusable": 1, "skipped": 0}  # at one score, the file a student is graded by


def required_gradients(model: str, report: FileReport | None = None) -> list[str]:
    """The parameter gradients a file for `model` must return, in the notes' order.

    A deep model is judged at one depth per file (the depth it writes out): the gradients
    of that depth, as the report's judged tensors name them. A file not judged (or no
    report) is scored against the model's usual depth, as the judge draws it.
    """
    if report is not None:
        judged = [t.name for t in report.tensors if t.name.startswith(("dW", "db"))]
        if judged:
            return judged
    pair = REGISTRY[model]
    usual = next(s for s in pair.shapes if len(s.hidden) == pair.usual_depth)
    return [n for n in pair.names(usual) if n.startswith(("dW", "db"))]


def gradient_results(report: FileReport) -> list[tuple[str, bool, str]]:
    """(gradient, earned, what the learner reads about it) for every required gradient of the report's model."""
    tensors = {t.name: t for t in report.tensors}
    # the cases in which the learner's code raised (or returned no dict of arrays): one error each. A
    # tensor's own count cannot say it: a deep model's dW3 exists only in the cases with three layers.
    crashed = sum(error.startswith("case ") for error in report.errors)
    out = []
    for name in required_gradients(report.model, report):
        t = tensors.get(name)
        if report.verdict != "unusable" and t is None and not report.has_forward and _not_found(report, "backward"):
            signature = REGISTRY[report.model].contract["backward"].signature
            out.append((name, False, f"{name}: not found: the file defines no {signature}"))
            continue
        if report.verdict == "unusable" or t is None:
            out.append((name, False, f"{name}: not judged: {report.reason or 'the file was not judged'}"))
            continue
        earned = t.status == "ok" and t.failed == 0 and crashed == 0
        out.append((name, earned, _feedback(t, report.cases_of("backward"), crashed)))
    return out


def _not_found(report: FileReport, name: str) -> bool:
    return any(p.get("name") == name and p.get("status") == "not found" for p in report.pieces)


def scored_pieces(report: FileReport) -> list[str]:
    """The contract's functions a report is scored on besides the backward's gradients, in the contract's order."""
    pair = REGISTRY[report.model]
    if pair.contract is None:
        return []
    judged = {p.get("name") for p in report.pieces if p.get("status") == "judged"}
    if pair.differentiable:
        return [f.name for f in pair.contract.functions if f.name not in CHAIN and f.name in judged]
    return [f.name for f in pair.contract.functions if f.required or f.name in judged]


def piece_results(report: FileReport) -> list[tuple[str, bool, str]]:
    """(function, earned, what the learner reads about it) for every contract function the report is scored on."""
    pieces = {p.get("name"): p for p in report.pieces}
    contract = REGISTRY[report.model].contract
    out = []
    for name in scored_pieces(report):
        p = pieces.get(name, {})
        if report.verdict == "unusable":
            out.append((name, False, f"{name}: not judged: {report.reason or 'the file was not judged'}"))
        elif p.get("status") != "judged":
            out.append((name, False, f"{name}: not found: the file defines no {contract[name].signature}"))
        elif p.get("verdict") == "pass":
            out.append((name, True, f"{name}: right in all {p.get('cases', 0)} cases"))
        else:
            out.append((name, False, _piece_feedback(p)))
    return out


def _piece_feedback(p: dict) -> str:
    name, first = p.get("name", ""), p.get("first_wrong", "")
    text = f"{name}: wrong"
    if first:
        text += f": {first} differs from the reference in {p.get('failed', 0)} of {p.get('cases', 0)} cases"
    if p.get("raised"):
        text += f" ({p['raised']} of them raised or returned something unreadable)"
    if p.get("cause"):
        text += f"; {p['cause']}"
    return text + (f"\nyour line: {p['line']}" if p.get("line") else "")


def results(report: FileReport) -> list[tuple[str, bool, str]]:
    """(item, earned, what the learner reads about it) for every item of the rubric: the gradients of a backward
    chain, then the contract's functions scored by their pieces."""
    if report.model not in REGISTRY:
        return []
    gradients = gradient_results(report) if REGISTRY[report.model].differentiable else []
    return gradients + piece_results(report)


def description(name: str) -> str:
    """What an item is compared with, in a platform's test list."""
    if name.startswith(("dW", "db")):
        return f"{name} as your code returns it, against autograd in every case"
    return f"your {name} as it returns its values, against the reference in every case"


def _feedback(t: TensorVerdict, cases: int, crashed: int) -> str:
    if t.status == "ok" and t.failed == 0 and crashed == 0:
        return f"{t.name}: right in all {cases} cases"
    parts = []
    if t.failed:
        parts.append(f"differs from autograd in {t.failed} of {cases} cases (first: {t.first_failure})")
    if crashed:
        parts.append(f"not returned in {crashed} of {cases} cases (your code raised)")
    if t.diagnosis:
        parts.append(t.diagnosis)
    text = f"{t.name}: " + (f"{t.status}: " if t.status != "ok" else "") + "; ".join(parts)
    return text + (f"\n{t.message}" if t.message else "")


def grade(report: FileReport) -> FileReport:
    """Set report.score and report.max_score under the rubric (a skipped entry keeps 0 of 0)."""
    if report.verdict == "skipped" or report.model not in REGISTRY:
        report.score = report.max_score = 0.0
        return report
    items = results(report)
    report.max_score = POINTS * len(items)
    report.score = POINTS * sum(earned for _, earned, _ in items)
    return report


def title(name: str) -> str:
    """A rubric item as the learner reads it: `dW1 (∂J/∂W1)`, a function of the contract by its name."""
    return f"{name} (∂J/∂{name[1:]})" if name.startswith(("dW", "db")) else name


def graded(reports: list[FileReport]) -> FileReport | None:
    """The file a student (or a submission) is graded by (the module's docstring); None when none was judged."""
    judged = [r for r in reports if r.verdict != "skipped"]
    if not judged:
        return None
    return max(judged, key=lambda r: (r.score, VERDICT_RANK[r.verdict]))  # max keeps the first of equals


def hide_values(report: FileReport) -> FileReport:
    """The report without the numbers of the expected values (feedback a learner can read before the deadline)."""
    for t in report.tensors:
        if t.status != NOT_RUN:  # a row no case returned has no number to hide (its null stays)
            t.max_abs = t.max_rel = t.fd_max_abs = 0.0
        t.worst_index, t.message, t.small_case = None, "", {}
    for name in CASE_FIELDS:
        if hasattr(report, name):
            setattr(report, name, type(getattr(report, name))())
    return report
