"""The fix that works: a minimal change to the learner's own line, in their own names, verified before it is shown.

At the first wrong link, small edits of the learner's statement are proposed (one change each:
the operands of a difference swapped, a `.T` dropped, `/ m` added or removed, `//` made `/`,
`keepdims=True` or `axis=0` given, a layer's digit or an A/Z swapped in a name or a key, a
learning-rate factor dropped, the square put inside, `np.max` made `np.maximum`, the statement
deleted...). The same edits are tried on the statements it reads that the file does not return
(an intermediate) and on the return line of a helper it calls. An edit whose statement reads
back into the notes' grammar is first evaluated on the failing cases and kept only when it gives
the notes' value there; the others are kept in order. Each remaining edit (at most `MAX_RUNS`)
makes a new source that is judged again in the same batch, with the same cases and reference
(`Session.rejudge`): the first one after which every case passes, or the first wrong value is a
later link of the chain, is the repair. No other repair is ever shown.

One module of over 400 lines: the edits of the chain's links and their verification; the
pieces' edits live in `pieces.edits`. The edit generators would move out first.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torchref.checker.diagnosis import source as reading

if TYPE_CHECKING:  # the report and the chain are what this module reads, never what it imports at run time
    from torchref.chain import Chain, Link
    from torchref.checker.report import FileReport, JSONObject

MAX_RUNS = 16  # edited sources judged again at most, per file
_RATES = ("lr", "alpha", "learning_rate", "eta", "rate")


@dataclass(frozen=True)
class Edit:
    number: int  # the line in the judged source, 1-based
    before: str  # the line as written
    after: str  # the line that replaces it; "" deletes it


def repaired(text: str, edit: Edit) -> str:
    lines = text.split("\n")
    lines[edit.number - 1] = edit.after
    return "\n".join(lines)


# ---- where to edit -------------------------------------------------------------------------------


def _helpers(tree: ast.AST) -> dict[str, list[ast.stmt]]:
    """Module-level helpers: name -> the statements whose values they return (a def's returns, a lambda)."""
    out: dict[str, list[ast.stmt]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            out[node.name] = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = [node]
    return out


def _sites(tree: ast.AST, fn: ast.AST, statement: ast.stmt | ast.expr) -> list[ast.stmt | ast.expr]:
    """The statements to edit: the learner's line, the local values it reads (not returned), the helpers it calls."""
    sites: list[ast.stmt | ast.expr] = [statement]
    helpers = _helpers(tree)
    value = getattr(statement, "value", None)
    if value is None:
        return sites
    for target in getattr(statement, "targets", []):  # X_scaled[:, j] = ...: where X_scaled was made
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            made = [a for a in reading._assignments(fn, target.value.id) if a.lineno < statement.lineno]
            sites += [a for a in made[-1:] if isinstance(a, ast.Assign)]
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id not in ("X", "Y", "m", "np"):
            assigned = [a for a in reading._assignments(fn, node.id) if a.lineno < statement.lineno]
            sites += assigned[-1:]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
            sites += helpers[node.func.id]
    for site in list(sites[1:]):  # one level further: a helper's own helpers, an intermediate's helper
        for node in ast.walk(site):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
                sites += [h for h in helpers[node.func.id] if h not in sites]
    return list(dict.fromkeys(sites))


# ---- the edits of one statement ------------------------------------------------------------------


def _m_name(fn: ast.AST) -> str:
    """How the learner's function names the number of examples: their `m` when they set it from X, else X.shape[0]."""
    for a in reading._assignments(fn, "m"):
        if isinstance(a, ast.Assign) and "shape" in ast.unparse(a.value):
            return "m"
    return "X.shape[0]"


def _expression(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _variants(
    node: ast.AST, m: str, fn: ast.AST | None = None, tree: ast.Module | None = None
) -> Iterator[tuple[ast.AST, str]]:
    """Every copy of `node` with one change (the tree of the copy, a short label of the change)."""
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        new = copy.deepcopy(node)
        new.value = ast.BinOp(new.value, ast.Div(), _expression(m))
        yield new, "add m"
    if tree is not None and _small_terms(node, tree):
        yield _without_small_terms(node, tree), "no eps"  # A + eps: every small constant added, left out
    nodes = list(ast.walk(node))
    for i, n in enumerate(nodes):
        # `change` mutates the copy's node that is `n` here, a node of the kind tested before each call
        def edited(change: Callable[[Any], object], i: int = i) -> ast.AST:
            new = copy.deepcopy(node)
            target = list(ast.walk(new))[i]
            change(target)
            return new

        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub):
            yield edited(_swap), "swap"
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)):  # + for −, − for +
            yield edited(lambda t: setattr(t, "op", ast.Sub() if isinstance(t.op, ast.Add) else ast.Add())), "sign"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv):
            yield edited(lambda t: setattr(t, "op", ast.Div())), "div"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and isinstance(n.left, ast.BinOp):
            inner = n.left  # (1 - A) ** 2 -> 1 - A ** 2
            if isinstance(inner.op, ast.Sub):
                yield edited(lambda t: _square_inside(t)), "square inside"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and isinstance(n.right, (ast.Name, ast.Subscript)):
            yield edited(lambda t: setattr(t, "right", ast.BinOp(t.right, ast.Pow(), ast.Constant(2)))), "square"
        if isinstance(n, ast.Attribute) and n.attr == "T":
            yield _replace(node, i, n.value), "no T"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
            swapped = ast.BinOp(_t(n.right), ast.MatMult(), _t(n.left))
            yield _replace(node, i, swapped), "swap product"
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)):
            for side, other in (("left", "right"), ("right", "left")):
                part = getattr(n, side)
                text = ast.unparse(part)
                is_m = text in ("m", "(1 / m)", "1 / m", "X.shape[0]") or text.endswith(" / m")
                rate = isinstance(part, ast.Name) and part.id.lower() in _RATES
                if (rate or (is_m and (side == "right" or isinstance(n.op, ast.Mult)))) and not (
                    side == "left" and isinstance(n.op, ast.Div)
                ):
                    yield _replace(node, i, getattr(n, other)), "drop factor"
        if isinstance(n, ast.Call):
            name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            if name in ("sum", "mean"):
                keywords = {k.arg: k for k in n.keywords}
                if "keepdims" not in keywords:
                    yield edited(lambda t: t.keywords.append(ast.keyword("keepdims", ast.Constant(True)))), "keepdims"
                axis = keywords.get("axis")
                if axis is None or not (isinstance(axis.value, ast.Constant) and axis.value.value == 0):
                    yield edited(lambda t: _axis0(t)), "axis 0"
                else:  # axis=0 where the other axis belongs (a softmax over the classes)
                    yield edited(lambda t: _axis0(t, 1)), "axis 1"
            if name == "max" and isinstance(n.func, ast.Attribute):
                yield edited(lambda t: setattr(t.func, "attr", "maximum")), "maximum"
            if name in ("zeros", "ones", "zeros_like") and not any(k.arg == "dtype" for k in n.keywords):
                yield (
                    edited(lambda t: t.keywords.append(ast.keyword("dtype", _expression("X.dtype")))),
                    "dtype",
                )
        if isinstance(n, ast.Name) and n.id == "m" and m != "m":
            yield _replace(node, i, _expression(m)), "m from X"
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            yield _replace(node, i, n.operand), "no minus"
        if not (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)):  # a value read, never the one stored
            for new_name in _renamed(n):
                yield edited(functools.partial(_rename, new=new_name)), "name"
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and _index_of_a_row(n.slice):
            row = ast.Subscript(n.value, ast.Slice(n.slice, ast.BinOp(n.slice, ast.Add(), ast.Constant(1))), ast.Load())
            yield _replace(node, i, ast.Attribute(row, "T", ast.Load())), "row as a column"  # X[i] -> X[i:i + 1].T
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) and isinstance(n.right, ast.Name):
            bias = "b" + n.right.id[1:] if n.right.id.startswith("W") else ""
            if bias and fn is not None and reading._assignments(fn, bias):
                yield _replace(node, i, ast.BinOp(n, ast.Add(), ast.Name(bias, ast.Load()))), "bias"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add) and isinstance(n.right, ast.Name):
            yield _replace(node, i, ast.BinOp(n.left, ast.Add(), _t(n.right))), "bias transposed"  # + b1.T
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "str" and n.args:
            for step in (ast.Sub(), ast.Add()):  # "A" + str(l): the layer before or after
                moved = ast.Call(n.func, [ast.BinOp(n.args[0], step, ast.Constant(1))], [])
                yield _replace(node, i, moved), "layer"
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "np.maximum" and len(n.args) == 2:
            zero = [isinstance(a, ast.Constant) and a.value == 0 for a in n.args]
            if any(zero) and not all(zero):
                x = n.args[zero.index(False)]
                derivative = _expression(f"({ast.unparse(x)} > 0).astype({ast.unparse(x)}.dtype)")
                yield _replace(node, i, derivative), "relu prime"
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            for part in (n.left, n.right):  # a factor that does not belong (b updated with x)
                yield _replace(node, i, part), "drop operand"
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in _LETTERS:
            yield _rename_all(node, n.id, _LETTERS[n.id]), "name"  # log(Z) for log(A), every one
        if isinstance(n, ast.Constant) and n.value in _LETTERS:  # cache["Z"] for cache["A"]
            yield edited(lambda t: setattr(t, "value", _LETTERS[t.value])), "name"
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "exp":
            arg = n.args[0] if n.args else None
            if arg is not None:
                negated = arg.operand if isinstance(arg, ast.UnaryOp) else ast.UnaryOp(ast.USub(), arg)
                yield edited(functools.partial(_first_argument, arg=negated)), "exp sign"


