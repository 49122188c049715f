"""The learner's line: where in their function (or a helper it calls) a named mistake is written.

Each locator reads the file's syntax tree and returns a line number or None; a mistake
states a line only when its locator finds the construct it names (`>` for `≥`, a min
without an axis, a `+` on the gradients, a loop's range, a learning rate reassigned in
the loop...). Without one, the line that defines the wrong value is the fallback: the
returned name followed back to its assignment, through `float(...)`, `np.squeeze(...)`.

About 440 lines: one short locator per construct a mistake names, all on the same few
syntax-tree helpers (`_nodes`, `_name`, `_names_in`); split, each part would import those.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

_N = TypeVar("_N", bound=ast.AST)
_M = TypeVar("_M", bound=ast.AST)
_O = TypeVar("_O", bound=ast.AST)
Function = ast.FunctionDef
PASSTHROUGH = {"float", "squeeze", "asarray", "array", "item", "astype", "reshape", "ravel", "copy"}


@dataclass
class Code:
    """A parsed file and the function that implements one contract function in it."""

    tree: ast.Module
    lines: list[str]
    fn: ast.FunctionDef | None = None
    helpers: list[Function] = field(default_factory=list)  # the module's functions it calls, transitively

    @property
    def bodies(self) -> list[Function]:
        return [self.fn, *self.helpers] if self.fn is not None else []

    def params(self) -> list[str]:
        names = [a.arg for a in self.fn.args.args] if self.fn is not None else []
        return names[1:] if names[:1] in (["self"], ["cls"]) else names


def parse(source: bytes | str, name: str) -> Code | None:
    """The function the file exposes as `name` (a def, or a module-level alias of a method or a function)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    defs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    fn = _top(tree, name, defs)
    code = Code(tree, text.splitlines(), fn)
    if fn is not None:
        seen, todo = {fn.name}, [fn]
        while todo:
            for node in ast.walk(todo.pop()):
                called = _called(node)
                if called in defs and called not in seen:
                    seen.add(called)
                    code.helpers.append(defs[called])
                    todo.append(defs[called])
    return code


def _top(tree: ast.Module, name: str, defs: dict[str, Function]) -> Function | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    for node in tree.body:  # forward = model.forward, normalise = _scaler.fit_transform
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            attr = value.attr if isinstance(value, ast.Attribute) else value.id if isinstance(value, ast.Name) else ""
            return defs.get(attr)
    return defs.get(name)


