"""The learner's source, read without running it: which line produced a value, and what the file looks like.

`line_of` follows a returned name back through the file's syntax tree: the dict key
(`"dZ1": dZ1`, `grads["dZ1"] = ...`, `grads[f"dZ{l}"] = ...`, `cache["Z1"] = ...`) to the
last assignment of the name it holds, and renders that statement in the notes' symbols
(`cache["A1"]` is A1, `x.T` is xᵀ, `*` is ⊙). `contract` reads the functions and keys a
file defines, for the errors that say what the file is rather than what it lacks.

One module of over 400 lines: following a name back through a learner's syntax tree (keys, loops,
aliases, helpers, methods) is one walk whose cases share their helpers; a split would cut the walk
in two. The first part to move out would be the file's description (`describe`).
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the chain is imported where it is used: reading a file's source needs no model
    from torchref.chain import Expr

Source = bytes | str  # the learner's file, as read or as text
# an assignment statement (what a name's value comes from)
Assignment = ast.Assign | ast.AnnAssign | ast.AugAssign


@dataclass
class Line:
    number: int
    code: str  # the statement's first line, as written
    read_as: str  # in the notes' symbols
    notes: list[str]  # what else the source says: "changed in place at line 22", "inside a loop"
    expr: Expr | None = None  # the right-hand side in the chain's grammar (torchref.chain.Expr), when it translates
    node: ast.stmt | ast.expr | None = None  # the statement's syntax tree (a dict display for a key of one)
    scope: Scope | None = None  # what the translation read, when it was made
    fn: ast.FunctionDef | None = None  # the function the statement is in

    def where(self, filename: str) -> str:
        return f"{filename}:{self.number}  {self.code}"


_PARSER = threading.Lock()  # CPython 3.11's parser is not safe in two threads at once


@functools.lru_cache(maxsize=1)  # the file being judged: a tree can be hundreds of bytes per byte of source
def parse(source: Source) -> ast.Module | None:
    """The file's syntax tree, parsed once per source (every reader here and the import policy share it; nothing
    changes a tree); None when it does not parse (the runner says why)."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    try:
        with _PARSER:
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_WALKS: weakref.WeakKeyDictionary[ast.AST, list[ast.AST]] = weakref.WeakKeyDictionary()


def walk(node: ast.AST) -> list[ast.AST]:
    """`ast.walk(node)` as a list, made once per node and kept while the node lives: a file's tree (`parse`) is
    walked dozens of times over by the judge's readers, and nothing changes it (an edit works on a copy)."""
    found = _WALKS.get(node)
    if found is None:
        found = _WALKS[node] = list(ast.walk(node))
    return found


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    """The definition the contract's `name` is: a top-level function, or what a module-level `name = ...` makes
    it (`backward = backprop`, `forward = model.forward`, `backward = Net.backward`), or a method of that name."""
    top = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if top is not None:
        return top
    wanted = name
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            wanted = (
                value.id if isinstance(value, ast.Name) else value.attr if isinstance(value, ast.Attribute) else name
            )
    functions = [n for n in walk(tree) if isinstance(n, ast.FunctionDef) and n.name == wanted]
    return functions[-1] if functions else None


