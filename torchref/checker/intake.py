"""What a learner hands in, as Python source for the judge: a cell's text, a notebook, function objects.

Each gives a `Source`: the text the judge runs, with a map from its lines back to where the
learner wrote them ("cell 3, line 4", "backward, line 6"), so that every message names the
learner's own place. Nothing here runs the learner's code: the judge does, in its sandbox.

One module of over 400 lines (just): the three kinds of hand-in share the `Source` and its line
map; notebooks' parsing guards would move out first.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import os
import re
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any

from torchref import install_hint
from torchref.checker import origin
from torchref.checker.escape import clean
from torchref.checker.report import FileReport
from torchref.contracts import MP_NEURON, NORMALISE, TRAINABLE

CONTRACT = tuple(dict.fromkeys(n for c in (TRAINABLE, MP_NEURON, NORMALISE) for n in c.names))  # what a file defines
# IPython lines that are not Python: magics, shell escapes, help (`np.sum?`, `?np.sum`)
_MAGIC = re.compile(r"^\s*(%|!|\?)|^\s*[\w.]+\?{1,2}\s*$")
_TEXT_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%check")  # cell magics whose body is Python
MAX_CELL = 100_000  # characters of one code cell: the parser's memory grows by hundreds of bytes per character
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # in a str from JSON's "\ud800": no UTF-8 file can hold it
# a notebook's top-level statement: (cell number, first line, last line, its node or None where the cell does not
# parse, the cell's lines)
Statement = tuple[int, int, int, ast.stmt | None, list[str]]


class SourceError(ValueError):
    """A function or notebook whose source cannot be turned into a derivation."""


@dataclass
class Source:
    """Python source for the judge, and where each of its lines came from."""

    name: str  # what the learner calls it: "hw.ipynb", "backward", "cell"
    text: str
    labels: list[str] = field(default_factory=list)  # labels[i]: where line i+1 was written; [] = the text's own lines
    warnings: list[str] = field(default_factory=list)
    prefix: str = ""  # what a label is read after in a message: "hw.ipynb " + "cell 3, line 4"

    @property
    def pyname(self) -> str:
        """The file name the judge runs it under (its messages say `pyname:LINE`)."""
        return self.name if self.name.endswith(".py") else f"{self.name}.py"

    def relabel(self, report: FileReport) -> FileReport:
        """Rewrite `pyname:LINE` in the report's texts as the learner's own place; the report's warnings gain ours."""
        report.warnings = self.warnings + report.warnings
        if not self.labels:
            return report
        where = re.compile(re.escape(self.pyname) + r":(\d+)")

        def place(match: re.Match[str]) -> str:
            n = int(match.group(1))
            return self.prefix + self.labels[n - 1] if 0 < n <= len(self.labels) else match.group(0)

        def fix(text: str) -> str:
            return where.sub(place, text) if isinstance(text, str) else text

        for name in ("reason", "cause", "line"):
            setattr(report, name, fix(getattr(report, name)))
        report.errors = [fix(e) for e in report.errors]
        report.warnings = [fix(w) for w in report.warnings]
        report.notes = [fix(n) for n in report.notes]
        for t in report.tensors:
            t.diagnosis, t.message = fix(t.diagnosis), fix(t.message)
        report.pieces = [{k: fix(v) for k, v in p.items()} for p in report.pieces]  # each wrong piece's line
        if report.repair and 0 < report.repair["line"] <= len(self.labels):  # "cell 5, line 11": line 11 of cell 5
            label = self.labels[report.repair["line"] - 1]
            number = re.search(r"line (\d+)$", label)
            report.repair = {**report.repair, "where": self.prefix + label}
            if number:
                report.repair["line"] = int(number.group(1))
        return report

    def lines(self) -> list[tuple[str, str]]:
        """(label, code) for every line, as a page shows the learner's code."""
        text = self.text.splitlines()
        labels = self.labels or [str(i + 1) for i in range(len(text))]
        return list(zip(labels, text))


