"""The import policy: what a learner's file may import and read, decided before it runs and seen while it runs.

A derivation may import the standard library and NumPy (and what a teacher allows with
`--allow-import`); never the reference (torch, this package, the handmade models) nor a
library that computes gradients for it. `scan_imports` reads the file's import statements
before it runs; the sandbox's runner reports what it tried at run time (`refused`).
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from torchref.checker.diagnosis import source as reading
from torchref.checker.escape import clean
from torchref.checker.report import UnusableInput

if TYPE_CHECKING:
    from torchref.checker.sandbox.protocol import Result

MAX_SOURCE = 2**20  # bytes of a submission


# what a derivation may not import: the reference itself, and the libraries that compute gradients for it
REFERENCE = ("torch", "torchref", "torchref_handmade", "handmade", "jax", "jaxlib")

ALLOWED = frozenset(sys.stdlib_module_names) | {"numpy"}
PACKAGE = Path(__file__).resolve().parents[1]  # this package (torchref/), the reference a file may not read


def scan_imports(source: bytes) -> list[tuple[str, int]]:
    """Every import statement of the file: (module, line); [] when it does not parse (the runner says why)."""
    tree = reading.parse(source)
    if tree is None:
        return []
    found = []
    for node in reading.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(("." * node.level + (node.module or ""), node.lineno))
    return sorted(found, key=lambda item: item[1])


class Rules(TypedDict):
    """What the runner enforces while a file runs (a part of its job: sandbox.protocol.Job)."""

    blocked: list[str]  # the modules it may not import
    allowed: list[str]  # the top-level modules it may import
    roots: list[list[str]]  # [folder, what it holds]: what it may not read
    strict: bool
    native: bool


def reference_roots(paths: Iterable[str | os.PathLike[str]]) -> list[list[str]]:
    """Folders a derivation may not read: the reference's packages, and the submissions' own folders."""
    roots = []
    for name in REFERENCE:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None) if module is not None else None
        if isinstance(file, str) and file:
            roots.append([str(Path(file).resolve().parent), "the reference", name])
    roots.append([str(PACKAGE), "the reference", "torchref"])
    folders = sorted({str(Path(p).resolve().parent) for p in paths})
    return roots + [[folder, "another submission", ""] for folder in folders]


def listed(imports: Iterable[tuple[str, int]]) -> list[str]:
    """The file's import statements as a report lists them: "numpy (line 1)"."""
    return [f"{clean(name, 80)} (line {line})" for name, line in imports]


def refuse_imports(imports: Iterable[tuple[str, int]], allowed: Collection[str]) -> None:
    """UnusableInput at the first import statement the policy refuses (`allowed`: the teacher's --allow-import)."""
    for name, line in imports:
        top = name.split(".")[0]
        if top in allowed:
            continue
        if top in REFERENCE:
            raise UnusableInput(f"imports the reference (line {line}): {clean(name, 80)}")
        if top and top not in ALLOWED:
            raise UnusableInput(
                f"imports {clean(name, 80)} (line {line}): only the standard library and NumPy may be imported "
                "(--allow-import NAME)"
            )


def rules(roots: list[list[str]], allowed: Collection[str], strict: bool) -> Rules:
    """What the runner enforces while the file runs: the modules blocked and allowed, the folders it may not read."""
    return {
        "blocked": [n for n in REFERENCE if n not in allowed],
        "allowed": sorted(ALLOWED | set(allowed)),
        "roots": [[root, what] for root, what, name in roots if name not in allowed],
        "strict": strict,
        "native": bool(allowed),  # a package a teacher allows (torch) loads its libraries with ctypes
    }


def refused(result: Result) -> None:
    """UnusableInput when the runner saw the file reach for the reference, native code, a program or a file."""
    found = result.get("reference", {})
    if "import" in found:
        raise UnusableInput(f"imports the reference (line {found['import']['line']}): {clean(found['import']['name'])}")
    if "native" in found:
        name, line = clean(found["native"]["name"]), found["native"]["line"]
        what = "opens a process's memory" if name.startswith("/proc/") else "calls native code"
        raise UnusableInput(f"{what} (line {line}): {name}")
    if "extension" in found:
        name, line = clean(found["extension"]["name"]), found["extension"]["line"]
        raise UnusableInput(
            f"loads a compiled extension that is neither the standard library's nor NumPy's (line {line}): {name}"
        )
    if "program" in found:
        raise UnusableInput(f"starts a program (line {found['program']['line']}): {clean(found['program']['name'])}")
    if "open" in found:
        raise UnusableInput(f"reads {clean(found['open']['what'])} (line {found['open']['line']})")
