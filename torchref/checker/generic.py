"""Generic differentiation: what a teacher should see of a file whose derivatives need none of the notes' formulas.

A backward can get the right gradients without dZ2 = A2 − Y, dW2 = (1/m) A1ᵀ dZ2, ...: by
operator overloading (a reverse-mode tape, dual numbers), by the complex-step derivative, or by
finite differences that call the forward for every parameter entry. The maths is right, so the
verdict stays the maths'; `flags` says how, as warnings of the file's report, each one a fact
read from the file's syntax tree (the one `diagnosis.source.parse` shares with the import
policy) with its place, `file.py:LINE` (which a notebook's report turns into its cell):

- operator overloading: a class of the file that defines at least two arithmetic operators
  (`__add__`, `__mul__`, `__matmul__`, ... or `__array_ufunc__`) and that backward, or a
  function of the file backward calls, makes instances of;
- complex numbers: a complex literal (`1j`), a complex dtype's name (`np.complex128`,
  `complex`, `dtype="complex128"`);
- numerical derivatives: a loop in backward (or in a function of the file it calls, or one it
  hands to a helper: `numerical_gradient(cost, W)`) that runs the forward (the contract's
  forward, or a function of the file that calls it or applies an activation to a matrix
  product) and, inside the loop, adds to an entry of the array the forward is given, or passes
  it a sum or difference, or runs it twice, or runs over every entry of an array
  (`np.ndindex`, `np.nditer`). One run per example, as a per-example backward makes (adding
  to `grads["dW"]`), is no flag; nor is a training loop (`train`, `fit`) or a gradient check
  beside the notes' backward: only what backward reaches counts.

Nothing is run; a file that does not parse, or a contract without a backward, has no flag.
"""

from __future__ import annotations

import ast
from typing import Any

from torchref.checker.diagnosis import source as reading
from torchref.contracts import HELPER_NAMES, Contract

# the operators a class overloads to compute with its own numbers (a tape's node, a dual number)
ARITHMETIC = (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__matmul__", "__rmatmul__",
    "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__array_ufunc__", "__array_function__",
)  # fmt: skip
COMPLEX_NAMES = ("complex64", "complex128", "complex256", "complex_", "csingle", "cdouble", "clongdouble")
COMPLEX_STRINGS = (*COMPLEX_NAMES, "complex", "c8", "c16", "c32")
# what a forward applies to a matrix product: the notes' activations (and the learners' names for them), exp
ACTIVATIONS = frozenset(
    {"exp", "expit", "maximum", *(n for k in ("relu", "tanh", "sigmoid", "softmax") for n in HELPER_NAMES[k])}
)
ENTRY_LOOPS = ("ndindex", "nditer", "ndenumerate")  # loops over every entry of an array
SHOWN = 4  # operators named in a flag; the others are counted
Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda  # a function of the file (`J = lambda P: ...` too)
Loop = ast.For | ast.AsyncFor | ast.While


def flags(source: bytes | str, contract: Contract | None, filename: str) -> list[str]:
    """The file's generic differentiation, one sentence per kind found ([] when none, or no backward to read)."""
    tree = reading.parse(source)
    if tree is None or contract is None or "backward" not in contract:
        return []
    backward = next((f for name in contract.spellings("backward") if (f := reading._function(tree, name))), None)
    if backward is None:
        return []
    forwards = set(contract.spellings("forward")) if "forward" in contract else set()
    file = _File(tree, filename)
    reached = file.reached(backward)
    found = [file.overloading(reached), file.complex_numbers(), file.numerical(reached, forwards)]
    return [sentence for sentence in found if sentence]


