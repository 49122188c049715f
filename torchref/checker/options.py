"""The options of a check: every default, and every check of a value, in one place.

`torchref check`'s command line reads its defaults from `DEFAULTS`, `torchref.check` and
`checker.check` / `check_many` take the same names as keywords (`CheckOptions.of`), and
the batch (`batch.Session`) gets one validated `CheckOptions`. A bad value is refused with
one line naming the option, what was expected and what came; an unknown option name with
the nearest known one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace
from typing import Any

from torchref.checker.cases import SecretSeed
from torchref.checker.sandbox.sandbox import KINDS, PER_FILE, Limits
from torchref.registry import DTYPES
from torchref.sweep import check_sweep
from torchref_handmade import _checks


@dataclass(frozen=True)
class CheckOptions:
    """What a batch is checked with (README, "Checking a derivation" and "Grading untrusted files")."""

    cases: int = 20  # per dtype; the named shapes first
    seed: int | SecretSeed | None = None  # None: a fresh one, named in every report (or $TORCHREF_SEED's, never named)
    dtypes: tuple[str, ...] = DTYPES
    timeout: float = 60.0  # wall seconds for a file's cases, after its import (--timeout)
    import_timeout: float = 60.0  # wall seconds for its import (--import-timeout)
    memory_mb: int = 4096  # address space of the learner's process (--memory-mb)
    cpu_seconds: int = 120  # CPU seconds of the learner's process (--cpu-seconds)
    file_mb: int = 256  # the largest file it may write (--file-mb)
    max_processes: int = 64  # processes it may have at once (--max-processes)
    output_mb: float | None = None  # arrays read back; None: 4x the expected arrays + 1 MiB (--output-mb)
    sandbox: str = "auto"  # bwrap | basic | auto: bubblewrap where it is installed
    allow_imports: tuple[str, ...] = ()  # packages a file may import besides the standard library and NumPy
    strict: bool = False  # changing an input in place is a failure, not a warning
    hidden: tuple[int, ...] | None = None  # hidden widths of every case; None: the depth the file writes out
    jobs: int | None = None  # files judged at a time; None: every core
    repair: bool = True  # look for a verified repair of a wrong file (--no-repair; off where grades are written)
    per_file: str = "fresh"  # fresh | shared | cold: what each file gets of its own (sandbox.PER_FILE; the bench's)

    @classmethod
    def of(cls, **options: Any) -> CheckOptions:  # Any: a caller's values, each checked by validated()
        """Options from keywords (TypeError naming an unknown one), validated."""
        names = [f.name for f in fields(cls)]
        for name, value in options.items():
            if name not in names:
                near = difflib.get_close_matches(name, names, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                raise TypeError(f"unknown option {name}={value!r}{hint}; the options: {', '.join(names)}")
        return cls(**options).validated()

    def validated(self) -> CheckOptions:
        """These options with lists made tuples; ValueError naming the first bad one."""
        check_sweep(None, self.cases, self.dtypes)  # the caller's arguments, not the learner's file
        for name in ("timeout", "import_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
        _checks.positive_int("memory_mb", self.memory_mb)
        if self.jobs is not None:
            _checks.positive_int("jobs", self.jobs)
        seed = self.seed
        if isinstance(seed, SecretSeed):
            seed = seed.value
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be an integer >= 0 or None (a fresh one), got {seed!r}")
        if self.sandbox not in KINDS:
            raise ValueError(f"sandbox must be one of {', '.join(KINDS)}, got {self.sandbox!r}")
        if self.per_file not in PER_FILE:
            raise ValueError(f"per_file must be one of {', '.join(PER_FILE)}, got {self.per_file!r}")
        hidden = self.hidden
        if hidden is not None:
            hidden = tuple(hidden)
            if not hidden or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden):
                raise ValueError(f"hidden must be positive layer widths such as (4, 3), got {self.hidden!r}")
        self.limits().check()
        return replace(self, dtypes=tuple(self.dtypes), allow_imports=tuple(self.allow_imports), hidden=hidden)

    def with_jobs(self, jobs: int | None) -> CheckOptions:
        return replace(self, jobs=jobs)

    def limits(self) -> Limits:
        """The sandbox's limits of one learner's process."""
        return Limits(
            self.timeout,
            self.import_timeout,
            self.cpu_seconds,
            self.memory_mb,
            self.file_mb,
            self.max_processes,
            self.output_mb,
        )


DEFAULTS = CheckOptions()
