"""The `torchref` command line: the parser of every command, and each command as a few lines over the library.

Nothing imports this module (tests/test_layering.py): a command reads its arguments, calls
the library (`torchref.checker`, `torchref.grading`, `verify`, `compare`, `explain`,
`bench`) and prints or writes what it returns. Its length, over 400 lines, is the parser's:
eight commands and their options with their help; the defaults of `check` come from
`checker.options.DEFAULTS`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import json
import os
import sys
from typing import NoReturn

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
        self.exit(2, f"torchref: error: {message} (see {self.prog} --help)\n")  # a command's own help

    def parse_known_args(self, args=None, namespace=None):
        """An option this command does not know is named first (with the nearest known one), before anything
        argparse would say about it, such as a required option it then thinks missing."""
        import difflib

        args = sys.argv[1:] if args is None else list(args)
        commands = self._subparsers is not None and self._subparsers._group_actions
        for word in args:
            if word == "--":
                break
            if commands and not word.startswith("-"):
                break  # the command's own parser reads the rest
            option = word.split("=", 1)[0]
            known = self._option_string_actions
            if option.startswith("--") and not any(
                o == option or (self.allow_abbrev and o.startswith(option)) for o in known
            ):
                near = difflib.get_close_matches(option, list(known), n=1, cutoff=0.75)
                self.error(
                    f"unknown option {option}" + (f": did you mean {near[0]}?" if near else self._first(args, word))
                )
        return super().parse_known_args(args, namespace)

    def _first(self, args: list[str], word: str) -> str:
        """`--model shallow` given to a command that takes the model as its first argument: say so, with the
        command line it means (`torchref explain shallow --file my.py`); "" for any other unknown option."""
        import shlex

        option, _, value = word.partition("=")
        positional = next((a for a in self._get_positional_actions() if f"--{a.dest}" == option), None)
        if positional is None:
            return ""
        i = args.index(word)
        taken = 1 if value or i + 1 == len(args) or args[i + 1].startswith("-") else 2
        value = value or (args[i + 1] if taken == 2 else positional.dest.upper())
        shown = shlex.join([value, *args[:i], *args[i + taken :]])
        return f": {self.prog} takes the {positional.dest} first, without {option}: {self.prog} {shown}"


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
        help="replay the cases of this seed (default: a fresh one per run, which the report names, or "
        "$TORCHREF_SEED's, which it keeps secret)",
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
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--recursive", action="store_true", help="one folder per student: the student is the folder's name")
    c.add_argument("--pattern", metavar="GLOB", help="the file names to judge (default *.py and *.ipynb)")
    _outputs(c)
    c.add_argument("--hide-values", action="store_true", help="feedback without the expected values' numbers")
    c.add_argument(
        "--repair",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="look for a verified repair of a wrong file (default: on; off with --csv, --gradescope, --prairielearn, "
        "--coursera, --coderunner or --shard)",
    )
    c.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="judge the K-th of N parts of the class (a student's files stay together; needs --seed or "
        "$TORCHREF_SEED, and --json); `torchref merge` joins the parts",
    )
    m = sub.add_parser(
        "merge",
        help="join the --json files of `check --shard` runs into one class: gradebook, class report, platforms",
        description="Exit status: as `check` of the whole folder would have exited (0 all pass, 1 a wrong file, "
        "2 a file that could not be judged), 2 also when the shards cannot be joined (one line says why).",
    )
    m.add_argument("shards", nargs="+", metavar="SHARD.json", help="every shard's --json file")
    _outputs(m)
    m.add_argument("--quiet", action="store_true", help="accepted for symmetry with check (the merge has no bar)")
    e = sub.add_parser("explain", help="the teaching trace: every symbol of the derivation, handmade beside torch")
    e.add_argument("model", type=_model)
    e.add_argument("--m", type=_positive, help="examples of the case (default 3, or the least the model takes)")
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
    b.add_argument(
        "--large-class",
        action="store_true",
        help="with --quick, also the class of 1,000 files (a full run always measures it; minutes)",
    )
    sub.add_parser("models", help="list the registry")
    a = sub.add_parser(
        "autograder",
        help="write a grader bundle that runs torchref check: Gradescope, PrairieLearn, Coursera or CodeRunner",
        description="gradescope: the wheel of this torchref, constraints.txt, setup.sh, run_autograder and "
        "autograder.zip (to upload). prairielearn: a Dockerfile (the wheel, constraints.txt), run_grader, the "
        "question's info.json and question.html. coursera: a Dockerfile (the wheel, constraints.txt) and its "
        "grader. coderunner: the question's combinator template grader (template.py). The checker's options "
        "below are fixed for every submission; those not given keep torchref check's defaults.",
    )
    a.add_argument("platform", choices=["gradescope", "prairielearn", "coursera", "coderunner"])
    a.add_argument("--model", type=_model, help="the registry model the submissions are for")
    a.add_argument(
        "--part",
        type=_part,
        action="append",
        default=[],
        metavar="ID=MODEL",
        help="coursera: the model of an assignment part (repeat; --model covers every other part)",
    )
    a.add_argument("--image", default="torchref-grader", help="prairielearn: the image name info.json pulls")
    a.add_argument("--out", required=True, metavar="DIR", help="the folder for the bundle")
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
        "the source tree, sdist or git commit it came from, else downloaded at this version)",
    )
    return p


def _outputs(p) -> None:
    """The outputs `check` and `merge` share (grading.outputs checks them before anything is judged)."""
    p.add_argument(
        "--json", metavar="PATH", help='also write the report as JSON (its "schema" names the format and its version)'
    )
    p.add_argument("--csv", metavar="PATH", help="the gradebook: a row per student (their graded file), its score")
    p.add_argument("--html", metavar="DIR", help="the class report: index.html (counts of students), a page per file")
    for name, what in (
        ("gradescope", "Gradescope's results.json"),
        ("prairielearn", "PrairieLearn's results.json"),
        ("coursera", "Coursera's feedback.json"),
        ("coderunner", "CodeRunner's combinator-grader JSON (- for standard output)"),
    ):
        p.add_argument(
            f"--{name}",
            metavar="FILE|DIR/",
            help=f"{what}: FILE grades the folder as one submission, DIR/ writes one per student",
        )


def _shard(text: str) -> tuple[int, int]:
    from torchref.grading.shards import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _part(text: str) -> tuple[str, str]:
    part, equals, model = text.partition("=")
    if not (equals and part.strip() and model.strip()):
        raise argparse.ArgumentTypeError(f"expected ID=MODEL (a part id of the assignment and its model), got {text!r}")
    return part.strip(), _model(model.strip())


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
        status = _dispatch(argv)
    except KeyboardInterrupt as exc:
        note = f": {exc.note}" if isinstance(exc, Interrupted) and exc.note else ""
        _stderr(f"torchref: interrupted{note}")
        status = 130
    except BrokenPipeError:
        _quiet_stdout()
        status = 141  # 128 + SIGPIPE, as a program the pipe's signal ended
    if argv is None:  # the command itself (not a call with its arguments): the process ends here
        _end(status)
    return status


def _end(status: int) -> NoReturn:
    """End the command's process as the interpreter would, without tearing its modules down one by one.

    The exit handlers run (the kept sandboxes closed, temporary folders deleted) and the output is
    flushed; what is skipped is the interpreter's own teardown, which for torch's thousands of
    objects costs about half a CPU second on every command.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except BaseException:  # as the interpreter at exit: status 120
        status = status or 120
    atexit._run_exitfuncs()
    os._exit(status)


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


