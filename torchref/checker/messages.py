"""The learner's sentences: where their code raised, what the file lacks, what it returned instead.

Every learner text in them goes through `clean` (escape.py). The judge and `explain --file`
both speak through these functions, so one message reads the same wherever it is printed.
"""

from __future__ import annotations

import ast
import re
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
    left = unfilled(source, error)
    if left:  # the template's `...` that the raising line reads: said first, the exception after it
        return f"{left}: {text}"
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


def _is_ellipsis(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _filled_in(source: bytes | str, node: ast.stmt) -> str:
    lines = (source.decode("utf-8", "replace") if isinstance(source, bytes) else source).splitlines()
    code = lines[node.lineno - 1].split("#")[0].strip() if node.lineno <= len(lines) else ""
    return f"line {node.lineno}: `{clean(code, 120)}` is not filled in yet"


def _still_ellipsis(fn: ast.FunctionDef, name: str, statement: ast.stmt) -> ast.Assign | None:
    """The `name = ...` whose value `name` still holds when `statement` runs, or None unless the source shows it:
    the last store of `name` before the statement is that assignment in the function's own body (no branch or
    loop around it), and no store of it in a loop around the statement can run in between."""
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in ast.walk(fn)):
        return None
    end = statement.end_lineno or statement.lineno
    looped = any(
        isinstance(n, (ast.For, ast.While)) and n.lineno <= statement.lineno and (n.end_lineno or 0) >= end
        for n in ast.walk(fn)
    )
    stores = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)]
    before = [n for n in stores if n.lineno < statement.lineno]
    if not before or (looped and any(n.lineno >= statement.lineno for n in stores)):
        return None
    last = max(before, key=lambda n: n.lineno)
    made = next((n for n in fn.body if isinstance(n, ast.Assign) and last in n.targets), None)
    return made if made is not None and len(made.targets) == 1 and _is_ellipsis(made.value) else None


def _defined(tree: ast.Module, function: str, line: int) -> ast.FunctionDef | None:
    fns = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef) and n.name == function and n.lineno <= line <= (n.end_lineno or 0)
    ]
    return fns[0] if len(fns) == 1 else None


def unfilled(source: bytes | str | None, error: Mapping[str, Any]) -> str:
    """`line 62: `dZ1 = ...` is not filled in yet` when the statement that raised holds the template's `...` (not
    NumPy's `A[..., 0]`) or reads a name still holding it (`_still_ellipsis`, and the raise's frame held no array
    of that name); "" unless the source shows it."""
    number, function = error.get("line"), error.get("function")
    if source is None or not isinstance(number, int) or not isinstance(function, str):
        return ""
    tree = reading.parse(source)
    fn = _defined(tree, function, number) if tree is not None else None
    if fn is None:
        return ""
    statements = [
        n
        for n in ast.walk(fn)
        if isinstance(n, ast.stmt) and n is not fn and n.lineno <= number <= (n.end_lineno or n.lineno)
    ]
    raising = min(statements, key=lambda n: (n.end_lineno or n.lineno) - n.lineno) if statements else None
    if raising is None or isinstance(raising, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
        return ""  # none, or a block's header: which of its parts raised is not known
    indexes = {id(n) for sub in ast.walk(raising) if isinstance(sub, ast.Subscript) for n in ast.walk(sub.slice)}
    if any(_is_ellipsis(n) and id(n) not in indexes for n in ast.walk(raising)):
        return _filled_in(source, raising)
    read = [n.id for n in ast.walk(raising) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    for name in dict.fromkeys(read):
        made = None if name in error.get("shapes", {}) else _still_ellipsis(fn, name, raising)  # an array: filled
        if made is not None:
            return _filled_in(source, made)
    return ""


def unfilled_return(source: bytes | str | None, problem: str) -> str:
    """For a returned value that is no number (`0/grads/dZ1: dtype object is not numeric`): the line of the
    template's `...` it is, when the function's one `return` gives it under that key as `...` or as a name still
    holding it (`_still_ellipsis`); "" otherwise."""
    found = re.fullmatch(r"(?:\d+/)?(grads|cache|forward)/(\w+): dtype object is not numeric", problem)
    tree = reading.parse(source) if source is not None and found else None
    fn = reading._function(tree, "backward" if found.group(1) == "grads" else "forward") if tree and found else None
    if source is None or found is None or fn is None:
        return ""
    returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return)]
    if len(returns) != 1 or returns[0].value is None:
        return ""
    value: ast.expr | None = returns[0].value
    kind, key = found.group(1), found.group(2)
    if kind != "grads":  # forward returns (A, cache)
        if not (isinstance(value, ast.Tuple) and len(value.elts) == 2):
            return ""
        value = value.elts[0] if kind == "forward" else value.elts[1]
    if kind != "forward":
        if not isinstance(value, ast.Dict):
            return ""
        value = next(
            (v for k, v in zip(value.keys, value.values) if isinstance(k, ast.Constant) and k.value == key), None
        )
    if _is_ellipsis(value):
        return _filled_in(source, returns[0])
    made = _still_ellipsis(fn, value.id, returns[0]) if isinstance(value, ast.Name) else None
    return _filled_in(source, made) if made is not None else ""


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


def problems(problems: list[str], source: bytes | str | None = None) -> str:
    """The runner's complaints about what was returned, with the usual cause of each (with `source`: the line of
    a template's `...` that a value returned is, `unfilled_return`)."""
    out = []
    for text in problems:
        if text.endswith("got NoneType"):
            function = "backward" if "grads must" in text else "forward"
            text = f"{function} returned None: a missing `return`?"
        out.append(text)
    numbers = [text for text in out if text.endswith("dtype object is not numeric")]
    if len(numbers) > 2:  # the template's `...` everywhere: one line, not one per name
        names = ", ".join(text.split(": ")[0].rsplit("/", 1)[-1] for text in numbers)
        out = [t for t in out if t not in numbers]
        out.append(f"{names} are not numbers (a `...` of the template not filled in yet?)")
    else:
        left = {text: unfilled_return(source, text) for text in numbers}
        out = [f"{left[t]}: {t}" if left.get(t) else t for t in out]
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
