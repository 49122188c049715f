"""The front door: whatever a learner hands in becomes one `Submission`, here and nowhere else.

A path (a `.py` file or a `.ipynb` notebook), a file's bytes, a cell's text or function
objects: each constructor reads it once, decides once whether it is a notebook, and turns
it into Python source for the judge (`intake`), with the map back to the learner's places.
A submission that cannot be judged (a FIFO, a file too large, a notebook that is not one)
carries the report that says why. Every caller goes through it: the command line (a file, a
folder: `folder.entries`), `torchref.check`, the pytest plugin, `explain --file` and the
gradebook; the batch (`batch.judge_submissions`) judges them and `finish` names the
report's places as the learner does.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from torchref.checker.escape import clean
from torchref.checker.intake import Source, SourceError, from_functions, from_notebook, from_text
from torchref.checker.report import FileReport

if TYPE_CHECKING:
    from _typeshed import StrPath

SUBMISSION_SUFFIXES = (".py", ".ipynb")
MAX_BYTES = {".py": 1 << 20, ".ipynb": 64 << 20}  # a notebook carries its figures


@dataclass
class Submission:
    """One thing a learner handed in: the source to judge, or the report that says why it is not judged."""

    path: Path  # where it came from (a file), or the name the judge runs it under
    student: str = ""
    source: Source | None = None  # None: a .py path the judge reads itself (and says what it is when not a file)
    data: bytes | None = b""  # the bytes the judge runs (a notebook's: the Source's text)
    report: FileReport | None = None  # why it is not judged
    file: str | None = None  # the report's `file`: the path handed in, or a name ("backward", "cell")
    inode: tuple[int, int] | None = None  # (device, inode) of a folder's entry: two names of one file share it
    digest: bytes = b""  # SHA-256 of a folder's entry's bytes as read (a notebook's whole file, not its code)
    # the other students' files with this one's bytes (`folder.same_sources`), as the report's same_source_as says
    same_source_as: list[dict[str, str]] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return self.report is None

    @property
    def notebook(self) -> bool:
        return self.path.name.endswith(".ipynb")

    @property
    def judge_path(self) -> Path:
        """The path the judge runs it under: a notebook's code as `hw.ipynb.py` beside it."""
        return self.path if self.source is None else self.path.with_name(self.source.pyname)

    def finish(self, report: FileReport) -> FileReport:
        """The judge's report as the learner names things: their file, their cells."""
        if self.file is not None:
            report.file = self.file
        report.student = self.student
        report.same_source_as = [dict(same) for same in self.same_source_as]
        return report if self.source is None else self.source.relabel(report)

    # ---- the constructors: the only places a submission is made -----------------------------

    @classmethod
    def named(cls, path: StrPath, model: str) -> Submission:
        """The file a caller names (`torchref.check(path)`, `check FILE`, `explain --file`), read once.

        A notebook is read as a folder's entry is; a `.py` (or any other name) that is not a
        readable regular `.py` file is left to the judge, which says what the path is.
        """
        path = Path(path)
        if path.name.endswith(".ipynb"):
            return cls.from_path(path, model)
        try:
            data = read_regular(path) if path.suffix == ".py" else None
        except OSError:
            data = None
        if data is None:
            return cls(path, data=None)  # the judge says what the path is
        return cls.from_bytes(path, data, model, file=None)

    @classmethod
    def from_path(
        cls, path: StrPath, model: str, student: str = "", pattern: str | None = None, root: Path | None = None
    ) -> Submission:
        """An entry of a folder (`root`), or a file given to the gradebook: read once, as a regular file only.

        In a folder, a link is followed only to a file of that folder: a link elsewhere would
        have the judge read (and print) any file it may read. A student's file (`student` given)
        may link only to the same student's files: a link to a classmate's file is not theirs.
        """
        return _entry(Path(path), student, model, pattern, root)

    @classmethod
    def from_bytes(
        cls, path: StrPath, data: bytes, model: str, student: str = "", *, file: str | None = ""
    ) -> Submission:
        """A file's bytes: a notebook through `intake.from_notebook` (the one place that decides), a .py as it is."""
        path = Path(path)
        # links not resolved: the name the learner handed in (escaped: a name that is not UTF-8 prints as \xe9)
        file = clean(os.path.abspath(path)) if file == "" else file
        if path.name.endswith(".ipynb"):
            try:
                source = from_notebook(data, path.name)
            except SourceError as exc:
                return not_judged(path, model, student, "unusable", str(exc))
            except Exception as exc:  # whatever else a notebook does to its reader costs that notebook only
                why = f"{type(exc).__name__}: {clean(exc, 200)}"
                return not_judged(path, model, student, "unusable", f"not a readable notebook ({why})")
            return cls(path, student, source, source.text.encode("utf-8"), file=file)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # the judge still runs the bytes; this text is only for display
        return cls(path, student, Source(path.name, text), data, file=file)

    @classmethod
    def from_text(cls, text: str, name: str = "cell") -> Submission:
        """A cell's text (IPython magics blanked out); `name` is what the report calls it."""
        source = from_text(text, name)
        return cls(Path(source.pyname), "", source, source.text.encode("utf-8"), file=clean(source.name))

    @classmethod
    def from_functions(
        cls,
        backward: Callable[..., object] | None = None,
        forward: Callable[..., object] | None = None,
        **more: Callable[..., object],
    ) -> Submission:
        """Function objects (a notebook's `def backward`, `loss=...`): their source, with the imports, helpers and
        constants."""
        source = from_functions(backward, forward, **more)
        return cls(Path(source.pyname), "", source, source.text.encode("utf-8"), file=clean(source.name))