def _outputs_refused(args) -> bool:
    """Every output path of `args` checked before the work starts: True (and one line) when one cannot be written."""
    from torchref.grading.outputs import TargetError, plan

    try:
        plan(args)
    except TargetError as exc:
        print(f"torchref: error: {exc}", file=sys.stderr)
        return True
    return False


def _bench(args) -> int:
    from torchref.bench import main as bench

    if _outputs_refused(args):
        return 2
    result = bench(args.quick, large=args.large_class)
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
    if _outputs_refused(args):
        return 2
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
        said = f"--out {path} exists; the template never overwrites a file"
        if not args.out:  # the default name: the user typed no --out
            said = f"{path} exists; the template never overwrites a file (--out NAME writes another)"
        print(f"torchref: error: {said}", file=sys.stderr)
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
    from torchref.registry import REGISTRY

    if args.model and REGISTRY[args.model].model is None:
        print(f"torchref: error: MODEL {args.model} has no model to train or predict with", file=sys.stderr)
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


# where a check writes grades (a shard's are written by `torchref merge`)
GRADED_OUTPUTS = ("csv", "gradescope", "prairielearn", "coursera", "coderunner", "shard")


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
        # a verified repair, unless asked otherwise: off by default where grades are written (the gradebook, every
        # platform's results: graded feedback would hand out the fix; a shard's grades are written by `torchref merge`,
        # so a shard judges as `check --csv` of the whole class does)
        repair=(
            args.repair
            if getattr(args, "repair", None) is not None
            else not any(getattr(args, name, None) for name in GRADED_OUTPUTS)
        ),
    )


