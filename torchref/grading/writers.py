"""The files a grading writes: the gradebook's CSV, Gradescope's results.json, every JSON, and the one safe writer.

`write_file` is the only way a grading output reaches the disk: a new file that then takes
the name, so that whatever was at the path (a link a learner planted in a folder anyone may
write to) is replaced, never followed or written into. A learner's text in the CSV is kept
from starting a spreadsheet formula.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from pathlib import Path

from torchref.checker.escape import clean
from torchref.checker.report import FileReport, finite
from torchref.grading.gradebook import by_student
from torchref.grading.rubric import POINTS, graded, results, title

CSV_COLUMNS = [
    "student",
    "file",
    "score",
    "max_score",
    "verdict",
    "first_wrong",
    "cause",
    "line",
    "files",
    "same_source",
]


def label(report: FileReport, root: Path) -> str:
    """The report's file as the teacher reads it: relative to the folder that was checked (its path when the file
    itself was checked). From the names alone: a merge reads the shards' reports where the class may not be."""
    relative = os.path.relpath(os.path.abspath(report.file), clean(os.path.abspath(root)))  # both escaped
    return clean(report.file if relative == "." or relative.startswith("..") else relative)  # a learner's: escaped


def rows(reports: list[FileReport], root: Path) -> list[dict]:
    """The gradebook: one row per student, from the file they are graded by (`rubric.graded`)."""
    out = []
    for student, where in by_student([r.file for r in reports], root).items():
        theirs = [reports[i] for i in where]
        r = graded(theirs) or theirs[0]
        out.append(
            {
                "student": r.student or clean(student),
                "file": label(r, root),
                "score": r.score,
                "max_score": r.max_score,
                "verdict": r.verdict,
                "first_wrong": r.first_wrong,
                "cause": r.explanation() or (r.reason if r.verdict != "pass" else ""),
                "line": " ".join(p for p in r.learner_line() if p),
                "files": sum(t.verdict != "skipped" for t in theirs),
                "same_source": same_source(theirs, r, root),
            }
        )
    return out


def same_source(theirs: list[FileReport], graded_by: FileReport, root: Path) -> str:
    """What one student's files share with other students' (`FileReport.same_source`), each file that is not the one
    they are graded by named first: `the same bytes as bob/hw3.py; old.py: the same bytes as carol/old.py`."""
    said = [
        (r.same_source() if r is graded_by else f"{label(r, root)}: {r.same_source()}")
        for r in sorted(theirs, key=lambda r: r is not graded_by)
        if r.same_source_as
    ]
    return "; ".join(said)


def _cell(value):
    """A spreadsheet must read a learner's text as text: a leading =, +, -, @ would start a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_file(path, text: str) -> None:
    """Write `text` as a new file that then takes the name `path`: whatever was there (a link a learner planted in
    a folder anyone may write to, a file of another owner) is replaced, never followed or written into."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def json_text(document) -> str:
    """`document` as indented UTF-8 JSON that any language reads (no NaN or Infinity: see `finite`)."""
    return json.dumps(finite(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path, document) -> None:
    """`document` as `json_text`, through `write_file`: every --json, --gradescope and report.json."""
    write_file(path, json_text(document))


def write_csv(path, reports: list[FileReport], root: Path) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, CSV_COLUMNS)
    writer.writeheader()
    for row in rows(reports, root):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    write_file(path, text.getvalue())


def gradescope(reports: list[FileReport], root: Path) -> dict:
    """Gradescope's results.json for one submission: one test per item of the rubric (a gradient, a function).

    A submission with several files is graded by its best one (the others are named in the
    output); one with none scores 0 with the reason. The tests' max_score add up to the total.
    """
    judged = [r for r in reports if r.verdict != "skipped"]
    if not judged:
        found = ", ".join(label(r, root) for r in reports) or "nothing"
        return {
            "score": 0.0,
            "output": f"No .py or .ipynb file with your derivation was found in the submission (found: {found}).",
            "visibility": "visible",
            "tests": [],
        }
    best = graded(judged)
    tests = [
        {
            "name": title(name),
            "score": POINTS if earned else 0.0,
            "max_score": POINTS,
            "status": "passed" if earned else "failed",
            "output": text,
            "visibility": "visible",
        }
        for name, earned, text in results(best)
    ]
    output = f"{label(best, root)}: {best.headline()}"
    place, code = best.learner_line()
    if code:
        output += f"\nyour line: {place}  {code}"
    output += "".join(f"\n{e}" for e in best.errors[:3]) + "".join(f"\nwarning: {w}" for w in best.warnings)
    # a file's same_source_as is not said here, nor in any platform's document: this is the learner's feedback, and
    # it would tell them another student's name and file; the teacher reads it in the CSV, --json and class report
    others = [r for r in judged if r is not best]
    if others:
        output += "\nalso found (not graded): " + ", ".join(f"{label(r, root)} ({r.score:g})" for r in others)
    return {
        "score": sum(t["score"] for t in tests),
        "execution_time": round(sum(r.seconds for r in reports), 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
