"""The one-change edits of a learner's statement, spliced into the line as written (its spacing, parentheses
and comment kept), each labelled with the change it makes.

`Place` is the function (and its helpers) a piece's first wrong value was made in, read from the
judged source: its lines, parameters, the module's functions and its NumPy alias. `edits(place,
statement)` yields (label, the new line) for every edit of the statement: `+` made `−` ("sign"),
`>` made `≥` ("compare"), `//` made `/` ("div"), a factor dropped, a minus put in front or taken
away ("negate"), `sum` made `mean`, `dtype=float` given, a loop's range moved by one ("range"), an
argument the function was given passed on ("argument"), the `(1 − y) log(1 − a)` term added
("second term"), `/ m` added ("add m"), a value moved by one ("plus one"), a name read as its
partner ("name": Z as A, A1 as A2, `cache["Z"]` as `cache["A"]`), `grads[key]` read as
`grads["d" + key]` in an update or a loop over the parameters' keys ("gradient key"), `all` made
`any` ("any"), a call's result assigned to its first argument (`params = update(params, ...)`,
"assign"), `axis=0` given to every min and max ("axis"), an alias of the caller's dict copied
or `x *= α` made `x = x * α` ("copy"), a line that rebinds an argument deleted ("delete"),
`m = 1` ("m = 1"), fit's first θ returned at once ("return first") or None returned when no θ
works ("none unless"), and the notes' formula of the piece in the learner's names ("notes").
Nothing here judges an edit: `pieces.repair` does.

It stays one module of about 490 lines: every edit is the same splice of one parsed line (`Line`)
at one place of one function (`Place`), and the catalogue of edits reads best as one list.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from torchref.checker.pieces import where

_SWAP = {"A": "Z", "Z": "A", "a": "z", "z": "a", "dA": "dZ", "dZ": "dA", "da": "dz", "dz": "da"}
Edits = Iterator[tuple[str, str]]  # (label, the new line)
_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.Pow: "**",
}


# ---- the line as written ------------------------------------------------------------------------------


class Line:
    """One line of the judged source, and the text of any node on it (byte offsets, as `ast` counts them)."""

    def __init__(self, text: str):
        self.text = text
        self.raw = text.encode("utf-8")

    def span(self, node: ast.expr) -> tuple[int, int]:
        """The node's columns, widened over the parentheses that group it (not a call's)."""
        start, end = node.col_offset, node.end_col_offset
        assert end is not None  # (ast.parse gives every node its end; a node built by hand may have none)
        while True:
            before = self.raw[:start].rstrip()
            after = self.raw[end:].lstrip()
            opener = before[-1:] == b"(" and not (
                before[:-1].rstrip()[-1:].isalnum() or before[:-1].rstrip()[-1:] in b"_)]"
            )
            if not (opener and after[:1] == b")"):
                return start, end
            start, end = len(before) - 1, len(self.raw) - len(after) + 1

    def of(self, node: ast.expr) -> str:
        start, end = self.span(node)
        return self.raw[start:end].decode("utf-8", "replace")

    def spliced(self, changes: list[tuple[ast.expr, str]]) -> str:
        """The line with each (node, text) replaced, right to left. Where the learner grouped the node in
        parentheses, a new text that is not one operand keeps them: `(z > theta) & ~off` made
        `(z >= theta) & ~off`, never `z >= theta & ~off` (which compares z with `theta & ~off`)."""
        raw = self.raw
        for node, text in sorted(changes, key=lambda c: -self.span(c[0])[0]):
            start, end = self.span(node)
            if start < node.col_offset and not _operand(text):
                text = f"({text})"
            raw = raw[:start] + text.encode("utf-8") + raw[end:]
        return raw.decode("utf-8", "replace")


def _operand(text: str) -> bool:
    """The text is one operand, safe anywhere an expression stands: a name, a call, a subscript, a constant,
    or a whole in parentheses (`(a + b)`, not `(a) + (b)`); an empty text (a deletion) too."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return True  # not an expression: spliced as it is
    if isinstance(node, _ATOMS):
        return True
    return Line(text.strip()).span(node) == (0, len(text.strip().encode("utf-8"))) and node.col_offset > 0


_ATOMS = (ast.Name, ast.Call, ast.Subscript, ast.Attribute, ast.Constant)  # one operand, whatever stands around


