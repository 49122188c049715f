"""The `torchref` command line: the parser of every command, and each command as a few lines over the library.

Nothing imports this module (tests/test_layering.py): a command reads its arguments, calls
the library (`torchref.checker`, `torchref.grading`, `verify`, `compare`, `explain`,
`bench`) and prints or writes what it returns. Its length, over 400 lines, is the parser's:
eight commands and their options with their help; the defaults of `check` come from
`checker.options.DEFAULTS`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys

from torchref.interrupt import Interrupted
from torchref_handmade.datasets import NAMES as DATASETS


def _number(convert, expected: str, ok):
    """An argparse type: `convert(text)`, refused in one line naming what was expected unless `ok(value)`."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):  # also nan, which no comparison admits
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value

    return parse


_positive = _number(int, "a positive integer", lambda value: value >= 1)
_seed = _number(int, "an integer >= 0", lambda value: value >= 0)
_seconds = _number(float, "a finite number of seconds > 0", lambda value: 0 < value < float("inf"))
_size_mb = _number(float, "a finite number of MiB > 0", lambda value: 0 < value < float("inf"))


def _widths(text: str) -> tuple[int, ...]:
    """--hidden 4,3: hidden layer widths."""
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths such as 4,3, got {text!r}") from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected positive widths such as 4,3, got {text!r}")
    return widths


