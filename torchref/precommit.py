"""`torchref-pre-commit --model MODEL [options] FILE...`: the pre-commit hook's command (.pre-commit-hooks.yaml).

pre-commit passes the changed files that match the hook's `files` after the hook's `args`; each
is judged as `torchref check FILE --model MODEL [options]` would judge it, with the same options,
parsed by the same parser. One line per file (its verdict and first wrong link), then the table
of each file that did not pass. Exit status: 0 when every file passes, 1 when one is wrong, 2
when one cannot be judged or the arguments are refused (the largest, as `torchref check DIR`).
"""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    from torchref import cli

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        command = cli.parser()
        args, rest = command.parse_known_args(["check", "FILE...", *argv])
        unknown = [word for word in rest if word.startswith("-")]
        if unknown:
            command.error(f"unrecognized arguments: {' '.join(unknown)}")
        if not rest:
            return 0  # pre-commit passes no file when none changed
        batch = ("json", "csv", "gradescope", "html", "recursive", "pattern")
        given = [f"--{name}" for name in batch if getattr(args, name)]
        if given:
            command.error(f"{given[0]} is for torchref check over a folder, not the pre-commit hook")
        import torchref

        status = 0
        for path in rest:
            report = torchref.check(path, args.model, **cli.check_options(args))
            print(f"{path}: {report.headline()}", flush=True)
            if report.verdict != "pass":
                print(report.table(), flush=True)
            status = max(status, report.exit_code)
        return status
    except SystemExit as exc:  # the parser's one line is printed; keep its status
        return int(exc.code or 0)
    except ValueError as exc:  # what argparse cannot see (TORCHREF_SEED, --sandbox bwrap without bwrap)
        print(f"torchref: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("torchref: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
