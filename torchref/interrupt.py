"""One Ctrl-C protocol for every long run: `Interrupted` carries what was finished.

A run that can keep partial work (a batch's reports, verify's rows, compare's runs) catches
KeyboardInterrupt and raises `Interrupted(partial, note)`; a caller that writes that work
out raises it again with a `note` saying where it went, and the command line prints
"torchref: interrupted: NOTE" on one line and exits 130.
"""

from typing import Any


class Interrupted(KeyboardInterrupt):
    """Ctrl-C after some work: `partial` is what was finished (in input order), `note` one line for the user."""

    def __init__(self, partial: Any = None, note: str = "") -> None:
        count = f"after {len(partial)} items" if isinstance(partial, list) else ""
        super().__init__(note or f"interrupted {count}".strip())
        # Any: what was finished is the raiser's kind of result (a batch's reports, verify's Report,
        # compare's runs), and the code that catches it knows which it asked for
        self.partial: Any = partial
        self.note = note

    @property
    def reports(self) -> list[Any]:
        """A batch's reports finished so far (the checker's name for `partial`)."""
        reports: list[Any] = self.partial
        return reports