def _check(args) -> int:
    """`torchref check FILE|DIR`: one file's table, or a folder's lines and its outputs (CSV, Gradescope, HTML)."""
    from pathlib import Path

    from torchref.checker import CheckOptions, Submission, judge_submissions

    path = Path(args.path)
    if not (path.is_dir() or os.path.lexists(path)):
        print(f"torchref: error: FILE|DIR must be an existing file or folder, got {path}", file=sys.stderr)
        return 2
    try:
        options = CheckOptions.of(**check_options(args), jobs=args.jobs)
        if _outputs_refused(args):  # every output path checked before anything is judged
            return 2
        batch = (args.recursive, args.pattern, args.csv, args.html, args.hide_values, args.shard)
        platforms = (args.gradescope, args.prairielearn, args.coursera, args.coderunner)
        if path.is_dir() or path.suffix == ".ipynb" or any(batch) or any(platforms):
            return _check_folder(args, options)  # folders, notebooks, scores, the class report
        report = judge_submissions([Submission.named(path, args.model)], args.model, options=options.with_jobs(1))[0]
    except ValueError as exc:  # an argument argparse cannot see (TORCHREF_SEED, --sandbox bwrap without bwrap)
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    return report.exit_code if _write_json(args.json, report.to_json()) else 2


def _check_folder(args, options) -> int:
    """`torchref check DIR|FILE` with --recursive, --pattern, --shard, the outputs (grading.outputs), --hide-values."""
    from dataclasses import replace
    from functools import partial
    from pathlib import Path

    from tqdm import tqdm

    from torchref.checker import Submission
    from torchref.checker.cases import SEED_ENV, fresh_seed, recorded_seed
    from torchref.checker.folder import entries
    from torchref.grading import outputs, shards
    from torchref.grading.gradebook import judge_entries
    from torchref.grading.rubric import hide_values

    root = Path(args.path)
    if not (root.is_dir() or os.path.lexists(root)):
        return _error(f"FILE|DIR must be an existing file or folder, got {root}")
    if (args.recursive or args.pattern) and not root.is_dir():
        return _error(f"--recursive and --pattern need a folder, got the file {root}")
    try:
        plan = outputs.plan(args)
    except outputs.TargetError as exc:
        return _error(str(exc))
    if args.shard is not None:
        if not root.is_dir():
            return _error(f"--shard needs a folder of submissions, got the file {root}")
        others = [t.flag for t in plan.targets if t.option != "json"]
        if others or not plan.get("json") or plan.get("json").path == outputs.STDOUT:
            return _error(
                "--shard K/N writes the shard's --json FILE only "
                + (f"(not {', '.join(others)}): " if others else ": ")
                + "`torchref merge` writes the gradebook and the other outputs from every shard's"
            )
        if options.seed is None:
            if not os.environ.get(SEED_ENV):
                return _error(f"--shard needs one seed for every shard: give --seed N or set {SEED_ENV}")
            options = replace(options, seed=fresh_seed())
    try:
        found = (
            entries(root, args.model, args.recursive or plan.one_submission, args.pattern)
            if root.is_dir()
            else [Submission.from_path(root, args.model)]
        )
        outputs.refuse_several(plan, found, root, args.recursive)
    except outputs.TargetError as exc:
        return _error(str(exc))
    positions = list(range(len(found))) if args.shard is None else shards.select(found, root, *args.shard)
    mine = [found[i] for i in positions]
    out = sys.stderr if plan.to_stdout else sys.stdout
    bar = partial(tqdm, desc="checking", unit="file", disable=args.quiet or None, file=sys.stderr)
    interrupted = False
    try:
        reports = judge_entries(mine, args.model, progress=bar, options=options)
    except Interrupted as exc:  # Ctrl-C: the entries finished so far are still printed and written
        reports, interrupted = exc.reports, True
        from torchref.checker.escape import clean

        done = {r.file for r in reports}
        mine = [e for e in mine if clean(os.path.abspath(e.path)) in done]  # a report names its entry's path so
    if args.hide_values:
        reports = [hide_values(r) for r in reports]
    extra = None
    if args.shard is not None:
        seed = recorded_seed(options.seed)
        recorded = {k: v for k, v in vars(options).items() if k != "jobs"}
        recorded.update(seed=seed, recursive=args.recursive, pattern=args.pattern, hide_values=args.hide_values)
        recorded = json.loads(json.dumps(recorded))  # as the merge reads it back: tuples as lists
        extra = {"shard": shards.describe(found, root, positions, *args.shard, seed, args.model, recorded)}
    folder = root.is_dir()
    return _conclude(
        plan, mine, reports, root, folder, args.model, args.hide_values, interrupted, out, extra, args.shard
    )