def _whole(node: ast.expr) -> int | None:
    """The whole number the node writes (`3`), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


def _plus(line: Line, node: ast.expr, k: int) -> str:
    """`node + k` as a learner writes it: `steps + 1` made `steps`, `n + 2` made `n + 3`."""
    right = _whole(node.right) if isinstance(node, ast.BinOp) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and isinstance(right, int):
        total = right * (1 if isinstance(node.op, ast.Add) else -1) + k
        left = line.of(node.left)
        return left if total == 0 else f"{left} {'+' if total > 0 else '-'} {abs(total)}"
    whole = _whole(node)
    if whole is not None:
        return str(whole + k)
    text = line.of(node)
    text = (
        text
        if _operand(text) or isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))
        else f"({text})"
    )
    return f"{text} {'+' if k > 0 else '-'} {abs(k)}"


# ---- where to edit ------------------------------------------------------------------------------------


class Place:
    """The statements of one function (and its helpers) the edits look at, and what they need to know."""

    def __init__(self, text: str, code: where.Code, number: int, piece: str, spellings: dict[str, str], loss: str):
        self.piece = piece
        self.loss = loss  # the notes' loss in Python, {A}, {Y} and {np} to fill in ("" when none is known)
        self.lines = text.split("\n")
        self.code = code
        self.tree = code.tree
        self.fn = code.fn
        self.params = code.params()
        self.defs = {n.name: n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef)}
        self.numpy = _numpy_alias(self.tree)
        self.spellings = spellings  # the contract's name -> the learner's name of it, for the file's functions
        self.statement = _statement_at(code, number)

    def sites(self) -> list[ast.stmt]:
        """The learner's line, then the last assignment before it of each local name it reads."""
        if self.statement is None:
            return []
        out = [self.statement]
        for name in sorted({n.id for n in _header_nodes(self.statement) if isinstance(n, ast.Name)}):
            if name in self.params or name == self.numpy:
                continue
            assigned = [
                s
                for s in statements(self.code)
                if s.lineno < self.statement.lineno and name in _stored(s) and isinstance(s, ast.Assign)
            ]
            out += assigned[-1:]
        return list(dict.fromkeys(out))


def _numpy_alias(tree: ast.Module) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    return ""


def statements(code: where.Code) -> list[ast.stmt]:
    found = [n for body in code.bodies for n in ast.walk(body) if isinstance(n, ast.stmt) and n is not body]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _statement_at(code: where.Code, number: int) -> ast.stmt | None:
    """The outermost statement of the function (or a helper) that starts on line `number`, one line long or a
    compound statement's header."""
    for node in statements(code):
        if node.lineno == number:
            return node
    return None


def _header_nodes(statement: ast.stmt) -> list[ast.AST]:
    """The expression nodes of a statement on its first line (a loop's target and range, not its body)."""
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        roots: list[ast.AST] = [statement.target, statement.iter]
    elif isinstance(statement, (ast.If, ast.While)):
        roots = [statement.test]
    elif isinstance(statement, (ast.FunctionDef, ast.ClassDef, ast.With, ast.Try)):
        roots = []
    else:
        roots = [statement]
    nodes = [n for root in roots for n in ast.walk(root)]
    return [n for n in nodes if getattr(n, "lineno", None) == statement.lineno == getattr(n, "end_lineno", None)]


