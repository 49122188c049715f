"""The learner's source, read without running it: which line produced a value, and what the file looks like.

`line_of` follows a returned name back through the file's syntax tree: the dict key
(`"dZ1": dZ1`, `grads["dZ1"] = ...`, `grads[f"dZ{l}"] = ...`, `cache["Z1"] = ...`) to the
last assignment of the name it holds, and renders that statement in the notes' symbols
(`cache["A1"]` is A1, `x.T` is xᵀ, `*` is ⊙). `contract` reads the functions and keys a
file defines, for the errors that say what the file is rather than what it lacks.
"""

from __future__ import annotations

import ast
import functools
import re
import threading
from dataclasses import dataclass


@dataclass
class Line:
    number: int
    code: str  # the statement's first line, as written
    read_as: str  # in the notes' symbols
    notes: list  # what else the source says: "changed in place at line 22", "inside a loop"
    expr: object = None  # the right-hand side in the chain's grammar (torchref.chain.Expr), when it translates

    def where(self, filename: str) -> str:
        return f"{filename}:{self.number}  {self.code}"


_PARSER = threading.Lock()  # CPython 3.11's parser is not safe in two threads at once


@functools.lru_cache(maxsize=1)  # the file being judged: a tree can be hundreds of bytes per byte of source
def parse(source) -> ast.Module | None:
    """The file's syntax tree, parsed once per source (every reader here and the import policy share it; nothing
    changes a tree); None when it does not parse (the runner says why)."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    try:
        with _PARSER:
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _function(tree, name: str):
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _key_matches(node, name: str) -> bool:
    """Whether a subscript or dict key (a string, or an f-string such as f"dZ{l}") can be `name`."""
    if isinstance(node, ast.Constant):
        return node.value == name
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(re.escape(part.value) if isinstance(part, ast.Constant) else r"\d+" for part in node.values)
        return re.fullmatch(pattern, name) is not None
    return False


def _producers(fn, name: str):
    """The expressions stored under `name`: dict values, subscript assignments, or an assignment to the name."""
    found = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Dict):
            found += [(v, node) for k, v in zip(node.keys, node.values) if k is not None and _key_matches(k, name)]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _key_matches(target.slice, name):
                    found.append((node.value, node))
    if not found:
        found = [(node.value, node) for node in _assignments(fn, name)]
    return sorted(found, key=lambda pair: pair[1].lineno)


def _assignments(fn, name: str):
    out = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names = [target] if isinstance(target, ast.Name) else getattr(target, "elts", [])
                if any(isinstance(t, ast.Name) and t.id == name for t in names):
                    out.append(node)
    return sorted(out, key=lambda n: n.lineno)


def _mentions_Y(node) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "Y" for n in ast.walk(node))


def line_of(source, name: str, forward: bool, output_link: bool) -> Line | None:
    """The statement that produced the learner's `name` (None when the source does not say).

    `output_link`: the link is the first of the backward pass (dZL = AL − Y), so of several
    assignments to one name in a loop, the one that uses Y is meant; otherwise one that does not.
    """
    tree = parse(source)
    fn = tree and _function(tree, "forward" if forward else "backward")
    if fn is None:
        return None
    lines = (source.decode("utf-8", "replace") if isinstance(source, bytes) else source).splitlines()
    produced = _producers(fn, name)
    if not produced:
        return None
    value, statement = produced[-1]
    for _ in range(3):  # follow a name to its own assignment: "dZ1": dZ1, or grads[...] = dZ
        if not isinstance(value, ast.Name):
            break
        options = [a for a in _assignments(fn, value.id) if not isinstance(a, ast.AugAssign)]
        if not options:
            break
        if _in_loop(fn, statement):  # grads[f"dZ{l}"] = dZ: the dZ of the output layer, or of the others
            options = [a for a in options if _mentions_Y(a) == output_link] or options
        before = [a for a in options if a.lineno <= statement.lineno] or options
        statement = before[-1]
        value = statement.value
    notes = []
    target = _target_name(statement)
    if target:
        later = [a for a in _assignments(fn, target) if a.lineno > statement.lineno and isinstance(a, ast.AugAssign)]
        notes += [f"{target} is changed in place at line {a.lineno}" for a in later]
    if _in_loop(fn, statement):
        notes.append("inside a loop")
    code = lines[statement.lineno - 1].split("#")[0].strip() if statement.lineno <= len(lines) else ""
    read = render(statement.value) if getattr(statement, "value", None) is not None else ""
    value = getattr(statement, "value", None)
    expr = (
        translate(value, fn, statement.lineno)
        if value is not None and not isinstance(statement, ast.AugAssign)
        else None
    )
    return Line(statement.lineno, code, f"{target or name} = {read}" if read else "", notes, expr)


_BINARY = {ast.MatMult: "matmul", ast.Mult: "mul", ast.Div: "div", ast.Add: "add", ast.Sub: "sub"}
_CALLS = {"tanh": "tanh", "np.tanh": "tanh", "sigmoid": "sigmoid", "np.transpose": "T"}


def translate(node, fn, before: int, depth: int = 0):
    """The learner's expression in the chain's grammar, reading their names back to the notes' symbols
    (`A1 = cache["A1"]`, `m = X.shape[0]`); None for anything outside the grammar. Nothing is run."""
    from torchref.chain import SIZES, Expr, S, op

    def t(n):
        return translate(n, fn, before, depth + 1)

    if depth > 12:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return Expr.const(float(node.value))
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return (
            S(node.slice.value) if isinstance(node.value, ast.Name) and node.value.id in ("cache", "params") else None
        )
    if isinstance(node, ast.Name):
        if node.id in ("X", "Y"):
            return S(node.id)
        assigned = [a for a in _assignments(fn, node.id) if a.lineno < before]
        if len(assigned) == 1 and isinstance(assigned[0], ast.Assign) and len(assigned[0].targets) == 1:
            target = assigned[0].targets[0]
            if isinstance(target, ast.Name):
                return translate(assigned[0].value, fn, assigned[0].lineno, depth + 1)
            if isinstance(target, ast.Tuple) and isinstance(assigned[0].value, ast.Tuple):
                names = [e.id if isinstance(e, ast.Name) else None for e in target.elts]
                if node.id in names and len(names) == len(assigned[0].value.elts):
                    return translate(assigned[0].value.elts[names.index(node.id)], fn, assigned[0].lineno, depth + 1)
        return S(node.id) if node.id in SIZES else None
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = t(node.value)
        return inner and op["T"](inner)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        if (
            isinstance(node.value.value, ast.Name)
            and node.value.value.id == "X"
            and isinstance(node.slice, ast.Constant)
        ):
            return {0: S("m"), 1: S("n")}.get(node.slice.value)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = t(node.operand)
        return inner and op["neg"](inner)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            base = t(node.left)
            two = isinstance(node.right, ast.Constant) and node.right.value == 2
            return op["square"](base) if base is not None and two else None
        name = _BINARY.get(type(node.op))
        left, right = t(node.left), t(node.right)
        return op[name](left, right) if name and left is not None and right is not None else None
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        kwargs = {k.arg: k.value for k in node.keywords}
        if func in ("np.sum", "np.mean") and len(node.args) == 1 and set(kwargs) <= {"axis", "keepdims"}:
            inner = t(node.args[0])
            axis = kwargs.get("axis")
            axis = axis.value if isinstance(axis, ast.Constant) else None if axis is None else "?"
            keep = isinstance(kwargs.get("keepdims"), ast.Constant) and kwargs["keepdims"].value is True
            name = {(0, True): "sum_rows", (0, False): "sum_rows_1d", (1, True): "sum_cols", (1, False): "sum_cols_1d"}
            name = name.get((axis, keep), "sum_all" if axis is None else None)
            if inner is None or name is None:
                return None
            total = op[name](inner)
            if func == "np.mean":
                size = {"sum_all": None}.get(name, S("m") if axis == 0 else None)
                return op["div"](total, size) if size is not None else None
            return total
        if func in _CALLS and len(node.args) == 1 and not kwargs:
            inner = t(node.args[0])
            return inner and op[_CALLS[func]](inner)
    return None


def _in_loop(fn, statement) -> bool:
    return any(
        isinstance(n, (ast.For, ast.While)) and n.lineno < statement.lineno <= n.end_lineno for n in ast.walk(fn)
    )


def _target_name(statement) -> str:
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    for t in targets:
        if isinstance(t, ast.Name):
            return t.id
    return ""


def render(node) -> str:
    """An expression in the notes' symbols: cache["A1"] → A1, x.T → xᵀ, a @ b → a b, a * b → a ⊙ b."""
    r = render
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return _wrap(node.value) + "ᵀ"
    if isinstance(node, ast.BinOp):
        left, right = _wrap(node.left, node.op), _wrap(node.right, node.op)
        if isinstance(node.op, ast.MatMult):
            return f"{left} {right}"
        if isinstance(node.op, ast.Mult):
            numeric = isinstance(node.left, ast.Constant) or _is_scale(node.left)
            return f"{left} {right}" if numeric else f"{left} ⊙ {right}"
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 2:
            return f"{_wrap(node.left, node.op)}²"
        symbol = {ast.Add: "+", ast.Sub: "−", ast.Div: "/", ast.Pow: "**"}.get(type(node.op), "?")
        return f"{left} {symbol} {right}"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "−" + _wrap(node.operand, node.op)
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func).removeprefix("np.").removeprefix("numpy.")
        args = [r(a) for a in node.args]
        kwargs = {k.arg: ast.unparse(k.value) for k in node.keywords}
        if func in ("sum", "mean") and args:
            axis = {"0": "rows", "1": "columns"}.get(kwargs.get("axis", ""), "all")
            keep = "" if kwargs.get("keepdims") == "True" or axis == "all" else " (1-D, no keepdims)"
            mean = "(1/m) " if func == "mean" and axis == "rows" else "mean " if func == "mean" else ""
            return f"{mean}Σ_{axis} {args[0]}{keep}"
        if func in ("tanh", "exp", "log", "outer", "maximum", "dot", "ravel"):
            return f"{func}({', '.join(args)})"
        return ast.unparse(node)
    return ast.unparse(node)


