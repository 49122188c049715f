"""A class's submissions as a gradebook: scores under a rubric, a CSV, Gradescope's results.json.

The rubric (README, "Grading a class"): every required gradient of the model (dW1, db1,
dW2, db2 for `shallow`; dW, db for `logistic`; dW1..dWL, db1..dbL for a deep model, at the
depth its file is judged) is worth one point, earned when it agrees with autograd in
**every** case of the sweep. A case in which the learner's code raised (or returned
something that is not a dict of arrays) counts as failed for every tensor, so a file that
crashed in 34 of 40 cases earns nothing for the tensors it returned in the other 6. A file
that could not be judged scores 0 of the model's usual maximum; an entry that is not a
submission (a .txt, a figure) has no score.

A student with several files (a folder of them with --recursive, alice.py beside alice.ipynb
in a flat folder) is graded by one: the file with the highest score; at the same score a
pass before a wrong file, a wrong file before one that could not be judged, then the first
listed (`graded`). The gradebook has one row per student, naming that file and how many
files of the student were judged; Gradescope's and the other platforms' documents grade it
and name the others.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from torchref.derivation.escape import clean
from torchref.derivation.report import SCHEMA, VERDICT_WORDS, FileReport, TensorVerdict
from torchref.derivation.sources import Entry, entries, finish, judge_path, read
from torchref.registry import REGISTRY

POINTS = 1.0  # per required gradient
CSV_COLUMNS = ["student", "file", "score", "max_score", "verdict", "first_wrong", "cause", "line", "files"]
VERDICT_RANK = {"pass": 3, "wrong": 2, "unusable": 1, "skipped": 0}  # at one score, the file a student is graded by
# what --hide-values removes: the numbers of the expected values and of the case
VALUE_FIELDS = ("max_abs", "max_rel", "worst_index", "message", "fd_max_abs")
CASE_FIELDS = ("small_case",)


def required_gradients(model: str, report: FileReport | None = None) -> list[str]:
    """The parameter gradients a file for `model` must return, in the notes' order.

    A deep model is judged at one depth per file (the depth it writes out): the gradients
    of that depth, as the report's judged tensors name them. A file not judged (or no
    report) is scored against the model's usual depth, as the judge draws it.
    """
    if report is not None:
        judged = [t.name for t in report.tensors if t.name.startswith(("dW", "db"))]
        if judged:
            return judged
    pair = REGISTRY[model]
    depths = [len(s.hidden) for s in pair.shapes]
    usual = next(s for s in pair.shapes if len(s.hidden) == max(set(depths), key=depths.count))
    return [n for n in pair.names(usual) if n.startswith(("dW", "db"))]


def gradient_results(report: FileReport) -> list[tuple[str, bool, str]]:
    """(gradient, earned, what the learner reads about it) for every required gradient of the report's model."""
    tensors = {t.name: t for t in report.tensors}
    # the cases in which the learner's code raised (or returned no dict of arrays): one error each. A
    # tensor's own count cannot say it: a deep model's dW3 exists only in the cases with three layers.
    crashed = sum(error.startswith("case ") for error in report.errors)
    out = []
    for name in required_gradients(report.model, report):
        t = tensors.get(name)
        if report.verdict == "unusable" or t is None:
            out.append((name, False, f"{name}: not judged: {report.reason or 'the file was not judged'}"))
            continue
        earned = t.status == "ok" and t.failed == 0 and crashed == 0
        out.append((name, earned, _feedback(t, report.cases, crashed)))
    return out


def _feedback(t: TensorVerdict, cases: int, crashed: int) -> str:
    if t.status == "ok" and t.failed == 0 and crashed == 0:
        return f"{t.name}: right in all {cases} cases"
    parts = []
    if t.failed:
        parts.append(f"differs from autograd in {t.failed} of {cases} cases (first: {t.first_failure})")
    if crashed:
        parts.append(f"not returned in {crashed} of {cases} cases (your code raised)")
    if t.diagnosis:
        parts.append(t.diagnosis)
    text = f"{t.name}: " + (f"{t.status}: " if t.status != "ok" else "") + "; ".join(parts)
    return text + (f"\n{t.message}" if t.message else "")