def _stored(statement: ast.stmt) -> set[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _parents(statement: ast.stmt) -> dict[int, ast.AST]:
    return {id(child): parent for parent in ast.walk(statement) for child in ast.iter_child_nodes(parent)}


def _in_loop(code: where.Code, statement: ast.stmt) -> bool:
    return any(
        statement in list(ast.walk(loop)) and statement is not loop
        for loop in (n for body in code.bodies for n in ast.walk(body) if isinstance(n, (ast.For, ast.While)))
    )


# ---- the edits of one statement -----------------------------------------------------------------------


def edits(place: Place, statement: ast.stmt) -> Edits:
    """(label, the new line) for every one-change edit of `statement`."""
    text = place.lines[statement.lineno - 1]
    line = Line(text)
    nodes = _header_nodes(statement)
    parents = _parents(statement)
    indent = text[: len(text) - len(text.lstrip())]
    single = statement.lineno == statement.end_lineno or isinstance(statement, (ast.For, ast.While, ast.If))
    if not single:
        return
    value = getattr(statement, "value", None)
    for node in nodes:
        parent = parents.get(id(node))
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub):
            op = "-" if isinstance(node.op, ast.Add) else "+"
            yield "sign", line.spliced([(node, f"{line.of(node.left)} {op} {line.of(node.right)}")])
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            flipped = {ast.Gt: ">=", ast.Lt: "<=", ast.GtE: ">", ast.LtE: "<"}.get(type(node.ops[0]))
            if flipped:
                new = f"{line.of(node.left)} {flipped} {line.of(node.comparators[0])}"
                yield "compare", line.spliced([(node, new)])
        if _gradient_by_parameters_key(place, node):  # grads[key] for key in params: the gradient's key is "d" + key
            assert isinstance(node, ast.Subscript)
            yield "gradient key", line.spliced([(node.slice, f'"d" + {line.of(node.slice)}')])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv):
            yield "div", line.spliced([(node, f"{line.of(node.left)} / {line.of(node.right)}")])
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            sides = (node.left, node.right) if isinstance(node.op, ast.Mult) else (node.left,)
            for keep in sides:
                yield "drop factor", line.spliced([(node, line.of(keep))])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield "negate", line.spliced([(node, line.of(node.operand))])
        if isinstance(node, ast.Call) and _called(node) == "all":  # a veto by every input, made one by any
            yield "any", line.spliced([(node.func, line.of(node.func)[: -len("all")] + "any")])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sum":
            yield "mean", line.spliced([(node.func, line.of(node.func.value) + ".mean")])
        like = isinstance(node, ast.Call) and _called(node) in ("zeros_like", "empty_like", "ones_like")
        if like and isinstance(node, ast.Call) and not any(k.arg == "dtype" for k in node.keywords):
            yield "dtype", line.spliced([(node, _call_text(line, node, extra="dtype=float"))])
        if isinstance(node, ast.Call) and _called(node) == "range" and isinstance(statement, ast.For):
            yield from (("range", line.spliced([(node, f"range({r})")])) for r in _ranges(line, node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in place.defs:
            passed = _missing_argument(place, node)
            if passed:
                yield "argument", line.spliced([(node, _call_text(line, node, extra=passed))])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            term = _second_term(line, node, place.numpy)
            if term:
                whole = node is value or isinstance(parent, ast.Call)
                yield "second term", line.spliced([(node, term if whole else f"({term})")])
    # edits of the statement as a whole
    if value is not None and isinstance(statement, (ast.Assign, ast.AugAssign, ast.Return)):
        v = line.of(value)
        negated = f"-{v}" if _operand(v) else f"-({v})"
        if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.Div)):
            left = line.of(value.left)
            yield "negate", line.spliced([(value.left, f"-{left}" if _operand(left) else f"-({left})")])
        yield "negate", line.spliced([(value, negated)])
        m = _m_name(place)
        if m:
            yield "add m", line.spliced([(value, f"{v if _operand(v) else f'({v})'} / {m}")])
        if isinstance(statement, ast.Assign) and _stored(statement):
            for k in (1, -1):
                yield "plus one", line.spliced([(value, _plus(line, value, k))])
            if isinstance(value, ast.IfExp):
                for part in (value.body, value.orelse):
                    for k in (1, -1):
                        yield "plus one", line.spliced([(part, _plus(line, part, k))])
    yield from _renames(place, statement, line, nodes)
    stats = [n for n in nodes if isinstance(n, ast.Call) and _called(n) in ("min", "max", "amin", "amax")]
    if stats:
        yield "axis", line.spliced([(n, _call_text(line, n, axis0=True)) for n in stats])
    alias = isinstance(statement, ast.Assign) and len(statement.targets) == 1
    if (
        alias
        and isinstance(statement, ast.Assign)
        and isinstance(statement.value, ast.Name)
        and statement.value.id in place.params
    ):  # step = grads: an alias of the caller's dict
        yield "copy", line.spliced([(statement.value, f"dict({statement.value.id})")])
    if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        name, op = statement.target.id, _OPS.get(type(statement.op), "")
        if op:  # g *= lr changes the caller's array; g = g * lr makes a new one
            v = line.of(statement.value)
            v = v if _operand(v) else f"({v})"
            yield "copy", f"{indent}{name} = {name} {op} {v}" + _comment(text)
    call = statement.value if isinstance(statement, ast.Expr) else None
    if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Name):  # update(params, ...)
        yield "assign", f"{indent}{call.args[0].id} = {text.strip()}"
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Expr)) and _rebinds_argument(place, statement):
        yield "delete", ""
    if isinstance(statement, ast.Assign) and _stored(statement) == {"m"}:
        yield "m = 1", f"{indent}m = 1" + _comment(text)
    yield from _returns(place, statement, line, indent, text)
    notes = _notes_line(place, statement, line)
    if notes:
        yield "notes", notes