def _is_scale(node) -> bool:
    """(1 / m), 0.5: a number, not an array."""
    return isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.op, ast.Div)


def _wrap(node, parent=None) -> str:
    text = render(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        return f"({text})"
    if isinstance(node, ast.BinOp) and isinstance(parent, ast.Pow):
        return f"({text})"
    if _is_scale(node):
        return f"({text})"
    return text


# --- the contract ---------------------------------------------------------------------------


def functions(source) -> list[str]:
    tree = parse(source)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] if tree else []


def string_keys(source) -> set[str]:
    """Every string constant used as a subscript or a dict key ("W1", "dZ2", ...)."""
    tree = parse(source)
    keys = set()
    for node in ast.walk(tree) if tree else ():
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys.add(node.slice.value)
        if isinstance(node, ast.Dict):
            keys |= {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return keys


def layers_written_out(source) -> int | None:
    """The number of layers a file writes out by name (params["W3"] → 3); None when it names none (a loop)."""
    numbers = [int(k[1:]) for k in string_keys(source) if re.fullmatch(r"[WbZA][1-9]\d?", k)]
    return max(numbers) if numbers else None


def loop_storing(source, name: str) -> int | None:
    """The line of a loop of backward that stores keys like `name` with an f-string (grads[f"dW{l}"]), or None.

    When such a key is missing, the loop did not reach that layer.
    """
    tree = parse(source)
    fn = tree and _function(tree, "backward")
    if not fn:
        return None
    stem = name.rstrip("0123456789")
    for loop in (n for n in ast.walk(fn) if isinstance(n, (ast.For, ast.While))):
        for node in ast.walk(loop):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    key = target.slice if isinstance(target, ast.Subscript) else None
                    if isinstance(key, ast.JoinedStr) and _key_matches(key, stem + "1"):
                        return loop.lineno
    return None