_LETTERS = {"A": "Z", "Z": "A", "a": "z", "z": "a"}  # a layer's A and Z without digits (the one-layer models)
_LAST = (
    "drop operand",
    "minus",
    "per column",
    "range of bounds",
    "off by one",
)  # broad changes: tried after the precise ones


def _small(node: ast.AST, tree: ast.Module | None) -> bool:
    """A number at most 1e-3 (not 0), written or read from a module constant (eps = 1e-6)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return 0 < abs(node.value) <= 1e-3
    if isinstance(node, ast.Name):
        found = reading._module_value(tree, node.id)
        return found is not None and found[0] is not None and 0 < abs(found[0]) <= 1e-3
    return False


def _small_terms(root: ast.AST, tree: ast.Module | None) -> list[ast.BinOp]:
    return [n for n in ast.walk(root) if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub))
            and (_small(n.right, tree) or _small(n.left, tree))]  # fmt: skip


def _without_small_terms(root: ast.AST, tree: ast.Module | None) -> ast.AST:
    """`root` with every `x + eps` (a small constant added or taken away) made `x`."""
    root = copy.deepcopy(root)
    for _ in range(20):
        terms = _small_terms(root, tree)
        if not terms:
            break
        n = terms[0]
        root = _replace(root, list(ast.walk(root)).index(n), n.left if _small(n.right, tree) else n.right)
    return root


def _rename_all(root: ast.AST, old: str, new: str) -> ast.AST:
    root = copy.deepcopy(root)
    for n in ast.walk(root):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id == old:
            n.id = new
    return root


def _index_of_a_row(index: ast.AST) -> bool:
    """X[i]: one integer index (a loop's variable), which takes a row as a 1-D array."""
    return isinstance(index, ast.Name) or isinstance(index, ast.Constant) and type(index.value) is int


def _swap(t: ast.BinOp) -> None:
    t.left, t.right = t.right, t.left


def _square_inside(t: ast.BinOp) -> None:
    """(1 - A) ** 2 made 1 - A ** 2 in place; a power of anything else than a difference is left as it is."""
    inner = t.left
    if not isinstance(inner, ast.BinOp):
        return
    t.__class__ = ast.BinOp
    t.left, t.op, t.right = inner.left, ast.Sub(), ast.BinOp(inner.right, ast.Pow(), t.right)


def _axis0(call: ast.Call, axis: int = 0) -> None:
    call.keywords = [k for k in call.keywords if k.arg != "axis"] + [ast.keyword("axis", ast.Constant(axis))]
    if len(call.args) > 1:
        call.args = call.args[:1]


def _t(n: ast.expr) -> ast.expr:
    """n transposed, without a double .T."""
    return n.value if isinstance(n, ast.Attribute) and n.attr == "T" else ast.Attribute(n, "T", ast.Load())


def _replace(root: ast.AST, index: int, new: ast.AST) -> ast.AST:
    """A copy of root with its index-th node (in ast.walk order) replaced by `new`."""
    root = copy.deepcopy(root)
    nodes = list(ast.walk(root))
    old = nodes[index]
    if old is root:
        return copy.deepcopy(new)
    for parent in nodes:
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, copy.deepcopy(new))
                return root
            if isinstance(value, list) and any(v is old for v in value):
                setattr(parent, field, [copy.deepcopy(new) if v is old else v for v in value])
                return root
    return root


