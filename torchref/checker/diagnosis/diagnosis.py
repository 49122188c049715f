"""Why a tensor is wrong: its own line of the notes, the known mistakes, and what the learner computed.

The chain (`torchref.chain`) is walked in the notes' order. A tensor is compared with the
reference, and also with what its own line of the notes gives from the learner's *own*
upstream values (`own_line`): a tensor that is wrong although its line is right is an echo
of an earlier mistake, and the first tensor whose line is wrong is the first wrong link.

There, `explain` names the cause from every failing case at once: first the catalogue of
known mistakes (`mistakes.py`, the fast pass, and the names a class report counts), then
a bounded search for the formula the learner computed (`reconstruct.py`). A formula is
stated only when it gives the learner's value in every failing case; otherwise the
report says that nothing within the search's budget reproduces it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torchref.chain import Chain, Expr, Link, environment
from torchref.checker.diagnosis import mistakes, reconstruct, verify
from torchref.checker.diagnosis.failing import Failing
from torchref.checker.diagnosis.mistakes import Case, Env
from torchref.checker.report import NO_CAUSE
from torchref.registry import Sample, Shape

SEARCH_CASES = 3  # failing cases of distinct shapes searched at once (the others then confirm)


@dataclass
class Cause:
    mistake: str = ""  # a catalogue name, "" when none explains every case
    sentence: str = ""  # what the learner reads
    computed: str = ""  # the learner's value as a NumPy expression of the notes' symbols, "" when unknown
    formula: str = ""  # the same in the notes' symbols: "dZ1 = dA1 ⊙ σ′(A1)"
    explained: int = 0
    cases: int = 0
    searched: int = 0  # candidates the search spent (0: the catalogue sufficed)
    upstream: str = ""  # the value the file does not return where the named mistake is (dZ2 for dW2)


def case_environment(s: Sample, cache: dict[str, Any], mine: dict[str, Any], ref: dict[str, Any]) -> Env:
    """The symbols of a case: the learner's forward values (`cache`: what their backward received) and
    backward values where they returned them, the reference's elsewhere."""
    forward = {k: v for k, v in cache.items() if k[:1] in ("Z", "A")}
    backward = {k: mine.get(k, v) for k, v in ref.items() if k.startswith("d")}
    forward |= {k: mine[k] for k in mine if k[:1] in ("Z", "A") and k in ref}
    return environment(s.X, s.Y, s.params, forward, backward)