def _models(text: str) -> list[str]:
    from torchref.registry import REGISTRY

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in REGISTRY]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {unknown or text!r}; known: {', '.join(REGISTRY)}")
    return names


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2, no usage dump."""

    def error(self, message):
        self.exit(2, f"torchref: error: {message} (see torchref --help)\n")


def parser() -> argparse.ArgumentParser:
    from torchref import __version__
    from torchref.checker.options import DEFAULTS as D  # every default of a check, and its validation
    from torchref.checker.sandbox.sandbox import KINDS
    from torchref.grading.autograder import VISIBILITIES
    from torchref.registry import DTYPES, REGISTRY  # inside main's guard: loading torch takes a moment to interrupt

    p = _Parser(prog="torchref", description="Handmade NumPy models against their torch twins.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    v = sub.add_parser(
        "verify",
        help="run every registry model over random cases and compare with torch",
        description="Exit status: 0 when every tensor of every case is within tolerance, 1 otherwise, "
        "2 on bad arguments.",
    )
    v.add_argument(
        "--models",
        type=_models,
        default=None,
        metavar="A,B",
        help=f"comma-separated; default all: {', '.join(REGISTRY)}",
    )
    v.add_argument(
        "--cases",
        type=_positive,
        default=20,
        help="cases per model and dtype (default 20; the named shapes come first)",
    )
    v.add_argument("--dtype", choices=[*DTYPES, "both"], default="both")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--json", metavar="PATH", help="also write the report as JSON (schema torchref.verify/1)")
    v.add_argument("--failures-only", action="store_true", help="print only the failing rows")
    c = sub.add_parser(
        "check",
        help="check a learner's derivation (.py or .ipynb), or every submission of a folder",
        description="Exit status: 0 when the derivation passes, 1 when it is wrong, 2 when it cannot "
        "be judged (no such file, no backward, a crash, a time-out). For a folder, the "
        "largest status of its files (2 also when it holds no submission).",
    )
    c.add_argument("path", metavar="FILE|DIR")
    c.add_argument("--model", required=True, type=_model, help="the registry model the derivation is for")
    c.add_argument(
        "--cases", type=_positive, default=D.cases, help=f"cases per dtype (default {D.cases}; named shapes first)"
    )
    c.add_argument("--dtype", choices=[*DTYPES, "both"], default="both")
    c.add_argument(
        "--seed",
        type=_seed,
        default=D.seed,
        help="replay the cases of this seed (default: a fresh one per run, or $TORCHREF_SEED; the report names it)",
    )
    c.add_argument(
        "--timeout",
        type=_seconds,
        default=D.timeout,
        help=f"seconds a file may run its cases, after its import, before it is killed (default {D.timeout:g})",
    )
    c.add_argument(
        "--import-timeout",
        type=_seconds,
        default=D.import_timeout,
        help=f"seconds a file may take to import (default {D.import_timeout:g})",
    )
    c.add_argument(
        "--memory-mb",
        type=_positive,
        default=D.memory_mb,
        help=f"address-space limit of the learner's process (default {D.memory_mb})",
    )
    c.add_argument(
        "--hidden",
        type=_widths,
        default=D.hidden,
        metavar="H1,H2",
        help="hidden widths of every case (a deep model is otherwise judged at the depth the file writes out)",
    )
    c.add_argument(
        "--cpu-seconds",
        type=_positive,
        default=D.cpu_seconds,
        help=f"CPU-time limit of the learner's process (default {D.cpu_seconds})",
    )
    c.add_argument(
        "--file-mb",
        type=_positive,
        default=D.file_mb,
        help=f"largest file the learner's process may write (default {D.file_mb})",
    )
    c.add_argument(
        "--max-processes",
        type=_positive,
        default=D.max_processes,
        help=f"processes the learner's code may have at once (default {D.max_processes})",
    )
    c.add_argument(
        "--output-mb",
        type=_size_mb,
        default=D.output_mb,
        help="most MiB of arrays read back from a file (default: 4x the expected arrays + 1 MiB)",
    )
    c.add_argument(
        "--sandbox",
        choices=KINDS,
        default=D.sandbox,
        help="where learners' files run: bubblewrap, or the basic fallback (default auto: bwrap where installed)",
    )
    c.add_argument(
        "--allow-import",
        action="append",
        default=list(D.allow_imports),
        metavar="NAME",
        help="also let files import this package (repeat; by default only the standard library and NumPy)",
    )
    c.add_argument("--strict", action="store_true", help="changing an input in place is a failure, not a warning")
    c.add_argument("-j", "--jobs", type=_positive, default=D.jobs, help="files checked at a time (default: every core)")
    c.add_argument("--json", metavar="PATH", help="also write the report as JSON (schema torchref.check/1)")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--recursive", action="store_true", help="one folder per student: the student is the folder's name")
    c.add_argument("--pattern", metavar="GLOB", help="the file names to judge (default *.py and *.ipynb)")
    c.add_argument(
        "--csv", metavar="PATH", help="the gradebook: student, file, score, max, verdict, first wrong link, cause"
    )
    c.add_argument("--gradescope", metavar="PATH", help="Gradescope's results.json for the submission")
    c.add_argument("--html", metavar="DIR", help="the class report: index.html, a page per submission, report.json")
    c.add_argument("--hide-values", action="store_true", help="feedback without the expected values' numbers")
    e = sub.add_parser("explain", help="the teaching trace: every symbol of the derivation, handmade beside torch")
    e.add_argument("model", type=_model)
    e.add_argument("--m", type=_positive, default=3)
    e.add_argument("--n", type=_positive, default=2)
    e.add_argument("--h", type=_positive, action="append", help="hidden width (repeat for more layers; default 4)")
    e.add_argument("--k", type=_positive, default=None, help="classes of a softmax model (default 3)")
    e.add_argument("--dtype", choices=list(DTYPES), default="float64")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--file", metavar="FILE", help="a learner's derivation: its values beside the reference's")
    t = sub.add_parser("template", help="write a skeleton derivation file for a model: the contract, the shapes")
    t.add_argument("model", type=_model)
    t.add_argument("--hidden", type=_widths, default=None, metavar="H1,H2", help="hidden widths (deep models)")
    t.add_argument("--out", metavar="FILE", help="where to write it (default my_MODEL.py; never overwritten)")
    k = sub.add_parser(
        "compare",
        help="train handmade and torch side by side on a dataset; figures and a report",
        description="Exit status: 0 when the twins agree at every step, 1 when they drift apart, 2 on bad arguments.",
    )
    k.add_argument("model", nargs="?", type=_model, help="a registry model (or --all)")
    k.add_argument("--data", choices=DATASETS, help="dataset made in code")
    k.add_argument("--all", action="store_true", help="every model on its datasets, and the hidden-size sweep")
    k.add_argument(
        "--steps",
        type=_positive,
        default=None,
        help="gradient-descent steps (default per model; with --all, the sweep's too)",
    )
    k.add_argument("--lr", type=float, default=None, help="learning rate (default per model)")
    k.add_argument("--hidden", type=_positive, action="append", help="hidden width (repeat for deep models)")
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--dtype", choices=list(DTYPES), default="float64")
    k.add_argument("--out", default="report", help="folder for report.md and the figures (default report/)")
    k.add_argument(
        "--quiet", action="store_true", help="no progress bar (it is also off when stderr is not a terminal)"
    )
    b = sub.add_parser("bench", help="one training step, handmade against torch, measured side by side")
    b.add_argument("--quick", action="store_true", help="the four smaller sizes only (under a minute)")
    b.add_argument("--json", metavar="PATH", help="also write the measurements (schema torchref.bench/1)")
    sub.add_parser("models", help="list the registry")
    a = sub.add_parser(
        "autograder",
        help="write an autograder bundle (Gradescope) that runs torchref check",
        description="Writes the wheel of this torchref, constraints.txt, setup.sh, run_autograder and "
        "autograder.zip (to upload) into --out. The checker's options below are fixed for every submission; "
        "those not given keep torchref check's defaults.",
    )
    a.add_argument("platform", choices=["gradescope"])
    a.add_argument("--model", required=True, type=_model)
    a.add_argument("--out", required=True, metavar="DIR", help="the folder for the bundle and autograder.zip")
    a.add_argument("--cases", type=_positive, default=None, help="cases per dtype (torchref check's default)")
    a.add_argument("--timeout", type=_seconds, default=None, help="seconds a file may run its cases (check's default)")
    a.add_argument("--memory-mb", type=_positive, default=None, help="address-space limit of a file's process")
    a.add_argument("--hidden", type=_widths, default=None, metavar="H1,H2", help="hidden widths of every case")
    a.add_argument(
        "--allow-import", action="append", default=[], metavar="NAME", help="also let files import this (repeat)"
    )
    a.add_argument("--hide-values", action="store_true", help="feedback without the expected values' numbers")
    a.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="visible",
        help="when learners see their results on Gradescope (default visible)",
    )
    a.add_argument(
        "--deadline",
        type=_positive,
        default=540,
        help="seconds one submission's check may take before results.json says so (default 540, "
        "under Gradescope's default limit of 10 minutes)",
    )
    a.add_argument(
        "--wheel",
        metavar="FILE",
        help="the wheel of this torchref to ship (default: the one it was installed from, else built from "
        "its source tree, else downloaded at this version)",
    )
    return p


def _model(text: str) -> str:
    from torchref.registry import REGISTRY

    if text not in REGISTRY:
        raise argparse.ArgumentTypeError(f"unknown model {text!r}; known: {', '.join(REGISTRY)}")
    return text


def main(argv=None) -> int:
    """Run one command and return its exit status; never a traceback for what a user can cause.

    Besides each command's own statuses: 2 for bad arguments and for a missing optional
    dependency (one line naming the extra to install), 130 on Ctrl-C (a command that keeps
    a partial report writes it and raises `Interrupted` with a note), 141 when the reader
    of the output went away (`torchref models | head -1`), quietly.
    """
    try:
        return _dispatch(argv)
    except KeyboardInterrupt as exc:
        note = f": {exc.note}" if isinstance(exc, Interrupted) and exc.note else ""
        _stderr(f"torchref: interrupted{note}")
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141  # 128 + SIGPIPE, as a program the pipe's signal ended


def _stderr(line: str) -> None:
    with contextlib.suppress(OSError):  # stderr gone too: nothing left to tell
        print(line, file=sys.stderr, flush=True)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # no file descriptor (a captured stream): nothing to flush
        pass


def _dispatch(argv) -> int:
    args = parser().parse_args(argv)
    from torchref import _process

    _process.setup(single_threaded=args.command != "bench")  # bench measures torch with its default threads
    status = COMMANDS[args.command](args)
    sys.stdout.flush()  # here, where a closed pipe is caught, not at the interpreter's exit
    return status


def _models_command(args) -> int:
    from torchref.registry import REGISTRY

    for name, pair in REGISTRY.items():
        print(f"{name:<22} {pair.description}")
    return 0


def _bench(args) -> int:
    from torchref.bench import main as bench

    result = bench(args.quick)
    return 0 if _write_json(args.json, result) else 2


def _explain(args) -> int:
    from torchref.checker import UnusableInput
    from torchref.explain import explain

    try:
        print(explain(args.model, args.m, args.n, args.h, args.k, args.dtype, args.seed, file=args.file))
    except UnusableInput as exc:  # the learner's file could not be run
        print(f"torchref: cannot run --file {args.file}: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:  # a shape the model does not take, a file that is not one
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _verify(args) -> int:
    from torchref.registry import DTYPES
    from torchref.verify import verify

    dtypes = DTYPES if args.dtype == "both" else (args.dtype,)
    try:
        report = verify(args.models, args.cases, dtypes, args.seed)
    except Interrupted as exc:
        partial = exc.partial
        print(partial.table(failures_only=args.failures_only))
        saved = (
            f" (also in {args.json}, complete: false)"
            if args.json and _write_json(args.json, partial.to_json())
            else ""
        )
        note = f"the {len(partial.rows)} rows of the models and dtypes finished are above{saved}"
        raise Interrupted(partial, note) from exc
    print(report.table(failures_only=args.failures_only))
    if not _write_json(args.json, report.to_json()):
        return 2
    return 0 if report.ok else 1


def _template(args) -> int:
    from pathlib import Path

    from torchref.explain import template

    path = Path(args.out or f"my_{args.model}.py")
    if path.exists():
        print(f"torchref: error: --out {path} exists; the template never overwrites a file", file=sys.stderr)
        return 2
    try:
        text = template(args.model, args.hidden)
    except ValueError as exc:
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    try:
        path.write_text(text.replace("{FILE}", path.name), encoding="utf-8")
    except OSError as exc:
        print(f"torchref: cannot write --out {path}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: fill in the lines marked ..., then: torchref check {path} --model {args.model}")
    return 0


def _write_json(path, document) -> bool:
    """Write `document` to the --json PATH, if one was given; False (and one line on stderr) when it cannot."""
    if not path:
        return True
    from torchref.grading.writers import write_json

    try:
        write_json(path, document)
    except OSError as exc:
        print(f"torchref: cannot write --json {path}: {exc}", file=sys.stderr)
        return False
    return True


def _compare(args) -> int:
    from functools import partial

    if args.all == bool(args.model) or (args.model and not args.data):
        print("torchref: error: give MODEL --data NAME, or --all", file=sys.stderr)
        return 2
    if args.lr is not None and not (args.lr > 0 and args.lr < float("inf")):
        print(f"torchref: error: --lr must be finite and > 0, got {args.lr}", file=sys.stderr)
        return 2
    if args.all and args.hidden:
        print("torchref: error: --hidden sets one model's widths; --all trains each with its own", file=sys.stderr)
        return 2
    try:  # before any training: the figures need the [plots] extra
        from torchref.plots import report
    except ImportError as exc:
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    from torchref.compare import DriftError, all_runs, side_by_side, sweeps

    jobs = all_runs() if args.all else [(args.model, args.data)]
    bar = partial(tqdm, unit="run", disable=args.quiet or None, file=sys.stderr)
    options = dict(steps=args.steps, seed=args.seed, dtype=args.dtype)
    runs, swept = [], []
    try:
        for model, data in bar(jobs, desc="training"):
            runs.append(side_by_side(model, data, lr=args.lr, hidden=args.hidden, **options))
        if args.all:
            swept = sweeps(**options, progress=partial(bar, desc="hidden sweep"))
    except DriftError as exc:
        print(f"torchref: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a model and dataset that do not fit together
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if not runs:
            raise
        path = report(runs, [], args.out)  # the runs finished so far keep their figures
        raise Interrupted(runs, f"the report of the {len(runs)} of {len(jobs)} runs finished is in {path}") from exc
    path = report(runs, swept, args.out)
    for run in runs:
        s = run.summary()
        print(
            f"{s['model']:<22} {s['data']:<10} accuracy {s['accuracy_handmade']:6.1%} / {s['accuracy_torch']:6.1%}"
            f"   final loss {s['loss_handmade']:.4f} / {s['loss_torch']:.4f}   max drift {s['max_drift']:.1e}"
        )
    print(f"report: {path}")
    return 0


def check_options(args) -> dict:
    """The keyword arguments of `torchref.check` (CheckOptions) for the parsed options of `torchref check` for one
    file: the command's, `%%check`'s and the pre-commit hook's."""
    from torchref.registry import DTYPES

    return dict(
        cases=args.cases,
        seed=args.seed,
        dtypes=DTYPES if args.dtype == "both" else (args.dtype,),
        timeout=args.timeout,
        import_timeout=args.import_timeout,
        memory_mb=args.memory_mb,
        hidden=args.hidden,
        cpu_seconds=args.cpu_seconds,
        file_mb=args.file_mb,
        max_processes=args.max_processes,
        output_mb=args.output_mb,
        sandbox=args.sandbox,
        allow_imports=args.allow_import,
        strict=args.strict,
    )