def _renamed(n: ast.AST) -> list[str]:
    """Other names a learner mixes up with a name or key: another layer's digit, A for Z and Z for A."""
    text = n.id if isinstance(n, ast.Name) else n.value if isinstance(n, ast.Constant) else None
    if not isinstance(text, str) or not text or len(text) > 4 or not text[-1].isdigit():
        return []
    stem, digit = text.rstrip("0123456789"), int(text[len(text.rstrip("0123456789")) :])
    out = [f"{stem}{d}" for d in (digit - 1, digit + 1) if d >= 1]
    swap = {"A": "Z", "Z": "A", "dA": "dZ", "dZ": "dA", "a": "z", "z": "a", "dz": "da", "da": "dz"}
    if stem in swap:
        out.append(f"{swap[stem]}{digit}")
    return out


def _rename(t: ast.Name | ast.Constant, new: str) -> None:
    if isinstance(t, ast.Name):
        t.id = new
    else:
        t.value = new


def _first_argument(call: ast.Call, arg: ast.expr) -> None:
    call.args[0] = arg


# the changes that undo a named mistake, tried first
FIRST = {
    "missing-1/m": ("add m",),
    "extra-1/m": ("drop factor",),
    "sign": ("swap", "no minus", "exp sign"),
    "transposed": ("no T", "swap product"),
    "keepdims": ("keepdims",),
    "axis": ("axis 0",),
    "scalar-sum": ("axis 0",),
    "all-zeros": ("div",),
    "z-for-a": ("name",),
    "dA-for-dZ": ("name",),
    "dtype": ("dtype",),
    "square-outside": ("square inside",),
    "tanh-prime-1-minus-A": ("square",),
    "eps": ("no eps",),
}