def from_text(text: str, name: str = "cell") -> Source:
    """A cell's text (IPython magics and shell lines blanked out, so that line numbers stay)."""
    if not isinstance(text, str):
        raise SourceError(f"source must be the cell's text (str) or a file's bytes, got {type(text).__name__}")
    lines = ["" if _MAGIC.search(line) else line for line in text.splitlines()]
    return Source(name, "\n".join(lines) + "\n", [f"line {i}" for i in range(1, len(lines) + 1)], prefix=f"{name}, ")


def from_notebook(data: bytes, name: str) -> Source:
    """The code cells of a notebook that define the contract's functions, their imports and their helpers.

    Kept, in notebook order: function and class definitions, and the imports and assignments
    whose names a kept definition reads. Everything else (a training loop, a plot, a call of
    backward on data) is left out: it would run when the judge loads the file.
    Cells count from 1 at the top, markdown included.
    """
    try:
        import nbformat
    except ImportError:  # the notebook extra is not installed
        raise SourceError(f"reading notebooks needs nbformat: {install_hint('notebook')}") from None
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        raise SourceError("not a readable notebook: it is not UTF-8 text") from None
    except Exception as exc:  # nbformat's own errors, and the JSON reader's (RecursionError on deep nesting)
        raise SourceError(f"not a readable notebook: {type(exc).__name__}: {clean(exc, 200)}") from None
    _python_only(nb)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise SourceError(f"not a readable notebook: its cells are not a list ({type(cells).__name__})")
    statements: list[Statement] = []
    warnings: list[str] = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        lines = _cell_lines(number, cell.get("source", ""))
        if lines is None:
            continue  # a %%bash or %%html cell
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError as exc:
            if any(re.match(rf"\s*def\s+{f}\b", line) for f in CONTRACT for line in lines):
                statements.append((number, 1, len(lines), None, lines))  # the judge reports the error, placed
            else:
                line = f", line {exc.lineno}" if exc.lineno else ""  # a NUL byte's error has no line
                warnings.append(f"cell {number} left out: it is not Python ({clean(exc.msg, 100)}{line})")
            continue
        except (RecursionError, MemoryError, ValueError) as exc:  # the parser's own limits: nesting, a NUL byte
            why = "nested too deeply for the parser" if not isinstance(exc, ValueError) else clean(exc, 100)
            raise SourceError(f"cell {number} cannot be read: {why} ({type(exc).__name__})") from None
        for node in tree.body:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            statements.append((number, first, node.end_lineno or node.lineno, node, lines))
    kept = _kept(statements)
    out: list[str] = []
    labels: list[str] = []
    lines_of: dict[int, tuple[list[str], set[int]]] = {}  # cell -> (its lines, the line numbers kept): a line
    # holding two statements is kept once
    for number, first, last, _, lines in kept:
        lines_of.setdefault(number, (lines, set()))[1].update(range(first, last + 1))
    for number, (lines, numbers) in lines_of.items():
        for i in sorted(numbers):
            out.append(lines[i - 1])
            labels.append(f"cell {number}, line {i}")
    return Source(name, "\n".join(out) + "\n", labels, warnings, prefix=f"{name} ")


def _python_only(nb: Any) -> None:
    """SourceError unless the notebook's metadata, where it names a language, names Python."""
    metadata = nb.get("metadata", {})
    if not isinstance(metadata, dict):
        raise SourceError(f"not a readable notebook: its metadata is not an object ({type(metadata).__name__})")
    for key, entry in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(key, {})
        if not isinstance(value, dict):
            raise SourceError(f"not a readable notebook: its {key} is not an object ({type(value).__name__})")
        language = value.get(entry)
        if language and str(language).lower() != "python":
            raise SourceError(f"a {clean(language, 60)} notebook, not a Python one ({key} {entry})")


