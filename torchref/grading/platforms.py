"""The documents a grading platform reads, written from the file reports of one submission.

    torchref check /grade/student --model shallow --recursive --prairielearn /grade/results/results.json
    torchref check /shared/submission --model shallow --recursive --coursera /shared/feedback.json
    torchref check prog.py --model shallow --coderunner -        # CodeRunner reads the JSON on stdout

Each writer is a pure function of the graded reports of one learner's submission (every
entry found in it, as `gradebook.check_folder` lists them) and returns the platform's
document, a dict for `json.dumps`. The rubric decides the score (`rubric.grade`) and which
file of a submission counts (`rubric.graded`); a writer only says it in the platform's words and
keeps within the platform's documented limits:

- **PrairieLearn**, external grader ("Grading results" of its external-grading guide):
  `{gradable, score in [0, 1], message, output, images, tests: [{name, description, points,
  max_points, message, output}]}`, at most 1 MB. A submission that could not be judged, or
  that holds no derivation, is `gradable: false` with `format_errors`: PrairieLearn then
  awards nothing, takes nothing and does not count the attempt. Every field is plain text:
  PrairieLearn escapes it itself (message and output pass through its ANSI-to-HTML
  conversion, which escapes; the other fields through its template).
- **Coursera**, custom grader: `{"fractionalScore": 0-1, "feedback": ..., "feedbackType":
  "HTML"}` in /shared/feedback.json; every text from the learner's side is HTML-escaped here.
- **Moodle CodeRunner**, combinator template grader: `{fraction, prologuehtml, testresults,
  columnformats, epiloguehtml}` printed by the question's template. testresults' first row
  holds the headers (`iscorrect` is CodeRunner's tick-or-cross column), then one row per link
  of the chain as the judge compared them. Its cells are text, which CodeRunner escapes
  itself (the `%s` column format); prologuehtml and epiloguehtml are HTML, escaped here.

Each document is the learner's to read: none says that another student handed in the same
file (a report's `same_source_as`), which would give them that student's name and file; the
teacher reads it in the gradebook's CSV, the --json and the class report.

`hide=True` leaves out the numbers of the expected values (what `--hide-values` promises): the
writers work on a copy passed through `gradebook.hide_values`, so no caller can forget it.
"""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path

from torchref.checker.report import VERDICT_WORDS, FileReport, small_case_lines
from torchref.grading.rubric import POINTS, description, graded, hide_values, piece_results, results, title
from torchref.grading.writers import label

PRAIRIELEARN_BYTES = 1_000_000  # "this file should be limited to 1 MB"
# Coursera and CodeRunner document no size limit for the grader's JSON; a page a learner reads stays
# far below what either stores (CodeRunner's sandbox keeps a couple of MB of output)
FEEDBACK_BYTES = 64 * 1024
MESSAGE_CHARS = 2_000  # a headline
TEXT_CHARS = 8_000  # one rubric item's or one link's text
OUTPUT_CHARS = 100_000  # the details under the tests
NOTHING = "No .py or .ipynb file with your derivation was found in the submission"
TOO_LONG = "<p>(The details were too long to show here.)</p>"


def fraction(report: FileReport) -> float:
    """The rubric's score as a fraction in [0, 1] (0 for a report with nothing to earn)."""
    return min(1.0, max(0.0, report.score / report.max_score)) if report.max_score > 0 else 0.0


def clip(text: str, limit: int) -> str:
    """`text` with at most `limit` characters, saying how much was cut."""
    text = str(text)
    if len(text) <= limit:
        return text
    note = f" … ({len(text) - limit} more characters cut)"
    return text[: max(0, limit - len(note))] + note