_NUMPY = (
    (re.compile(r"tanh_prime\((\w+)\)"), r"(1 - \1 ** 2)"),
    (re.compile(r"sigmoid_prime\((\w+)\)"), r"\1 * (1 - \1)"),
    (re.compile(r"relu_prime\((\w+)\)"), r"(\1 > 0).astype(\1.dtype)"),
    (re.compile(r"\btanh\("), "np.tanh("),
    (re.compile(r"\bsigmoid\((\w+)\)"), r"1 / (1 + np.exp(-\1))"),
    (re.compile(r"\bsoftmax\((\w+)\)"), r"np.exp(\1) / np.sum(np.exp(\1), axis=1, keepdims=True)"),
    (re.compile(r"\brelu\((\w+)\)"), r"np.maximum(\1, 0)"),
)


def notes_line(fn: ast.FunctionDef, statement: ast.stmt | ast.expr, link: Link, m: str) -> str:
    """The notes' line for `link` in the learner's names (their locals hold the notes' symbols), or ''."""
    target = reading._target_name(statement)
    if not target or not isinstance(statement, ast.Assign):
        return ""
    code = link.expr.python()
    for pattern, numpy in _NUMPY:
        code = pattern.sub(numpy, code)
    if re.search(r"\b(sigmoid|softmax|relu\w*)\(", code):
        return ""
    local = {
        a.id for n in ast.walk(fn) for a in ast.walk(n) if isinstance(a, ast.Name) and isinstance(a.ctx, ast.Store)
    }
    local |= {a.arg for a in fn.args.args}
    for symbol in link.expr.symbols() - local - {"m", "n"}:  # a loop's Z for the notes' Z3
        stem = symbol.rstrip("0123456789")
        if stem == symbol or stem not in local or not reading._in_loop(fn, statement):
            return ""
        code = re.sub(rf"\b{symbol}\b", stem, code)
    return f"{target} = " + re.sub(r"\bm\b", m, code)


def edits(
    text: str,
    fn: ast.FunctionDef,
    statement: ast.stmt | ast.expr,  # an assignment, a return, or the dict display that holds a key
    tree: ast.Module,
    mistake: str = "",
    link: Link | None = None,
) -> list[Edit]:
    """Every one-change edit of the statements at fault, in order: those that undo the named mistake on the
    learner's line first, then the learner's line, then the statements it reads and the helpers it calls."""
    lines = text.split("\n")
    m = _m_name(fn)
    per_site: list[list[Edit]] = []
    for site in _sites(tree, fn, statement):
        out: list[Edit] = []
        per_site.append(out)
        if site.lineno > len(lines):
            continue
        before = lines[site.lineno - 1]
        indent = before[: len(before) - len(before.lstrip())]
        comment = "  #" + before.split("#", 1)[1] if "#" in before and '"' not in before.split("#", 1)[1] else ""
        target = site.value if isinstance(site, ast.Return) else site
        seen: set[str] = set()
        if site.lineno != site.end_lineno or target is None:  # a statement over lines; a bare `return`
            continue
        variants = list(_variants(target, m, fn, tree))
        first = FIRST.get(mistake, ())
        variants.sort(key=lambda pair: (pair[1] not in first, pair[1] in _LAST))
        for variant, _ in variants:
            new = ast.unparse(variant)
            if isinstance(site, ast.Return):
                new = f"return {new}"
            if new not in seen and new != ast.unparse(site):
                seen.add(new)
                out.append(Edit(site.lineno, before, indent + new + comment))
        if site is statement and link is not None and (new := notes_line(fn, site, link, m)):
            # the notes' line in the learner's names, right after the edits that undo the named mistake
            out.insert(min(len(FIRST.get(mistake, ())), len(out)), Edit(site.lineno, before, indent + new))
        if isinstance(site, ast.AugAssign) and isinstance(site.target, ast.Subscript):
            out.insert(0, Edit(site.lineno, before, ""))  # a parameter changed in place: the line deleted
    undoing = list(per_site[0][: len(FIRST.get(mistake, ())) + 1]) if per_site else []
    rest = [edit for site in per_site for edit in site if edit not in undoing]
    return undoing + rest


