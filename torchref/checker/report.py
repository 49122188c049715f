"""What the checker says about one file: a verdict per tensor and for the whole file, as text and as JSON.

About 410 lines, kept as one module: the report and its three views (the terminal's table, the JSON, the
notebook's HTML) with the small case and the repair as each view draws them, so that a verdict's word, a
status and a pointer to the small case are spelled in one place for all of them.
"""

from __future__ import annotations

import html
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA = "torchref.check/2"
SEED_ENV = "TORCHREF_SEED"  # a secret fixed seed for CI: its cases are drawn from it, and no report holds it
# a JSON object as the report holds and writes it (a repair, the small case, the limits, a piece): its values
# are of the kinds its keys say (numbers, text, nested lists of numbers), so Any
JSONObject = dict[str, Any]
# "skipped": an entry of a submissions folder that is not a submission (a .txt, a figure):
# listed with the reason, and it does not change the batch's exit status.
EXIT = {"pass": 0, "wrong": 1, "unusable": 2, "skipped": 0}
# the verdicts as every output says them: a line's word, a count's words, a page's colour
VERDICT_WORDS = {"pass": "PASS", "wrong": "WRONG", "unusable": "COULD NOT JUDGE", "skipped": "NOT JUDGED"}
VERDICT_COUNTED = {"pass": "passed", "wrong": "wrong", "unusable": "could not be judged", "skipped": "not judged"}
VERDICT_COLOURS = {"pass": "#1a7f37", "wrong": "#cf222e", "unusable": "#9a6700", "skipped": "#57606a"}
# a tensor no case returned a value for (every case raised, or returned no numbers): its row has no number to show
NOT_RUN = "not run"
# the sentence of a first wrong link whose cause nothing verified; a view that shows the small case below it adds
# SMALL_CASE_BELOW (`FileReport.pointer`), the others (a folder's lines, the class's index) have nothing below
NO_CAUSE = "no known mistake, and no formula within the search's budget gives your values in every failing case"
SMALL_CASE_BELOW = " (compare your line with the notes' on the small case below)"
# what was verified of two students' files, as a report's same_source_as says it
SAME_WORDS = {"file": "the same file (a hard link) as ", "bytes": "the same bytes as "}
SAME_SAID = 3  # the other students' files a file's one line names (a folder's run); its outputs name them all


# where the learner's code raised, as the judge writes it: "... at my.py:20 in backward: `code`: message"
_RAISED_AT = re.compile(r" at (?P<place>.+?) in [^:\s]+: `(?P<code>[^`]*)`")


