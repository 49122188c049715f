"""A verified repair of the first wrong piece: one change on the learner's line, in their names, judged again.

The backward's chain has its own edits (`torchref.checker.repair`); the other functions of a
contract (the loss, the update, the training loop, the MP neuron, normalisation) get the
edits of the mistakes made in them: `+` made `−` (or `+=` made `−=`), `>` made `≥`, a minus
put in front, a factor dropped (α, 1/m, an input), `/ m` added, `//` made `/`, `sum` made
`mean`, `Z` read as `A`, a loop's range moved by one, a value moved by one, the `(1 − y) log(1 −
a)` term added beside `y log a`, an argument the function was given passed on, an alias of the
caller's dict copied, `x *= α` made `x = x * α`, a line that rebinds an argument deleted, the
first θ that works returned, `None` returned when no θ works, `dtype=float` given, and the
notes' line in the learner's names. Each edit is spliced into the line as written (its
spacing, its parentheses and its comment kept). Those that undo the mistake the judge named
come first; each candidate is judged again with the batch's cases (`Session.rejudge`) and
`torchref.checker.repair.verified` keeps the first that passes every case, or that makes the
first wrong value a later one: no other repair is shown.
"""

from __future__ import annotations

import ast

from torchref.checker import repair as chain_repair
from torchref.checker.pieces import where
from torchref.checker.repair import Edit

# the edits that undo a named mistake, tried first (in this order)
FIRST = {
    "mp-strict-threshold": ("compare",),
    "mp-theta-off-by-one": ("compare", "plus one"),
    "mp-fit-theta-one-low": ("plus one",),
    "mp-fit-largest-theta": ("return first",),
    "mp-fit-never-none": ("none unless",),
    "mp-fit-inhibitory-ignored": ("argument",),
    "mp-fit-never-tries-zero": ("range",),
    "loss-missing-minus": ("negate",),
    "loss-sum-for-mean": ("mean", "add m"),
    "loss-only-y-log-a": ("second term",),
    "loss-minus-on-first-term": ("sign",),
    "backward-missing-one-over-m": ("add m",),
    "backward-b-with-x": ("drop factor",),
    "backward-z-for-a": ("name",),
    "update-plus-for-minus": ("sign",),
    "update-one-over-m-twice": ("drop factor",),
    "update-alpha-twice": ("drop factor",),
    "update-parameter-left-out": ("range",),
    "update-changes-grads": ("copy",),
    "normalise-global-min-max": ("axis", "notes"),
    "normalise-max-only": ("notes",),
    "normalise-z-score": ("notes",),
    "normalise-rows": ("axis",),
    "normalise-floor-division": ("div",),
    "normalise-integer-result": ("dtype",),
    "denormalise-own-statistics": ("delete",),
    "denormalise-high-not-range": ("notes",),
    "train-steps-off-by-one": ("range",),
    "train-learning-rate-schedule": ("delete",),
    "train-sgd-one-over-m": ("m = 1", "drop factor"),
    "train-log-of-z": ("name",),
    "train-loss-y-log-a-only": ("second term",),
}
# edits tried only when the named mistake calls for them (they change more than one symbol's meaning)
ONLY_WHEN_NAMED = {"delete", "m = 1", "return first", "none unless"}
# the pieces whose values are made one after another and each judged on its own (dZ, then dW from it; W, then b):
# one of them right and a later one wrong is progress. A loop's losses and parameters are one trajectory: not so.
ONE_BY_ONE = ("backward", "update")
_SWAP = {"A": "Z", "Z": "A", "a": "z", "z": "a", "dA": "dZ", "dZ": "dA", "da": "dz", "dz": "da"}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.MatMult: "@", ast.Pow: "**"}
_STATS = ("min", "max", "amin", "amax", "ptp", "mean", "std", "sum")


# ---- the line as written ------------------------------------------------------------------------------


