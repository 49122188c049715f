"""The `torchref` command line."""

from __future__ import annotations

import argparse
import sys

from torchref.registry import DTYPES, REGISTRY


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _models(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in REGISTRY]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {unknown or text!r}; known: {', '.join(REGISTRY)}")
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torchref", description="Handmade NumPy models against their torch twins.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="run every registry model over random cases and compare with torch",
                       description="Exit status: 0 when every tensor of every case is within tolerance, 1 otherwise, "
                                   "2 on bad arguments.")
    v.add_argument("--models", type=_models, default=None, metavar="A,B", help=f"comma-separated; default all: {', '.join(REGISTRY)}")
    v.add_argument("--cases", type=_positive, default=20, help="cases per model and dtype (default 20; the named shapes come first)")
    v.add_argument("--dtype", choices=[*DTYPES, "both"], default="both")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--json", metavar="PATH", help="also write the report as JSON (schema torchref.verify/1)")
    v.add_argument("--failures-only", action="store_true", help="print only the failing rows")
    sub.add_parser("models", help="list the registry")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    import torch

    torch.set_num_threads(1)  # small shapes: one thread is faster and immune to load (PERFORMANCE.md)
    if args.command == "models":
        for name, pair in REGISTRY.items():
            print(f"{name:<22} {pair.description}")
        return 0
    from torchref.verify import verify

    dtypes = DTYPES if args.dtype == "both" else (args.dtype,)
    report = verify(args.models, args.cases, dtypes, args.seed)
    print(report.table(failures_only=args.failures_only))
    if args.json:
        try:
            report.write_json(args.json)
        except OSError as exc:
            print(f"torchref: cannot write --json {args.json}: {exc}", file=sys.stderr)
            return 2
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
