"""Learner text made harmless before it is printed or written: one line, no control characters.

Every string that comes from a learner's file (exception messages, printed output, names,
paths, a notebook's metadata) goes through `clean` where the judge builds the text that
holds it. Newlines and other control characters (ANSI escapes included) become visible
escapes (`\\n`, `\\x1b`), so a message cannot print a fake `friend.py: PASS` line, a fake
summary or colour codes; bidi controls (which reorder what a reader sees) are escaped too
(`\\u202e`); a `::` (GitHub Actions' workflow commands such as `::add-mask::`) is broken as
`:\u200b:`. A lone surrogate, which no UTF-8 output can hold (an exception message built
from `"\\ud800"`, a file name in latin-1 bytes as zip archives give), is escaped as well:
the byte a file name held as `\\xe9`, any other as `\\ud800`. So every output can be written
as UTF-8, and a learner's text can neither crash a batch nor forge a line.

`visible` is the same policy for text that keeps its lines (a page's code listing, the
printed output kept line by line); `safe_report` applies it to every string of a report
once, where the checker hands the report out (nothing the judge missed where it built a
text can then crash a writer).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# C0 and C1 controls, DEL, the line and paragraph separators, the bidi embeddings, overrides and isolates, and
# lone surrogates (a str may hold them; UTF-8 may not)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL_NOT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_COMMAND = re.compile(r":(?=:)")  # every "::" broken, also in ":::" (clean is idempotent: cleaned text stays as it is)
# a workflow command (read at a line's start): every "::" there, and the command's shape anywhere (`::add-mask::`),
# which code such as `A[::2]` does not have
_COMMAND_AT_LINE_START = re.compile(r"(?m)^(\s*):(?=:)")
_COMMAND_SHAPE = re.compile(r":(?=:[A-Za-z][\w-]*(?:[ \t][^\n]*?)?::)")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by Python's surrogateescape: the byte, shown
        return f"\\x{code - 0xDC00:02x}"
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")


def clean(text: object, limit: int | None = None) -> str:
    """`text` as one printable line: control characters escaped, workflow commands broken, at most `limit` chars."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _COMMAND.sub(":\u200b", _CONTROL.sub(_escape, text))


def visible(text: object) -> str:
    """`text` with its lines and tabs kept and every other control character, bidi control and lone surrogate
    escaped as `clean` escapes them: a code listing, printed output kept line by line."""
    return _CONTROL_NOT_LINES.sub(_escape, str(text))


def each_string(value: Any, change: Callable[[str], str]) -> Any:
    """`value` with `change` applied to every string in it (keys too), down lists, tuples, dicts and dataclasses (a
    report: its fields changed in place)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [each_string(v, change) for v in value]
    if isinstance(value, tuple):
        return tuple(each_string(v, change) for v in value)
    if isinstance(value, dict):
        return {each_string(k, change): each_string(v, change) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            setattr(value, f.name, each_string(getattr(value, f.name), change))
    return value


def _safe(text: str) -> str:
    return _COMMAND_SHAPE.sub(":\u200b", _COMMAND_AT_LINE_START.sub("\\1:\u200b", visible(text)))


def safe_report(report: T) -> T:
    """`report` (a FileReport) with every string in it made `visible`, and a workflow command broken (a `::` at a
    line's start, and `::name::` anywhere): the last net under what each place that builds a text already cleans,
    which leaves a learner's line of code as it is (`A[::2]`, a repair to paste back). Changed in place."""
    each_string(report, _safe)
    return report