def own_line(link: Link, env: Env) -> NDArray[Any] | None:
    """What the notes' line for the link gives from the learner's upstream values; None when it cannot."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(link.expr.evaluate(env))
    except (ValueError, KeyError, TypeError, IndexError):  # the learner's upstream has the wrong shape
        return None


def _special(failing: list[Failing]) -> Cause | None:
    """A wrong dtype or NaN/inf in every failing case: said as such, before any formula."""
    G = [np.asarray(f.G) for f in failing]
    if all(g.dtype != f.expected.dtype for g, f in zip(G, failing)):
        g, f = G[0], failing[0]
        promoted = all(g.dtype.kind == "f" and g.shape == f.expected.shape for g, f in zip(G, failing))
        text = f"dtype {g.dtype} where the inputs are {f.expected.dtype}" + (
            ": a float64 constant or array (np.float64, np.ones, np.array([...])) promoted the computation"
            if promoted
            else ""
        )
        return Cause("dtype", text, explained=len(failing), cases=len(failing))
    bad = [g for g in G if g.dtype.kind in "fc" and not np.isfinite(g).all()]
    if len(bad) == len(G):
        count = sum(int(np.count_nonzero(~np.isfinite(g))) for g in bad)
        total = sum(g.size for g in bad)
        return Cause("nan", f"NaN/inf values ({count} of {total}): a log or a division by 0?", explained=len(G),
                     cases=len(G))  # fmt: skip
    return None


def _search_cases(failing: list[Failing]) -> list[Failing]:
    """A few failing cases of distinct shapes, float64 first, the ones with every size > 1 and small first."""

    def order(f: Failing) -> tuple[bool, bool, bool, int]:
        sizes = (f.shape.m, f.shape.n, *f.shape.hidden)
        return (f.dtype != "float64", min(sizes) < 2, len(set(sizes)) < len(sizes), int(np.prod(sizes)))

    chosen: list[Failing] = []
    shapes: set[Shape] = set()
    for f in sorted(failing, key=order):
        if f.shape not in shapes:
            chosen.append(f)
            shapes.add(f.shape)
    return chosen[:SEARCH_CASES]


def _triples(failing: list[Failing]) -> list[Case]:
    return [(f.env, np.asarray(f.G, np.float64), f.dtype) for f in failing]


def explain(
    link: Link, chain: Chain, failing: list[Failing], search: bool = True, statement: ast.AST | None = None
) -> Cause:
    """The cause at the first wrong link, from every failing case at once; only what is verified (`verify`).

    `statement`: the learner's statement that made the value (a syntax tree), when it is known:
    a label naming a mechanism is said only when the statement shows it.
    """
    n = len(failing)
    special = _special(failing)
    if special is not None:
        return special
    if verify.all_zeros(failing):
        floor = verify.floor_division(statement)
        text = f"your {link.name} is all zeros in every failing case" + (
            f": `{floor}` is integer (floor) division, 0 for every m > 1; the notes divide by m with 1 / m"
            if floor
            else ""
        )
        return Cause("all-zeros", text, explained=n, cases=n)
    cases = _triples(failing)
    given = frozenset.intersection(*(f.given for f in failing))
    found = mistakes.best(link, chain, cases, given=given, allowed=lambda name: verify.shown(name, statement))
    cause = Cause(cases=n)
    if (
        found is not None
        and found.explained == n
        and not (found.expr is not None and verify.degenerate(found.expr, failing))
    ):
        cause.mistake, cause.sentence, cause.explained = found.mistake.name, found.sentence(link), found.explained
        cause.upstream = found.upstream
        if found.expr is not None:
            cause.computed, cause.formula = found.expr.python(), said(link, found.expr)
    if cause.explained < n and search:
        chosen = _search_cases(failing)
        if len({f.shape for f in chosen}) >= 2:
            expr, cause.searched = reconstruct.search(link, chain, _triples(chosen))
            values = [mistakes.evaluate(expr, env) for env, _, _ in cases] if expr is not None else []
            if (
                expr is not None
                and all(v is not None and mistakes.close(v, G, d) for v, (_, G, d) in zip(values, cases))
                and not verify.degenerate(expr, failing)
            ):
                cause.computed, cause.formula = expr.python(), said(link, expr)
                cause.mistake = cause.sentence = cause.upstream = ""
                cause.explained = n
    return cause


def said(link: Link, expr: Expr) -> str:
    short, long = expr.text(), expr.text(expand=True)
    return f"{link.name} = {short}" + (f" = {long}" if long != short else "")


def sentence(link: Link, chain: Chain, cause: Cause) -> str:
    """The one sentence a learner reads about the first wrong link."""
    layer = chain.layer_text(link.name)
    where = f"{layer}: " if layer else ""
    parts = []
    if cause.sentence and cause.explained == cause.cases:  # a label for part of the cases is no cause
        parts.append(cause.sentence)
    if cause.formula:
        parts.append(f"you computed {cause.formula}; the notes: {link.formula}")
    if not parts:
        parts.append(f"{NO_CAUSE}; the notes: {link.formula}")  # the views that show the small case point to it
    return where + "; ".join(parts)


def catalogue_only(link: Link, chain: Chain, failing: list[Failing], statement: ast.AST | None = None) -> str:
    """A short diagnosis for a wrong tensor after the first (the table's column): the catalogue only."""
    return sentence(link, chain, explain(link, chain, failing, search=False, statement=statement))
