"""The `torchref` command line."""

from __future__ import annotations

import argparse
import sys

from torchref.registry import DTYPES, REGISTRY
from torchref_handmade.datasets import NAMES as DATASETS


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text!r}") from None
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text}")
    return value


def _size_mb(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number of MiB > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of MiB > 0, got {text}")
    return value


def _models(text: str) -> list[str]:
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
    p = _Parser(prog="torchref", description="Handmade NumPy models against their torch twins.")
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
        help="check a learner's derivation file (or every .py file of a folder)",
        description="Exit status: 0 when the derivation passes, 1 when it is wrong, 2 when it cannot "
        "be judged (no such file, no backward, a crash, a time-out). For a folder, the "
        "largest status of its files.",
    )
    c.add_argument("path", metavar="FILE|DIR")
    c.add_argument("--model", required=True, type=_model, help="the registry model the derivation is for")
    c.add_argument("--cases", type=_positive, default=20, help="cases per dtype (default 20; named shapes first)")
    c.add_argument("--dtype", choices=[*DTYPES, "both"], default="both")
    c.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="replay the cases of this seed (default: a fresh one per run, or $TORCHREF_SEED; the report names it)",
    )
    c.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        help="seconds a file may run its cases, after its import, before its process is killed (default 60)",
    )
    c.add_argument(
        "--import-timeout",
        type=_seconds,
        default=60.0,
        help="seconds a file may take to import (default 60)",
    )
    c.add_argument(
        "--memory-mb", type=_positive, default=4096, help="address-space limit of the learner's process (default 4096)"
    )
    c.add_argument(
        "--cpu-seconds", type=_positive, default=120, help="CPU-time limit of the learner's process (default 120)"
    )
    c.add_argument(
        "--file-mb", type=_positive, default=256, help="largest file the learner's process may write (default 256)"
    )
    c.add_argument(
        "--max-processes", type=_positive, default=64, help="processes the learner's code may have at once (default 64)"
    )
    c.add_argument(
        "--output-mb",
        type=_size_mb,
        default=None,
        help="most MiB of arrays read back from a file (default: 4x the expected arrays + 1 MiB)",
    )
    c.add_argument(
        "--sandbox",
        choices=["auto", "bwrap", "basic"],
        default="auto",
        help="where learners' files run: bubblewrap, or the basic fallback (default auto: bwrap where installed)",
    )
    c.add_argument(
        "--allow-import",
        action="append",
        default=[],
        metavar="NAME",
        help="also let files import this package (repeat; by default only the standard library and NumPy)",
    )
    c.add_argument("--strict", action="store_true", help="changing an input in place is a failure, not a warning")
    c.add_argument("-j", "--jobs", type=_positive, default=None, help="files checked at a time (default: every core)")
    c.add_argument("--json", metavar="PATH", help="also write the report as JSON (schema torchref.check/1)")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    e = sub.add_parser("explain", help="the teaching trace: every symbol of the derivation, handmade beside torch")
    e.add_argument("model", type=_model)
    e.add_argument("--m", type=_positive, default=3)
    e.add_argument("--n", type=_positive, default=2)
    e.add_argument("--h", type=_positive, action="append", help="hidden width (repeat for more layers; default 4)")
    e.add_argument("--k", type=_positive, default=None, help="classes of a softmax model (default 3)")
    e.add_argument("--dtype", choices=list(DTYPES), default="float64")
    e.add_argument("--seed", type=int, default=0)
    k = sub.add_parser(
        "compare",
        help="train handmade and torch side by side on a dataset; figures and a report",
        description="Exit status: 0 when the twins agree at every step, 1 when they drift apart, 2 on bad arguments.",
    )
    k.add_argument("model", nargs="?", type=_model, help="a registry model (or --all)")
    k.add_argument("--data", choices=DATASETS, help="dataset made in code")
    k.add_argument("--all", action="store_true", help="every model on its datasets, and the hidden-size sweep")
    k.add_argument("--steps", type=_positive, default=None, help="gradient-descent steps (default per model)")
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
    return p