def _conclude(plan, found, reports, root, folder, model, hide, interrupted, out, extra=None, shard=None) -> int:
    """A class run's last step, `check`'s and `merge`'s: its lines, its outputs, its exit status.

    `found` and `reports` are in the folder's order, one report per entry; `folder`: `root` is a folder (a merge's
    is, also where this machine does not have it); `extra` joins the --json document."""
    from pathlib import Path

    from torchref.checker.escape import clean
    from torchref.checker.report import SCHEMA, VERDICT_COUNTED, VERDICT_WORDS
    from torchref.grading import outputs
    from torchref.grading.writers import label

    root = Path(root)
    judged = [r for r in reports if r.verdict != "skipped"]
    if folder or interrupted or shard is not None:
        for r in reports:
            print(r.summary(label(r, root)), file=out)
        counts = {v: sum(r.verdict == v for r in reports) for v in VERDICT_WORDS}
        said = VERDICT_COUNTED
        skipped = f", {counts['skipped']} {said['skipped']}" if counts["skipped"] else ""
        ran = next((r for r in judged if r.sandbox), None)  # the batch's seed and sandbox, as every report has them
        batch = f" (seed {'secret' if ran.seed_secret else ran.seed}, sandbox {ran.sandbox})" if ran else ""
        print(
            f"check: {counts['pass']} {said['pass']}, {counts['wrong']} {said['wrong']}, "
            f"{counts['unusable']} {said['unusable']}"
            f"{skipped}{batch}",
            file=out,
        )
        document = {"schema": SCHEMA, "model": model, "files": [r.to_json() for r in reports], **(extra or {})}
        if interrupted:
            document["interrupted"] = True
    else:
        print(reports[0].table(), file=out)
        document = reports[0].to_json()
    unwritten = 0  # a report that cannot be written costs its line on stderr; the others are still written
    for target in plan.targets:
        if interrupted and target.option == "html":
            continue
        try:
            outputs.write(target, found, reports, root, model, hide, document)
        except (OSError, ValueError) as exc:  # ValueError: a text no writer can encode (UnicodeError)
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
            print(f"torchref: cannot write {target.flag} {target.path}: {clean(why, 300)}", file=sys.stderr)
            unwritten += 1
    if interrupted:
        raise Interrupted(reports, f"{len(judged)} files judged; the outputs hold those")
    if shard is not None:  # a shard's grades are the merge's to return (a shard may hold no student at all)
        return 2 if unwritten else 0
    if not judged:
        print(f"torchref: no .py or .ipynb files in {root}", file=sys.stderr)
        return 2
    return 2 if unwritten else max(r.exit_code for r in reports)


def _autograder(args) -> int:
    from torchref.grading.autograder import BundleError, check_argv
    from torchref.grading.autograder import cli as gradescope

    if args.platform == "gradescope":
        if args.model is None:
            return _error("autograder gradescope needs --model MODEL")
        return gradescope(args)
    from torchref.grading import bundles

    check = check_argv(args)
    try:
        if args.platform == "coursera":
            parts = dict(args.part) | ({"*": args.model} if args.model else {})
            if not parts:
                return _error("autograder coursera: give --model MODEL, or --part ID=MODEL for each part")
            paths = bundles.coursera(args.out, parts, check, args.wheel)
        elif args.model is None:
            return _error(f"autograder {args.platform} needs --model MODEL")
        elif args.platform == "coderunner":
            paths = bundles.coderunner(args.out, args.model, check)
        else:
            paths = bundles.prairielearn(args.out, args.model, check, args.image, args.wheel, args.timeout)
    except BundleError as exc:
        return _error(str(exc))
    except OSError as exc:
        print(f"torchref: cannot write --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


def _error(message: str) -> int:
    print(f"torchref: error: {message}", file=sys.stderr)
    return 2


def _merge(args) -> int:
    from torchref.grading import outputs, shards

    try:
        plan = outputs.plan(args)
    except outputs.TargetError as exc:
        return _error(str(exc))
    documents = []
    for name in args.shards:
        try:
            with open(name, encoding="utf-8") as fh:
                documents.append((name, json.load(fh)))
        except OSError as exc:
            return _error(f"cannot read SHARD.json {name}: {exc.strerror or exc}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(f"SHARD.json {name} is not JSON ({exc})")
    try:
        merged = shards.merge(documents)
    except shards.ShardError as exc:
        return _error(str(exc))
    hide = bool(merged.options.get("hide_values"))
    out = sys.stderr if plan.to_stdout else sys.stdout
    return _conclude(plan, merged.found, merged.reports, merged.root, True, merged.model, hide, False, out)


COMMANDS = {
    "verify": _verify,
    "check": _check,
    "explain": _explain,
    "compare": _compare,
    "bench": _bench,
    "models": _models_command,
    "autograder": _autograder,
    "merge": _merge,
    "template": _template,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
