"""What did the learner compute? A bounded search for the expression that reproduces their value.

At the first wrong link, expressions over the symbols available there (X, Y, the
parameters, the forward values, the backward values upstream of the link, the sizes m, n,
h and the constants 1 and 2) are built with the grammar of `torchref.chain` (matmul and
transposes, ⊙ + − /, the activations and their derivatives, sums over an axis with or
without keepdims, the first row or column, ravel), and one is kept when it gives the
learner's value on every case searched at once: a few cases of different shapes, so that
a coincidence of one shape (m = n, h = 1) cannot pass.

The search is small-first and bounded by a number of candidates fixed in advance
(`BUDGET`), in two parts:

- a bank of every expression of up to three nodes over all available symbols, and of up
  to four over the symbols of the notes' line and their neighbours (A ↔ Z of a layer,
  dZ ↔ dA, the layers before and after), each kept once per distinct value;
- edits of the notes' line: any one node replaced by a bank entry of its shape, by one of
  its operands, or by the same operands under another operation; any node wrapped in an
  operation (with a bank entry as the other operand).

Of the expressions that match, the smallest is returned.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

from torchref.chain import BINARY, FUNCTIONS, ONE, SIZES, SUMS, TWO, UNARY, Chain, Expr, Link, S, apply, op
from torchref.checker.diagnosis.mistakes import Case, Env, close

BUDGET = 30_000  # candidate expressions evaluated at most, per search
ELEMENTWISE = ("neg", "square", *FUNCTIONS)
SHAPE_OPS = ("T", *SUMS, "row0", "col0", "ravel")

# a value on a case: an array of float64 (a symbol, an operation), or a number (a size, a constant)
Value = NDArray[np.float64] | float
Path = tuple[tuple[Expr, int], ...]  # from the root to a node: (parent, argument index), ...


def available(link: Link, chain: Chain, env: Env) -> list[str]:
    """The symbols a learner could use at `link`: inputs, parameters, forward values, upstream backward values."""
    upstream = set(chain.upstream(link.name))
    names = ["X"] if link.forward else ["X", "Y"]
    names += [k for k in env if k[0] in "Wb" and k[1:].isdigit() or k in ("W", "b")]
    names += [n for n in chain.names if n in upstream]
    return [n for n in dict.fromkeys(names) if n in env]


def neighbours(link: Link, chain: Chain, names: list[str]) -> list[str]:
    """The symbols of the notes' line, and those a learner mixes them up with."""
    out = list(dict.fromkeys(s for s in link.expr.symbols() if s not in SIZES))
    for s in list(out):
        stem = s.rstrip("0123456789")
        digits = s[len(stem) :]
        kinds = {"A": ("A", "Z", "dA", "dZ"), "Z": ("Z", "A"), "dZ": ("dZ", "dA"), "dA": ("dA", "dZ"), "X": ()}
        for kind in kinds.get(stem, ()):
            for d in {int(digits) - 1, int(digits), int(digits) + 1} if digits else {""}:
                name = f"{kind}{d}"
                if name in names and name not in out:
                    out.append(name)
        if s == "X" or (digits == "1" and stem == "A"):
            for name in ("X", "A1", "Z1"):
                if name in names and name not in out:
                    out.append(name)
    return out


