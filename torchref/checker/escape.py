"""Learner text made harmless before it is printed or written: one line, no control characters.

Every string that comes from a learner's file (exception messages, printed output, names,
paths) goes through `clean` before the judge prints it or puts it in a report. Newlines
and other control characters (ANSI escapes included) become visible escapes (`\\n`,
`\\x1b`), so a message cannot print a fake `friend.py: PASS` line, a fake summary or
colour codes; a `::` at the start of a line (GitHub Actions' workflow commands such as
`::add-mask::`) or anywhere after an escaped newline is broken as `:\u200b:`.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
        char, f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}"
    )


def clean(text, limit: int | None = None) -> str:
    """`text` as one printable line: control characters escaped, workflow commands broken, at most `limit` chars."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _CONTROL.sub(_escape, text).replace("::", ":\u200b:")