def _check(args) -> int:
    """`torchref check FILE|DIR`: one file's table, or a folder's lines and its outputs (CSV, Gradescope, HTML)."""
    from pathlib import Path

    from torchref.checker import CheckOptions, Submission, judge_submissions

    path = Path(args.path)
    try:
        options = CheckOptions.of(**check_options(args), jobs=args.jobs)
        batch = (args.recursive, args.pattern, args.csv, args.gradescope, args.html, args.hide_values)
        if path.is_dir() or path.suffix == ".ipynb" or any(batch):
            return _check_folder(args, options)  # folders, notebooks, scores, the class report
        report = judge_submissions([Submission.named(path, args.model)], args.model, options=options.with_jobs(1))[0]
    except ValueError as exc:  # an argument argparse cannot see (TORCHREF_SEED, --sandbox bwrap without bwrap)
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    return report.exit_code if _write_json(args.json, report.to_json()) else 2


def _check_folder(args, options) -> int:
    """`torchref check DIR|FILE` with --recursive, --pattern, --csv, --gradescope, --hide-values, --html."""
    from functools import partial
    from pathlib import Path

    from tqdm import tqdm

    from torchref.checker.report import SCHEMA, VERDICT_COUNTED, VERDICT_WORDS
    from torchref.grading.gradebook import check_folder
    from torchref.grading.rubric import hide_values
    from torchref.grading.writers import gradescope, label, write_csv, write_json

    root = Path(args.path)
    if not (root.is_dir() or os.path.lexists(root)):
        print(f"torchref: error: FILE|DIR must be an existing file or folder, got {root}", file=sys.stderr)
        return 2
    if (args.recursive or args.pattern) and not root.is_dir():
        print(f"torchref: error: --recursive and --pattern need a folder, got the file {root}", file=sys.stderr)
        return 2
    bar = partial(tqdm, desc="checking", unit="file", disable=args.quiet or None, file=sys.stderr)
    interrupted = False
    try:
        found, reports = check_folder(root, args.model, args.recursive, args.pattern, progress=bar, options=options)
    except Interrupted as exc:  # Ctrl-C: the entries finished so far are still printed and written
        found, reports, interrupted = None, exc.reports, True
    if args.hide_values:
        reports = [hide_values(r) for r in reports]
    judged = [r for r in reports if r.verdict != "skipped"]
    if root.is_dir() or interrupted:
        for r in reports:
            print(r.summary(label(r, root)))
        counts = {v: sum(r.verdict == v for r in reports) for v in VERDICT_WORDS}
        said = VERDICT_COUNTED
        skipped = f", {counts['skipped']} {said['skipped']}" if counts["skipped"] else ""
        ran = next((r for r in judged if r.sandbox), None)  # the batch's seed and sandbox, as every report has them
        batch = f" (seed {ran.seed}, sandbox {ran.sandbox})" if ran else ""
        print(
            f"check: {counts['pass']} {said['pass']}, {counts['wrong']} {said['wrong']}, "
            f"{counts['unusable']} {said['unusable']}"
            f"{skipped}{batch}"
        )
        document = {"schema": SCHEMA, "model": args.model, "files": [r.to_json() for r in reports]}
        if interrupted:
            document["interrupted"] = True
    else:
        print(reports[0].table())
        document = reports[0].to_json()
    outputs = [
        (args.json, lambda p: write_json(p, document)),
        (args.csv, lambda p: write_csv(p, reports, root)),
        (args.gradescope, lambda p: write_json(p, gradescope(reports, root))),
        (None if interrupted else args.html, lambda p: _class_report(p, found, reports, root, args)),
    ]
    for flag, (target, write) in zip(("--json", "--csv", "--gradescope", "--html"), outputs):
        if target:
            try:
                write(target)
            except OSError as exc:
                print(f"torchref: cannot write {flag} {target}: {exc.strerror or exc}", file=sys.stderr)
                return 2
    if interrupted:
        raise Interrupted(reports, f"{len(judged)} files judged; the outputs hold those")
    if not judged:
        print(f"torchref: no .py or .ipynb files in {root}", file=sys.stderr)
        return 2
    return max(r.exit_code for r in reports)


def _class_report(out, found, reports, root, args):
    from torchref.grading.classreport import write

    write(out, found, reports, root, args.model, hide=args.hide_values)


def _autograder(args) -> int:
    from torchref.grading.autograder import cli as autograder

    return autograder(args)


COMMANDS = {
    "verify": _verify,
    "check": _check,
    "explain": _explain,
    "compare": _compare,
    "bench": _bench,
    "models": _models_command,
    "autograder": _autograder,
    "template": _template,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