class Line:
    """One line of the judged source, and the text of any node on it (byte offsets, as `ast` counts them)."""

    def __init__(self, text: str):
        self.text = text
        self.raw = text.encode("utf-8")

    def span(self, node) -> tuple[int, int]:
        """The node's columns, widened over the parentheses that group it (not a call's)."""
        start, end = node.col_offset, node.end_col_offset
        while True:
            before = self.raw[:start].rstrip()
            after = self.raw[end:].lstrip()
            opener = before[-1:] == b"(" and not (
                before[:-1].rstrip()[-1:].isalnum() or before[:-1].rstrip()[-1:] in b"_)]"
            )
            if not (opener and after[:1] == b")"):
                return start, end
            start, end = len(before) - 1, len(self.raw) - len(after) + 1

    def of(self, node) -> str:
        start, end = self.span(node)
        return self.raw[start:end].decode("utf-8", "replace")

    def spliced(self, changes: list[tuple[object, str]]) -> str:
        """The line with each (node, text) replaced, right to left."""
        raw = self.raw
        for node, text in sorted(changes, key=lambda c: -self.span(c[0])[0]):
            start, end = self.span(node)
            raw = raw[:start] + text.encode("utf-8") + raw[end:]
        return raw.decode("utf-8", "replace")


def _atom(node, text: str) -> bool:
    return isinstance(node, (ast.Name, ast.Call, ast.Subscript, ast.Attribute, ast.Constant)) or (
        text.startswith("(") and text.endswith(")")
    )


def _whole(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


def _plus(line: Line, node, k: int) -> str:
    """`node + k` as a learner writes it: `steps + 1` made `steps`, `n + 2` made `n + 3`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and _whole(node.right):
        total = node.right.value * (1 if isinstance(node.op, ast.Add) else -1) + k
        left = line.of(node.left)
        return left if total == 0 else f"{left} {'+' if total > 0 else '-'} {abs(total)}"
    if _whole(node):
        return str(node.value + k)
    text = line.of(node)
    text = (
        text
        if _atom(node, text) or isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))
        else f"({text})"
    )
    return f"{text} {'+' if k > 0 else '-'} {abs(k)}"


# ---- where to edit ------------------------------------------------------------------------------------


class _Place:
    """The statements of one function (and its helpers) the edits look at, and what they need to know."""

    def __init__(self, text: str, code: where.Code, number: int, piece: str, spellings: dict, loss: str):
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

    def sites(self) -> list:
        """The learner's line, then the last assignment before it of each local name it reads."""
        if self.statement is None:
            return []
        out = [self.statement]
        for name in sorted({n.id for n in _header_nodes(self.statement) if isinstance(n, ast.Name)}):
            if name in self.params or name == self.numpy:
                continue
            assigned = [
                s
                for s in _statements(self.code)
                if s.lineno < self.statement.lineno and name in _stored(s) and isinstance(s, ast.Assign)
            ]
            out += assigned[-1:]
        return list(dict.fromkeys(out))


def _numpy_alias(tree) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    return ""


def _statements(code: where.Code) -> list:
    found = [n for body in code.bodies for n in ast.walk(body) if isinstance(n, ast.stmt) and n is not body]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _statement_at(code: where.Code, number: int):
    """The outermost statement of the function (or a helper) that starts on line `number`, one line long or a
    compound statement's header."""
    for node in _statements(code):
        if node.lineno == number:
            return node
    return None


def _header_nodes(statement) -> list:
    """The expression nodes of a statement on its first line (a loop's target and range, not its body)."""
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        roots = [statement.target, statement.iter]
    elif isinstance(statement, (ast.If, ast.While)):
        roots = [statement.test]
    elif isinstance(statement, (ast.FunctionDef, ast.ClassDef, ast.With, ast.Try)):
        roots = []
    else:
        roots = [statement]
    nodes = [n for root in roots for n in ast.walk(root)]
    return [n for n in nodes if getattr(n, "lineno", None) == statement.lineno == getattr(n, "end_lineno", None)]


def _stored(statement) -> set:
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _parents(statement) -> dict:
    return {id(child): parent for parent in ast.walk(statement) for child in ast.iter_child_nodes(parent)}


def _in_loop(code: where.Code, statement) -> bool:
    return any(
        statement in list(ast.walk(loop)) and statement is not loop
        for loop in (n for body in code.bodies for n in ast.walk(body) if isinstance(n, (ast.For, ast.While)))
    )


# ---- the edits of one statement -----------------------------------------------------------------------


def _edits(place: _Place, statement, mistake: str):
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
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv):
            yield "div", line.spliced([(node, f"{line.of(node.left)} / {line.of(node.right)}")])
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            sides = (node.left, node.right) if isinstance(node.op, ast.Mult) else (node.left,)
            for keep in sides:
                yield "drop factor", line.spliced([(node, line.of(keep))])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield "negate", line.spliced([(node, line.of(node.operand))])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sum":
            yield "mean", line.spliced([(node.func, line.of(node.func.value) + ".mean")])
        like = isinstance(node, ast.Call) and _called(node) in ("zeros_like", "empty_like", "ones_like")
        if like and not any(k.arg == "dtype" for k in node.keywords):
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
        negated = f"-{v}" if _atom(value, v) else f"-({v})"
        if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.Div)):
            left = line.of(value.left)
            yield "negate", line.spliced([(value.left, f"-{left}" if _atom(value.left, left) else f"-({left})")])
        yield "negate", line.spliced([(value, negated)])
        m = _m_name(place)
        if m:
            yield "add m", line.spliced([(value, f"{v if _atom(value, v) else f'({v})'} / {m}")])
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
    alias = isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.value, ast.Name)
    if alias and statement.value.id in place.params:  # step = grads: an alias of the caller's dict
        yield "copy", line.spliced([(statement.value, f"dict({statement.value.id})")])
    if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        name, op = statement.target.id, _OPS.get(type(statement.op))
        if op:  # g *= lr changes the caller's array; g = g * lr makes a new one
            v = line.of(statement.value)
            v = v if _atom(statement.value, v) else f"({v})"
            yield "copy", f"{indent}{name} = {name} {op} {v}" + _comment(text)
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


