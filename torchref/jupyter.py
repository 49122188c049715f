"""The IPython extension: `%load_ext torchref`, then a cell magic that checks what the cell defines.

    %load_ext torchref

    %%check shallow --cases 5
    def forward(X, params):
        ...
    def backward(X, Y, params, cache):
        ...

The cell runs as any cell does, in the notebook's namespace (a cell that raises shows its
traceback, and nothing is checked). Then the functions of the model's contract it defined
(`forward`, `loss`, `backward`, `update`, `train`, `normalise`, ... as the registry's entry
lists them, or the learners' names of them such as `compute_cost`) are handed, as objects,
to `torchref.check`, and the report is the cell's result:
the same table as `torchref.check(...)` on a cell's last line. The options are those of
`torchref check` for one file (`--cases`, `--seed`, `--dtype`, `--hidden`, `--timeout`, ...),
parsed and validated by the command line's own parser; a bad one is one line, no traceback.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import shlex
import sys

# options of `torchref check` about a folder, a class or the files written: nothing to do with one cell
_NOT_FOR_A_CELL = (
    "--json",
    "--csv",
    "--gradescope",
    "--html",
    "--hide-values",
    "--recursive",
    "--pattern",
    "--jobs",
    "-j",
    "--quiet",
)


def contract_functions(model: str) -> tuple[str, ...]:
    """The names a cell may define for `model`: its contract's functions (the registry's), then the learners'
    usual names of them (`compute_cost` for `loss`), which `torchref.check` takes with a note."""
    from torchref.checker.batch import contract_pair
    from torchref.contracts import LEARNER_NAMES

    contract = contract_pair(model).contract
    return (*contract.names, *(alias for alias, meant in LEARNER_NAMES.items() if meant in contract))


def _none_defined(model: str) -> str:
    """The refusal of a cell that defines no function of the contract: the contract's functions, the other names."""
    from torchref.checker.batch import contract_pair

    contract = contract_pair(model).contract
    signatures = ", ".join(contract[name].signature for name in contract.names)
    aliases = contract_functions(model)[len(contract.names) :]
    also = f" (or the learners' names {', '.join(aliases)})" if aliases else ""
    return f"%%check {model}: the cell defines none of the contract's functions: {signatures}{also}: nothing to check"


def parse(line: str) -> tuple[str, dict]:
    """`MODEL [options]` -> (model, the options for torchref.check); UsageError in one line if refused."""
    from IPython.core.error import UsageError

    from torchref import cli

    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%%check: {exc}") from None
    if not words or words[0].startswith("-"):
        raise UsageError("%%check needs a model first: %%check MODEL [options] (torchref models lists them)")
    refused = [word for word in words if word.split("=")[0] in _NOT_FOR_A_CELL]
    if refused:
        raise UsageError(f"%%check: {refused[0]} is for files and folders (torchref check), not a cell")
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            args = cli.parser().parse_args(["check", "<cell>", "--model", *words])
    except SystemExit as exc:
        if exc.code == 0:  # --help: argparse printed it
            raise UsageError("%%check MODEL [options]: the options of torchref check above") from None
        message = said.getvalue().strip().removeprefix("torchref: error: ")
        message = message.removesuffix(" (see torchref check --help)").removesuffix(" (see torchref --help)")
        raise UsageError(f"%%check: {message}") from None
    return args.model, cli.check_options(args)


def check_cell(shell, line: str, cell: str):
    """Run the cell, then check the contract functions it defined; the report, or None when there is none."""
    from IPython.core.error import UsageError

    from torchref.contracts import LEARNER_NAMES

    model, options = parse(line)  # refused before the cell runs
    try:
        names = contract_functions(model)
    except ValueError as exc:  # a model without a contract
        raise UsageError(f"%%check: {exc}") from None
    before = {name: shell.user_ns.get(name) for name in names}
    if not _run(shell, cell):
        raise UsageError(f"%%check {model}: the cell raised (above): nothing was checked")
    functions = {
        name: shell.user_ns[name]
        for name in names
        if inspect.isfunction(shell.user_ns.get(name)) and shell.user_ns[name] is not before[name]
    }
    if not functions:
        raise UsageError(_none_defined(model))
    # a learner's name beside the contract's own (a `cost` helper of `loss`): the contract's is judged, as in a file
    functions = {name: f for name, f in functions.items() if LEARNER_NAMES.get(name) not in functions}
    import torchref

    try:
        return torchref.check(model=model, **functions, **options)
    except (TypeError, ValueError) as exc:  # what the API refuses (forward without backward, TORCHREF_SEED)
        raise UsageError(f"%%check {model}: {exc}") from None


def _run(shell, cell: str) -> bool:
    """Run the cell as a cell runs (IPython's syntax, the notebook's namespace, its source kept where
    `inspect` finds it); False when it raised, its traceback shown from the cell's own first frame."""
    text = shell.transform_cell(cell)
    filename = shell.compile.cache(text, shell.execution_count, raw_code=cell)
    try:
        exec(shell.compile(text, filename, "exec"), shell.user_global_ns, shell.user_ns)
    except Exception:
        kind, value, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next  # our frames: the learner reads from their cell on
        shell.showtraceback((kind, value, tb))
        return False
    return True


def load_ipython_extension(shell) -> None:
    """Register the `%%check` cell magic (`%load_ext torchref`)."""

    def check(line: str, cell: str):
        return check_cell(shell, line, cell)

    check.__doc__ = __doc__
    shell.register_magic_function(check, magic_kind="cell", magic_name="check")
