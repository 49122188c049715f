"""Where a class run's results go, checked before the first file is judged.

    --json FILE   --csv FILE   --html DIR
    --gradescope FILE|DIR/   --prairielearn FILE|DIR/   --coursera FILE|DIR/   --coderunner FILE|DIR/|-

A platform's document is one submission's. Given a FILE, the folder checked is read as one
learner's submission: its .py and .ipynb files at any depth, the best one graded (the others
named in the feedback); this is how the platforms run a grader (one submission in
/autograder/submission, /grade/student, /shared/submission). A folder that --recursive reads
as several students' is refused for a FILE: the document would grade one student and name
the others. Given a folder (an existing one, or a path ending in `/`), one document per
student: DIR/<student>/results.json (Gradescope, PrairieLearn), feedback.json (Coursera) or
coderunner.json (CodeRunner), the student being the first path component of their files under
the folder checked (a student's folder with --recursive, a student's file name, suffix
removed, in a flat folder). `-` writes a platform's document to standard output (CodeRunner's
template reads it there); the run's own lines then go to standard error.

Every target is checked before anything is judged (`plan`): a file's folder must exist and
be writable, a file target must not be a folder nor a folder target a file, no two outputs
may share a path. Bad targets are one line naming the option (exit status 2 at the command
line), not a failure after the whole class was judged.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from torchref.grading import platforms
from torchref.grading.gradebook import by_student
from torchref.grading.writers import gradescope, json_text, write_csv, write_json

# the option, the file name of its per-student document, and its writer: (reports, root, hide) -> document
PLATFORMS = {
    "gradescope": ("results.json", lambda reports, root, hide: gradescope(reports, root)),
    "prairielearn": ("results.json", platforms.prairielearn),
    "coursera": ("feedback.json", platforms.coursera),
    "coderunner": ("coderunner.json", platforms.coderunner),
}
FILES = ("json", "csv")
FOLDERS = ("html",)
STDOUT = "-"


class TargetError(ValueError):
    """An output that cannot be written where it was asked: one line naming the option."""


@dataclasses.dataclass
class Target:
    option: str  # "csv", "gradescope", ...
    path: str  # as given
    folder: bool  # a folder of documents (per student, or the class report)

    @property
    def flag(self) -> str:
        return f"--{self.option}"


@dataclasses.dataclass
class Plan:
    targets: list
    one_submission: bool  # a platform's FILE: the folder checked is one learner's submission

    def get(self, option: str) -> Target | None:
        return next((t for t in self.targets if t.option == option), None)

    @property
    def to_stdout(self) -> bool:
        return any(t.path == STDOUT for t in self.targets)


def plan(args) -> Plan:
    """The outputs `args` asks for (attributes named as the options), each checked; TargetError otherwise."""
    targets = []
    for option in (*FILES, *PLATFORMS, *FOLDERS):
        path = getattr(args, option, None)
        if not path:
            continue
        if path == STDOUT:
            if option not in PLATFORMS:
                raise TargetError(f"--{option} -: only a platform's document can go to standard output")
            targets.append(Target(option, path, False))
            continue
        folder = option in FOLDERS or (option in PLATFORMS and (path.endswith(("/", os.sep)) or os.path.isdir(path)))
        _writable(f"--{option}", path, folder)
        targets.append(Target(option, path, folder))
    seen: dict[str, str] = {}
    for t in targets:
        if t.path == STDOUT:
            if STDOUT in seen:
                raise TargetError(f"{seen[STDOUT]} and {t.flag} both write to standard output: give one a file")
            seen[STDOUT] = t.flag
            continue
        where = os.path.realpath(t.path)
        if where in seen:
            raise TargetError(f"{seen[where]} and {t.flag} both write {t.path}: give each its own path")
        seen[where] = t.flag
    single = any(t.option in PLATFORMS and not t.folder for t in targets)
    return Plan(targets, single)


def _writable(flag: str, path: str, folder: bool) -> None:
    target = Path(path)
    if folder:
        if os.path.lexists(target) and not target.is_dir():
            raise TargetError(f"{flag} {path}: it is a file, not a folder")
        if target.is_dir():
            if not os.access(target, os.W_OK | os.X_OK):
                raise TargetError(f"{flag} {path}: the folder is not writable")
            return
    elif target.is_dir():
        raise TargetError(f"{flag} {path}: it is a folder, not a file")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise TargetError(f"{flag} {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TargetError(f"{flag} {path}: the folder {parent} is not writable")


def refuse_several(plan: Plan, found, root, recursive: bool) -> None:
    """A platform's FILE with --recursive over several students' folders: refused, naming them."""
    if not (plan.one_submission and recursive):
        return
    names = [k for k in by_student([e.path for e in found], root) if (Path(root) / k).is_dir()]
    if len(names) > 1:
        target = next(t for t in plan.targets if t.option in PLATFORMS and not t.folder)
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise TargetError(
            f"{target.flag} {target.path} is one submission's, but --recursive reads {root} as {len(names)} "
            f"students' folders ({shown}): give {target.flag} a folder (a path ending in /) for one document per "
            "student"
        )


def write(target: Target, found, reports, root, model: str, hide: bool, document: dict) -> None:
    """Write one output of a class run (OSError when it cannot be: the caller names the option)."""
    from torchref.grading.classreport import write as class_report

    root = Path(root)
    if target.option == "json":
        _json(target.path, document)
    elif target.option == "csv":
        write_csv(target.path, reports, root)
    elif target.option == "html":
        class_report(target.path, found, reports, root, model, hide=hide)
    elif not target.folder:
        _json(target.path, PLATFORMS[target.option][1](reports, root, hide))
    else:
        name, writer = PLATFORMS[target.option]
        for student, where in by_student([r.file for r in reports], root).items():
            folder = Path(target.path) / (student or "submission")
            if folder.is_symlink():  # a link planted where a document goes is replaced, not followed
                folder.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            _json(folder / name, writer([reports[i] for i in where], root, hide))


def _json(path, document) -> None:
    if str(path) == STDOUT:
        import sys

        sys.stdout.write(json_text(document))
        sys.stdout.flush()
    else:
        write_json(path, document)