def _called(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return ""


@overload
def _nodes(code: Code, kind: type[_N], helpers: bool = True) -> list[_N]: ...
@overload
def _nodes(code: Code, kind: tuple[type[_N], type[_M]], helpers: bool = True) -> list[_N | _M]: ...
@overload
def _nodes(code: Code, kind: tuple[type[_N], type[_M], type[_O]], helpers: bool = True) -> list[_N | _M | _O]: ...
def _nodes(code: Code, kind: type[ast.AST] | tuple[type[ast.AST], ...], helpers: bool = True) -> list[Any]:
    """Every node of `kind` of the function (and its helpers) that has a line, in line order."""
    bodies = code.bodies if helpers else code.bodies[:1]
    found: list[Any] = [n for body in bodies for n in ast.walk(body) if isinstance(n, kind) and hasattr(n, "lineno")]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _name(node: ast.AST) -> str:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


# --- the locators -----------------------------------------------------------------------------------------


def defining(code: Code, value: str = "") -> int | None:
    """The line that makes the returned value (or the entry `value` of a returned dict or tuple)."""
    returns = _nodes(code, ast.Return, helpers=False)
    returns = [r for r in returns if r.value is not None]
    if not returns:
        return None
    ret = returns[-1]
    node = ret.value
    if isinstance(node, ast.Dict) and value:
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and k.value == value:
                node = v
    if isinstance(node, ast.Name):
        return _assigned(code, node.id, ret.lineno, value) or ret.lineno
    return node.lineno if node is not None else ret.lineno


def _assigned(code: Code, name: str, before: int, key: str = "") -> int | None:
    """The last assignment to `name` (or to name[...]) before line `before`, skipping passthrough wrappers."""
    for node in reversed(_nodes(code, (ast.Assign, ast.AugAssign), helpers=False)):
        if node.lineno >= before:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            hits = [e for e in (t.elts if isinstance(t, ast.Tuple) else [t]) if _name(e) == name]
            if not hits:
                continue
            if (
                isinstance(node.value, ast.Call)
                and _called(node.value) in PASSTHROUGH
                and name in _names_in(node.value)
            ):
                return _assigned(code, name, node.lineno, key) or node.lineno
            if isinstance(node.value, ast.Name) and node.value.id != name and not isinstance(hits[0], ast.Subscript):
                return _assigned(code, node.value.id, node.lineno, key) or node.lineno
            if isinstance(hits[0], ast.Name) and _is_empty(node.value):
                continue  # losses = [] or X_scaled = np.zeros_like(X): filled in below
            return node.lineno
    return None


def _is_empty(value: ast.AST) -> bool:
    return isinstance(value, (ast.List, ast.Dict)) and not (
        getattr(value, "elts", None) or getattr(value, "keys", None)
    )


def compare_strict(code: Code) -> int | None:
    """`z > theta` (or `theta < z`): a strict comparison with θ (the function's second parameter) first, else the
    first strict comparison (an inhibitory veto `> 0` is not the threshold's)."""
    params = code.params()
    theta = params[1] if len(params) > 1 else "theta"
    strict = [n for n in _nodes(code, ast.Compare) if any(isinstance(op, (ast.Gt, ast.Lt)) for op in n.ops)]
    with_theta = [n for n in strict if theta in _names_in(n)]
    return (with_theta or strict)[0].lineno if strict else None


def sum_of_inputs(code: Code) -> int | None:
    """A sum over X itself, every input together (np.sum(X, ...) or X.sum(...))."""
    x = code.params()[0] if code.params() else "X"
    for node in _nodes(code, ast.Call):
        f = node.func
        if _called(node) == "sum" and isinstance(f, ast.Attribute):
            target = node.args[0] if _name(f.value) in ("np", "numpy") and node.args else f.value
            if isinstance(target, ast.Name) and target.id == x:
                return node.lineno
    return None


def subtraction(code: Code) -> int | None:
    """The first assignment of one name minus another."""
    for node in _nodes(code, ast.Assign):
        v = node.value
        if (
            isinstance(v, ast.BinOp)
            and isinstance(v.op, ast.Sub)
            and isinstance(v.left, ast.Name)
            and isinstance(v.right, ast.Name)
        ):
            return node.lineno
    return None


def sum_without_keepdims(code: Code) -> int | None:
    """A sum along an axis that drops it: (m,) where the contract keeps (m, 1)."""
    for node in _nodes(code, ast.Call):
        keywords = {k.arg for k in node.keywords}
        if _called(node) in ("sum", "any", "max") and "axis" in keywords and "keepdims" not in keywords:
            return node.lineno
    return None


def all_of(code: Code) -> int | None:
    """An `all` (np.all(...), X.all(...), all(...)): a veto that needs every inhibitory input on."""
    return next((node.lineno for node in _nodes(code, ast.Call) if _called(node) in ("all", "alltrue")), None)


def last_return(code: Code) -> int | None:
    returns = _nodes(code, ast.Return, helpers=False)
    return returns[-1].lineno if returns else None


def call_without_mask(code: Code) -> int | None:
    """A call of forward that leaves out the inhibitory argument the function was given."""
    for node in _nodes(code, ast.Call, helpers=False):
        if _called(node) == "forward" and len(node.args) < 3 and not any(k.arg == "inhibitory" for k in node.keywords):
            return node.lineno
    return None


def loop_range(code: Code) -> int | None:
    """The first `for ... in range(...)` of the function."""
    for node in _nodes(code, ast.For, helpers=False):
        if _called(node.iter) == "range":
            return node.lineno
    return None


def writes_into(code: Code, argument: int) -> int | None:
    """The first in-place write into the `argument`-th parameter's arrays, through any alias of them."""
    params = code.params()
    if len(params) <= argument:
        return None
    aliases = {params[argument]}
    for node in _nodes(code, (ast.Assign, ast.AugAssign, ast.For), helpers=False):
        if isinstance(node, ast.For):
            items = node.iter.elts if isinstance(node.iter, (ast.Tuple, ast.List)) else []
            if items and all(_name(i) in aliases for i in items) and isinstance(node.target, ast.Name):
                aliases.add(node.target.id)
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if isinstance(node, ast.AugAssign) and _name(node.target) in aliases:
            return node.lineno
        if any(isinstance(t, ast.Subscript) and _name(t) in aliases for t in targets):
            return node.lineno
        if isinstance(node, ast.Assign) and (_name(node.value) in aliases and not isinstance(node.value, ast.Call)):
            for t in targets:
                for e in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if isinstance(e, ast.Name):
                        aliases.add(e.id)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            for t in targets:
                if isinstance(t, ast.Tuple):
                    for e, v in zip(t.elts, node.value.elts):
                        if _name(v) in aliases and isinstance(e, ast.Name):
                            aliases.add(e.id)
    return None


def plus_on_gradient(code: Code) -> int | None:
    """A `+` (or `+=`) whose operands read the gradients (the second parameter, or a name from it)."""
    params = code.params()
    grads = params[1] if len(params) > 1 else "grads"
    for node in _nodes(code, (ast.BinOp, ast.AugAssign), helpers=False):
        if isinstance(node.op, ast.Add) and grads in _names_in(node):
            return node.lineno
    return None


def rebinds_argument(code: Code, argument: int) -> int | None:
    """An assignment to the `argument`-th parameter's name (lr = lr * 0.95; low, high = ...)."""
    params = code.params()
    if len(params) <= argument:
        return None
    for node in _nodes(code, ast.Assign, helpers=False):
        for t in node.targets:
            if any(isinstance(e, ast.Name) and e.id == params[argument] for e in ast.walk(t)):
                return node.lineno
    return None


def append_in_loop(code: Code) -> int | None:
    """The `losses.append(...)` inside the loop."""
    for loop in _nodes(code, ast.For, helpers=False):
        for node in ast.walk(loop):
            if isinstance(node, ast.Call) and _called(node) == "append":
                return node.lineno
    return None


def result_dropped(code: Code) -> int | None:
    """A call of an update on a line of its own (`update(params, grads, lr)`): its new parameters are dropped."""
    for node in _nodes(code, ast.Expr, helpers=False):
        if isinstance(node.value, ast.Call) and "update" in _called(node.value).lower():
            return node.lineno
    return None


def call_before_loop(code: Code, callees: Iterable[str] = ("backward", "backprop")) -> int | None:
    """A call of backward outside every loop of the function."""
    inside = {id(n) for loop in _nodes(code, (ast.For, ast.While), helpers=False) for n in ast.walk(loop)}
    for node in _nodes(code, ast.Call, helpers=False):
        if _called(node) in callees and id(node) not in inside:
            return node.lineno
    return None


def log_of_preactivation(code: Code) -> int | None:
    """A log of a name assigned from a matrix product (Z = X @ W + b)."""
    products: set[str] = set()
    for node in _nodes(code, ast.Assign):
        if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) for n in ast.walk(node.value)):
            products |= {_name(t) for t in node.targets}
    for call in _nodes(code, ast.Call):
        if _called(call) == "log" and call.args and _name(call.args[0]) in products:
            return call.lineno
    return None