class _File:
    """One syntax tree: its functions and classes by name, and the facts a flag states."""

    def __init__(self, tree: ast.Module, filename: str) -> None:
        self.filename = filename
        self.functions: dict[str, list[Function]] = {}
        self.methods: dict[str, list[Function]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._calls: dict[int, list[ast.Call]] = {}
        self.given: dict[tuple[int, str], list[ast.expr]] = {}  # (id of a function, its parameter): what is passed
        self.complex: list[tuple[int, str]] = []  # (line, what) of every complex number or dtype
        for node in reading.walk(tree):  # the one walk over the whole file
            what = _complex(node)
            if what:
                self.complex.append((getattr(node, "lineno", 0), what))
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.methods.setdefault(item.name, []).append(item)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):  # J = lambda P: ...
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.functions.setdefault(target.id, []).append(node.value)

    def at(self, node: ast.stmt | ast.expr) -> str:
        return f"{self.filename}:{node.lineno}"

    # ---- what backward reaches ---------------------------------------------------------------

    def called(self, call: ast.Call) -> list[Function]:
        """The file's functions a call may run: a function of that name, or a method of that name (`obj.name()`)."""
        if isinstance(call.func, ast.Name):
            return self.functions.get(call.func.id, [])
        if isinstance(call.func, ast.Attribute):
            return self.methods.get(call.func.attr, [])
        return []

    def reached(self, start: Function) -> list[Function]:
        """`start` and every function of the file it calls, directly or through others, in the order found; what
        each call passes is kept (`given`): a function handed to a helper (`numerical_gradient(f, W)`)."""
        order, seen = [start], {id(start)}
        for fn in order:
            for call in self.calls(fn):
                for target in self.called(call):
                    self._bind(target, call)
                    if id(target) not in seen:
                        seen.add(id(target))
                        order.append(target)
        return order

    def _bind(self, fn: Function, call: ast.Call) -> None:
        names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        if isinstance(call.func, ast.Attribute) and names[:1] == ["self"]:
            names = names[1:]
        pairs = [*zip(names, call.args), *((k.arg, k.value) for k in call.keywords if k.arg)]
        for name, value in pairs:
            self.given.setdefault((id(fn), name), []).append(value)

    # ---- operator overloading ----------------------------------------------------------------

    def overloading(self, reached: list[Function]) -> str:
        # class name -> the first call that makes one, in backward or a function it calls
        made: dict[str, ast.Call] = {}
        for fn in reached:
            for call in self.calls(fn):
                if isinstance(call.func, ast.Name) and call.func.id in self.classes:
                    made.setdefault(call.func.id, call)
        for name, call in made.items():
            cls = self.classes[name]
            operators = _operators(cls)
            if len(operators) < 2:
                continue
            shown = ", ".join(operators[:SHOWN]) + (
                f" and {len(operators) - SHOWN} more" if len(operators) > SHOWN else ""
            )
            where = "backward" if any(call is c for c in self.calls(reached[0])) else "a function backward calls"
            tape = next(
                (
                    n
                    for item in cls.body
                    if isinstance(item, ast.FunctionDef) and item.name in ARITHMETIC
                    for n in reading.walk(item)
                    if isinstance(n, (ast.Lambda, ast.FunctionDef)) and n is not item
                ),
                None,
            )
            kept = f"; its operators keep a function of their operands ({self.at(tape)}), a tape" if tape else ""
            return (
                f"operator overloading: {where} makes instances of class {name} ({self.at(call)}), which defines "
                f"{shown} ({self.at(cls)}){kept}: the way automatic differentiation (a tape, "
                "dual numbers) computes derivatives, not the notes' formulas"
            )
        return ""

    # ---- complex numbers ---------------------------------------------------------------------

    def complex_numbers(self) -> str:
        seen = self.complex
        if not seen:
            return ""
        said = ", ".join(f"{what} ({self.filename}:{line})" for line, what in sorted(set(seen))[:3])
        more = f" and {len(set(seen)) - 3} more" if len(set(seen)) > 3 else ""
        return (
            f"complex numbers: {said}{more}; a complex-step derivative (the imaginary part of a loss whose "
            "parameter is nudged by i·h) gets gradients this way, without the notes' formulas"
        )

    # ---- numerical derivatives ---------------------------------------------------------------

    def forward_like(self, forwards: set[str]) -> dict[int, str]:
        """{id of a function of the file: how it computes the forward}: the contract's forward, a function with an
        activation of a matrix product, and every function that calls one of these (through the callers, once)."""
        how: dict[int, str] = {}
        callers: dict[int, list[tuple[Function, ast.Call]]] = {}
        queue: list[Function] = []
        every = [fn for fns in self.functions.values() for fn in fns]
        named = {id(fn): name for name, fns in self.functions.items() for fn in fns}  # a lambda: its name's
        for fn in every:
            for call in self.calls(fn):
                targets = self.called(call)
                for target in targets:
                    callers.setdefault(id(target), []).append((fn, call))
                if not targets and _called_name(call) in forwards and id(fn) not in how:  # model.forward(X)
                    how[id(fn)] = f"calls {_called_name(call)} ({self.at(call)})"
                    queue.append(fn)
        for fn in every:
            if id(fn) in how:
                continue
            if named[id(fn)] in forwards:
                how[id(fn)] = "is the forward"
                queue.append(fn)
                continue
            product = next((c for c in self.calls(fn) if _activation_of_product(c)), None)
            if product is not None:
                how[id(fn)] = f"computes {_called_name(product)} of a matrix product ({self.at(product)})"
                queue.append(fn)
        for fn in queue:  # grows while it is read: the callers of every function found
            for caller, call in callers.get(id(fn), []):
                if id(caller) not in how:
                    how[id(caller)] = f"calls {_called_name(call)} ({self.at(call)})"
                    queue.append(caller)
        return how

    def calls(self, fn: Function) -> list[ast.Call]:
        """The calls of a function's own body, read once per function."""
        if id(fn) not in self._calls:
            self._calls[id(fn)] = _own(fn, ast.Call)
        return self._calls[id(fn)]

    def runs_forward(
        self, call: ast.Call, forwards: set[str], how: dict[int, str], fn: Function | None = None
    ) -> str | None:
        """How a call runs the forward (None when it does not): the contract's forward (the file's, or one it does
        not define: `model.forward`), a function of the file that computes it, or a function `fn` is given."""
        targets = self.called(call)
        if not targets and _called_name(call) in forwards:
            return "is the forward"
        found = next((t for t in targets if id(t) in how), None)
        if found is not None:
            return how[id(found)]
        if fn is not None and isinstance(call.func, ast.Name):
            for value in self.given.get((id(fn), call.func.id), []):
                inner = [value] if isinstance(value, ast.Lambda) else self.functions.get(getattr(value, "id", ""), [])
                for given in inner:
                    handed = f"is the function {_name(fn)} is handed ({self.at(value)}), which"
                    if id(given) in how:
                        return f"{handed} {how[id(given)]}"
                    for c in self.calls(given):
                        if _activation_of_product(c):
                            return f"{handed} computes {_called_name(c)} of a matrix product ({self.at(c)})"
                        if self.runs_forward(c, forwards, how) is not None:
                            return f"{handed} calls {_called_name(c)} ({self.at(c)})"
        return None

    def numerical(self, reached: list[Function], forwards: set[str]) -> str:
        how = self.forward_like(forwards)
        for fn in reached:
            for loop in sorted(_own(fn, (ast.For, ast.AsyncFor, ast.While)), key=lambda n: -n.lineno):
                calls = [c for c in _inside(loop, ast.Call) if self.runs_forward(c, forwards, how, fn)]
                evidence = self._perturbs(loop, calls) if calls else ""
                if not evidence:
                    continue
                call, name = calls[0], _called_name(calls[0])
                said = self.runs_forward(call, forwards, how, fn)
                via = "" if said == "is the forward" else f", and {name} {said}"
                who = "backward" if fn is reached[0] else f"{_name(fn)} (which backward calls)"
                return (
                    f"numerical derivatives: {who} calls {name} ({self.at(call)}) inside a loop ({self.at(loop)})"
                    f"{via}; {evidence}, not the notes' formulas"
                )
        return ""

    def _perturbs(self, loop: Loop, calls: list[ast.Call]) -> str:
        """What, inside the loop, shows the forward run again for a changed parameter, and what it is done for
        ("" when nothing does). An entry changed counts when the forward's call is given the array changed (or
        takes no argument, reading it where it is): a per-example loop that adds to `grads["dW"]` is no flag."""
        differences = "a parameter perturbed, as for finite differences"
        given = {n.id for c in calls for a in _arguments(c) for n in reading.walk(a) if isinstance(n, ast.Name)}
        bare = any(not _arguments(c) for c in calls)
        for node in _inside(loop, (ast.AugAssign, ast.Assign)):
            targets = [node.target] if isinstance(node, ast.AugAssign) else node.targets
            op = node.op if isinstance(node, ast.AugAssign) else getattr(node.value, "op", None)
            changed = [_root(t) for t in targets if isinstance(t, ast.Subscript)]
            if isinstance(op, (ast.Add, ast.Sub)) and any(bare or name in given for name in changed):
                complex_step = any(_complex(n) for n in reading.walk(node.value))
                why = "a parameter perturbed, as for a complex-step derivative" if complex_step else differences
                return f"the loop adds to an entry of the array the forward is given ({self.at(node)}): {why}"
        for arg in (a for c in calls for a in _arguments(c)):
            if isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Add, ast.Sub)):
                return f"the loop passes the forward a sum or difference ({self.at(arg)}): {differences}"
        if len(calls) >= 2:
            places = ", ".join(dict.fromkeys(self.at(c) for c in calls[:3]))
            return f"the loop runs the forward {len(calls)} times a pass ({places}), as central differences do"
        head = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.test
        entries = next(
            (c for c in reading.walk(head) if isinstance(c, ast.Call) and _called_name(c) in ENTRY_LOOPS), None
        )
        if entries is not None:
            return (
                f"the loop runs over every entry of an array ({_called_name(entries)}, {self.at(entries)}): the "
                "forward run once per entry, as for numerical (or forward-mode) derivatives"
            )
        return ""


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _root(node: ast.expr) -> str:
    """The name an entry's array is read from: `up` of `up[name][index]`, `params` of `params["W1"][i, j]`."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _name(fn: Function) -> str:
    return getattr(fn, "name", "a lambda")


def _own(fn: ast.AST, kinds: type | tuple[type, ...]) -> list[Any]:
    """The nodes of `kinds` in a function's own body: not in the functions, lambdas and classes defined inside it
    (Any: a caller reads the kinds it asked for)."""
    out, stack = [], list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, kinds):
            out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(out, key=lambda n: (n.lineno, n.col_offset))


def _inside(loop: Loop, kinds: type | tuple[type, ...]) -> list[Any]:
    """The nodes of `kinds` in a loop's body (and its else), not in functions defined there."""
    holder = ast.Module(body=[*loop.body, *loop.orelse], type_ignores=[])
    return _own(holder, kinds)


