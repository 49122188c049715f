"""Whether a function handed in as an object can be judged by its source: the text is its code, and the code is
the learner's.

The judge runs text, not objects: `torchref.check(backward=fn)` sends the source that
`inspect` finds for `fn` to the sandbox. That text is only a place (a file or a notebook
cell's name, a line) read back through `linecache`, and a function object is mutable: its
`__code__` can be replaced, its `__wrapped__` can point elsewhere, a cache entry can hold
other text at its cell's name, a file can change after it ran. So the text is judged only
once it is proven to be the function's: read at the function's own code object (never
`__wrapped__`), compiled as the sandbox compiles it, and compared with `fn.__code__`, nested
code objects included (`same_code`). Line numbers and file names are left out of the
comparison: they differ between a cell and the text sent, and change no value.

And a function whose code lives in the reference's files (torchref's shipped examples,
torchref_handmade) or in any installed package is not a learner's derivation (`foreign`).
"""

from __future__ import annotations
import __future__

import ast
import functools
import operator
import site
import sysconfig
import textwrap
import types
from pathlib import Path

from torchref.checker.policy import reference_roots

# co_flags that change what a code object does (CO_OPTIMIZED ... CO_ASYNC_GENERATOR); the higher bits are the
# `from __future__` flags of the cell it was compiled in, which a notebook's earlier cell may have set
_KIND_FLAGS = 0xFFFF
_FUTURE = ~_KIND_FLAGS & functools.reduce(
    operator.or_, (getattr(__future__, feature).compiler_flag for feature in __future__.all_feature_names)
)
_COMPARED = (
    "co_name",
    "co_code",
    "co_names",
    "co_varnames",
    "co_freevars",
    "co_cellvars",
    "co_argcount",
    "co_posonlyargcount",
    "co_kwonlyargcount",
    "co_nlocals",
)


def same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """Whether two code objects do the same: their bytecode, names, arguments, exception table and constants,
    nested code compared alike; not where they were written (file, lines, qualified name)."""
    return (
        all(getattr(a, name) == getattr(b, name) for name in _COMPARED)
        and a.co_flags & _KIND_FLAGS == b.co_flags & _KIND_FLAGS
        and getattr(a, "co_exceptiontable", b"") == getattr(b, "co_exceptiontable", b"")
        and len(a.co_consts) == len(b.co_consts)
        and all(_same_constant(x, y) for x, y in zip(a.co_consts, b.co_consts))
    )


def _same_constant(x: object, y: object) -> bool:
    if type(x) is not type(y):  # 1, 1.0 and True are equal, and are not the same constant
        return False
    if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
        return same_code(x, y)
    if isinstance(x, tuple) and isinstance(y, tuple):
        return len(x) == len(y) and all(_same_constant(i, j) for i, j in zip(x, y))
    if isinstance(x, (float, complex)):
        return repr(x) == repr(y)  # nan is nan, -0.0 is not 0.0
    return x == y  # str, bytes, int, None, Ellipsis, frozenset (of such)


def compiles_to(text: str, code: types.CodeType, unit: str = "") -> bool:
    """Whether `text`, compiled as one file, defines a function (or lambda) whose code is `code`: the definition is
    a statement of the text's top level, so its code is a constant of the module's.

    Two things of where the function was compiled change its bytecode and not what it does, and are given to the
    compiler as they were there: the `from __future__` flags (read off `code`), and which global names were
    imported in the same compilation (`np.sum(x)` calls a method of an imported name as an attribute). Python
    compiles a file whole, so these are the imports of `unit`, its file; IPython compiles a cell statement by
    statement, so a definition there sees none: the text is tried both ways."""
    flags = code.co_flags & _FUTURE
    for context in dict.fromkeys(("".join(f"import {name}\n" for name in sorted(_imported(unit))), "")):
        try:
            module = compile(context + text, "<source>", "exec", flags=flags, dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        if any(
            isinstance(const, types.CodeType) and const.co_name == code.co_name and same_code(const, code)
            for const in module.co_consts
        ):
            return True
    return False


def written_as(block: str, code: types.CodeType, unit: str = "") -> bool:
    """Whether the lines `block` of a definition, as written, are the source of `code`, and so the text sent
    (`textwrap.dedent(block)`) is: compared as sent, or, for a method indented in its class, as written inside a
    block (the text sent then differs only by the indentation that a string spanning lines, a docstring, loses)."""
    text = textwrap.dedent(block)
    return compiles_to(text, code, unit) or (text != block and compiles_to("if 1:\n" + block, code, unit))


def _imported(unit: str) -> set[str]:
    """The names an import statement binds in the module scope of `unit` (not inside a function or class)."""
    try:
        tree = ast.parse(unit)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo += ast.iter_child_nodes(node)
    return {name for name in names if name.isidentifier()}


def foreign(code: types.CodeType) -> str | None:
    """Where `code` lives when it is not the learner's: "torchref's own files (torchref/examples/x.py)", "an
    installed package (…/site-packages/x.py)"; None for a notebook's cell or a file of the learner's."""
    where = Path(code.co_filename)
    if not where.is_absolute():
        return None  # a cell's name, "<ipython-input-3-…>", "<string>"
    where = where.resolve()
    for root, _, name in reference_roots([]):
        if where.is_relative_to(root):
            return f"{name}'s own files ({name}/{where.relative_to(root)})"
    for folder, what in _installed():
        if where.is_relative_to(folder):
            return f"{what} ({where})"
    return None


def _installed() -> list[tuple[Path, str]]:
    """The folders Python installs packages into, then its standard library's (which may hold the former)."""
    paths = sysconfig.get_paths()
    packages = [paths[key] for key in ("purelib", "platlib") if key in paths] + site.getsitepackages()
    packages += [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    library = [paths[key] for key in ("stdlib", "platstdlib") if key in paths]
    return [(Path(f).resolve(), "an installed package") for f in dict.fromkeys(packages)] + [
        (Path(f).resolve(), "Python's standard library") for f in dict.fromkeys(library)
    ]