def finite(value: Any) -> Any:
    """`value` with every float that is not finite made None: JSON has no NaN or Infinity (Python's json writes
    them, other languages' readers refuse them). An error of inf says there is no element-wise number (a shape
    that differs, a tensor missing): null in JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


class UnusableInput(ValueError):
    """The derivation cannot be judged (no such file, no backward, it crashed or timed out...)."""


@dataclass
class TensorVerdict:
    name: str
    status: str = "ok"  # ok | wrong | echo | missing | not given | not run
    required: bool = True
    cases: int = 0
    failed: int = 0
    max_abs: float = 0.0  # NaN when not run (null in JSON, "—" in the tables)
    max_rel: float = 0.0
    worst_index: list[int] | None = None
    first_failure: str = ""  # case id (shape, dtype, seed) of the first failing case
    smallest_failure: str = ""  # the smallest failing shape
    diagnosis: str = ""
    message: str = ""  # assert_close's message for the first failing case
    fd_cases: int = 0  # float64 cases also compared with central finite differences
    fd_max_abs: float = 0.0
    smallest_size: int = 0  # m·n·Πh·k of the smallest failing case
    mistake: str = ""  # the known mistake (catalogue name) when one explains every failing case
    computed: str = ""  # what the learner computed, as NumPy over the notes' symbols ("" when unknown)
    read_as: str = ""  # the learner's line in the notes' symbols
    small_case: JSONObject = field(default_factory=dict)  # the smallest failing case in full (first wrong link only)

    @classmethod
    def from_json(cls, data: JSONObject) -> TensorVerdict:
        """A tensor's verdict from its JSON (the keys it knows), an error written as null read back as inf."""
        known = {f.name: f.type for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        nothing = math.nan if values.get("status") == NOT_RUN else math.inf  # no case returned it: no number
        for key, kind in known.items():
            if kind == "float" and key in values and values[key] is None:
                values[key] = nothing
        return cls(**values)

    def not_run(self) -> None:
        """No case returned a value for it (every one raised, or returned no numbers): `not run`, no error number
        (a 0 would read as agreement)."""
        self.status, self.max_abs, self.max_rel = NOT_RUN, math.nan, math.nan

    def number(self, value: float, width: int = 0) -> str:
        """An error of this row as the tables draw it (`1.23e-04`), `—` for a row no case returned."""
        return f"{'—':>{width}}" if self.status == NOT_RUN else f"{value:>{width}.2e}"


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
    # a verified repair: {"line": 20, "before": ..., "after": ..., "result": "with this change, all 40 cases pass"}
    repair: JSONObject | None = None
    student: str = ""  # who submitted it (a folder per student: the folder's name)
    # other students' files with the same bytes: {"student", "file" (under the class folder), "same": "file" (one
    # file under two names: a hard link) | "bytes"}; what was verified, never a cause (`folder.same_sources`)
    same_source_as: list[dict[str, str]] = field(default_factory=list)
    seed: int | None = 0  # the seed of the cases: `--seed` replays them; None when it is secret
    seed_secret: bool = False  # the cases are $TORCHREF_SEED's: a rerun with the same variable replays them
    stdout: str = ""  # the tail of the learner's printed output (bounded, every line escaped)
    sandbox: str = ""  # bwrap | basic: where the file ran
    imports: list[str] = field(default_factory=list)  # every import statement of the file: "numpy (line 1)"
    limits: JSONObject = field(default_factory=dict)  # the limits it ran under (README, "Grading untrusted files")
    score: float = 0.0  # points earned under the rubric (gradebook)
    max_score: float = 0.0
    cases: int = 0  # the cases of every function judged (`pieces` has each one's), `counted()` says it in words
    dtypes: list[str] = field(default_factory=list)
    has_forward: bool = False
    tensors: list[TensorVerdict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # exceptions inside the learner's code
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # the contract's functions (torchref.pieces): each one judged or not found, and the first wrong one
    pieces: list[JSONObject] = field(default_factory=list)  # {"name", "status": judged | not found, "verdict", "cases"}
    first_wrong_piece: str = ""  # forward | loss | backward | update | train | fit | normalise | denormalise
    # conventions accepted, learners' names, edge cases said on their own
    notes: list[str] = field(default_factory=list)
    small_case: JSONObject = field(default_factory=dict)  # the smallest failing case of the first wrong piece

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]

    def to_json(self) -> JSONObject:
        document: JSONObject = finite({"schema": SCHEMA, **asdict(self), "exit_code": self.exit_code})
        return document

    def summary(self, name: str | None = None) -> str:
        """One line: `name: PASS (40 cases of backward)`, `name: WRONG: first wrong link: ...` (name: the file's by
        default)."""
        name = os.path.basename(self.file) if name is None else name
        same = f" · {self.same_source(most=SAME_SAID)}" if self.same_source_as else ""
        if self.verdict == "pass":
            return f"{name}: PASS ({self.counted()}){same}"
        return f"{name}: {VERDICT_WORDS[self.verdict]}: {self.reason}{same}"

    def same_source(self, most: int | None = None) -> str:
        """`the same bytes as bob/hw3.py; the same file (a hard link) as dave/hw3.py` ("" when no other student's
        file is the same): for the teacher's outputs only (it names the other students). `most`: name that many
        and count the rest (a file's one line in a folder's run)."""
        said = [SAME_WORDS[same["same"]] + same["file"] for same in self.same_source_as]
        if most is not None and len(said) > most:
            said = [*said[:most], f"and {len(said) - most} more files (--json, --csv and --html name them all)"]
        return "; ".join(said)

    def counted(self) -> str:
        """The case count and what it counts: `40 cases of backward`, `48 cases: forward 8, backward 40` (each
        function judged, with its own cases), or `40 cases` when the report names no function."""
        judged = [(p["name"], p.get("cases", 0)) for p in self.pieces if p.get("status") == "judged"]
        if not judged:
            return f"{self.cases} cases"
        if len(judged) == 1:
            return f"{self.cases} cases of {judged[0][0]}"
        return f"{self.cases} cases: " + ", ".join(f"{name} {cases}" for name, cases in judged)

    def cases_of(self, piece: str) -> int:
        """The cases one function of the contract was judged on (`cases` when the report names no function)."""
        judged = {p["name"]: p.get("cases", 0) for p in self.pieces if p.get("status") == "judged"}
        return judged.get(piece, 0) if judged else self.cases

    def seed_said(self, html: bool = False) -> str:
        """The seed of the cases and how to replay them: `seed 7 (--seed 7 replays these cases)`, or for a secret
        seed ($TORCHREF_SEED) that it is secret, without it (`html`: the option as code, for a page)."""
        if self.seed_secret:
            return f"seed: secret, from ${SEED_ENV}: rerun with the same variable to replay these cases"
        option = f"<code>--seed {self.seed}</code>" if html else f"--seed {self.seed}"
        return f"{'' if html else 'seed '}{self.seed} ({option} replays these cases)"

    def learner_line(self) -> tuple[str, str]:
        """(place, code) of the learner's line at fault: the diagnosed line, else where their code raised."""
        if self.line:
            place, _, code = self.line.partition("  ")
            return place.strip(), code.strip()
        for error in self.errors:
            found = _RAISED_AT.search(error)
            if found:
                return found.group("place"), found.group("code")
        return "", ""

    def explanation(self) -> str:
        """What went wrong at the first wrong link: the named cause, else the tensor's diagnosis."""
        if self.cause:
            return self.cause
        first = next((t for t in self.tensors if t.name == self.first_wrong), None)
        return first.diagnosis if first is not None and first.diagnosis else ""

    def pointer(self) -> str:
        """For a view that shows the small case below the cause: a pointer to it when no cause was found (a named
        cause needs none); "" otherwise, and when there is no small case."""
        return SMALL_CASE_BELOW if NO_CAUSE in self.explanation() and self.small_case_text() else ""

    def small_case_text(self) -> str:
        """The small case of the first wrong link (or piece), to recompute by hand ("" when there is none)."""
        first = next((t for t in self.tensors if t.name == self.first_wrong), None)
        if first and first.small_case:
            return "\n".join(small_case_lines(first.name, first.small_case))
        return "\n".join(piece_case_lines(self.small_case)) if self.small_case.get("piece") else ""

    def headline(self) -> str:
        """The verdict and the first wrong link in one line: `WRONG: first wrong link dZ1: ... (my.py:20)`."""
        word = VERDICT_WORDS[self.verdict]
        if self.verdict == "pass":
            return f"{word} ({self.counted()})"
        # a link of the backward's chain (its table): named with its cause; another function's value: its reason
        if self.verdict == "wrong" and any(t.name == self.first_wrong and t.status != "ok" for t in self.tensors):
            place = self.learner_line()[0]
            cause = self.explanation() or "its value differs from autograd"
            return f"{word}: first wrong link {self.first_wrong}: {cause}" + (f" ({place})" if place else "")
        return f"{word}: {self.reason}"

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<FileReport {os.path.basename(self.file)} model {self.model}: {self.headline()}>"

    def _repr_html_(self) -> str:
        """The verdict table as Jupyter shows it; every text from the learner's side is escaped."""
        e = html.escape
        colour = VERDICT_COLOURS[self.verdict]
        place, code = self.learner_line()
        rows = [
            ("verdict", f'<b style="color:{colour}">{e(VERDICT_WORDS[self.verdict])}</b> · {e(self.counted())}'),
            ("file", f"<code>{e(self.file)}</code> · model {e(self.model)}"),
        ]
        if self.first_wrong:
            rows.append(("first wrong link", f"<code>{e(self.first_wrong)}</code>"))
        if self.explanation():
            rows.append(("cause", e(self.explanation() + self.pointer())))
        if place or code:
            rows.append(("your line", f"{e(place)} <code>{e(code)}</code>"))
        if self.repair:
            rows.append(("repair", e(repair_text(self.repair))))
        if self.reason and not self.first_wrong:
            rows.append(("reason", e(self.reason)))
        rows += [("error", e(error)) for error in self.errors[:3]]
        rows += [("warning", e(w)) for w in self.warnings]
        rows += [("note", e(n)) for n in self.notes]
        if self.same_source_as:
            rows.append(("same source", e(self.same_source())))
        if (self.seed or self.seed_secret) and self.verdict != "skipped":
            rows.append(("seed", self.seed_said(html=True)))
        head = "".join(
            f'<tr><th style="text-align:left">{k}</th><td style="text-align:left">{v}</td></tr>' for k, v in rows
        )
        out = f'<table class="torchref-report">{head}</table>'
        if self.small_case_text():
            out += f'<pre class="torchref-small-case">{e(self.small_case_text())}</pre>'
        if self.tensors:
            cells = "".join(
                f"<tr><td>{e(t.name)}</td><td>{e(t.status)}</td><td>{t.failed}/{t.cases}</td>"
                f"<td>{t.number(t.max_abs)}</td><td style='text-align:left'>{e(t.diagnosis)}</td></tr>"
                for t in self.tensors
            )
            out += (
                "<details><summary>every tensor</summary><table><tr><th>tensor</th><th>verdict</th><th>failed</th>"
                f"<th>max abs</th><th>diagnosis</th></tr>{cells}</table></details>"
            )
        return out

    def table(self) -> str:
        drawn = f"{self.counted()} ({', '.join(self.dtypes)})  " if self.dtypes else ""  # none: refused before
        lines = [f"{self.file}  model {self.model}  {drawn}{VERDICT_WORDS[self.verdict]}"]
        if self.reason:
            lines.append(self.reason + (self.pointer() if NO_CAUSE in self.reason else ""))
        first = next((t for t in self.tensors if t.name == self.first_wrong), None)
        if self.line:
            read = f"    (read as {first.read_as})" if first is not None and first.read_as else ""
            lines.append(f"your line: {self.line}{read}")
        if self.repair:
            lines.append(f"repair: {repair_text(self.repair)}")
        if self.pieces:
            lines.append("functions: " + pieces_text(self.pieces))
        lines += [f"stdout | {line}" for line in self.stdout.splitlines()]
        if self.tensors:
            w = max(30, *(len(t.first_failure) for t in self.tensors))  # a drawn seed's case ids are longer
            head = (
                f"{'tensor':<8} {'verdict':<9} {'failed':>7} {'max abs':>9} {'max rel':>9} {'worst at':<9} "
                f"{'first failing case':<{w}} {'smallest':<16} diagnosis"
            )
            lines += ["", head, "-" * len(head)]
            for t in self.tensors:
                worst = "" if t.worst_index is None else str(tuple(t.worst_index))
                said = t.diagnosis
                if t is first and t.status == "wrong":
                    said = t.mistake or ("the formula above" if t.computed else "see above")
                lines.append(
                    f"{t.name:<8} {t.status:<9} {f'{t.failed}/{t.cases}':>7} {t.number(t.max_abs, 9)} "
                    f"{t.number(t.max_rel, 9)} "
                    f"{worst:<9} {t.first_failure:<{w}} {t.smallest_failure:<16} {said}".rstrip()
                )
        if self.small_case_text():
            lines += ["", self.small_case_text()]
        for error in self.errors[:3]:
            lines.append(f"error: {error}")
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"note: {n}" for n in self.notes]
        if self.same_source_as:
            lines.append(f"same source: {self.same_source()}")
        if self.sandbox:
            lines.append(f"{self.seed_said()} · sandbox {self.sandbox}")
        return "\n".join(lines)


