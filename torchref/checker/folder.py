"""Every entry of a class's folder, as a `Submission`: to judge, or with the report that says why not.

Flat (a file per student: the student is the file's name) or recursive (a folder per
student). Links are followed to files of the folder only; a FIFO, a device, a loop or a
file too large is "could not judge" with the reason; nothing but regular files is opened,
and every file is read before anything runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from torchref.checker.escape import clean
from torchref.checker.submission import SUBMISSION_SUFFIXES, Submission, not_judged

if TYPE_CHECKING:
    from _typeshed import StrPath

MAX_DEPTH = 8  # folders below a student's folder


def entries(directory: StrPath, model: str, recursive: bool = False, pattern: str | None = None) -> list[Submission]:
    """Every entry of `directory`, sorted: a submission to judge, or a report saying why not.

    Flat: the student is the file's name without its suffix. Recursive: every folder of
    `directory` is a student's (its files at any depth, up to MAX_DEPTH folders down). Links
    are followed to files only; a dangling link, a link loop, a folder, a FIFO or a device
    named like a submission is "could not judge" with the reason, and nothing is opened
    but regular files. All files are read before anything runs.
    """
    directory = Path(directory)
    out: list[Submission] = []
    for item in _scan(directory):
        if recursive and _is_dir(item):
            out += _student(Path(item.path), clean(item.name), model, pattern, depth=1, root=directory)
        else:
            student = "" if recursive else clean(_stem(item.name))  # a name the learner chose: escaped
            out.append(Submission.from_path(Path(item.path), model, student, pattern, directory))
    return out


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        return sorted(it, key=lambda e: e.name)


def _is_dir(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _stem(name: str) -> str:  # "hw3.ipynb" -> "hw3"
    for suffix in SUBMISSION_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _student(folder: Path, student: str, model: str, pattern: str | None, depth: int, root: Path) -> list[Submission]:
    if folder.name in ("__pycache__", ".ipynb_checkpoints", ".git"):
        return [not_judged(folder, model, student, "skipped", "copies and caches")]
    if depth > MAX_DEPTH:
        return [not_judged(folder, model, student, "skipped", "too deep")]
    try:
        items = _scan(folder)
    except OSError as exc:
        return [not_judged(folder, model, student, "unusable", exc.strerror or type(exc).__name__)]
    out = []
    for item in items:
        if _is_dir(item):
            out += _student(Path(item.path), student, model, pattern, depth + 1, root)
        else:
            out.append(Submission.from_path(Path(item.path), model, student, pattern, root))
    if not items:
        out.append(not_judged(folder, model, student, "skipped", "an empty folder"))
    return out