def _key_pattern(node: ast.AST) -> str | None:
    """A regular expression for the strings a key expression can be: "dW1", f"dW{l}", "dW" + str(l), "dW%d" % l."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            re.escape(part.value) if isinstance(part, ast.Constant) and isinstance(part.value, str) else r"\d+"
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _key_pattern(node.left), _key_pattern(node.right)
        return None if left is None and right is None else (left or r"\d+") + (right or r"\d+")
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
        and isinstance(node.op, ast.Mod)
    ):
        return re.sub(r"%[di]", r"\\d+", re.escape(node.left.value).replace("\\%", "%"))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return re.sub(r"\\\{[^}]*\\\}", r"\\d+", re.escape(node.func.value.value))
    return None


def _key_matches(node: ast.AST, name: str) -> bool:
    """Whether a subscript or dict key (a string, or an f-string such as f"dZ{l}") can be `name`."""
    pattern = _key_pattern(node)
    return pattern is not None and re.fullmatch(pattern, name) is not None


def _can_be(fn: ast.AST, key: ast.expr, node: ast.stmt | ast.expr, name: str, layers: int | None) -> bool:
    """Whether a computed key (f"A{l}", "A%d" % L) is `name` at some pass of the loops around `node`, with L the
    number of layers; a key whose names are not those is taken at its word (its pattern matches)."""
    if layers is None or isinstance(key, ast.Constant):
        return True
    loops = [n for n in walk(fn) if isinstance(n, ast.For) and n.lineno <= node.lineno <= _end(n)]
    variables = [n.target.id for n in loops if isinstance(n.target, ast.Name)]
    tried = False
    for values in itertools.product(range(0, layers + 2), repeat=len(variables[:2])):
        value = _key_value(key, {"L": layers, **dict(zip(variables, values))})
        tried = tried or value is not None
        if value == name:
            return True
    return not tried


def _producers(fn: ast.AST, name: str, layers: int | None = None) -> list[tuple[ast.expr | None, ast.stmt | ast.expr]]:
    """The expressions stored under `name`: dict values, subscript assignments, or an assignment to the name."""
    found: list[tuple[ast.expr | None, ast.stmt | ast.expr]] = []
    for node in walk(fn):
        if isinstance(node, ast.Dict):
            found += [
                (v, node)
                for k, v in zip(node.keys, node.values)
                if k is not None and _key_matches(k, name) and _can_be(fn, k, node, name, layers)
            ]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and _key_matches(target.slice, name)
                    and _can_be(fn, target.slice, node, name, layers)
                ):
                    found.append((node.value, node))
    if not found:
        found = [(node.value, node) for node in _assignments(fn, name)]
    return sorted(found, key=lambda pair: pair[1].lineno)


def _assignments(fn: ast.AST, name: str) -> list[Assignment]:
    out: list[Assignment] = []
    for node in walk(fn):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names = [target] if isinstance(target, ast.Name) else getattr(target, "elts", [])
                if any(isinstance(t, ast.Name) and t.id == name for t in names):
                    out.append(node)
    return sorted(out, key=lambda n: n.lineno)


def _mentions_Y(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "Y" for n in walk(node))


def line_of(source: Source, name: str, forward: bool, output_link: bool, layers: int | None = None) -> Line | None:
    """The statement that produced the learner's `name` (None when the source does not say).

    `output_link`: the link is the first of the backward pass (dZL = AL − Y), so of several
    assignments to one name in a loop, the one that uses Y is meant; otherwise one that does not.
    A value the file does not return (dZ2 computed in a loop as `dZ`) is the loop's assignment
    to the name without its layer's digits. `layers`: the network's, for keys computed in a loop.
    """
    tree = parse(source)
    fn = _function(tree, "forward" if forward else "backward") if tree else None
    if tree is None or fn is None:
        return None
    lines = (source.decode("utf-8", "replace") if isinstance(source, bytes) else source).splitlines()
    produced = _producers(fn, name, layers)
    transposed = False
    if not produced:
        stem = name.rstrip("0123456789")
        looped = [a for a in _assignments(fn, stem) if stem != name and _in_loop(fn, a)]
        looped = [a for a in looped if not isinstance(a, ast.AugAssign) and _mentions_Y(a) == output_link]
        if not looped:
            return None
        produced = [(looped[-1].value, looped[-1])]
    value, statement = produced[-1]
    for _ in range(3):  # follow a name to its own assignment: "dZ1": dZ1, or grads[...] = dZ (not `dZ1 = dA1`)
        if isinstance(value, ast.Attribute) and value.attr == "T" and isinstance(value.value, ast.Name):
            inner = [a for a in _assignments(fn, value.value.id) if not isinstance(a, ast.AugAssign)]
            if not (isinstance(statement, ast.Assign) and _target_name(statement)) and inner:
                transposed, value = not transposed, value.value  # "Z1": Z1.T: Z1's own line, transposed
        if not isinstance(value, ast.Name) or (isinstance(statement, ast.Assign) and _target_name(statement)):
            break
        options = [a for a in _assignments(fn, value.id) if not isinstance(a, ast.AugAssign)]
        if not options:
            break
        if _in_loop(fn, statement):  # grads[f"dZ{l}"] = dZ: the dZ of the output layer, or of the others
            options = [a for a in options if _mentions_Y(a) == output_link] or options
        before = [a for a in options if a.lineno <= statement.lineno] or options
        statement = before[-1]
        value = statement.value
    notes: list[str] = []
    target = _target_name(statement)
    if target:
        later = [a for a in _assignments(fn, target) if a.lineno > statement.lineno and isinstance(a, ast.AugAssign)]
        notes += [f"{target} is changed in place at line {a.lineno}" for a in later]
    if _in_loop(fn, statement):
        notes.append("inside a loop")
    code = lines[statement.lineno - 1].split("#")[0].strip() if statement.lineno <= len(lines) else ""
    value = getattr(statement, "value", None)  # an assignment's right-hand side (None: a bare annotation, a key)
    read = render(value) if value is not None else ""
    scope = Scope(tree)
    expr = (
        translate(value, fn, statement.lineno, scope=scope)
        if value is not None and not isinstance(statement, ast.AugAssign)
        else None
    )
    if expr is not None and transposed:
        from torchref.chain import op

        expr = op["T"](expr)
    number = statement.lineno
    return Line(number, code, f"{target or name} = {read}" if read else "", notes, expr, statement, scope, fn)


_BINARY = {ast.MatMult: "matmul", ast.Mult: "mul", ast.Div: "div", ast.Add: "add", ast.Sub: "sub"}
_CALLS = {"tanh": "tanh", "np.tanh": "tanh", "sigmoid": "sigmoid", "np.transpose": "T", "np.exp": "exp",
          "np.log": "log"}  # fmt: skip


@dataclass
class Scope:
    """What a translation may read besides the function's own lines, and what it did read.

    `tree`: the module (its constants and helpers); `bound`: names a caller binds (a helper's
    parameters); `holes`: syntax nodes read as given expressions (a helper's call as one symbol);
    `names`: what a name the source cannot resolve stands for (a loop's `Z` as Z1); `loop`: the loop's
    variables at one pass, so that `cache[f"A{l - 1}"]` is A1 and `X if l == 1 else ...` a branch. `read` lists
    what the translation went through, in order: ("local", name, statement), ("global", name,
    value or None, the line reading it), ("const", value, line), ("helper", name, the call, the
    helper's definition), ("in place", key, the statement).
    """

    tree: ast.Module | None = None
    bound: dict[str, Expr] = field(default_factory=dict)
    holes: dict[int, Expr] = field(default_factory=dict)  # id(node) -> what it reads as
    names: dict[str, Expr] = field(default_factory=dict)
    read: list[tuple[Any, ...]] = field(default_factory=list)  # records of the kinds above, each its own layout
    loop: dict[str, int] = field(default_factory=dict)  # a loop's variables at one pass: {"l": 2, "L": 3}
    top: int = 0  # the line of the statement read: `names` stand in for what it reads itself


def _module_value(tree: ast.Module | None, name: str) -> tuple[float | None, ast.Assign | ast.AnnAssign] | None:
    """(value, statement) of a module-level `name = <number>`, (None, statement) when set otherwise, else None."""
    if tree is None:
        return None
    found = [n for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign)) and name in _names_bound(n)]
    if not found:
        return None
    last = found[-1]
    value = last.value
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) and isinstance(value.operand, ast.Constant):
        value = ast.Constant(-value.operand.value) if isinstance(value.operand.value, (int, float)) else value
    number = value.value if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) else None
    single = len(found) == 1 and isinstance(last, ast.Assign) and len(last.targets) == 1
    return (float(number) if number is not None and single and not isinstance(number, bool) else None), last


def _names_bound(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in walk(t) if isinstance(n, ast.Name)}


def helpers(tree: ast.Module | None) -> dict[str, ast.FunctionDef | ast.Assign]:
    """Module-level helpers a translation can read through: name -> a def whose body is simple assignments and
    one return, or a lambda (its `name = lambda ...` statement)."""
    out: dict[str, ast.FunctionDef | ast.Assign] = {}
    for node in tree.body if tree is not None else ():
        if isinstance(node, ast.FunctionDef) and not node.decorator_list:
            body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            if body and isinstance(body[-1], ast.Return) and all(isinstance(n, ast.Assign) for n in body[:-1]):
                out[node.name] = node
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Lambda)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            out[node.targets[0].id] = node
    return out


def helper_parts(definition: ast.FunctionDef | ast.Assign) -> tuple[list[str], ast.expr | None, ast.stmt]:
    """(parameter names, the returned expression, the statement that returns it) of a helper (`helpers`): the
    returned expression is None for a bare `return`, and for a definition that is not a helper."""
    if isinstance(definition, ast.Assign):  # name = lambda ...
        fn = definition.value
        if not isinstance(fn, ast.Lambda):
            return [], None, definition
        return [a.arg for a in fn.args.args], fn.body, definition
    ret = definition.body[-1]
    return [a.arg for a in definition.args.args], ret.value if isinstance(ret, ast.Return) else None, ret


def _parameters(fn: ast.AST) -> set[str]:
    args = getattr(fn, "args", None)
    return {a.arg for a in (args.args + args.kwonlyargs)} if args is not None else set()


def translate(
    node: ast.AST | None, fn: ast.AST, before: int, depth: int = 0, scope: Scope | None = None
) -> Expr | None:
    """The learner's expression in the chain's grammar, reading their names back to the notes' symbols
    (`A1 = cache["A1"]`, `m = X.shape[0]`, a module's `eps = 1e-6`, a helper's return line with its
    arguments); None for anything outside the grammar. Nothing is run."""
    from torchref.chain import Expr, S, op

    scope = scope if scope is not None else Scope()

    def t(n: ast.AST, where: int = before, inside: ast.AST = fn) -> Expr | None:
        return translate(n, inside, where, depth + 1, scope)

    if depth > 16:
        return None
    if id(node) in scope.holes:
        return scope.holes[id(node)]
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        scope.read.append(("const", float(node.value), node.lineno))
        return Expr.const(float(node.value))
    if isinstance(node, ast.IfExp) and scope.loop:
        test = _truth(node.test, scope.loop)
        return None if test is None else t(node.body if test else node.orelse)
    key = _key_value(node.slice, scope.loop) if isinstance(node, ast.Subscript) else None
    if isinstance(node, ast.Subscript) and key is not None:
        if not (isinstance(node.value, ast.Name) and node.value.id in ("cache", "params")):
            return None
        changed = [a for a in _subscript_writes(fn, node.value.id, key) if a.lineno < before]
        if not changed:
            return S(key)
        last = changed[-1]
        if len(changed) > 1 or _in_loop(fn, last):
            return None
        scope.read.append(("in place", f'{node.value.id}["{key}"]', last))
        value = t(last.value, last.lineno)
        if isinstance(last, ast.Assign):
            return value
        name = _BINARY.get(type(last.op))
        return op[name](S(key), value) if name and value is not None else None
    if isinstance(node, ast.Name):
        return _name(node, fn, before, depth, scope)
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = t(node.value)
        return inner and op["T"](inner)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        if (
            isinstance(node.value.value, ast.Name)
            and node.value.value.id == "X"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
        ):
            return {0: S("m"), 1: S("n")}.get(node.slice.value)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = t(node.operand)
        return inner if isinstance(node.op, ast.UAdd) else inner and op["neg"](inner)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            base = t(node.left)
            two = isinstance(node.right, ast.Constant) and node.right.value == 2
            return op["square"](base) if base is not None and two else None
        name = _BINARY.get(type(node.op))
        left, right = t(node.left), t(node.right)
        if not name or left is None or right is None:
            return None
        if left.op == right.op == "const" and name != "matmul":  # 1 / 400: one number
            from torchref.chain import Expr, apply

            with np.errstate(all="ignore"):
                number = float(apply(name, float(left.name), float(right.name)))
            return Expr.const(number) if np.isfinite(number) else None
        return op[name](left, right)
    if isinstance(node, ast.Call):
        return _call(node, fn, before, depth, scope)
    return None


def _int_value(node: ast.AST, loop: dict[str, int]) -> int | None:
    """An integer expression of the loop's variables (l, l - 1, L), or None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        return loop.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left, right = _int_value(node.left, loop), _int_value(node.right, loop)
        if left is None or right is None:
            return None
        return left + right if isinstance(node.op, ast.Add) else left - right
    return None


def _key_value(node: ast.AST, loop: dict[str, int]) -> str | None:
    """The string a key expression is at one pass of a loop: "W1", f"W{l}", "dW" + str(l), "A%d" % (l - 1)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not loop:
        return None
    if isinstance(node, ast.JoinedStr):
        out = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                out += str(part.value)
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None:
                value = _int_value(part.value, loop)
                if value is None:
                    return None
                out += str(value)
            else:
                return None
        return out
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and len(node.args) == 1:
        value = _int_value(node.args[0], loop)
        return None if value is None else str(value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _key_value(node.left, loop), _key_value(node.right, loop)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        parts = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        values = [_int_value(p, loop) for p in parts]
        if not isinstance(node.left.value, str) or any(v is None for v in values):
            return None
        try:
            return node.left.value % tuple(values)
        except (TypeError, ValueError):
            return None
    return None


def _truth(test: ast.AST, loop: dict[str, int]) -> bool | None:
    """A loop's branch condition (l == 1, l < L, l > 1) at one pass, or None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, right = _int_value(test.left, loop), _int_value(test.comparators[0], loop)
    if left is None or right is None:
        return None
    compare: Callable[[int, int], bool] | None = {ast.Eq: int.__eq__, ast.NotEq: int.__ne__, ast.Lt: int.__lt__,
               ast.LtE: int.__le__, ast.Gt: int.__gt__, ast.GtE: int.__ge__}.get(type(test.ops[0]))  # fmt: skip
    return None if compare is None else compare(left, right)


def _subscript_writes(fn: ast.AST, name: str, key: str) -> list[ast.Assign | ast.AugAssign]:
    """The statements of `fn` that write `name[key]` (params["W2"] -= ..., params["W2"] = ...)."""
    out: list[ast.Assign | ast.AugAssign] = []
    for n in walk(fn):
        if not isinstance(n, (ast.Assign, ast.AugAssign)):
            continue
        targets = n.targets if isinstance(n, ast.Assign) else [n.target]
        for target in targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == name
                and _key_value(target.slice, {}) == key
            ):
                out.append(n)
    return sorted(out, key=lambda n: n.lineno)


def _name(node: ast.Name, fn: ast.AST, before: int, depth: int, scope: Scope) -> Expr | None:
    from torchref.chain import SIZES, S

    name = node.id
    if name in scope.bound:
        return scope.bound[name]
    if name in ("X", "Y"):
        return S(name)
    stand_in = scope.names.get(name) if before == scope.top or not scope.top else None
    assigned = [a for a in _assignments(fn, name) if a.lineno < before]
    if assigned and _carried(fn, name, before):  # a loop's value from its previous pass
        return stand_in
    if len(assigned) > 1 and any(_in_loop(fn, a) or _branched(fn, a) for a in assigned):
        return stand_in  # which assignment ran last is not in the text
    assigned = assigned[-1:]
    if assigned:
        if isinstance(assigned[0], ast.Assign) and len(assigned[0].targets) == 1:
            statement, target = assigned[0], assigned[0].targets[0]
            if isinstance(target, ast.Name):
                mark = len(scope.read)
                value = translate(statement.value, fn, statement.lineno, depth + 1, scope)
                if value is None:
                    del scope.read[mark:]
                    return stand_in
                scope.read.insert(mark, ("local", name, statement))
                return value
            if isinstance(target, ast.Tuple):
                names = [e.id if isinstance(e, ast.Name) else None for e in target.elts]
                right = statement.value
                if isinstance(right, ast.Tuple) and name in names and len(names) == len(right.elts):
                    scope.read.append(("local", name, statement))
                    return translate(right.elts[names.index(name)], fn, statement.lineno, depth + 1, scope)
                if (
                    isinstance(right, ast.Attribute)
                    and right.attr == "shape"
                    and isinstance(right.value, ast.Name)
                    and right.value.id == "X"
                    and names.index(name) < 2
                ):
                    return S(("m", "n")[names.index(name)])
        return stand_in
    if name in _parameters(fn) or any(a.lineno >= before for a in _assignments(fn, name)):
        return stand_in
    found = _module_value(scope.tree, name)  # a global of the module or notebook
    if found is not None:
        constant, setting = found
        scope.read.append(("global", name, constant, node.lineno, setting))
        if constant is not None:
            scope.read.append(("const", constant, node.lineno))
            from torchref.chain import Expr

            return Expr.const(constant)
        return scope.names.get(name)
    return S(name) if name in SIZES and scope.tree is None else scope.names.get(name)


def _call(node: ast.Call, fn: ast.AST, before: int, depth: int, scope: Scope) -> Expr | None:
    from torchref.chain import S, op

    def t(n: ast.AST) -> Expr | None:
        return translate(n, fn, before, depth + 1, scope)

    func = ast.unparse(node.func)
    kwargs = {k.arg: k.value for k in node.keywords}
    method = isinstance(node.func, ast.Attribute) and node.func.attr in ("sum", "mean") and not func.startswith("np.")
    if func in ("np.sum", "np.mean") and len(node.args) == 1 or method and not node.args:
        if not set(kwargs) <= {"axis", "keepdims"}:
            return None
        inner = t(node.func.value if method and isinstance(node.func, ast.Attribute) else node.args[0])
        given = kwargs.get("axis")
        axis = given.value if isinstance(given, ast.Constant) else None if given is None else "?"
        kept = kwargs.get("keepdims")
        keep = isinstance(kept, ast.Constant) and kept.value is True
        sums: dict[tuple[object, bool], str] = {
            (0, True): "sum_rows", (0, False): "sum_rows_1d", (1, True): "sum_cols", (1, False): "sum_cols_1d"
        }  # fmt: skip
        name = sums.get((axis, keep), "sum_all" if axis is None else None)
        if inner is None or name is None:
            return None
        total = op[name](inner)
        if func.endswith("mean"):
            size = None if name == "sum_all" else S("m") if axis == 0 else None
            return op["div"](total, size) if size is not None else None
        return total
    if func in ("np.dot", "np.matmul") and len(node.args) == 2 and not kwargs:
        left, right = t(node.args[0]), t(node.args[1])
        return op["matmul"](left, right) if left is not None and right is not None else None
    if func == "np.maximum" and len(node.args) == 2 and not kwargs:
        zero = [isinstance(a, ast.Constant) and a.value == 0 for a in node.args]
        if any(zero) and not all(zero):
            inner = t(node.args[zero.index(False)])
            return inner and op["relu"](inner)
        return None
    name = node.func.id if isinstance(node.func, ast.Name) else None
    own = helpers(scope.tree).get(name) if name else None
    if own is not None:  # the learner's own helper: read through its return line
        params, body, statement = helper_parts(own)
        if len(params) != len(node.args) or kwargs:
            return None
        args = [t(a) for a in node.args]
        translated = [a for a in args if a is not None]
        if len(translated) < len(args):
            return None
        scope.read.append(("helper", name, node, own))
        helper_scope = Scope(scope.tree, dict(zip(params, translated)), scope.holes, {}, scope.read, {})
        inside = own if isinstance(own, ast.FunctionDef) else own.value
        return translate(body, inside, statement.lineno, depth + 1, helper_scope)
    if (
        name is not None
        and scope.tree is not None
        and any(
            isinstance(n, (ast.FunctionDef, ast.Assign)) and name in (getattr(n, "name", None), *_assigned_names(n))
            for n in scope.tree.body
        )
    ):
        return None  # a name of the learner's own that is not a simple helper: not the notes' function
    if func in _CALLS and len(node.args) == 1 and not kwargs:
        inner = t(node.args[0])
        return inner and op[_CALLS[func]](inner)
    return None


def _assigned_names(node: ast.AST) -> set[str]:
    return _names_bound(node) if isinstance(node, ast.Assign) else set()


def _carried(fn: ast.AST, name: str, before: int) -> bool:
    """`name` is assigned in a loop around line `before` at or after it: read there, it is the previous pass's."""
    for loop in (n for n in walk(fn) if isinstance(n, (ast.For, ast.While))):
        if loop.lineno < before <= _end(loop) and any(a.lineno >= before for a in _assignments(loop, name)):
            return True
    return False


def _end(block: ast.stmt) -> int:
    """The last line of a block (a parsed tree has it; a tree built by hand without it: the block's first line)."""
    return block.end_lineno if block.end_lineno is not None else block.lineno


def _branched(fn: ast.AST, statement: ast.stmt | ast.expr) -> bool:
    return any(isinstance(n, ast.If) and n.lineno < statement.lineno <= _end(n) for n in walk(fn))


def _in_loop(fn: ast.AST, statement: ast.stmt | ast.expr) -> bool:
    return any(isinstance(n, (ast.For, ast.While)) and n.lineno < statement.lineno <= _end(n) for n in walk(fn))


def _target_name(statement: ast.AST) -> str:
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    for t in targets:
        if isinstance(t, ast.Name):
            return t.id
    return ""


def render(node: ast.AST) -> str:
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


def _is_scale(node: ast.AST) -> bool:
    """(1 / m), 0.5: a number, not an array."""
    return isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.op, ast.Div)


def _wrap(node: ast.AST, parent: ast.AST | None = None) -> str:
    text = render(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        return f"({text})"
    if isinstance(node, ast.BinOp) and isinstance(parent, ast.Pow):
        return f"({text})"
    if _is_scale(node):
        return f"({text})"
    return text


# --- the contract ---------------------------------------------------------------------------


def functions(source: Source) -> list[str]:
    tree = parse(source)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] if tree else []


def string_keys(source: Source) -> set[str]:
    """Every string constant used as a subscript or a dict key ("W1", "dZ2", ...)."""
    tree = parse(source)
    keys: set[str] = set()
    for node in walk(tree) if tree else ():
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys.add(node.slice.value)
        if isinstance(node, ast.Dict):
            keys |= {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return keys


def globals_read(source: Source) -> list[tuple[str, str, float | None, int, int]]:
    """(function, name, value or None, the line setting it, the line reading it) of every module-level value (not a
    function, class or module) that forward or backward reads: a notebook's `m = X_train.shape[0]`, `eps = 1e-6`."""
    tree = parse(source)
    out: list[tuple[str, str, float | None, int, int]] = []
    for role in ("forward", "backward"):
        fn = _function(tree, role) if tree else None
        if fn is None:
            continue
        local = {n.id for n in walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local |= _parameters(fn)
        seen: set[str] = set()
        for node in sorted(walk(fn), key=lambda n: getattr(n, "lineno", 0)):
            if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load) or node.id in local | seen:
                continue
            found = _module_value(tree, node.id)
            if found is None or isinstance(found[1].value, ast.Lambda):
                continue
            seen.add(node.id)
            out.append((fn.name, node.id, found[0], found[1].lineno, node.lineno))
    return out


def layers_written_out(source: Source) -> int | None:
    """The number of layers a file writes out by name (params["W3"] → 3); None when it names none (a loop)."""
    numbers = [int(k[1:]) for k in string_keys(source) if re.fullmatch(r"[WbZA][1-9]\d?", k)]
    return max(numbers) if numbers else None


def loop_storing(source: Source, name: str) -> int | None:
    """The line of a loop of backward that stores keys like `name` with an f-string (grads[f"dW{l}"]), or None.

    When such a key is missing, the loop did not reach that layer.
    """
    tree = parse(source)
    fn = _function(tree, "backward") if tree else None
    if not fn:
        return None
    stem = name.rstrip("0123456789")
    for loop in (n for n in walk(fn) if isinstance(n, (ast.For, ast.While))):
        for node in walk(loop):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    key = target.slice if isinstance(target, ast.Subscript) else None
                    if isinstance(key, ast.JoinedStr) and _key_matches(key, stem + "1"):
                        return loop.lineno
    return None