def not_judged(path: Path, model: str, student: str, verdict: str, reason: str) -> Submission:
    """An entry that is not judged ("skipped": not a submission; "unusable": could not be read), with why."""
    report = FileReport(clean(os.path.abspath(path)), model, verdict=verdict, reason=reason, student=student)
    return Submission(Path(path), student, report=report)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# what a Mac's archiver adds beside every file (`__MACOSX/`, `._hw3.py`): its metadata, never a learner's code
APPLE_DOUBLE = "._"
MAC_METADATA = "a Mac archive's metadata (AppleDouble), not a submission"


def _entry(path: Path, student: str, model: str, pattern: str | None, root: Path | None = None) -> Submission:
    def no(verdict: str, reason: str) -> Submission:
        return not_judged(path, model, student, verdict, reason)

    name = path.name
    candidate = fnmatch.fnmatchcase(name, pattern) if pattern else name.endswith(SUBMISSION_SUFFIXES)
    try:
        st = os.lstat(path)
    except OSError as exc:
        return no("unusable", f"cannot be read: {_why(exc)}")
    if name.startswith(APPLE_DOUBLE) and not stat.S_ISDIR(st.st_mode):
        return no("skipped", MAC_METADATA)
    if not candidate:
        if stat.S_ISDIR(st.st_mode):
            return no("skipped", "a folder (give --recursive for a folder per student)")
        wanted = f"--pattern {pattern}" if pattern else "a .py or .ipynb file"
        return no("skipped", f"not {wanted}")
    if stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return no("unusable", "a symbolic link that loops back on itself")
            return no("unusable", f"a symbolic link to nothing ({clean(os.readlink(path))})")
        if root is not None:
            real, top, target = os.path.realpath(path), os.path.realpath(root), clean(os.readlink(path))
            if not real.startswith(top.rstrip(os.sep) + os.sep):
                return no("unusable", f"a symbolic link to a file outside the folder ({target})")
            # every component resolved (a linked folder on the way included): whose file it really is
            if student and owner(real, top) != owner(path, root):
                return no("unusable", f"a symbolic link to a file that is not {student}'s own ({target})")
    kind = _kind(st.st_mode)
    if kind:
        return no("unusable", f"{kind}, not a file")
    suffix = ".ipynb" if name.endswith(".ipynb") else ".py"
    if st.st_size > MAX_BYTES[suffix]:
        return no("unusable", f"larger than {MAX_BYTES[suffix] >> 20} MiB ({st.st_size} bytes)")
    try:
        data = read_regular(path)
    except OSError as exc:
        return no("unusable", f"cannot be read: {_why(exc)}")
    entry = Submission.from_bytes(path, data, model, student)
    entry.inode = (st.st_dev, st.st_ino)  # of the file itself: a link was followed above
    entry.digest = hashlib.sha256(data).digest()
    return entry


def owner(path: StrPath, root: StrPath) -> str:
    """Whose file `path` is in the class folder `root`: its first component under it, without a .py/.ipynb suffix
    (a student's folder with --recursive, a student's file in a flat folder); "" for `root` itself."""
    first = os.path.relpath(os.path.abspath(path), os.path.abspath(root)).split(os.sep, 1)[0]
    if first == os.curdir:
        return ""
    return unsuffixed(first)


def unsuffixed(name: str) -> str:  # "hw3.ipynb" -> "hw3"
    for suffix in SUBMISSION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return word
    return ""


def read_regular(path: Path) -> bytes:
    """A regular file's bytes; opened without blocking and checked again, so that a FIFO swapped in cannot hang us.

    The one reader of a learner's file: a folder's entries, a file named on the command line,
    `explain --file`.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, f"{_kind(st.st_mode) or 'not a regular file'}, not a file")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > max(MAX_BYTES.values()):  # pragma: no cover - it grows while being read
                raise OSError(0, "it grew while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)
