"""Why a line raised, from its operands' shapes and names: the shapes at the raising frame and NumPy's rules.

When the learner's code raises, the sandbox sends back the statement and the shape of every
array of the frame, and of every array in a dict of the frame, keyed `params['W2']`
(`runner._where`). The statement's expression is walked with those shapes and NumPy's rules of
broadcasting and matrix products, nothing run; the first operation that cannot combine its
operands is the explanation, and it is said only when the shapes it found are the ones NumPy's
own message names (the message confirms the reading). Each size is named in the notes' symbols
where exactly one of them has it: `(64, 512) = (h, m)`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

Shape = tuple[int, ...]  # an array's shape; () for a number
_ELEMENTWISE = {"exp", "log", "tanh", "abs", "sqrt", "square", "negative", "sign", "copy"}
_REDUCE = {"sum", "mean", "max", "min"}


class _Fails(Exception):
    def __init__(self, sentence: str, shapes: list[Shape]):
        super().__init__(sentence)
        self.sentence, self.shapes = sentence, shapes


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


class _Shapes:
    def __init__(self, shapes: dict[str, list[int]], name: Callable[[Shape], str]):
        self.shapes = {k: tuple(v) for k, v in shapes.items()}
        self.name = name  # a shape in the notes' symbols

    def of(self, node: ast.AST) -> Shape | None:
        """The shape of `node` (a tuple; () for a number), None when the frame does not say."""
        if isinstance(node, ast.Name):
            return self.shapes.get(node.id, ())  # not an array of the frame: a number
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return ()
        if isinstance(node, ast.Attribute):
            inner = self.of(node.value)
            return None if inner is None or node.attr != "T" else tuple(reversed(inner))
        if isinstance(node, ast.UnaryOp):
            return self.of(node.operand)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.BinOp):
            left, right = self.of(node.left), self.of(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.MatMult):
                return self._matmul(node.left, left, node.right, right)
            if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv)):
                out = _broadcast(left, right)
                if out is None:
                    sign = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}.get(
                        type(node.op), "//"
                    )
                    raise _Fails(
                        f"`{_text(node.left)}` is {self.name(left)} and `{_text(node.right)}` is "
                        f"{self.name(right)}: `{sign}` cannot broadcast them together",
                        [left, right],
                    )
                return out
            return None
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _subscript(self, node: ast.Subscript) -> Shape | None:
        key = node.slice
        if isinstance(node.value, ast.Name) and isinstance(key, ast.Constant) and isinstance(key.value, str):
            return self.shapes.get(f"{node.value.id}[{key.value!r}]")  # params["W2"], as the frame recorded it
        base = self.of(node.value)
        if base is None:
            return None
        index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(index) > len(base):
            return None
        out = []
        for i, part in enumerate(index):
            if isinstance(part, ast.Slice):
                if part.lower is None and part.upper is None and part.step is None:
                    out.append(base[i])
                elif _one_wide(part):
                    out.append(1)
                else:
                    return None
            elif (
                isinstance(part, ast.Constant)
                and type(part.value) is int
                or (isinstance(part, ast.Name) and part.id not in self.shapes)
            ):
                continue  # an integer index takes that axis away
            else:
                return None
        return tuple(out) + tuple(base[len(index) :])

    def _matmul(self, left_node: ast.AST, left: Shape, right_node: ast.AST, right: Shape) -> Shape | None:
        if not left or not right or len(left) > 2 or len(right) > 2:
            return None
        inner_left, inner_right = left[-1], right[0] if len(right) == 1 else right[-2]
        if inner_left != inner_right:
            raise _Fails(
                f"`{_text(left_node)}` is {self.name(left)} and `{_text(right_node)}` is {self.name(right)}: "
                f"their product needs {inner_left} = {inner_right} (the columns of the first, the rows of the second)",
                [left, right, (inner_left,), (inner_right,)],
            )
        return left[:-1] + (right[1:] if len(right) == 1 else right[-1:])

    def _call(self, node: ast.Call) -> Shape | None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        numpy = isinstance(func, ast.Attribute) and _text(func.value) in ("np", "numpy")
        args = [self.of(a) for a in node.args]
        first, second = (args + [None, None])[:2]
        if numpy and name in ("dot", "matmul") and len(args) == 2 and first is not None and second is not None:
            return self._matmul(node.args[0], first, node.args[1], second)
        if numpy and name in _ELEMENTWISE and len(args) == 1:
            return args[0]
        if numpy and name in ("maximum", "minimum") and len(args) == 2 and first is not None and second is not None:
            return _broadcast(first, second)
        reduce = name in _REDUCE and (numpy and len(node.args) >= 1 or not numpy and isinstance(func, ast.Attribute))
        if reduce:
            shape = args[0] if numpy or not isinstance(func, ast.Attribute) else self.of(func.value)
            axis_node = next((k.value for k in node.keywords if k.arg == "axis"), None)
            if axis_node is None and len(node.args) > (1 if numpy else 0):
                axis_node = node.args[1 if numpy else 0]
            keep = any(
                k.arg == "keepdims" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords
            )
            if shape is None:
                return None
            if axis_node is None:
                return tuple(1 for _ in shape) if keep else ()
            if not (isinstance(axis_node, ast.Constant) and type(axis_node.value) is int):
                return None
            axis = axis_node.value % max(len(shape), 1)
            return (
                tuple(1 if i == axis else d for i, d in enumerate(shape)) if keep else shape[:axis] + shape[axis + 1 :]
            )
        return None


def _one_wide(part: ast.Slice) -> bool:
    """i:i + 1, a slice one element wide."""
    upper = part.upper
    return (
        part.step is None
        and part.lower is not None
        and isinstance(upper, ast.BinOp)
        and isinstance(upper.op, ast.Add)
        and _text(upper.left) == _text(part.lower)
        and isinstance(upper.right, ast.Constant)
        and upper.right.value == 1
    )


def named(shape: Shape, sizes: dict[str, int]) -> str:
    """(64, 512) = (h, m) where each size is exactly one of the notes' sizes (else the numbers alone)."""
    numbers = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    symbols = []
    for d in shape:
        if d == 1:
            symbols.append("1")
            continue
        names = [k for k, v in sizes.items() if v == d]
        if len(names) != 1:
            return numbers
        symbols.append(names[0])
    return numbers + " = (" + ", ".join(symbols) + ("," if len(shape) == 1 else "") + ")" if shape else numbers


