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
    c.add_argument("--seed", type=int, default=0)
    c.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds a file may run its cases, after its import, before its process is killed (default 60)",
    )
    c.add_argument(
        "--import-timeout",
        type=float,
        default=60.0,
        help="seconds a file may take to import (a file that imports torch needs ~3) (default 60)",
    )
    c.add_argument(
        "--memory-mb", type=_positive, default=4096, help="address-space limit of the learner's process (default 4096)"
    )
    c.add_argument(
        "--hidden",
        type=_widths,
        default=None,
        metavar="H1,H2",
        help="hidden widths of every case (a deep model is otherwise judged at the depth the file writes out)",
    )
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
        from torchref.derivation import UnusableInput
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
    if args.command == "template":
        return _template(args)
    from torchref.verify import verify

    dtypes = DTYPES if args.dtype == "both" else (args.dtype,)
    report = verify(args.models, args.cases, dtypes, args.seed)
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
        hidden=args.hidden,
    )
    if path.is_dir():
        from functools import partial

        from tqdm import tqdm

        from torchref.derivation import check_many

        bar = partial(tqdm, desc="checking", unit="file", disable=args.quiet or None, file=sys.stderr)
        reports = check_many(path, args.model, progress=bar, **options)
        if not reports:
            print(f"torchref: no .py files in {path}", file=sys.stderr)
            return 2
        for report in reports:
            print(report.summary())
        counts = {v: sum(r.verdict == v for r in reports) for v in ("pass", "wrong", "unusable")}
        print(f"check: {counts['pass']} passed, {counts['wrong']} wrong, {counts['unusable']} could not be judged")
        document = {"schema": SCHEMA, "model": args.model, "files": [r.to_json() for r in reports]}
        status = max(r.exit_code for r in reports)
    else:
        report = check(path, args.model, **options)
        print(report.table())
        document, status = report.to_json(), report.exit_code
    return status if _write_json(args.json, document) else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
