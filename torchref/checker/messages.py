"""The learner's sentences: where their code raised, what the file lacks, what it returned instead.

Every learner text in them goes through `clean` (escape.py). The judge and `explain --file`
both speak through these functions, so one message reads the same wherever it is printed.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from torchref.checker.diagnosis import shapes, verify
from torchref.checker.diagnosis import source as reading
from torchref.checker.escape import clean
from torchref.contracts import Contract
from torchref.registry import REGISTRY, AutogradPair, Shape


def where(
    error: Mapping[str, Any], sizes: dict[str, int] | int | None = None, source: bytes | str | None = None
) -> str:
    """The learner's exception with file, line and code; why it raised, from its operands' shapes (`shapes.explain`,
    with `sizes`, the case's m, n, h); and, with `source`, where an (m, m) array of the frame was made when its
    line shows a 1-D array made there (an (m,) array broadcast against an (m, 1) one)."""
    sizes = {"m": sizes} if isinstance(sizes, int) else dict(sizes or {})
    function = error.get("function", "?")
    inside = f" in {clean(function)}" if function and function != "?" else ""  # "?": none (a syntax error)
    loc = f" at {clean(error['file'])}:{error['line']}{inside}" if error.get("line") else ""
    code = f": `{clean(error['code'])}`" if error.get("code") else ""
    text = f"{clean(error['type'])}{loc}{code}: {clean(error['message'])}"
    why = shapes.explain(error, sizes) if sizes else ""
    if why:
        text += f" ({clean(why, 400)})"
    m = sizes.get("m")
    square = [name for name, shape in error.get("shapes", {}).items() if m and m > 1 and shape == [m, m]]
    made = [(name, line) for name in square if (line := _one_d_line(source, error, name))]
    if made:
        name, line = made[0]
        text += (
            f" (hint: {clean(name)} has shape ({m}, {m}) = (m, m): an (m,) array was broadcast against an (m, 1) one"
            f" at line {line})"
        )
    return text


def _one_d_line(source: bytes | str | None, error: Mapping[str, Any], name: str) -> int:
    """The line of the learner's function that made `name` with a 1-D array (a ravel, X[i], a sum without
    keepdims), before the line that raised; 0 when the source does not show one."""
    if source is None or not error.get("line") or not error.get("function"):
        return 0
    tree = reading.parse(source)
    fn = tree and next(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == error["function"]), None
    )
    if fn is None:
        return 0
    made = [a for a in reading._assignments(fn, name) if a.lineno < error["line"]]
    value = made[-1].value if made else None  # None too for a bare annotation (`A1: np.ndarray`)
    return made[-1].lineno if value is not None and verify.one_d_made(value) else 0


def no_backward(source: bytes | str) -> str:
    """The file has no backward: say what it has instead."""
    found = reading.functions(source)
    similar = [f for f in found if "back" in f.lower() or "grad" in f.lower()]
    if similar:
        return f"found `{similar[0]}()`, expected `backward(X, Y, params, cache)`: the checker calls it by that name"
    return f"the file defines no function backward(X, Y, params, cache){_defines(found)}"


def none_of(contract: Contract, source: bytes | str) -> str:
    """The file defines none of the contract's functions: name them, and what the file defines instead."""
    found = reading.functions(source)
    if "backward" in contract.names and any("back" in f.lower() or "grad" in f.lower() for f in found):
        return no_backward(source)
    names = ", ".join(contract[n].signature for n in contract.names)
    return f"the file defines none of the contract's functions: {names}{_defines(found)}"


def _defines(found: list[str]) -> str:
    return f" (it defines {', '.join(f'`{clean(f)}()`' for f in found)})" if found else ""


def problems(problems: list[str]) -> str:
    """The runner's complaints about what was returned, with the usual cause of each."""
    out = []
    for text in problems:
        if text.endswith("got NoneType"):
            function = "backward" if "grads must" in text else "forward"
            text = f"{function} returned None: a missing `return`?"
        out.append(text)
    unfilled = [text for text in out if text.endswith("dtype object is not numeric")]
    if len(unfilled) > 2:  # the template's `...` everywhere: one line, not one per name
        names = ", ".join(text.split(": ")[0].rsplit("/", 1)[-1] for text in unfilled)
        out = [t for t in out if t not in unfilled]
        out.append(f"{names} are not numbers (a `...` of the template not filled in yet?)")
    return "; ".join(out)


def other_model(pair: AutogradPair, shape: Shape, source: bytes | str) -> str:
    """When no case ran: a file written for another model of the registry ('keys A, dW, db': the logistic one)."""

    def vocabulary(p: AutogradPair, s: Shape) -> set[str]:
        return set(p.param_shapes(s)) | set(p.names(s)) - {"J"}

    keys = reading.string_keys(source)
    ours = len(keys & vocabulary(pair, shape))
    best: str | None = None
    best_keys: set[str] = set()
    for name, other in REGISTRY.items():
        if other is pair or not isinstance(other, AutogradPair):  # an autograd side: the differentiable entries
            continue
        theirs = keys & vocabulary(other, other.shapes[-1])
        if len(theirs) > max(ours, len(best_keys)):
            best, best_keys = name, theirs
    if best is None:
        return ""
    return f"; this looks like a {best} file (keys {', '.join(sorted(best_keys))}): did you mean `--model {best}`?"