def _confirmed(message: str, shapes: list[Shape]) -> bool:
    """NumPy's message names the shapes (or, for a product, the two sizes) that the reading found."""
    printed = {
        tuple(int(d) for d in m.split(",") if d.strip()) for m in re.findall(r"\((\d+(?:,\s*\d+)*),?\)", message)
    }
    sizes = {int(d) for pair in re.findall(r"size (\d+) is different from (\d+)", message) for d in pair}
    arrays = [s for s in shapes if len(s) > 1 or s in printed]
    if all(s in printed for s in arrays if s) and any(s in printed for s in arrays):
        return True
    numbers = {s[0] for s in shapes if len(s) == 1}
    return bool(sizes) and sizes == numbers


def explain(error: Mapping[str, Any], sizes: dict[str, int]) -> str:
    """Why the learner's statement raised, from its operands' shapes; "" when the shapes do not show it."""
    code, message = error.get("code") or "", error.get("message") or ""
    if not code or not error.get("shapes"):
        return ""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    if len(tree.body) != 1:
        return ""
    statement = tree.body[0]
    reader = _Shapes(error["shapes"], lambda shape: named(shape, sizes))
    try:
        if isinstance(statement, ast.AugAssign):
            target, value = reader.of(statement.target), reader.of(statement.value)
            if target is None or value is None:
                return ""
            out = _broadcast(target, value)
            if out is not None and out != target:
                raise _Fails(
                    f"`{_text(statement.value)}` is {reader.name(value)}: combined with `{_text(statement.target)}`, "
                    f"which is {reader.name(target)}, it broadcasts to {reader.name(out)}, "
                    f"which does not fit in `{_text(statement.target)}`",
                    [target, out],
                )
            return ""
        value = getattr(statement, "value", None)
        if value is not None:
            reader.of(value)
    except _Fails as fails:
        return fails.sentence if _confirmed(message, fails.shapes) else ""
    except (ValueError, TypeError, IndexError, ZeroDivisionError):
        return ""
    return ""


def sizes_of(shape: Any) -> dict[str, int]:
    """The notes' sizes of a case's shape: m, n, h (or h1, h2, ...), k."""
    out = {"m": shape.m, "n": shape.n}
    hidden = list(shape.hidden)
    if len(hidden) == 1:
        out["h"] = hidden[0]
    else:
        out.update({f"h{i}": w for i, w in enumerate(hidden, 1)})
    if getattr(shape, "k", 1) > 1:
        out["k"] = shape.k
    return out