def one_log_term(code: Code) -> int | None:
    """The line whose loss has a single log term (a log in a comment is not one)."""
    logs = [n.lineno for n in _nodes(code, ast.Call) if _called(n) == "log"]
    return next((line for line in sorted(set(logs)) if logs.count(line) == 1), None)


def plus_step(code: Code) -> int | None:
    """`W = W + ...` or `W += ...` on a name the function returns (a parameter stepped uphill)."""
    returned = {n for r in _nodes(code, ast.Return, helpers=False) if r.value for n in _names_in(r.value)}
    for node in _nodes(code, (ast.Assign, ast.AugAssign), helpers=False):
        if isinstance(node, ast.AugAssign):
            if isinstance(node.op, ast.Add) and _name(node.target) in returned:
                return node.lineno
            continue
        value = node.value
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            targets = {_name(t) for t in node.targets} & returned
            if targets and _name(value.left) in targets:
                return node.lineno
    return None


def first_log(code: Code) -> int | None:
    """The first line that takes a log (the cost's line), in the function or a helper it calls."""
    logs = [n.lineno for n in _nodes(code, ast.Call, helpers=False) if _called(n) == "log"]
    logs = logs or [n.lineno for n in _nodes(code, ast.Call) if _called(n) == "log"]
    return min(logs) if logs else None


def min_without_axis(code: Code) -> int | None:
    for node in _nodes(code, ast.Call):
        if (
            _called(node) in ("min", "amin", "max", "amax")
            and not node.keywords
            and len(node.args)
            <= (1 if isinstance(node.func, ast.Attribute) and _name(node.func.value) in ("np", "numpy") else 0)
        ):
            return node.lineno
    return None