def repair_text(repair: JSONObject) -> str:
    """`line 25: dZ1 = dA1 * A1  →  dZ1 = dA1 * (1 - A1 ** 2) (with this change, all 40 cases pass)`."""
    after = repair["after"] or "(delete the line)"
    where = repair.get("where") or f"line {repair['line']}"
    before = _code_only(repair["before"])  # the after is code alone: so is the before beside it
    return f"{where}: {before}  →  {after} ({repair['result']})"


def _code_only(line: str) -> str:
    """A line without its trailing comment (`dZ1 = dA1 * A1   # (m, h)` → `dZ1 = dA1 * A1`); kept whole when a
    quote comes before the `#` (the `#` may be inside a string)."""
    code, hash_, _ = line.partition("#")
    return code.rstrip() if hash_ and "'" not in code and '"' not in code else line


def pieces_text(pieces: list[JSONObject]) -> str:
    """The contract's functions and what became of each: `forward pass, backward wrong, train not in the file`."""
    said = []
    for p in pieces:
        if p.get("status") == "judged":
            said.append(f"{p['name']} {p.get('verdict') or 'judged'}")
        else:
            said.append(f"{p['name']} not in the file")
    return ", ".join(said)


def _labelled(label: str, text: str) -> list[str]:
    """`  label = first row`, the array's other rows aligned under it."""
    rows = text.splitlines() or [""]
    return [f"  {label} = {rows[0]}"] + [f"  {' ' * len(label)}   {row}" for row in rows[1:]]