def grade(report: FileReport) -> FileReport:
    """Set report.score and report.max_score under the rubric (a skipped entry keeps 0 of 0)."""
    if report.verdict == "skipped" or report.model not in REGISTRY:
        report.score = report.max_score = 0.0
        return report
    results = gradient_results(report)
    report.max_score = POINTS * len(results)
    report.score = POINTS * sum(earned for _, earned, _ in results)
    return report


def title(name: str) -> str:
    """A rubric item as the learner reads it: `dW1 (∂J/∂W1)`."""
    return f"{name} (∂J/∂{name[1:]})" if name.startswith(("dW", "db")) else name


def graded(reports: list[FileReport]) -> FileReport | None:
    """The file a student (or a submission) is graded by (the module's docstring); None when none was judged."""
    judged = [r for r in reports if r.verdict != "skipped"]
    if not judged:
        return None
    return max(judged, key=lambda r: (r.score, VERDICT_RANK[r.verdict]))  # max keeps the first of equals


def by_student(paths, root) -> dict[str, list[int]]:
    """{student: positions of their entries}, in order, for the entries' `paths`: a path's first component under the
    folder checked, without its .py/.ipynb suffix (a student's folder, or a student's file in a flat folder)."""
    from torchref.grading.shards import key

    root = Path(root)
    groups: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        groups.setdefault(key(path, root) if root.is_dir() else "", []).append(i)
    return groups


def hide_values(report: FileReport) -> FileReport:
    """The report without the numbers of the expected values (feedback a learner can read before the deadline)."""
    for t in report.tensors:
        t.max_abs = t.max_rel = t.fd_max_abs = 0.0
        t.worst_index, t.message, t.small_case = None, "", {}
    for name in CASE_FIELDS:
        if hasattr(report, name):
            setattr(report, name, type(getattr(report, name))())
    return report


# ---- judging a folder --------------------------------------------------------------------


def check_folder(path, model: str, recursive=False, pattern=None, progress=None, **options):
    """Every entry of a folder (or one file), judged or not, graded: (entries, one report each), in order."""
    path = Path(path)
    found = entries(path, model, recursive, pattern) if path.is_dir() else [read(path, model)]
    return found, judge_entries(found, model, progress, **options)


def judge_entries(found: list[Entry], model: str, progress=None, **options) -> list[FileReport]:
    """One graded report per entry, in order. Ctrl-C raises `Interrupted` holding the entries finished so far."""
    from torchref.derivation import check_many
    from torchref.derivation.judge import Interrupted

    todo = [e for e in found if e.judged]
    try:
        judged = check_many([(judge_path(e), e.data) for e in todo], model, progress=progress, **options)
    except Interrupted as exc:  # the files judged so far, and the entries that are not submissions
        done = {r.file: r for r in exc.reports}
        paths = {id(e): str(judge_path(e).resolve()) for e in todo}
        finished = [e for e in found if not e.judged or paths[id(e)] in done]
        raise Interrupted([grade(finish(e, done[paths[id(e)]]) if e.judged else e.report) for e in finished]) from None
    judged = iter(judged)
    return [grade(finish(e, next(judged)) if e.judged else e.report) for e in found]


# ---- writing ---------------------------------------------------------------------------


def label(report: FileReport, root: Path) -> str:
    """The report's file as the teacher reads it: relative to the folder that was checked."""
    if not root.is_dir():
        return clean(report.file)
    relative = os.path.relpath(os.path.abspath(report.file), os.path.abspath(root))
    return clean(report.file if relative.startswith("..") else relative)  # a learner's file name: escaped