class _Search:
    def __init__(self, link: Link, chain: Chain, cases: list[Case], budget: int):
        self.cases, self.budget = cases, budget
        self.env0, self.G0, self.dtype0 = cases[0]
        self.spent = 0
        self.found: list[Expr] = []
        self.seen: dict[tuple[tuple[int, ...], bytes], Expr] = {}  # value key -> expression (the first, smallest)
        self.memo: dict[int, Value] = {}  # id(expr) -> value on the first case
        self.banked: dict[int, set[int]] = {}  # id(level) -> ids of the expressions in it

    def value(self, e: Expr) -> Value | None:
        """e on the first case (bank entries are looked up, not re-evaluated), or None when it does not compute."""
        got = self.memo.get(id(e))
        if got is not None:
            return got
        if e.op == "sym":
            return self.env0.get(e.name)
        if e.op == "const":
            return float(e.name)
        args = [self.value(a) for a in e.args]
        if any(a is None for a in args):
            return None
        try:
            with np.errstate(all="ignore"):
                v: Value = apply(e.op, *args)
        except (ValueError, IndexError, TypeError):
            return None
        return v

    def consider(self, e: Expr, v: Value | None = None) -> bool:
        """Spend one candidate on e; keep it when it gives the learner's value on every case. False: budget spent."""
        if self.spent >= self.budget:
            return False
        self.spent += 1
        v = self.value(e) if v is None else v
        if v is None or np.shape(v) != self.G0.shape or not close(v, self.G0, self.dtype0):
            return True
        if all(_gives(e, env, G, dtype) for env, G, dtype in self.cases[1:]):
            self.found.append(e)
        return True

    def bank_add(self, e: Expr, bank: list[Expr]) -> bool:
        """Add e to a bank level unless its value is known; a value known from another bank joins this one."""
        got = self.value(e)
        if got is None or not np.all(np.isfinite(got)) or np.size(got) > 10_000:
            return self.spent < self.budget
        v = np.asarray(got, np.float64)
        key = (v.shape, np.round(v, 9).tobytes())
        if key in self.seen:
            known = self.seen[key]
            if id(known) not in self.banked.setdefault(id(bank), set()) and known.size == e.size:
                self.banked[id(bank)].add(id(known))
                bank.append(known)
            return self.spent < self.budget
        self.banked.setdefault(id(bank), set()).add(id(e))
        self.seen[key] = e
        self.memo[id(e)] = v
        bank.append(e)
        return self.consider(e, v)


def _gives(e: Expr, env: Env, G: NDArray[np.float64], dtype: str) -> bool:
    try:
        with np.errstate(all="ignore"):
            v = np.asarray(e.evaluate(env), np.float64)
    except (ValueError, IndexError, TypeError, KeyError):
        return False
    return close(v, G, dtype)


def search(link: Link, chain: Chain, cases: list[Case], budget: int = BUDGET) -> tuple[Expr | None, int]:
    """(the smallest expression giving the learner's value on every case, candidates spent); None: none within budget.

    `cases` are [(env, G, dtype)]: the symbols of a case as float64 (chain.environment),
    the learner's value there, and the case's dtype.
    """
    s = _Search(link, chain, cases, budget)
    names = available(link, chain, s.env0)
    sizes = [S(k) for k in SIZES if k in s.env0] + [ONE, TWO]
    scalars = {id(e) for e in sizes}
    leaves = [S(n) for n in names]
    near = [S(n) for n in neighbours(link, chain, names)]
    try:
        _edits(s, link.expr, [], sizes, leaves, sizes)  # the edits that need no bank, first
        bank = _bank(s, leaves, sizes, scalars, 3)
        focused = _bank(s, near, sizes, scalars, 4, skip=len(near) == 0)
        _edits(s, link.expr, bank + focused, sizes + [e for e in bank if e.size <= 2], [], [], cheap=False)
    except _Spent:
        pass
    if not s.found:
        return None, s.spent
    return min(s.found, key=lambda e: (e.size, len(e.text()))), s.spent


