"""Every entry of a class's folder, as a `Submission`: to judge, or with the report that says why not.

Flat (a file per student: the student is the file's name) or recursive (a folder per
student). Links are followed to files of the folder only, and from a student's file only to
that student's own files; a FIFO, a device, a loop or a file too large is "could not judge"
with the reason; nothing but regular files is opened, and every file is read before anything
runs. Files of different students with the same bytes are said on each (`same_sources`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from torchref.checker.escape import clean
from torchref.checker.submission import MAC_METADATA, Submission, not_judged, unsuffixed

if TYPE_CHECKING:
    from _typeshed import StrPath

MAX_DEPTH = 8  # folders below a student's folder


def entries(directory: StrPath, model: str, recursive: bool = False, pattern: str | None = None) -> list[Submission]:
    """Every entry of `directory`, sorted: a submission to judge, or a report saying why not.

    Flat: the student is the file's name without its suffix. Recursive: every folder of
    `directory` is a student's (its files at any depth, up to MAX_DEPTH folders down). Links
    are followed to files only; a dangling link, a link loop, a folder, a FIFO or a device
    named like a submission is "could not judge" with the reason, and nothing is opened
    but regular files. All files are read before anything runs; then every file another
    student also handed in is marked (`same_sources`).
    """
    directory = Path(directory)
    out: list[Submission] = []
    for item in _scan(directory):
        if recursive and _is_dir(item):
            out += _student(Path(item.path), clean(item.name), model, pattern, depth=0, root=directory)
        else:
            student = "" if recursive else clean(unsuffixed(item.name))  # a name the learner chose: escaped
            out.append(Submission.from_path(Path(item.path), model, student, pattern, directory))
    same_sources(out, directory)
    return out


def same_sources(found: list[Submission], root: Path) -> None:
    """Mark each student's file that another student's file equals, byte for byte, on both (its `same_source_as`).

    Only what was verified is said: the same file (one inode under two names: a hard link),
    or the same bytes; never why. Byte-identical only, on purpose: a normalised form (the
    code without comments, blank lines or docstrings) would also match two learners who each
    wrote the notes' formulas under the notes' names, whose short backwards can be the same
    code, and the class report would then say of honest work that it is the same source. A
    student's own files are not compared with each other, nor an empty file with anything.
    """
    groups: dict[bytes, list[Submission]] = {}
    for entry in found:
        if entry.judged and entry.student and entry.digest and entry.data and entry.data.strip():
            groups.setdefault(entry.digest, []).append(entry)
    for group in groups.values():
        for entry in group:
            entry.same_source_as = [
                {
                    "student": other.student,
                    "file": clean(os.path.relpath(other.path, root)),
                    "same": "file" if other.inode == entry.inode else "bytes",
                }
                for other in group
                if other.student != entry.student
            ]


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        return sorted(it, key=lambda e: e.name)


def _is_dir(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _student(folder: Path, student: str, model: str, pattern: str | None, depth: int, root: Path) -> list[Submission]:
    if folder.name in ("__pycache__", ".ipynb_checkpoints", ".git"):
        return [not_judged(folder, model, student, "skipped", "copies and caches")]
    if folder.name == "__MACOSX":
        return [not_judged(folder, model, student, "skipped", MAC_METADATA)]
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