def _comment(text: str) -> str:
    code, hash_, comment = text.partition("#")
    return f"  #{comment}" if hash_ and code.count('"') % 2 == 0 and code.count("'") % 2 == 0 else ""


def _called(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _call_text(line: Line, node: ast.Call, extra: str = "", axis0: bool = False) -> str:
    """A call written again from its parts, with one more argument, or with axis=0."""
    args = [line.of(a) for a in node.args]
    keywords = [(k.arg, line.of(k.value)) for k in node.keywords]
    if axis0:
        method = isinstance(node.func, ast.Attribute) and not (
            isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy")
        )
        args = args[: 0 if method else 1]
        keywords = [k for k in keywords if k[0] != "axis"] + [("axis", "0")]
    parts = args + [f"{k}={v}" if k else f"**{v}" for k, v in keywords] + ([extra] if extra else [])
    return f"{line.of(node.func)}({', '.join(parts)})"


def _ranges(line: Line, node: ast.Call) -> list[str]:
    args = node.args
    if len(args) == 1:
        stop = args[0]
        return [_plus(line, stop, 1), _plus(line, stop, -1), f"1, {line.of(stop)}"]
    if len(args) == 2:
        start, stop = args
        out = [f"{line.of(start)}, {_plus(line, stop, 1)}", f"{line.of(start)}, {_plus(line, stop, -1)}"]
        low = _plus(line, start, -1)
        out.insert(0, line.of(stop) if low == "0" else f"{low}, {line.of(stop)}")
        return out
    return []


def _missing_argument(place: Place, call: ast.Call) -> str:
    """The argument a call leaves out that the calling function was given under the callee's name for it."""
    if not isinstance(call.func, ast.Name):  # (the caller asks only of a call of one of the module's functions)
        return ""
    callee = place.defs[call.func.id]
    wanted = [a.arg for a in callee.args.args]
    given = len(call.args) + len(call.keywords)
    if any(k.arg is None for k in call.keywords) or given >= len(wanted):
        return ""
    name = wanted[len(call.args)]
    keywords = {k.arg for k in call.keywords}
    return name if name in place.params and name not in keywords and not call.keywords else ""


def _second_term(line: Line, node: ast.BinOp, np_name: str) -> str:
    """`y * log(a)` with the (1 − y) log(1 − a) term beside it; `-y * log(a)` negated as a whole."""
    if not np_name:
        return ""
    left, right = node.left, node.right
    if isinstance(left, ast.Call) and _called(left) == "log":
        left, right = right, left
    if not (isinstance(right, ast.Call) and _called(right) == "log" and len(right.args) == 1):
        return ""
    negated = isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub)
    y_node = left.operand if isinstance(left, ast.UnaryOp) and negated else left
    if isinstance(y_node, (ast.BinOp, ast.Call)) and not isinstance(y_node, ast.Subscript):
        return ""
    y, a, log = line.of(y_node), line.of(right.args[0]), line.of(right.func)
    a1 = a if _operand(a) else f"({a})"
    term = f"{y} * {log}({a}) + (1 - {y}) * {log}(1 - {a1})"
    return f"-({term})" if negated else term


def _m_name(place: Place) -> str:
    """How the function names the number of examples: its `m` set from a shape, else its first argument's rows."""
    for s in statements(place.code):
        if isinstance(s, ast.Assign) and _stored(s) == {"m"} and "shape" in ast.unparse(s.value):
            return "m"
    return f"{place.params[0]}.shape[0]" if place.params else ""