def _called(node) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _call_text(line: Line, node, extra: str = "", axis0: bool = False) -> str:
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


def _ranges(line: Line, node) -> list[str]:
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


def _missing_argument(place: _Place, call) -> str:
    """The argument a call leaves out that the calling function was given under the callee's name for it."""
    callee = place.defs[call.func.id]
    wanted = [a.arg for a in callee.args.args]
    given = len(call.args) + len(call.keywords)
    if any(k.arg is None for k in call.keywords) or given >= len(wanted):
        return ""
    name = wanted[len(call.args)]
    keywords = {k.arg for k in call.keywords}
    return name if name in place.params and name not in keywords and not call.keywords else ""


def _second_term(line: Line, node, np_name: str) -> str:
    """`y * log(a)` with the (1 − y) log(1 − a) term beside it; `-y * log(a)` negated as a whole."""
    if not np_name:
        return ""
    left, right = node.left, node.right
    if isinstance(left, ast.Call) and _called(left) == "log":
        left, right = right, left
    if not (isinstance(right, ast.Call) and _called(right) == "log" and len(right.args) == 1):
        return ""
    negated = isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub)
    y_node = left.operand if negated else left
    if isinstance(y_node, (ast.BinOp, ast.Call)) and not isinstance(y_node, ast.Subscript):
        return ""
    y, a, log = line.of(y_node), line.of(right.args[0]), line.of(right.func)
    a1 = a if _atom(right.args[0], a) else f"({a})"
    term = f"{y} * {log}({a}) + (1 - {y}) * {log}(1 - {a1})"
    return f"-({term})" if negated else term


def _m_name(place: _Place) -> str:
    """How the function names the number of examples: its `m` set from a shape, else its first argument's rows."""
    for s in _statements(place.code):
        if isinstance(s, ast.Assign) and _stored(s) == {"m"} and "shape" in ast.unparse(s.value):
            return "m"
    return f"{place.params[0]}.shape[0]" if place.params else ""


def _renames(place: _Place, statement, line: Line, nodes):
    """Every occurrence of a name read as its partner (Z as A, A1 as A2): the partner's local, or the entry of the
    dict the name was read from (`Z = cache["Z"]` read as `cache["A"]`)."""
    names = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assigned = {}
    for s in _statements(place.code):
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
                if read.slice.value != name:
                    continue
                text = f'{Line(place.lines[source.lineno - 1]).of(read.value)}["{partner}"]'
            hits = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
            yield "name", line.spliced([(n, text) for n in hits])


def _rebinds_argument(place: _Place, statement) -> bool:
    return bool(_stored(statement) & set(place.params))


