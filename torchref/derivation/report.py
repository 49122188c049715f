"""What the checker says about one file: a verdict per tensor and for the whole file, as text and as JSON."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

SCHEMA = "torchref.check/1"
# "skipped": an entry of a submissions folder that is not a submission (a .txt, a figure):
# listed with the reason, and it does not change the batch's exit status.
EXIT = {"pass": 0, "wrong": 1, "unusable": 2, "skipped": 0}
VERDICT_WORDS = {"pass": "PASS", "wrong": "WRONG", "unusable": "COULD NOT JUDGE", "skipped": "NOT JUDGED"}


class UnusableInput(ValueError):
    """The derivation cannot be judged (no such file, no backward, it crashed or timed out...)."""


@dataclass
class TensorVerdict:
    name: str
    status: str = "ok"  # ok | wrong | echo | missing | not given
    required: bool = True
    cases: int = 0
    failed: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    worst_index: list | None = None
    first_failure: str = ""  # case id (shape, dtype, seed) of the first failing case
    smallest_failure: str = ""  # the smallest failing shape
    diagnosis: str = ""
    message: str = ""  # assert_close's message for the first failing case
    fd_cases: int = 0  # float64 cases also compared with central finite differences
    fd_max_abs: float = 0.0
    smallest_size: int = 0  # m·n·Πh·k of the smallest failing case
    kinds: dict = field(default_factory=dict)  # mistake kind -> failing cases that show it


@dataclass
class FileReport:
    file: str
    model: str
    verdict: str = "pass"  # pass | wrong | unusable | skipped
    reason: str = ""
    first_wrong: str = ""
    # the cause at the first wrong link, for gradebooks and class reports:
    mistake: str = ""  # the name of a known mistake ("sigma-prime-for-tanh-prime"), "" when none is named
    cause: str = ""  # the sentence a learner reads (a named mistake, or the formula they computed)
    line: str = ""  # the learner's line that produced the first wrong value: "file.py:20  dZ1 = ..."
    student: str = ""  # who submitted it (a folder per student: the folder's name)
    seed: int = 0  # the seed of the cases: `--seed` replays them
    stdout: str = ""  # the tail of the learner's printed output (bounded, every line escaped)
    sandbox: str = ""  # bwrap | basic: where the file ran
    imports: list = field(default_factory=list)  # every import statement of the file: "numpy (line 1)"
    limits: dict = field(default_factory=dict)  # the limits it ran under (README, "Grading untrusted files")
    score: float = 0.0  # points earned under the rubric (gradebook)
    max_score: float = 0.0
    cases: int = 0
    dtypes: list = field(default_factory=list)
    has_forward: bool = False
    tensors: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # exceptions inside the learner's code
    warnings: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]

    def to_json(self) -> dict:
        return {"schema": SCHEMA, **asdict(self), "exit_code": self.exit_code}

    def summary(self) -> str:
        name = os.path.basename(self.file)
        if self.verdict == "pass":
            return f"{name}: PASS ({self.cases} cases)"
        return f"{name}: {VERDICT_WORDS[self.verdict]}: {self.reason}"

    def table(self) -> str:
        lines = [
            f"{self.file}  model {self.model}  {self.cases} cases ({', '.join(self.dtypes)})  "
            f"{VERDICT_WORDS[self.verdict]}"
        ]
        if self.reason:
            lines.append(self.reason)
        lines += [f"stdout | {line}" for line in self.stdout.splitlines()]
        if self.tensors:
            head = (
                f"{'tensor':<8} {'verdict':<9} {'failed':>7} {'max abs':>9} {'max rel':>9} {'worst at':<9} "
                f"{'first failing case':<30} {'smallest':<16} diagnosis"
            )
            lines += ["", head, "-" * len(head)]
            for t in self.tensors:
                worst = "" if t.worst_index is None else str(tuple(t.worst_index))
                lines.append(
                    f"{t.name:<8} {t.status:<9} {f'{t.failed}/{t.cases}':>7} {t.max_abs:>9.2e} {t.max_rel:>9.2e} "
                    f"{worst:<9} {t.first_failure:<30} {t.smallest_failure:<16} {t.diagnosis}"
                )
        for error in self.errors[:3]:
            lines.append(f"error: {error}")
        lines += [f"warning: {w}" for w in self.warnings]
        if self.sandbox:
            lines.append(f"seed {self.seed} (--seed {self.seed} replays these cases) · sandbox {self.sandbox}")
        return "\n".join(lines)