def piece_case_lines(case: JSONObject) -> list[str]:
    """The smallest failing case of a piece (its call's arguments, the reference's values and the learner's)."""
    import numpy as np

    def show(label: str, value: object) -> list[str]:
        text = value if isinstance(value, str) else np.array2string(np.asarray(value), max_line_width=100)
        return _labelled(label, text)

    out = [f"the smallest failing case ({case['case']}), to recompute by hand:", f" {case['piece']}'s arguments:"]
    for key, value in case["arguments"].items():
        if isinstance(value, dict):
            for inner, item in value.items():
                out += show(f"{key}[{inner!r}]", item)
        else:
            out += show(key, "None" if value is None else value)
    out.append(" the result:")
    for key, value in case["expected"].items():
        out += show(f"the reference's {key}", value)
        if key in case["yours"]:
            out += show(f"your {key}", case["yours"][key])
    if case.get("raised"):
        out.append(f"  your call raised {case['raised']}")
    return out


def small_case_lines(name: str, case: JSONObject) -> list[str]:
    """The smallest failing case, printed to be recomputed by hand: whose each value is, said on its line."""
    import numpy as np

    def show(label: str, value: object) -> list[str]:
        return _labelled(
            label, np.array2string(np.asarray(value), precision=5, suppress_small=True, max_line_width=100)
        )

    out = [f"the smallest failing case ({case['case']}), to recompute by hand:", " the inputs and parameters:"]
    out += show("X", case["X"]) + show("Y", case["Y"])
    for key, value in case["params"].items():
        out += show(key, value)
    if case.get("upstream"):
        out.append(f" the reference's values that the notes' line for {name} reads:")
        for key, value in case["upstream"].items():
            out += show(f"the reference's {key}", value)
    out.append(" the result:")
    out += show(f"the reference's {name}", case["expected"][name]) + show(f"your {name}", case["yours"][name])
    diff = case.get("first_difference")
    if diff:
        at = ", ".join(map(str, diff["index"]))
        out.append(
            f"  first difference at {name}[{at}]: the reference's {diff['expected']:.6g}, yours {diff['yours']:.6g}"
        )
    tiny = case.get("largest_difference")
    if tiny:  # no five digits show it: as many as it takes
        at = ", ".join(map(str, tiny["index"]))
        e, y = tiny["expected"], tiny["yours"]
        digits = next((k for k in range(6, 18) if f"{e:.{k}g}" != f"{y:.{k}g}"), 17)
        out.append(
            f"  a tiny difference, largest at {name}[{at}]: the reference's {e:.{digits}g}, yours {y:.{digits}g} "
            f"(a difference of {abs(e - y):.3g})"
        )
    return out