def _returns(place: _Place, statement, line: Line, indent: str, text: str):
    """fit's returns: the first θ that works returned at once; None when no θ works."""
    returns = [s for s in _statements(place.code) if isinstance(s, ast.Return) and s.value is not None]
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
        for s in _statements(place.code):
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Tuple) and name in _stored(s):
                for other in sorted(_stored(s) - {name}):
                    yield "none unless", f"{indent}return {name} if {other} == 0 else None" + _comment(text)
        forward = place.spellings.get("forward")
        if forward and place.numpy and len(place.params) >= 2:
            X, Y, *rest = place.params
            args = ", ".join([X, name, *rest[:1]])
            check = f"{place.numpy}.array_equal({forward}({args}), {Y})"
            yield "none unless", f"{indent}return {name} if {check} else None" + _comment(text)


def _notes_line(place: _Place, statement, line: Line) -> str:
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


# ---- verified ---------------------------------------------------------------------------------------


def candidates(text: str, code: where.Code, number: int, mistake: str, piece: str, spellings: dict, loss: str = ""):
    """Every one-change edit, in the order they are judged: those that undo the named mistake (on the learner's
    line, then on the assignments it reads), then the notes' line, then the others of the learner's line, then
    those of the lines it reads."""
    place = _Place(text, code, number, piece, spellings, loss)
    first = FIRST.get(mistake, ())
    seen, ranked = set(), []
    for s, site in enumerate(place.sites()):
        for label, after in _edits(place, site, mistake):
            before = place.lines[site.lineno - 1]
            if after == before or (site.lineno, after) in seen:
                continue
            if label in ONLY_WHEN_NAMED and label not in first:
                continue
            seen.add((site.lineno, after))
            rank = (
                (first.index(label), s) if label in first else (len(first), 0 if (label, s) == ("notes", 0) else 1 + s)
            )
            ranked.append((rank, len(ranked), Edit(site.lineno, before, after)))
    return [edit for _, _, edit in sorted(ranked, key=lambda r: (r[0], r[1]))]


def attempt(rejudge, course, report, source) -> dict | None:
    """The verified repair of the report's first wrong piece (not the backward's chain), or None.

    `rejudge(source) -> FileReport` judges an edited source on the batch's cases; `course` is the batch's
    `Course` (the contract, and the order of each piece's values)."""
    piece = report.first_wrong_piece
    contract = course.pair.contract
    if report.verdict != "wrong" or piece not in contract or not report.line:
        return None
    if piece == "backward" and course.pair.differentiable:
        return None  # the chain's own repair
    number = _line_number(report.line)
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    spellings = _spellings(text, contract)
    code = where.parse(text, spellings.get(piece, piece))
    if number is None or code is None or code.fn is None:
        return None
    edits = candidates(text, code, number, report.mistake, piece, spellings, course.loss_formula())
    order = contract.names
    values = course.value_order(piece)

    def result(again) -> str:
        if again.verdict == "pass":
            return chain_repair.all_pass(again)
        judged = {p["name"]: p for p in again.pieces}
        if again.verdict != "wrong" or judged.get(piece, {}).get("status") != "judged":
            return ""
        later = again.first_wrong_piece
        if later in order and order.index(later) > order.index(piece):
            return f"with this change, {piece} is right; next wrong: {later} ({again.first_wrong})"
        mine = judged[piece]
        if (
            later == piece
            and piece in ONE_BY_ONE
            and not mine.get("raised")
            and report.first_wrong in values
            and again.first_wrong in values
            and values.index(again.first_wrong) > values.index(report.first_wrong)
        ):
            return f"with this change, {report.first_wrong} is right; next wrong: {again.first_wrong}"
        return ""

    return chain_repair.verified(rejudge, text, edits, result)


def _line_number(line: str) -> int | None:
    place = line.partition("  ")[0]
    number = place.rpartition(":")[2]
    return int(number) if number.isdigit() else None


def _spellings(text: str, contract) -> dict:
    """{contract name: the file's name for it}: the first of its spellings the file defines at module level."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    out = {}
    for name in contract.names:
        spelled = next((s for s in contract.spellings(name) if s in defined), "")
        if spelled:
            out[name] = spelled
    return out