def _broadcasting(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The shape itself, then the shapes that broadcast to it with some of its axes of length 1."""
    out = [shape]
    for mask in itertools.product((False, True), repeat=len(shape)):
        smaller = tuple(1 if m else d for m, d in zip(mask, shape))
        if smaller not in out:
            out.append(smaller)
    return out


class _Spent(Exception):
    pass


def _bank(
    s: _Search, leaves: list[Expr], sizes: list[Expr], scalars: set[int], depth: int, skip: bool = False
) -> list[Expr]:
    """Every expression of up to `depth` nodes over `leaves`, once per distinct value (arrays only)."""
    if skip:
        return []
    levels: dict[int, list[Expr]] = {1: []}
    for e in leaves:
        if not s.bank_add(e, levels[1]):
            raise _Spent
    for size in range(2, depth + 1):
        levels[size] = []
        for e in levels[size - 1]:
            for name in UNARY:
                if not s.bank_add(op[name](e), levels[size]):
                    raise _Spent
        for left in range(1, size - 1):
            right = size - 1 - left
            pool_l = levels[left] + (sizes if left == 1 else [])
            pool_r = levels[right] + (sizes if right == 1 else [])
            for a, b in itertools.product(pool_l, pool_r):
                if id(a) in scalars and id(b) in scalars:
                    continue
                for name in BINARY:
                    if name == "matmul" and (id(a) in scalars or id(b) in scalars):
                        continue
                    if not s.bank_add(op[name](a, b), levels[size]):
                        raise _Spent
    return [e for size in sorted(levels) for e in levels[size]]


def _positions(e: Expr, path: Path = ()) -> Iterator[tuple[Expr, Path]]:
    """Every node of e with its path from the root: ((parent, argument index), ...)."""
    yield e, path
    for i, arg in enumerate(e.args):
        yield from _positions(arg, (*path, (e, i)))


def _rebuild(path: Path, new: Expr) -> Expr:
    for parent, i in reversed(path):
        new = parent._with(i, new)
    return new


def _edits(
    s: _Search,
    notes: Expr,
    bank: list[Expr],
    small: list[Expr],
    leaves: list[Expr],
    sizes: list[Expr],
    cheap: bool = True,
) -> None:
    """The notes' line with one node replaced, dropped, swapped or wrapped.

    Only the path from the edited node to the root is recomputed (the other operands keep
    their values); an expression is built only for a candidate that matches.
    """
    by_shape: dict[tuple[int, ...], list[Expr]] = {}
    for e in bank:
        by_shape.setdefault(np.shape(s.memo[id(e)]), []).append(e)
    positions = list(_positions(notes))
    for node, _ in positions:  # the notes' own sub-expressions are evaluated once
        v = s.value(node)
        if v is not None:
            s.memo[id(node)] = v

    def lift(path: Path, v: Value) -> Value | None:
        try:
            with np.errstate(all="ignore"):
                for parent, i in reversed(path):
                    args = [s.memo[id(a)] for a in parent.args]
                    args[i] = v
                    v = apply(parent.op, *args)
        except (ValueError, IndexError, TypeError, KeyError):
            return None
        return v

    def attempt(path: Path, value: Value | None, make: Expr | Callable[[], Expr]) -> None:
        """`make`: the candidate, or how to build it (built only when its value matches)."""
        if s.spent >= s.budget:
            raise _Spent
        s.spent += 1
        if value is None:
            return
        v = lift(path, value)
        if v is None or np.shape(v) != s.G0.shape or not close(v, s.G0, s.dtype0):
            return
        e = _rebuild(path, make if isinstance(make, Expr) else make())
        if all(_gives(e, env, G, dtype) for env, G, dtype in s.cases[1:]):
            s.found.append(e)

    def compute(name: str, *args: Value | None) -> Value | None:
        try:
            with np.errstate(all="ignore"):
                v: Value = apply(name, *args)
        except (ValueError, IndexError, TypeError):
            return None
        return v

    for node, path in positions:
        v = s.memo.get(id(node))
        if v is None:
            continue
        if node.op == "sym":  # a symbol for another, whatever its shape
            for e in sizes if node.scalar else leaves:
                if e != node:
                    attempt(path, s.value(e), e)
        if not node.scalar:  # the node replaced by another value of its shape, or one that broadcasts to it
            for shape in _broadcasting(np.shape(v)):
                for e in by_shape.get(shape, []):
                    if e != node:
                        attempt(path, s.memo[id(e)], e)
        values = [s.memo.get(id(a)) for a in node.args]
        if cheap:
            for arg, value in zip(node.args, values):  # the node dropped for one of its operands
                attempt(path, value, arg)
            swaps = UNARY if len(node.args) == 1 else BINARY if len(node.args) == 2 else ()
            for name in swaps:  # the same operands under another operation
                if name != node.op and all(x is not None for x in values):
                    attempt(path, compute(name, *values), functools.partial(Expr, name, node.args, "", node.size))
            if not node.scalar:
                for name in UNARY:  # the node wrapped in an operation
                    attempt(path, compute(name, v), functools.partial(op[name], node))
        if node.scalar:
            continue
        for e in small:
            w = s.value(e)
            for name in BINARY:
                attempt(path, compute(name, v, w), functools.partial(op[name], node, e))
                attempt(path, compute(name, w, v), functools.partial(op[name], e, node))