def _model(text: str) -> str:
    if text not in REGISTRY:
        raise argparse.ArgumentTypeError(f"unknown model {text!r}; known: {', '.join(REGISTRY)}")
    return text


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    import torch
    from threadpoolctl import threadpool_limits

    from torchref.parity import keep_freed_memory

    keep_freed_memory()  # arrays of ever-changing sizes: reuse freed memory rather than fault in new pages
    if args.command == "bench":  # torch with its default threads, as users run it
        from torchref.bench import main as bench

        result = bench(args.quick)
        return 0 if _write_json(args.json, result) else 2
    # Small shapes: one thread is faster and immune to load (PERFORMANCE.md). NumPy's BLAS too:
    # its second thread spins on the other core after each product (measured on `verify`: 9.5 s
    # of CPU for 7 s of wall time with two BLAS threads, 6.6 s with one, the same wall time).
    torch.set_num_threads(1)
    threadpool_limits(limits=1, user_api="blas")
    if args.command == "models":
        for name, pair in REGISTRY.items():
            print(f"{name:<22} {pair.description}")
        return 0
    if args.command == "check":
        return _check(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "explain":
        from torchref.explain import explain

        try:
            print(explain(args.model, args.m, args.n, args.h, args.k, args.dtype, args.seed))
        except (ValueError, TypeError) as exc:  # a shape the model does not take
            print(f"torchref: error: {exc}", file=sys.stderr)
            return 2
        return 0
    from torchref.verify import verify

    dtypes = DTYPES if args.dtype == "both" else (args.dtype,)
    report = verify(args.models, args.cases, dtypes, args.seed)
    print(report.table(failures_only=args.failures_only))
    if not _write_json(args.json, report.to_json()):
        return 2
    return 0 if report.ok else 1


def _write_json(path, document) -> bool:
    """Write `document` to the --json PATH, if one was given; False (and one line on stderr) when it cannot."""
    if not path:
        return True
    import json

    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        print(f"torchref: cannot write --json {path}: {exc}", file=sys.stderr)
        return False
    return True


def _compare(args) -> int:
    from functools import partial

    from tqdm import tqdm

    from torchref import compare as cmp
    from torchref.plots import report

    if args.all == bool(args.model) or (args.model and not args.data):
        print("torchref: error: give MODEL --data NAME, or --all", file=sys.stderr)
        return 2
    if args.lr is not None and not (args.lr > 0 and args.lr < float("inf")):
        print(f"torchref: error: --lr must be finite and > 0, got {args.lr}", file=sys.stderr)
        return 2
    jobs = cmp.ALL if args.all else [(args.model, args.data)]
    bar = partial(tqdm, unit="run", disable=args.quiet or None, file=sys.stderr)
    try:
        runs = [
            cmp.compare(model, data, steps=args.steps, lr=args.lr, hidden=args.hidden, seed=args.seed, dtype=args.dtype)
            for model, data in bar(jobs, desc="training")
        ]
        sweep = []
        if args.all or args.model == "shallow":
            sweep = cmp.hidden_sweep(
                "flower" if args.all else args.data,
                steps=args.steps,
                seed=args.seed,
                dtype=args.dtype,
                progress=partial(bar, desc="hidden sweep"),
            )
    except cmp.DriftError as exc:
        print(f"torchref: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a model and dataset that do not fit together
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    path = report(runs, sweep, args.out)
    for run in runs:
        s = run.summary()
        print(
            f"{s['model']:<22} {s['data']:<10} accuracy {s['accuracy_handmade']:6.1%} / {s['accuracy_torch']:6.1%}"
            f"   final loss {s['loss_handmade']:.4f} / {s['loss_torch']:.4f}   max drift {s['max_drift']:.1e}"
        )
    print(f"report: {path}")
    return 0


def _check(args) -> int:
    from pathlib import Path

    from torchref.derivation import SCHEMA, check

    path = Path(args.path)
    dtypes = DTYPES if args.dtype == "both" else (args.dtype,)
    options = dict(
        cases=args.cases,
        seed=args.seed,
        dtypes=dtypes,
        timeout=args.timeout,
        import_timeout=args.import_timeout,
        memory_mb=args.memory_mb,
        cpu_seconds=args.cpu_seconds,
        file_mb=args.file_mb,
        max_processes=args.max_processes,
        output_mb=args.output_mb,
        sandbox=args.sandbox,
        allow_imports=args.allow_import,
        strict=args.strict,
    )
    try:
        if args.seed is None:  # one seed for the whole run, named in every report
            from torchref.derivation.judge import fresh_seed

            options["seed"] = fresh_seed()
        if path.is_dir():
            from functools import partial

            from tqdm import tqdm

            from torchref.derivation import check_many
            from torchref.derivation.judge import Interrupted

            bar = partial(tqdm, desc="checking", unit="file", disable=args.quiet or None, file=sys.stderr)
            interrupted = False
            try:
                reports = check_many(path, args.model, jobs=args.jobs, progress=bar, **options)
            except Interrupted as exc:  # Ctrl-C: the files done so far are still reported and written
                reports, interrupted = exc.reports, True
            if not reports:
                print(f"torchref: {'interrupted' if interrupted else 'no .py files'} in {path}", file=sys.stderr)
                return 130 if interrupted else 2
            for report in reports:
                print(report.summary())
            counts = {v: sum(r.verdict == v for r in reports) for v in ("pass", "wrong", "unusable")}
            print(
                f"check: {counts['pass']} passed, {counts['wrong']} wrong, {counts['unusable']} could not be judged"
                f" (seed {options['seed']}, sandbox {reports[0].sandbox or 'none'})"
            )
            document = {"schema": SCHEMA, "model": args.model, "files": [r.to_json() for r in reports]}
            status = max(r.exit_code for r in reports)
            if interrupted:
                print(f"torchref: interrupted: {len(reports)} files checked", file=sys.stderr)
                document["interrupted"] = True
                return 130 if _write_json(args.json, document) else 2
        else:
            report = check(path, args.model, **options)
            print(report.table())
            document, status = report.to_json(), report.exit_code
    except ValueError as exc:  # an argument argparse cannot see (TORCHREF_SEED, --sandbox bwrap without bwrap)
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    return status if _write_json(args.json, document) else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
