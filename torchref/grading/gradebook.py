"""A class's submissions as a gradebook: every entry of a folder (or one file) judged in one batch, and graded.

The command line's `check DIR` (and `check hw.ipynb`) reads the folder into `Submission`s
(`checker.folder`), judges them (`checker.judge_submissions`) and grades each under the
rubric (`rubric.grade`); the CSV, Gradescope's results.json and the class report are
written from the graded reports (`writers`, `classreport`).
"""

from __future__ import annotations

from pathlib import Path

from torchref.checker import Interrupted, Submission, judge_submissions
from torchref.checker.folder import entries
from torchref.checker.report import FileReport
from torchref.grading.rubric import grade


def check_folder(path, model: str, recursive=False, pattern=None, progress=None, **options):
    """Every entry of a folder (or one file), judged or not, graded: (submissions, one report each), in order."""
    path = Path(path)
    found = entries(path, model, recursive, pattern) if path.is_dir() else [Submission.from_path(path, model)]
    return found, judge_entries(found, model, progress, **options)


def judge_entries(found: list[Submission], model: str, progress=None, **options) -> list[FileReport]:
    """One graded report per submission, in order. Ctrl-C raises `Interrupted` holding those finished so far."""
    try:
        reports = judge_submissions(found, model, progress, **options)
    except Interrupted as exc:
        raise Interrupted([grade(r) for r in exc.reports]) from None
    return [grade(r) for r in reports]