def _operators(cls: ast.ClassDef) -> list[str]:
    """The arithmetic operators a class defines (`def __add__`, `__radd__ = __add__`), in the class's order."""
    names = []
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(item.name)
        elif isinstance(item, ast.Assign):
            names += [t.id for t in item.targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(n for n in names if n in ARITHMETIC))


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _activation_of_product(call: ast.Call) -> bool:
    """`np.tanh(X @ W1 + b1)`, `sigmoid(np.dot(A1, W2) + b2)`: an activation whose argument holds a matrix product."""
    if _called_name(call).lower() not in ACTIVATIONS:
        return False
    return any(
        (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult))
        or (isinstance(n, ast.Call) and _called_name(n) in ("dot", "matmul"))
        for arg in call.args
        for n in reading.walk(arg)
    )


def _complex(node: ast.AST) -> str:
    """What in `node` is a complex number or dtype: `1j`, `np.complex128`, `complex`, `dtype="complex128"`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, complex):
        return repr(node.value).strip("()")
    if isinstance(node, ast.Attribute) and node.attr in COMPLEX_NAMES:
        return node.attr
    if isinstance(node, ast.Name) and node.id in (*COMPLEX_NAMES, "complex") and isinstance(node.ctx, ast.Load):
        return node.id
    if isinstance(node, ast.Call):
        given = [k.value for k in node.keywords if k.arg == "dtype"]
        if _called_name(node) == "astype":
            given += node.args[:1]
        for value in given:
            if isinstance(value, ast.Constant) and value.value in COMPLEX_STRINGS:
                return f'dtype "{value.value}"'
    return ""