def _cell_lines(number: int, text: object) -> list[str] | None:
    """A code cell's lines, IPython's magics blanked out; None for a cell in another language (%%bash)."""
    text = "".join(map(str, text)) if isinstance(text, list) else str(text)
    if len(text) > MAX_CELL:
        raise SourceError(f"cell {number} holds {len(text):,} characters, over the limit of {MAX_CELL:,} for one cell")
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise SourceError(f"cell {number} holds {clean(surrogate.group())}, a lone surrogate: not a character of text")
    lines = text.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        if lines[0].split()[0] not in _TEXT_CELL_MAGICS:
            return None
        lines[0] = ""
    return ["" if _MAGIC.search(line) else line for line in lines]


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)


def _bound_inside(node: ast.AST) -> set[str]:
    """Every name a definition binds inside itself: parameters, assignment and loop targets, imports."""
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, _DEFINITIONS) and n is not node:
            names.add(n.name)
    return names


def reads(node: ast.AST) -> set[str]:
    """The global names a statement reads: for a definition, the names it loads and does not bind itself
    (its parameters and locals are not the notebook's); its decorators, defaults and bases always."""
    loaded = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if not isinstance(node, _DEFINITIONS):
        return loaded
    outside = [*node.decorator_list, *getattr(node, "bases", [])]
    if not isinstance(node, ast.ClassDef):
        outside += [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    return (loaded - _bound_inside(node)) | {
        n.id for part in outside for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def binds(node: ast.AST) -> set[str]:
    """The names a top-level statement binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, _DEFINITIONS):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _kept(statements: list[Statement]) -> list[Statement]:
    """What a kernel needs to define the contract's functions, in notebook order.

    Kept: every definition, every assignment that binds a contract name (`forward = model.forward`),
    and then, to a fixed point, every import and assignment that binds a name a kept statement
    reads (a definition reads only its globals: `m` in `dW = (1 / m) ...`, not its parameters), so
    that a data cell `rng = ...; X = rng.normal(...)` keeps both statements a global needs. A call
    that is not needed (a training loop, a plot, `backward(X, Y, ...)` on data) is left out: it
    would run when the judge loads the file. An import nothing kept reads is left out too.
    """
    simple = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom)
    keep = [
        item[3] is None
        or isinstance(item[3], _DEFINITIONS)
        or (isinstance(item[3], ast.Assign) and binds(item[3]) & set(CONTRACT))
        for item in statements
    ]
    read = set().union(*(reads(item[3]) for item, k in zip(statements, keep) if k and item[3] is not None))
    grown = True
    while grown:
        grown = False
        for i, item in enumerate(statements):
            if not keep[i] and isinstance(item[3], simple) and binds(item[3]) & read:
                keep[i], grown = True, True
                read |= reads(item[3])
    return [item for item, kept in zip(statements, keep) if kept]


def from_functions(backward: object = None, forward: object = None, **more: object) -> Source:
    """The source of the contract's functions given (`backward`, `forward`, `loss=`, ...) with the imports,
    helpers and constants they use.

    Module objects become import lines, functions of the same notebook or module come with
    their own source, numbers and strings are written out; anything else (an array, an
    object) is left out with a warning, and the learner's process then names it.
    """
    given = (("backward", backward), ("forward", forward), *more.items())
    roles = [(r, _function(r, f)) for r, f in given if f is not None]
    for (r1, f1), (r2, f2) in itertools.combinations(roles, 2):
        if f1 is not f2 and f1.__name__ == f2.__name__:
            raise SourceError(f"{r2} and {r1} are two functions with one name {f1.__name__!r}: rename one")
    chunks: list[tuple[str, str]] = []  # (function name, its source)
    header: list[str] = []  # imports and constants
    aliases: list[str] = []  # `role = name` lines, after every definition
    warnings: list[str] = []
    placed: dict[str, str] = {}  # a constant's line -> where the learner's module sets it
    done: set[int] = set()

    def add(fn: types.FunctionType, role: str, lambda_name: str = "") -> None:
        if id(fn) in done:
            return
        done.add(id(fn))
        _learners(role, fn)
        text = "" if lambda_name else _function_source(role, fn)
        # co_names holds attribute names too (`.T`, `.shape`): only those bound in the globals matter
        for name in sorted(_global_names(fn.__code__) & fn.__globals__.keys()):
            value = fn.__globals__[name]
            if isinstance(value, types.FunctionType) and value.__name__ == "<lambda>":
                add(value, name, lambda_name=name)  # what the lambda reads (numpy) travels with it
                _lambda(name, value, fn, chunks, warnings)  # `sigma = lambda z: ...`: its own line
            elif isinstance(value, types.FunctionType) and value.__module__ == fn.__module__ and value is not fn:
                add(value, value.__name__)  # a helper of the same notebook or module: its source too
                if value.__name__ != name:
                    aliases.append(f"{name} = {value.__name__}")
            elif value is not fn:
                _global(name, value, fn, header, warnings)
                if _literal(value) and (where := _set_at(fn, name)):
                    placed.setdefault(header[-1], where)
        if not lambda_name:
            chunks.append((fn.__name__, text))

    for role, fn in roles:
        add(fn, role)
    aliases += [f"{role} = {fn.__name__}" for role, fn in roles if fn.__name__ != role]
    lines: list[str] = []
    labels: list[str] = []
    for line in dict.fromkeys(header):  # each import once, in order of need
        lines.append(line)
        labels.append(placed.get(line, "(imports)"))
    for name, text in chunks:
        for i, line in enumerate(text.splitlines(), 1):
            lines.append(line)
            labels.append(f"{name}, line {i}")
    for line in aliases:
        lines.append(line)
        labels.append("(names)")
    return Source(roles[0][1].__name__, "\n".join(lines) + "\n", labels, warnings)  # labels say the function


def _function(role: str, fn: object) -> types.FunctionType:
    """`fn` itself, refused unless it is a function whose source can be sent: written with def, at the top level."""
    if not isinstance(fn, types.FunctionType):
        raise SourceError(
            f"{role} must be a function written with def, got {type(fn).__name__}"
            + (" (a builtin has no Python source)" if isinstance(fn, types.BuiltinFunctionType) else "")
        )
    if fn.__name__ == "<lambda>":
        raise SourceError(f"{role} is a lambda: write it as `def {role}(...)` so that its source can be read")
    if fn.__closure__:
        names = ", ".join(fn.__code__.co_freevars)
        raise SourceError(
            f"{role} uses {names} from the function it was defined in: define {role} at the top level of the notebook"
        )
    return fn


def _function_source(role: str, fn: types.FunctionType) -> str:
    """The source of `fn` that the judge may run: read at its own code object (`__wrapped__` is not followed) and
    proven to compile to that code (`origin`), so that what is judged is what runs in the learner's kernel."""
    try:
        block, unit = _written(fn.__code__)
        text = textwrap.dedent(block)
    except Exception as exc:  # a place the learner's process chose: OSError, or whatever its linecache holds
        raise SourceError(
            f"the source of {role} ({fn.__name__}) cannot be read ({type(exc).__name__}: {clean(exc, 200)}): pass "
            "the cell's text as source=..., or the path of its file"
        ) from None
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SourceError(f"the source of {role} ({fn.__name__}) read back is not a whole definition") from None
    _proven(role, fn, block, unit)
    return text


def _written(code: types.CodeType) -> tuple[str, str]:
    """The lines of the definition `code` was read from, as written (a method's indented), and all the lines of
    its file or cell: `inspect.getsource` of the code object itself, never of what a function says it wraps."""
    unit, first = inspect.findsource(code)
    return "".join(inspect.getblock(unit[first:])), "".join(unit)


def _learners(role: str, fn: types.FunctionType) -> None:
    """SourceError when the code of `fn` lives in the reference's files or an installed package."""
    where = origin.foreign(fn.__code__)
    if where is not None:
        raise SourceError(
            f"{role} ({fn.__name__}) is not a derivation of the learner's: its code is in {clean(where, 200)}; "
            f"write {role} in the notebook or a file of your own"
        )


def _proven(role: str, fn: types.FunctionType, block: str, unit: str) -> None:
    """SourceError unless the definition's lines `block` compile to the code of `fn` (line numbers and file names
    aside) as `unit` (the file or cell it was read from) compiled it."""
    if fn.__name__ != fn.__code__.co_name:  # the text binds its code's name: another function may hold this one
        raise SourceError(
            f"the source text found for {role} defines {clean(repr(fn.__code__.co_name), 80)}, not the function's "
            f"name {clean(repr(fn.__name__), 80)} (renamed after it was defined): pass the file or the notebook instead"
        )
    if not origin.written_as(block, fn.__code__, unit):
        where = f"{clean(fn.__code__.co_filename, 120)}, line {fn.__code__.co_firstlineno}"
        raise SourceError(
            f"the source text found for {role} ({fn.__name__}, at {where}) is not the code of the function given "
            "(that text compiles to other code): pass the file or the notebook instead, or run its cell again"
        )


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a code object (and the code nested in it) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _lambda(
    name: str, value: types.FunctionType, user: types.FunctionType, chunks: list[tuple[str, str]], warnings: list[str]
) -> None:
    """A helper written `name = lambda ...`: its line, when it is exactly that assignment."""
    try:
        block, unit = _written(value.__code__)
        text = textwrap.dedent(block)
        tree = ast.parse(text)
    except Exception:  # OSError, SyntaxError, or whatever the learner's linecache holds: said below
        block, unit, text, tree = "", "", "", None
    assign = tree.body[0] if tree is not None and len(tree.body) == 1 else None
    if isinstance(assign, ast.Assign) and [getattr(t, "id", None) for t in assign.targets] == [name]:
        _proven(name, value, block, unit)
        chunks.append((name, text))
    else:
        warnings.append(f"{user.__name__} reads {name}, a lambda whose source is not one line `{name} = lambda ...`")


def _global(name: str, value: object, user: types.FunctionType, header: list[str], warnings: list[str]) -> None:
    """Write what the learner's process needs for the global `name` of `user`: an import or a constant."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
        header.append(f"import {module}" if module == name else f"import {module} as {name}")
    elif _importable(value):
        attr = getattr(value, "__name__", name)
        header.append(f"from {value.__module__} import {attr}" + ("" if attr == name else f" as {name}"))
    elif _literal(value):
        header.append(f"{name} = {value!r}")
    else:
        warnings.append(
            f"{user.__name__} reads the global {name} ({type(value).__name__}), which is not sent to the check: "
            "pass it as an argument or define it inside the function"
        )


def _set_at(fn: types.FunctionType, name: str) -> str:
    """Where the learner's module (the file or cell `fn` was read from) sets the global `name` at its top level:
    "alpha.py, line 3" or "the cell of backward, line 3" (its last such line); "" where that source does not set
    it (another cell of a notebook)."""
    try:
        unit, _ = inspect.findsource(fn.__code__)
        tree = ast.parse("".join(unit))
    except Exception:  # no source to read (the function itself was read: a cell's text gone since)
        return ""
    lines = [node.lineno for node in tree.body if isinstance(node, _ASSIGNMENTS) and name in binds(node)]
    if not lines:
        return ""
    path = fn.__code__.co_filename
    if "ipykernel_" in path or path.startswith("<"):  # a notebook's cell: its file name is the kernel's own
        return f"the cell of {fn.__name__}, line {lines[-1]}"
    return f"{os.path.basename(path)}, line {lines[-1]}"


def _importable(value: object) -> bool:
    module, attr = getattr(value, "__module__", None), getattr(value, "__name__", None)
    if not (isinstance(module, str) and isinstance(attr, str)) or module in ("__main__", "builtins"):
        return False
    try:
        mod = __import__(module, fromlist=[attr])
    except Exception:
        return False
    return getattr(mod, attr, None) is value


def _literal(value: object) -> bool:
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return True
    if isinstance(value, (tuple, list, frozenset)):
        return all(_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_literal(k) and _literal(v) for k, v in value.items())
    return False