# ---- verified -----------------------------------------------------------------------------------


def _named_place(tree: ast.Module | None, report: FileReport) -> tuple[ast.AST | None, ast.stmt | None]:
    """(the function or module it is in, the statement) at the line the report names (`file.py:N  code`)."""
    found = re.match(r".*:(\d+)$", report.line.split("  ", 1)[0]) if report.line else None
    if found is None or tree is None:
        return None, None
    number = int(found.group(1))
    best: tuple[ast.AST | None, ast.stmt | None] = (None, None)
    for owner in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]:
        for node in ast.walk(owner):
            here = isinstance(node, (ast.Assign, ast.AugAssign, ast.Return)) and node.lineno == number
            if here and isinstance(node, ast.stmt) and (best[1] is None or owner is not tree):
                best = (owner, node)
    return best


def attempt(
    rejudge: Callable[[str], FileReport], chain: Chain, report: FileReport, source: bytes | str
) -> JSONObject | None:
    """The verified repair of a wrong file, or None. `rejudge(source) -> FileReport` judges an edited source.

    The line the report names is edited first (a helper's line, an intermediate's, the line that raised),
    then the statement that stores the first wrong value and what it reads."""
    if report.verdict != "wrong" or not report.first_wrong or report.first_wrong not in chain.by_name:
        return None
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    tree = reading.parse(source)
    link = chain[report.first_wrong]
    fn = reading._function(tree, "forward" if link.forward else "backward") if tree else None
    output = link.expr.op == "sub" and "Y" in link.expr.symbols()
    line = reading.line_of(source, link.name, link.forward, output, chain.layers)
    if tree is None or fn is None:
        return None
    owner, named = _named_place(tree, report)
    candidates: list[Edit] = []
    if named is not None and (line is None or named is not line.node):
        candidates += edits(
            text, owner if isinstance(owner, ast.FunctionDef) else fn, named, tree, report.mistake, None
        )
    if line is not None and line.node is not None:
        candidates += [e for e in edits(text, fn, line.node, tree, report.mistake, link) if e not in candidates]
    order = chain.names

    def result(again: FileReport) -> str:
        if again.verdict == "pass":
            return all_pass(again)
        if (
            again.verdict == "wrong"
            and again.first_wrong in order
            and order.index(again.first_wrong) > order.index(report.first_wrong)
            and len(again.errors) <= len(report.errors)  # no case raises that did not
            and _compared_right(again, report.first_wrong)
        ):
            return f"with this change, {report.first_wrong} is right; next wrong: {again.first_wrong}"
        return ""

    return verified(rejudge, text, candidates, result)


def _compared_right(again: FileReport, name: str) -> bool:
    """`name` was judged in some of the edited file's cases and failed none (returned and right, or an optional
    value not returned): not merely never reached (every case raising at a later line leaves it "not run", which
    is no evidence that it is right)."""
    return any(t.name == name and t.status in ("ok", "not given") and t.cases and not t.failed for t in again.tensors)


def all_pass(again: FileReport) -> str:
    return f"with this change, all {again.cases} cases pass"


def verified(
    rejudge: Callable[[str], FileReport], text: str, candidates: list[Edit], result: Callable[[FileReport], str]
) -> JSONObject | None:
    """The repair every report shows: the first of `candidates` (at most `MAX_RUNS` are judged) whose edited
    source, judged again (`rejudge(source) -> FileReport`), is one: `result(again)` says what the change does
    ("" when it is not a repair). {"line", "before", "after", "result"}, or None."""
    for edit in candidates[:MAX_RUNS]:
        said = result(rejudge(repaired(text, edit)))
        if said:
            return {"line": edit.number, "before": edit.before.strip(), "after": edit.after.strip(), "result": said}
    return None