def _renames(place: Place, statement: ast.stmt, line: Line, nodes: list[ast.AST]) -> Edits:
    """Every occurrence of a name read as its partner (Z as A, A1 as A2): the partner's local, or the entry of the
    dict the name was read from (`Z = cache["Z"]` read as `cache["A"]`)."""
    names = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assigned: dict[str, ast.Assign] = {}
    for s in statements(place.code):
        if isinstance(s, ast.Assign) and s.lineno < statement.lineno:
            for name in _stored(s):
                assigned[name] = s
    for name in sorted(names):
        partners = [_SWAP[name]] if name in _SWAP else []
        stem = name.rstrip("0123456789")
        if stem != name and len(name) <= 4:
            digit = int(name[len(stem) :])
            partners += [f"{stem}{d}" for d in (digit - 1, digit + 1) if d >= 1]
            partners += [f"{_SWAP[stem]}{digit}"] if stem in _SWAP else []
        for partner in partners:
            if partner in assigned or partner in place.params:
                text = partner
            else:
                source = assigned.get(name)
                read = source.value if source is not None else None
                if not (isinstance(read, ast.Subscript) and isinstance(read.slice, ast.Constant)):
                    continue
                if source is None or read.slice.value != name:
                    continue
                text = f'{Line(place.lines[source.lineno - 1]).of(read.value)}["{partner}"]'
            hits = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
            yield "name", line.spliced([(n, text) for n in hits])


def _gradient_by_parameters_key(place: Place, node: ast.AST) -> bool:
    """`grads[key]` in an update or a loop, `key` a name: the contract keys a parameter P's gradient "dP"."""
    if place.piece not in ("update", "train") or not isinstance(node, ast.Subscript):
        return False
    if not (isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Name)):
        return False
    grads = place.params[1] if place.piece == "update" and len(place.params) > 1 else ""
    return node.value.id == grads or node.value.id.startswith("grad")


def _rebinds_argument(place: Place, statement: ast.stmt) -> bool:
    return bool(_stored(statement) & set(place.params))


def _returns(place: Place, statement: ast.stmt, line: Line, indent: str, text: str) -> Edits:
    """fit's returns: the first θ that works returned at once; None when no θ works."""
    returns = [s for s in statements(place.code) if isinstance(s, ast.Return) and s.value is not None]
    last = returns[-1] if returns else None
    returned = last.value.id if last is not None and isinstance(last.value, ast.Name) else ""
    if (
        isinstance(statement, ast.Assign)
        and _stored(statement) == {returned}
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _in_loop(place.code, statement)
    ):
        yield "return first", f"{indent}return {line.of(statement.value)}" + _comment(text)
    if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Name):
        name = statement.value.id
        for s in statements(place.code):
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Tuple) and name in _stored(s):
                for other in sorted(_stored(s) - {name}):
                    yield "none unless", f"{indent}return {name} if {other} == 0 else None" + _comment(text)
        forward = place.spellings.get("forward")
        if forward and place.numpy and len(place.params) >= 2:
            X, Y, *rest = place.params
            args = ", ".join([X, name, *rest[:1]])
            check = f"{place.numpy}.array_equal({forward}({args}), {Y})"
            yield "none unless", f"{indent}return {name} if {check} else None" + _comment(text)


def _notes_line(place: Place, statement: ast.stmt, line: Line) -> str:
    """The notes' formula of the piece in the learner's names, on the learner's line (a value it returns)."""
    if not isinstance(statement, (ast.Assign, ast.Return)) or not place.numpy or statement.value is None:
        return ""
    if isinstance(statement, ast.Assign) and not (
        len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
    ):
        return ""
    piece, p, np_ = place.piece, place.params, place.numpy
    if piece == "normalise" and len(p) >= 1:
        X = p[0]
        formula = f"({X} - {X}.min(axis=0)) / ({X}.max(axis=0) - {X}.min(axis=0))"
    elif piece == "denormalise" and len(p) >= 3:
        formula = f"{p[0]} * ({p[2]} - {p[1]}) + {p[1]}"
    elif piece == "loss" and len(p) >= 2 and place.loss:
        formula = place.loss.format(A=p[0], Y=p[1], np=np_)
    else:
        return ""
    return line.spliced([(statement.value, formula)])
