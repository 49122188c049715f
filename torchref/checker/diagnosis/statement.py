"""The learner's statement at the first wrong link, read against the values: what made the wrong value, and where.

The judge knows the first wrong link and the learner's statement that stores it
(`source.line_of`). That statement is read back into the notes' grammar (`source.translate`:
its locals, the module's constants, the learner's helpers, parameters changed in place) and
evaluated on every failing case. Only what the values confirm is said:

- an intermediate the file does not return, named as a notes' value (`A2 = cache["A1"]`,
  `dZ2 = (A2 - Y) / m`), whose own line gives other values than the notes' one: its line is
  the learner's line;
- a small constant (an eps) without which the statement gives the notes' values in every
  failing case: the difference is said to be tiny and numerical, with its size;
- a global of the notebook or module that the function reads (`m = X_train.shape[0]`): named,
  with its value (the module's number, or the one number that gives the learner's values in
  every failing case), and the line that reads it;
- a parameter changed in place before the statement reads it, and a gradient returned as the
  updated parameter (W − α dW), each seen in the statement read back;
- a helper: with the helper's call read as a value of the notes, the statement gives the
  notes' value, and the helper is called on the notes' argument; so the helper's own line is
  wrong, and both lines are named (the helper's, and the call).

One module of over 400 lines: every reading of the statement (helper, intermediate, global, eps,
in-place, updated parameter) is verified by the same replay of the learner's values; each reading
is a short function beside that replay.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from torchref.chain import SIZES, Expr, S
from torchref.checker.diagnosis import mistakes, verify
from torchref.checker.diagnosis import source as reading
from torchref.contracts import HELPER_NAMES

EPS = 1e-3  # a constant at most this large (and not 0) is an eps: set to 0, does the statement give the notes'?
TINY = 1e-4  # a difference at most this relative to the value's scale is "tiny" (no printed digit of five shows it)
HOLE = "_helper"  # a helper's call read as one symbol
MECHANISMS = ("global", "learning-rate", "eps", "in-place", "updated-parameter", "intermediate")  # seen, not fitted
LEARNING_RATE = re.compile(r"(lr|alpha|eta|α|η|learning_?rate|step_?size)_?\d*$", re.IGNORECASE)  # a rate's names


@dataclass
class Reading:
    """What the values confirm about the learner's statement."""

    sentences: list[str] = field(default_factory=list)  # verified statements of cause, in order
    computed: Expr | None = None  # the statement read back, when it gives the learner's values in every case
    place: int = 0  # the line to name instead of the statement's (a helper's, an intermediate's, an eps's)
    call: int = 0  # the line of the call, when `place` is a helper's
    notes: list[str] = field(default_factory=list)
    mistake: str = ""  # helper | intermediate | eps | global | learning-rate | in-place | updated-parameter
    differs: bool = False  # the statement read back gives other values than the learner's


def _close_all(expr: Expr, failing: list[Any], wanted: Callable[[Any], Any]) -> bool:
    """`expr` gives `wanted(f)` in every failing case."""
    for f in failing:
        value, target = mistakes.evaluate(expr, f.env), wanted(f)
        if value is None or target is None or not mistakes.close(value, np.asarray(target, np.float64), f.dtype):
            return False
    return True


def _symbol(name: str) -> Callable[[Any], Any]:
    """A case's value of the notes' symbol `name`."""
    return lambda f: f.env[name]


def _evaluated(expr: Expr) -> Callable[[Any], Any]:
    """`expr` on a case (None where it does not compute)."""
    return lambda f: mistakes.evaluate(expr, f.env)