def axis_one(code: Code) -> int | None:
    for node in _nodes(code, ast.Call):
        for k in node.keywords:
            if k.arg == "axis" and isinstance(k.value, ast.Constant) and k.value.value in (1, -1):
                return node.lineno
    return None


def like_input(code: Code) -> int | None:
    """An array made like X (np.zeros_like(X), np.empty_like(X)): it takes X's integer dtype."""
    for node in _nodes(code, ast.Call):
        if _called(node) in ("zeros_like", "empty_like", "ones_like"):
            return node.lineno
    return None


def constant_array(code: Code) -> int | None:
    """np.array of numbers and module constants (a fixed range)."""
    params = set(code.params())
    for node in _nodes(code, ast.Assign):
        v = node.value
        if not (isinstance(v, ast.Call) and _called(v) in ("array", "asarray") and v.args):
            continue  # (`y = 5` too: an assignment of no call at all)
        constant = not any(isinstance(n, ast.Call) for n in ast.walk(v.args[0]))
        if constant and not (_names_in(v.args[0]) & params):
            return node.lineno
    return None


def innermost(code: Code, divides_by_m: bool = False) -> int | None:
    """The first assignment in the innermost loop (that divides by m, when asked)."""
    loops = _nodes(code, ast.For, helpers=False)
    inner = [loop for loop in loops if not any(isinstance(n, ast.For) for b in loop.body for n in ast.walk(b))]
    nested = [loop for loop in inner if any(loop is not o and loop in list(ast.walk(o)) for o in loops)]
    for loop in nested or inner:
        for node in (n for b in loop.body for n in ast.walk(b)):
            if not isinstance(node, ast.Assign):
                continue
            if not divides_by_m or any(isinstance(n, ast.Name) and n.id == "m" for n in ast.walk(node.value)):
                return node.lineno
    return None


def separate_shuffles(code: Code) -> bool:
    """X and Y shuffled by separate calls (np.random.shuffle(X); np.random.shuffle(Y))."""
    params = code.params()
    shuffled = {_name(n.args[0]) for n in _nodes(code, ast.Call) if _called(n) == "shuffle" and n.args}
    return len(params) >= 2 and {params[0], params[1]} <= shuffled


# the calls that make an order or a table of the rows from X, Y or m (data = np.hstack([X, Y]), rng.permutation(m))
_ROWS_FROM = {
    "hstack",
    "column_stack",
    "concatenate",
    "c_",
    "zip",
    "enumerate",
    "permutation",
    "arange",
    "len",
    "range",
}


def loops_over_rows(code: Code) -> int | None:
    """A loop over the rows of X and Y inside another loop (per-example SGD: A02's `for row in data`), its line.

    The inner loop's iterable reads X or Y (the function's first two parameters) or m, directly or through a
    name made from them by a call that tables or orders rows (np.hstack, zip, range, permutation, len, .shape),
    and its body assigns what the function returns (the parameters: an update per row); a loop over the
    parameters' dict (`for key in params`) or one that only adds up the cost is not one."""
    params = code.params()
    rows = {*params[:2], "m"}
    for node in _nodes(code, ast.Assign, helpers=False):
        value = node.value
        made = _called(value) in _ROWS_FROM or (isinstance(value, ast.Subscript) and _name(value) in rows)
        if (made or isinstance(value, ast.Attribute)) and _names_in(value) & rows:  # m = X.shape[0] is a Subscript
            rows |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    returned = {n for r in _nodes(code, ast.Return, helpers=False) if r.value for n in _names_in(r.value)}
    for outer in _nodes(code, (ast.For, ast.While), helpers=False):
        for inner in (n for b in outer.body for n in ast.walk(b) if isinstance(n, ast.For)):
            if not (
                _names_in(inner.iter) & rows and (isinstance(inner.iter, ast.Name) or _called(inner.iter) in _ROWS_FROM)
            ):
                continue
            writes = [n for b in inner.body for n in ast.walk(b) if isinstance(n, (ast.Assign, ast.AugAssign))]
            targets = {_name(t) for w in writes for t in (w.targets if isinstance(w, ast.Assign) else [w.target])}
            targets |= {_name(e) for w in writes if isinstance(w, ast.Assign) for t in w.targets
                        if isinstance(t, ast.Tuple) for e in t.elts}  # fmt: skip
            if targets & returned:
                return inner.lineno
    return None