def size(document: dict) -> int:
    """The bytes of `document` as the writers write it (UTF-8 JSON)."""
    return len(json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")) + 1


def fit(document: dict, limit: int, keep: tuple[str, ...] = ()) -> dict:
    """`document` within `limit` bytes: its longest texts halved (each saying so) until it fits. The texts under
    the keys in `keep` are never cut (HTML: half an element would leave the rest of the page inside it)."""
    while size(document) > limit:
        texts = (found for found in _texts(document) if found[1] not in keep)
        place, key, text = max(texts, key=lambda found: len(found[2]), default=(None, None, ""))
        if len(text) < 200:  # nothing long left to cut: the structure itself is too large (never for ours)
            raise ValueError(f"the document cannot be cut to {limit} bytes")
        place[key] = clip(text, len(text) // 2)
    return document


def _texts(node):
    """(container, key, text) for every string inside `node`."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, str):
            yield node, key, value
        else:
            yield from _texts(value)


def _html_within(document: dict, key: str, blocks: list[str], limit: int) -> dict:
    """`document[key]` set to the HTML `blocks` (whole elements, the verdict first) joined, or, when that makes
    the document larger than `limit` bytes, to as many leading blocks as fit and a sentence saying the rest was
    too long: HTML is never cut inside an element."""
    document[key] = "".join(blocks)
    if size(document) <= limit:
        return document
    kept = blocks[:1]  # the verdict stays
    for block in blocks[1:]:
        document[key] = "".join(kept) + block + TOO_LONG
        if size(document) > limit:
            break
        kept.append(block)
    document[key] = "".join(kept) + TOO_LONG
    return document


def _prepared(reports: list[FileReport], hide: bool) -> list[FileReport]:
    return [hide_values(copy.deepcopy(r)) for r in reports] if hide else reports


def _details(best: FileReport, others: list[FileReport], root: Path, hide: bool) -> list[str]:
    """What the learner reads under the verdict: their line, their errors, the small case, the other files."""
    out = []
    place, code = best.learner_line()
    if code:
        out.append(f"your line: {place}  {code}")
    out += best.errors[:3]
    out += [f"warning: {w}" for w in best.warnings]
    first = next((t for t in best.tensors if t.name == best.first_wrong), None)
    if first is not None and first.small_case and not hide:
        out += ["", *small_case_lines(first.name, first.small_case)]
    if best.stdout:
        out += ["", "your code printed:", best.stdout]
    if best.sandbox:
        out.append(f"seed {'secret' if best.seed_secret else best.seed}: your teacher can replay these cases")
    if others:
        out.append("also found (not graded): " + ", ".join(f"{label(r, root)} ({_said(r)})" for r in others))
    return out


def _said(report: FileReport) -> str:
    return VERDICT_WORDS[report.verdict] if report.verdict != "wrong" else f"{report.score:g} of {report.max_score:g}"


def _not_judged(reports: list[FileReport], best: FileReport | None, root: Path) -> list[str]:
    """Why a submission could not be judged, one line per cause, each at most a rubric item's length."""
    if best is None:
        found = ", ".join(label(r, root) for r in reports) or "nothing"
        lines = [f"{NOTHING} (found: {found})."]
    else:
        lines = [f"{label(best, root)}: {VERDICT_WORDS[best.verdict]}: {best.reason}", *best.errors[:3]]
    return [clip(line, TEXT_CHARS) for line in lines]


def _not_judged_html(reports: list[FileReport], best: FileReport | None, root: Path) -> list[str]:
    """The same, as escaped HTML blocks under the verdict (for `_html_within`)."""
    lines = _not_judged(reports, best, root)
    return [f"<p><b>{html.escape(VERDICT_WORDS['unusable'])}</b></p>", *(f"<p>{html.escape(s)}</p>" for s in lines)]


# ---- PrairieLearn ----------------------------------------------------------------------------


def prairielearn(reports: list[FileReport], root, hide: bool = False) -> dict:
    """PrairieLearn's results.json for one submission (graded reports of its entries)."""
    root = Path(root)
    reports = _prepared(reports, hide)
    best = graded(reports)
    if best is None or best.verdict == "unusable":
        errors = _not_judged(reports, best, root)
        return fit({"gradable": False, "format_errors": errors, "message": errors[0], "tests": []}, PRAIRIELEARN_BYTES)
    others = [r for r in reports if r is not best and r.verdict != "skipped"]
    tests = []
    for name, earned, text in results(best):
        head, _, rest = text.partition("\n")
        tests.append(
            {
                "name": title(name),
                "description": description(name),
                "points": POINTS if earned else 0.0,
                "max_points": POINTS,
                "message": clip(head, TEXT_CHARS),
                "output": clip(rest, TEXT_CHARS),
            }
        )
    document = {
        "gradable": True,
        "score": fraction(best),
        "message": clip(f"{label(best, root)}: {best.headline()}", MESSAGE_CHARS),
        "output": clip("\n".join(_details(best, others, root, hide)), OUTPUT_CHARS),
        "images": [],
        "tests": tests,
    }
    return fit(document, PRAIRIELEARN_BYTES)


# ---- Coursera -------------------------------------------------------------------------------


def coursera(reports: list[FileReport], root, hide: bool = False) -> dict:
    """Coursera's feedback.json for one submission: the score as a fraction, the feedback as escaped HTML."""
    root = Path(root)
    reports = _prepared(reports, hide)
    best = graded(reports)
    e = html.escape
    if best is None or best.verdict == "unusable":
        return _coursera(0.0, _not_judged_html(reports, best, root))
    rows = "".join(
        f"<tr><td><code>{e(title(name))}</code></td><td>{'✔' if earned else '✘'}</td>"
        f"<td>{POINTS if earned else 0.0:g} / {POINTS:g}</td><td><pre>{e(clip(text, TEXT_CHARS))}</pre></td></tr>"
        for name, earned, text in results(best)
    )
    others = [r for r in reports if r is not best and r.verdict != "skipped"]
    details = "\n".join(_details(best, others, root, hide))
    blocks = [
        f"<p><b>{e(clip(label(best, root), MESSAGE_CHARS))}</b>: {e(clip(best.headline(), MESSAGE_CHARS))}</p>",
        f"<p>Score: {best.score:g} of {best.max_score:g}</p>",
        f"<table><tr><th>item</th><th></th><th>points</th><th>what the checker found</th></tr>{rows}</table>",
        *([f"<pre>{e(clip(details, OUTPUT_CHARS))}</pre>"] if details else []),
    ]
    return _coursera(fraction(best), blocks)


def _coursera(score: float, blocks: list[str]) -> dict:
    document = {"fractionalScore": score, "feedback": "", "feedbackType": "HTML"}
    return _html_within(document, "feedback", blocks, FEEDBACK_BYTES)


# ---- Moodle CodeRunner ---------------------------------------------------------------------

CODERUNNER_HEADERS = ["iscorrect", "link", "verdict", "cases failed", "what the checker found"]


def coderunner(reports: list[FileReport], root, hide: bool = False) -> dict:
    """CodeRunner's combinator-grader JSON for one answer: one table row per link of the chain."""
    root = Path(root)
    reports = _prepared(reports, hide)
    best = graded(reports)
    e = html.escape
    if best is None or best.verdict == "unusable":
        return _html_within({"fraction": 0.0}, "prologuehtml", _not_judged_html(reports, best, root), FEEDBACK_BYTES)
    rows = [CODERUNNER_HEADERS]
    for t in best.tensors:
        said = best.explanation() if t.name == best.first_wrong else t.diagnosis
        right = t.status == "ok" and t.failed == 0
        rows.append([int(right), t.name, t.status, f"{t.failed}/{t.cases}", clip(said, TEXT_CHARS)])
    pieces = {p.get("name"): p for p in best.pieces}
    for name, earned, text in piece_results(best):  # the contract's other functions, by their pieces
        p = pieces.get(name, {})
        judged = p.get("status") == "judged"
        verdict = ("ok" if earned else "wrong") if judged else "not found"
        failed = f"{p.get('failed', 0)}/{p.get('cases', 0)}" if judged else ""
        rows.append([int(earned), name, verdict, failed, clip(text, TEXT_CHARS)])
    others = [r for r in reports if r is not best and r.verdict != "skipped"]
    details = "\n".join(_details(best, others, root, hide))
    document = {
        "fraction": fraction(best),
        "prologuehtml": f"<p><b>{e(clip(best.headline(), MESSAGE_CHARS))}</b></p>"
        f"<p>Score: {best.score:g} of {best.max_score:g} (one point per item right in every case)</p>",
        "testresults": rows,
        "columnformats": ["%s"] * (len(CODERUNNER_HEADERS) - 1),  # every column but iscorrect: text
        "epiloguehtml": f"<pre>{e(clip(details, OUTPUT_CHARS))}</pre>" if details else "",
    }
    return _coderunner(document)


def _coderunner(document: dict) -> dict:
    if size(document) > FEEDBACK_BYTES:  # the table's texts are plain: cut them; the HTML gives way whole
        document["epiloguehtml"] = TOO_LONG
        fit(document, FEEDBACK_BYTES, keep=("prologuehtml", "epiloguehtml"))
    return document


WRITERS = {"prairielearn": prairielearn, "coursera": coursera, "coderunner": coderunner}
