"""One Ctrl-C protocol for every long run: `Interrupted` carries what was finished.

A run that can keep partial work (a batch's reports, verify's rows, compare's runs) catches
KeyboardInterrupt and raises `Interrupted(partial, note)`; a caller that writes that work
out raises it again with a `note` saying where it went, and the command line prints
"torchref: interrupted: NOTE" on one line and exits 130.
"""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C after some work: `partial` is what was finished (in input order), `note` one line for the user."""

    def __init__(self, partial=None, note: str = ""):
        count = f"after {len(partial)} items" if isinstance(partial, list) else ""
        super().__init__(note or f"interrupted {count}".strip())
        self.partial, self.note = partial, note

    @property
    def reports(self) -> list:
        """A batch's reports finished so far (the checker's name for `partial`)."""
        return self.partial