def _callee(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _learner(f: Any) -> Any:
    return f.G


def _reference(f: Any) -> Any:
    return f.expected


def _place_text(lines: list[str], number: int) -> str:
    return lines[number - 1].split("#")[0].strip() if 0 < number <= len(lines) else ""


def read(
    line: Any, link: Any, chain: Any, failing: list[Any], source: bytes | str, filename: str, upstream: str = ""
) -> Reading:
    """Everything the values confirm about the learner's statement `line` (source.Line) at `link`; `upstream`:
    the value not returned that the cause already names (its line is named, not said again)."""
    out = Reading()
    if line is None or line.node is None or line.fn is None or not failing:
        return out
    tree = reading.parse(source)
    lines = (source.decode("utf-8", "replace") if isinstance(source, bytes) else source).splitlines()
    expr, scope = line.expr, line.scope
    if expr is None:  # a loop's statement: read again at the pass that makes this link
        looped = _in_loop(line, link, chain, failing, tree)
        expr, scope = looped if looped[0] is not None else (None, scope)
    if expr is not None:
        if _close_all(expr, failing, _learner):
            if not verify.degenerate(expr, failing):
                out.computed = expr
            _explain_agreeing(out, expr, scope, line, link, chain, failing, tree, lines, filename, upstream)
        else:
            out.differs = True
    elif scope is not None:
        _fitted_global(out, line, link, scope, failing, tree, lines, filename)
    if not out.mistake:
        _helper(out, line, link, chain, failing, tree, lines, filename, _reference)
    return out


def upstream(line: Any, link: Any, chain: Any, failing: list[Any], source: bytes | str, filename: str) -> Reading:
    """The statement of a value the file does not return, where the named mistake is (`link`, dZ2 for a wrong
    dW2): the helper it calls when the values show that the helper is wrong there."""
    out = Reading()
    if line is None or line.node is None or line.fn is None or not failing:
        return out
    tree = reading.parse(source)
    lines = (source.decode("utf-8", "replace") if isinstance(source, bytes) else source).splitlines()
    _helper(out, line, link, chain, failing, tree, lines, filename, lambda f: f.env[link.name], None)
    return out


# ---- the statement read back gives the learner's values ----------------------------------------


def _explain_agreeing(
    out: Reading,
    expr: Expr,
    scope: Any,
    line: Any,
    link: Any,
    chain: Any,
    failing: list[Any],
    tree: Any,
    lines: list[str],
    filename: str,
    upstream: str = "",
) -> None:
    read = scope.read if scope is not None else []
    name = link.name
    # a parameter changed in place before this statement reads it
    for entry in read:
        if entry[0] == "in place":
            _, key, statement = entry
            out.sentences.append(
                f"{key} is changed in place at {filename}:{statement.lineno} (`{_place_text(lines, statement.lineno)}`)"
                f" before this line reads it: {name} is computed from the changed value"
            )
            out.place = out.place or statement.lineno
            out.mistake = out.mistake or "in-place"
    # the updated parameter returned as the gradient: P − c·(the notes' value)
    if expr.op == "sub" and expr.args[0].op == "sym" and expr.args[0].name[:1] in ("W", "b"):
        step = expr.args[1]
        if step.op == "mul" and step.args[0].op == "const":
            rate, gradient = float(step.args[0].name), step.args[1]
            if _close_all(gradient, failing, _reference):
                P = expr.args[0].name
                out.sentences.append(
                    f"you returned the updated parameter {P} − {rate:g} {name} (a gradient-descent step with the "
                    f"learning rate α = {rate:g}), not the gradient {name}: the step belongs to update"
                )
                out.mistake = out.mistake or "updated-parameter"
    # a global read by the function
    for entry in read:
        if entry[0] == "global" and entry[2] is not None:
            _, global_name, value, number, statement = entry
            if global_name in SIZES:
                smallest = min(failing, key=lambda f: f.G.size)
                own = smallest.env.get(global_name)
                out.sentences.append(
                    f"{_function_name(line)} reads {global_name} from the module's globals (`{global_name} = "
                    f"{value:g}` at {filename}:{statement.lineno}), not from its arguments (X has {global_name} = "
                    f"{own:g} in the smallest failing case): the line that reads it is {filename}:{number}"
                )
                out.place = out.place or number
                out.mistake = out.mistake or "global"
            elif _scales(expr, value, failing):
                where = f"a global of the file, `{global_name} = {value:g}` at {filename}:{statement.lineno}"
                if LEARNING_RATE.match(global_name):
                    out.sentences.append(
                        f"your {name} is the gradient times the learning rate `{global_name}` = {value:g} ({where}):"
                        f" the learning rate belongs to the update (W ← W − α dW), not to the gradient"
                    )
                    out.mistake = out.mistake or "learning-rate"
                else:
                    out.sentences.append(f"your {name} is the gradient times `{global_name}` = {value:g} ({where})")
                    out.mistake = out.mistake or "global"
                out.place = out.place or number
    # an eps: with the small constant set to 0, the notes' value
    small = sorted({entry[1] for entry in read if entry[0] == "const" and 0 < abs(entry[1]) <= EPS})
    for c in small:
        zeroed = expr.replace(Expr.const(c), Expr.const(0.0))
        if zeroed != expr and _close_all(zeroed, failing, _reference):
            number = min(entry[2] for entry in read if entry[0] == "const" and entry[1] == c)
            out.sentences.append(_eps_sentence(name, c, failing, f"{filename}:{number}"))
            out.place = out.place or number
            out.mistake = out.mistake or "eps"
            break
    # an intermediate the file does not return, named as a notes' value, whose own line is not the notes'
    given = frozenset.union(*(f.given for f in failing))
    for entry in sorted((e for e in read if e[0] == "local"), key=lambda e: e[2].lineno):
        _, local, statement = entry
        if local not in chain.by_name or local in given or statement is line.node or local == name:
            continue
        own = reading.translate(statement.value, line.fn, statement.lineno, scope=reading.Scope(tree))
        if own is None or _close_all(own, failing, _symbol(local)):
            continue
        if all(mistakes.evaluate(own, f.env) is not None for f in failing):
            if local == upstream:  # the cause names it already: its line is the place
                out.place = out.place or statement.lineno
                break
            out.sentences.append(
                f"{local} (your line {filename}:{statement.lineno}: `{_place_text(lines, statement.lineno)}`) "
                f"is not the notes' {chain[local].formula}: {name} is computed from it"
            )
            out.place = out.place or statement.lineno
            out.mistake = out.mistake or "intermediate"
            break


def _scales(expr: Expr, value: float, failing: list[Any]) -> bool:
    """The statement is the notes' value times `value` (a global it reads): with that factor set to 1, it gives
    the notes' value in every failing case."""
    unscaled = expr.replace(Expr.const(value), Expr.const(1.0))
    return unscaled != expr and _close_all(unscaled, failing, _reference)


def _eps_sentence(name: str, c: float, failing: list[Any], where: str) -> str:
    worst_abs = max(float(np.max(np.abs(np.asarray(f.G, np.float64) - f.expected), initial=0)) for f in failing)
    scale = max(float(np.max(np.abs(f.expected), initial=0)) for f in failing) or 1.0
    relative = worst_abs / scale
    size = f"at most {worst_abs:.3g} ({relative:.3g} of its largest value)"
    kind = "a tiny, numerical difference" if relative <= TINY else "a numerical difference"
    return (
        f"{name} differs from the notes' value by {size}: {kind}, from the constant {c:g} (an eps) at {where}; "
        f"with it set to 0 your line gives the notes' {name} in every failing case"
    )


def _function_name(line: Any) -> str:
    return getattr(line.fn, "name", "the function")


# ---- a global whose value the module does not write as a number ---------------------------------


def _fitted_global(
    out: Reading, line: Any, link: Any, scope: Any, failing: list[Any], tree: Any, lines: list[str], filename: str
) -> None:
    """A size (m) read from the module's globals, set there from data: the one number that gives the learner's
    values in every failing case, when there is one."""
    globals_read = [e for e in scope.read if e[0] == "global" and e[2] is None and e[1] in SIZES]
    if not globals_read:
        return
    _, global_name, _, number, statement = globals_read[0]
    trial = reading.Scope(tree, names={global_name: S("_global")})
    expr = reading.translate(line.node.value, line.fn, line.node.lineno, scope=trial)
    if expr is None:
        return
    fitted = []
    for f in failing:
        one = mistakes.evaluate(expr, {**f.env, "_global": 1.0})
        G = np.asarray(f.G, np.float64)
        if one is None or one.shape != G.shape or not np.any(one) or not np.isfinite(G).all():
            return
        c = float((one * G).sum() / (one * one).sum())  # G = c · (the value at 1): c = 1/value or value
        fitted.append(c)
    for value in ({round(1 / c) if c else 0 for c in fitted}, {round(c) for c in fitted}):
        if len(value) != 1:
            continue
        (v,) = value
        if v >= 1 and _close_all(expr.replace(S("_global"), Expr.const(float(v))), failing, _learner):
            out.computed = expr.replace(S("_global"), Expr.const(float(v)))
            smallest = min(failing, key=lambda f: f.G.size)
            where = f"{filename}:{statement.lineno}: `{_place_text(lines, statement.lineno)}`"
            out.sentences.append(
                f"{_function_name(line)} reads {global_name} from the notebook's or module's globals ({where}), "
                f"not from its arguments: your values are those of {global_name} = {v} in every failing case "
                f"(X has {global_name} = {smallest.env.get(global_name, 0):g} in the smallest failing case); "
                f"the line that reads it is {filename}:{number}"
            )
            out.notes.append(f"{_function_name(line)} reads the global {global_name} ({where}); in the check it is {v}")
            out.place = out.place or number
            out.mistake = "global"
            return


# ---- a statement inside a loop ---------------------------------------------------------------------


def _loop_of(fn: ast.AST, node: ast.stmt) -> ast.For | None:
    loops = [n for n in reading.walk(fn) if isinstance(n, ast.For) and n.lineno < node.lineno <= (n.end_lineno or 0)]
    return loops[-1] if loops else None


def _passes(line: Any, chain: Any, tree: Any) -> list[dict[str, int]]:
    """(the loop's variables at each pass, a name's stand-ins) for a statement inside `for l in ...`."""
    loop = _loop_of(line.fn, line.node)
    if loop is None or not isinstance(loop.target, ast.Name):
        return []
    bindings = {}
    for a in reading._assignments(line.fn, "L"):
        if isinstance(a, ast.Assign) and "len(" in ast.unparse(a.value):
            bindings["L"] = chain.layers
    return [{**bindings, loop.target.id: value} for value in range(0, chain.layers + 2)]


def _stand_ins(link: Any, chain: Any, env: dict[str, Any]) -> dict[str, Expr]:
    """A loop's names read as the link's layer: Z → Z2, dA → dA2 (what the values then confirm, or not)."""
    digits = link.name[len(link.name.rstrip("0123456789")) :]
    out = {}
    for stem in ("Z", "A", "dZ", "dA", "W", "b"):
        if stem + digits in env:
            out[stem] = S(stem + digits)
    return out


def _in_loop(line: Any, link: Any, chain: Any, failing: list[Any], tree: Any) -> tuple[Any, Any]:
    """The statement read at the pass of its loop whose reading gives the learner's values (or the first that
    reads at all), with its scope; (None, None) when no pass reads."""
    first: tuple[Any, Any] = (None, None)
    names = _stand_ins(link, chain, failing[0].env)
    target = line.node.targets[0] if isinstance(line.node, ast.Assign) and len(line.node.targets) == 1 else None
    for loop in _passes(line, chain, tree):
        if isinstance(target, ast.Subscript) and reading._key_value(target.slice, loop) != link.name:
            continue  # grads["dW%d" % l] = ...: the pass that stores this link
        scope = reading.Scope(tree, names=names, loop=loop, top=line.node.lineno)
        expr = reading.translate(line.node.value, line.fn, line.node.lineno, scope=scope)
        if expr is None:
            continue
        if _close_all(expr, failing, _learner):
            return expr, scope
        first = first if first[0] is not None else (expr, scope)
    return first


# ---- a helper --------------------------------------------------------------------------------------


def _calls(node: ast.AST, own: dict[str, Any]) -> list[ast.Call]:
    return [
        n for n in reading.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in own
    ]


def _helper(
    out: Reading,
    line: Any,
    link: Any,
    chain: Any,
    failing: list[Any],
    tree: Any,
    lines: list[str],
    filename: str,
    wanted: Callable[[Any], Any],
    learner: Callable[[Any], Any] | None = _learner,
) -> None:
    """The mistake is inside a helper the statement calls: named with its line and the call's."""
    own = reading.helpers(tree)
    value = getattr(line.node, "value", None)
    if value is None:
        return
    names = _stand_ins(link, chain, failing[0].env)
    passes = _passes(line, chain, tree) or [{}]
    for call in _calls(value, own):
        for loop in passes:
            found = _helper_at_fault(call, own[_callee(call)], line, link, failing, tree, names, loop, wanted, learner)
            if found is None:
                continue
            verdict, F, arg, computes, whole_call = found
            definition = own[_callee(call)]
            _, _, statement = reading.helper_parts(definition)
            helper = _callee(call)
            if verdict == "argument":
                out.sentences.append(
                    f"your helper {helper} gives the notes' {F.text(expand=True)} when it is called with {arg}; your "
                    f"line {filename}:{line.node.lineno} calls it with another value"
                )
                out.mistake = out.mistake or "helper-argument"
                return
            code = _place_text(lines, statement.lineno)
            gives = f": it gives {computes.text()}" if computes is not None and not whole_call else ""
            whole = f"{helper}({arg})"
            said = (
                f"your line {filename}:{line.node.lineno} is the notes' {link.name} = {F.text()} with {whole}"
                if whole_call
                else f"your line {filename}:{line.node.lineno} gives the notes' {link.name} when {whole} is "
                f"{F.text(expand=True)}"
            )
            out.sentences.append(
                f"{said}, and {helper} gets the notes' argument there, so the mistake is in your helper {helper} "
                f"({filename}:{statement.lineno}: `{code}`){gives}"
            )
            out.place, out.call = statement.lineno, line.node.lineno
            out.mistake = "helper"
            return


def _helper_at_fault(
    call: ast.Call,
    definition: Any,
    line: Any,
    link: Any,
    failing: list[Any],
    tree: Any,
    names: dict[str, Expr],
    loop: dict[str, int],
    wanted: Callable[[Any], Any],
    learner: Callable[[Any], Any] | None,
) -> tuple[str, Expr, str, Expr | None, bool] | None:
    """("helper", F, arg) when the statement is the notes' with the call read as F and the call's argument is F's;
    ("argument", F, the argument F is of) when the helper gives F from another value than the one it gets."""
    holed = reading.Scope(tree, holes={id(call): S(HOLE)}, names=names, loop=loop, top=line.node.lineno)
    statement = reading.translate(line.node.value, line.fn, line.node.lineno, scope=holed)
    if statement is None or HOLE not in statement.symbols():
        return None
    for F, _ in link.expr.nodes():
        if F.op in ("sym", "const") or F.size < 2:
            continue
        ok = True
        for f in failing:
            value = mistakes.evaluate(F, f.env)
            got = mistakes.evaluate(statement, {**f.env, HOLE: value}) if value is not None else None
            if got is None or not mistakes.close(got, np.asarray(wanted(f), np.float64), f.dtype):
                ok = False
                break
        if not ok:
            continue
        params, body, _ = reading.helper_parts(definition)
        arrays = sorted(s for s in F.symbols() if s not in SIZES)
        if len(call.args) != 1 or len(params) != 1 or len(arrays) != 1:
            return None
        plain = reading.Scope(tree, names=names, loop=loop, top=line.node.lineno)
        arg = reading.translate(call.args[0], line.fn, line.node.lineno, scope=plain)
        if arg is None:
            return None
        inside = reading.Scope(tree, bound={params[0]: S("_argument")})
        where = definition if isinstance(definition, ast.FunctionDef) else definition.value
        helper = reading.translate(body, where, getattr(body, "lineno", 0) + 1, scope=inside)
        whole = statement == S(HOLE)
        computes = helper.replace(S("_argument"), arg) if helper is not None else None
        if helper is not None:  # the helper read back: right for another argument (Z where it got A)?
            for other in _swapped(arg):
                if _close_all(helper.replace(S("_argument"), other), failing, _evaluated(F)):
                    return "argument", F, other.text(), computes, whole
        fed = F.replace(S(arrays[0]), arg)
        if not _close_all(fed, failing, _evaluated(F)):
            return None  # not called on the notes' argument
        if _does_another_function(_callee(call), computes, whole, statement, arg, failing, learner):
            return None  # a right helper of another function: the call chose it (the catalogue says which)
        return "helper", F, arg.text(), computes, whole
    return None


def _named(helper: str) -> str | None:
    """The notes' function a helper's name says it computes (relu, tanh_prime for dtanh), or None."""
    key = helper.lower().strip("_").removeprefix("my_").removeprefix("np_").replace("_", "")
    return next((op_name for op_name, names in HELPER_NAMES.items() if key in names), None)


def _does_another_function(
    helper: str,
    computes: Expr | None,
    whole: bool,
    statement: Expr,
    arg: Expr,
    failing: list[Any],
    learner: Callable[[Any], Any] | None,
) -> bool:
    """Whether the helper computes the notes' function its name says (or, unnamed, some notes' function): then it
    is right, and calling it was the mistake. Its values: read back from its source, or (when the call is the
    whole statement) the learner's own; else the statement with the named function in the call's place must
    give the learner's values."""
    from torchref.chain import FUNCTIONS, op

    def values(f: Any) -> Any:
        if computes is not None:
            return mistakes.evaluate(computes, f.env)
        return np.asarray(learner(f), np.float64) if whole and learner is not None else None

    def same(g: str) -> bool:
        expected = op[g](arg)
        if computes is not None or (whole and learner is not None):
            return all(
                (v := values(f)) is not None
                and (e := mistakes.evaluate(expected, f.env)) is not None
                and mistakes.close(v, e, f.dtype)
                for f in failing
            )
        if learner is None:
            return True  # nothing to tell it by: not said to be wrong
        return _close_all(statement.replace(S(HOLE), expected), failing, learner)

    named = _named(helper)
    if named is not None:
        return same(named)
    if computes is None and not (whole and learner is not None):
        return True
    return any(same(g) for g in FUNCTIONS)


def _swapped(arg: Expr) -> list[Expr]:
    """A and Z of one layer, each for the other."""
    if arg.op != "sym" or arg.name[:1] not in ("A", "Z"):
        return []
    return [S({"A": "Z", "Z": "A"}[arg.name[0]] + arg.name[1:])]