def rows(reports: list[FileReport], root: Path) -> list[dict]:
    """The gradebook: one row per student, from the file they are graded by (`graded`)."""
    out = []
    for student, where in by_student([r.file for r in reports], root).items():
        theirs = [reports[i] for i in where]
        r = graded(theirs) or theirs[0]
        out.append(
            {
                "student": r.student or clean(student),
                "file": label(r, root),
                "score": r.score,
                "max_score": r.max_score,
                "verdict": r.verdict,
                "first_wrong": r.first_wrong,
                "cause": r.explanation() or (r.reason if r.verdict != "pass" else ""),
                "line": " ".join(p for p in r.learner_line() if p),
                "files": sum(t.verdict != "skipped" for t in theirs),
            }
        )
    return out


def _cell(value):
    """A spreadsheet must read a learner's text as text: a leading =, +, -, @ would start a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_file(path, text: str) -> None:
    """Write `text` as a new file that then takes the name `path`: whatever was there (a link a learner planted in
    a folder anyone may write to, a file of another owner) is replaced, never followed or written into."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_csv(path, reports: list[FileReport], root: Path) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, CSV_COLUMNS)
    writer.writeheader()
    for row in rows(reports, root):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    write_file(path, text.getvalue())


def gradescope(reports: list[FileReport], root: Path) -> dict:
    """Gradescope's results.json for one submission: one test per required gradient.

    A submission with several files is graded by its best one (the others are named in the
    output); one with none scores 0 with the reason. The tests' max_score add up to the total.
    """
    judged = [r for r in reports if r.verdict != "skipped"]
    if not judged:
        found = ", ".join(label(r, root) for r in reports) or "nothing"
        return {
            "score": 0.0,
            "output": f"No .py or .ipynb file with your derivation was found in the submission (found: {found}).",
            "visibility": "visible",
            "tests": [],
        }
    best = graded(judged)
    tests = [
        {
            "name": title(name),
            "score": POINTS if earned else 0.0,
            "max_score": POINTS,
            "status": "passed" if earned else "failed",
            "output": text,
            "visibility": "visible",
        }
        for name, earned, text in gradient_results(best)
    ]
    output = f"{label(best, root)}: {best.headline()}"
    place, code = best.learner_line()
    if code:
        output += f"\nyour line: {place}  {code}"
    output += "".join(f"\n{e}" for e in best.errors[:3]) + "".join(f"\nwarning: {w}" for w in best.warnings)
    others = [r for r in judged if r is not best]
    if others:
        output += "\nalso found (not graded): " + ", ".join(f"{label(r, root)} ({r.score:g})" for r in others)
    return {
        "score": sum(t["score"] for t in tests),
        "execution_time": round(sum(r.seconds for r in reports), 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_json(path, document) -> None:
    """`document` as indented UTF-8 JSON, through `write_file`: every --json, --gradescope and report.json."""
    write_file(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# ---- the command line's batch ----------------------------------------------------------------


def cli(args, options: dict) -> int:
    """`torchref check DIR|FILE` with --recursive, --pattern, --shard, the outputs (grading.outputs), --hide-values."""
    from functools import partial

    from tqdm import tqdm

    from torchref.derivation.judge import SEED_ENV, Interrupted
    from torchref.grading import outputs, shards

    root = Path(args.path)
    if not (root.is_dir() or os.path.lexists(root)):
        return _refuse(f"FILE|DIR must be an existing file or folder, got {root}")
    if (args.recursive or args.pattern) and not root.is_dir():
        return _refuse(f"--recursive and --pattern need a folder, got the file {root}")
    try:
        plan = outputs.plan(args)
    except outputs.TargetError as exc:
        return _refuse(str(exc))
    shard = getattr(args, "shard", None)
    if shard is not None:
        if not root.is_dir():
            return _refuse(f"--shard needs a folder of submissions, got the file {root}")
        others = [t.flag for t in plan.targets if t.option != "json"]
        if others or not plan.get("json") or plan.get("json").path == outputs.STDOUT:
            return _refuse(
                "--shard K/N writes the shard's --json FILE only "
                + (f"(not {', '.join(others)}): " if others else ": ")
                + "`torchref merge` writes the gradebook and the other outputs from every shard's"
            )
        if options.get("seed") is None:
            if not os.environ.get(SEED_ENV):
                return _refuse(f"--shard needs one seed for every shard: give --seed N or set {SEED_ENV}")
            from torchref.derivation.judge import fresh_seed

            options["seed"] = fresh_seed()
    try:
        found = (
            entries(root, args.model, args.recursive or plan.one_submission, args.pattern)
            if root.is_dir()
            else [read(root, args.model)]
        )
        outputs.refuse_several(plan, found, root, args.recursive)
    except outputs.TargetError as exc:
        return _refuse(str(exc))
    positions = list(range(len(found))) if shard is None else shards.select(found, root, *shard)
    mine = [found[i] for i in positions]
    out = sys.stderr if plan.to_stdout else sys.stdout
    bar = partial(tqdm, desc="checking", unit="file", disable=args.quiet or None, file=sys.stderr)
    interrupted = False
    try:
        reports = judge_entries(mine, args.model, progress=bar, **options)
    except Interrupted as exc:  # Ctrl-C: the entries finished so far are still printed and written
        reports, interrupted = exc.reports, True
        done = {r.file for r in reports}
        mine = [e for e in mine if os.path.abspath(e.path) in done]  # a report names its entry's path so
    if args.hide_values:
        reports = [hide_values(r) for r in reports]
    document = None
    if shard is not None:
        recorded = {k: v for k, v in options.items() if k != "jobs"}
        recorded.update(recursive=args.recursive, pattern=args.pattern, hide_values=args.hide_values)
        recorded = json.loads(json.dumps(recorded))  # as the merge reads it back: tuples as lists
        described = shards.describe(found, root, positions, *shard, options["seed"], args.model, recorded)
        document = {"shard": described}
    return conclude(plan, mine, reports, root, args.model, args.hide_values, interrupted, out, document, shard)


def _refuse(message: str) -> int:
    print(f"torchref: error: {message}", file=sys.stderr)
    return 2


def conclude(plan, found, reports, root, model, hide, interrupted, out, extra=None, shard=None) -> int:
    """Print a class run's lines, write its outputs, return its exit status: `check`'s and `merge`'s last step.

    `found` and `reports` are in the folder's order, one report per entry; `extra` joins the --json document."""
    from torchref.grading import outputs

    root = Path(root)
    judged = [r for r in reports if r.verdict != "skipped"]
    if root.is_dir() or interrupted or shard is not None:
        for r in reports:
            print(r.summary(label(r, root)), file=out)
        counts = {v: sum(r.verdict == v for r in reports) for v in VERDICT_WORDS}
        skipped = f", {counts['skipped']} not judged" if counts["skipped"] else ""
        ran = next((r for r in judged if r.sandbox), None)  # the batch's seed and sandbox, as every report has them
        batch = f" (seed {ran.seed}, sandbox {ran.sandbox})" if ran else ""
        print(
            f"check: {counts['pass']} passed, {counts['wrong']} wrong, {counts['unusable']} could not be judged"
            f"{skipped}{batch}",
            file=out,
        )
        document = {"schema": SCHEMA, "model": model, "files": [r.to_json() for r in reports], **(extra or {})}
        if interrupted:
            document["interrupted"] = True
    else:
        print(reports[0].table(), file=out)
        document = reports[0].to_json()
    for target in plan.targets:
        if interrupted and target.option == "html":
            continue
        try:
            outputs.write(target, found, reports, root, model, hide, document)
        except OSError as exc:
            print(f"torchref: cannot write {target.flag} {target.path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if interrupted:
        print(f"torchref: interrupted: {len(judged)} files judged; the outputs hold those", file=sys.stderr)
        return 130
    if shard is not None:  # a shard's grades are the merge's to return (a shard may hold no student at all)
        return 0
    if not judged:
        print(f"torchref: no .py or .ipynb files in {root}", file=sys.stderr)
        return 2
    return max(r.exit_code for r in reports)
