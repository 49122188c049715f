"""The known mistakes, as data: a name, the sentence a learner reads, and the transform of the notes' line.

Each entry turns the notes' expression of a link (`torchref.chain`) into what a learner
who made that mistake computes: drop the 1/m, use σ′ for tanh′, Z where A belongs, the
wrong axis... `best` evaluates every candidate on the failing cases (each with the
learner's own upstream values) and keeps the entry that explains the most of them. Two
mistakes carry a constant fitted from the cases (a factor; an extra term λ·W, an L2
penalty): they are named only when the constant is the same in every case, and a factor
that changes with the case is first tried against m, n, h, m/n, ... (as entries).

One module of over 400 lines: the catalogue of mistakes is one table (each entry a few lines of data
and its transform); split by kind, a reader would hunt for a mistake across files.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from torchref import tolerances
from torchref.chain import ONE, TWO, Chain, Expr, Link, S, op

PRIME_TEXT = {"tanh_prime": "tanh′ (1 − A²)", "sigmoid_prime": "σ′ (A(1 − A))", "relu_prime": "relu′ ([A > 0])"}
PRIME_NAME = {"tanh_prime": "tanh-prime", "sigmoid_prime": "sigma-prime", "relu_prime": "relu-prime"}

Env = dict[str, Any]  # chain.environment: the notes' symbols (arrays) and sizes (m, n, h: ints)
Case = tuple[Env, NDArray[np.float64], str]  # a failing case: its symbols, the learner's value, the dtype
# what a mistake's transform gives: what the learner computes, or that with what its sentence names ({new}, {prime})
Variant = Expr | tuple[Expr, dict[str, str]]
Rebuild = Callable[[Expr], Expr]


@dataclass(frozen=True)
class Mistake:
    name: str
    sentence: str  # in the notes' symbols; {name} is the link, {notes} its formula, {c} a fitted constant
    # (link, chain) -> what the learner computes with this mistake; None for the fitted ones (FACTOR, EXTRA_TERM),
    # whose expression is fitted from the cases, not drawn from the notes' line
    candidates: Callable[[Link, Chain], Sequence[Variant]] | None


def _nodes(e: Expr, want: Callable[[Expr], bool]) -> list[tuple[Expr, Rebuild]]:
    """(node, rebuild) for every node of e that `want(node)` accepts."""
    return [(n, rebuild) for n, rebuild in e.nodes() if want(n)]


def _replace_ops(e: Expr, old: str, new: str) -> list[Expr]:
    return [rebuild(Expr(new, n.args, "", n.size)) for n, rebuild in _nodes(e, lambda n: n.op == old)]


def _scaled_by_m(e: Expr) -> bool:
    return e.op == "div" and e.args[1] == S("m")


def _g_prime_nodes(e: Expr) -> list[tuple[Expr, Rebuild]]:
    return _nodes(e, lambda n: n.op in PRIME_TEXT)


def _swap_leaf(e: Expr, chain: Chain, pairs: Iterable[tuple[str, str]]) -> list[Expr]:
    out = []
    for n, rebuild in _nodes(e, lambda n: n.op == "sym"):
        for old, new in pairs:
            if n.name.startswith(old) and new + n.name[len(old) :] in chain.by_name:
                out.append(rebuild(S(new + n.name[len(old) :])))
    return out


def _other_primes(link: Link, chain: Chain, wanted: str, found: str) -> list[Expr]:
    return [rebuild(op[wanted](n.args[0])) for n, rebuild in _g_prime_nodes(link.expr) if n.op == found]


def _other_layer(e: Expr, chain: Chain) -> list[Variant]:
    """A forward value of another layer where the notes read this one's (A3 for A2: the loop's index off by one)."""
    out: list[Variant] = []
    for n, rebuild in _nodes(e, lambda n: n.op == "sym" and n.name[:1] in ("A", "Z") and n.name[1:].isdigit()):
        for d in (int(n.name[1:]) - 1, int(n.name[1:]) + 1):
            other = f"{n.name[0]}{d}"
            if other in chain.by_name:
                out.append((rebuild(S(other)), {"new": other, "old": n.name}))
    return out


def _activation_for_prime(link: Link, chain: Chain) -> list[Variant]:
    """g′(A) written as A itself (relu's derivative returning relu: the activation, not its derivative)."""
    return [(rebuild(n.args[0]), {"prime": PRIME_TEXT[n.op]}) for n, rebuild in _g_prime_nodes(link.expr)]


def _output_dZ(link: Link) -> bool:
    return link.expr.op == "sub" and link.expr.args[1] == S("Y")


def _only_row_0(link: Link, chain: Chain) -> list[Expr]:
    e = link.expr
    if not (_scaled_by_m(e) and e.args[0].op == "matmul" and e.args[0].args[0].op == "T"):
        return []
    a, d = e.args[0].args[0].args[0], e.args[0].args[1]
    first = op["matmul"](op["T"](op["row0"](a)), op["row0"](d))
    return [op["div"](first, S("m")), first]


def _broadcast(link: Link, chain: Chain) -> list[Expr]:
    out: list[Expr] = []
    for n, rebuild in _nodes(link.expr, lambda n: n.op in ("sub", "add", "mul")):
        out += [rebuild(n._with(0, op["ravel"](n.args[0]))), rebuild(n._with(1, op["ravel"](n.args[1])))]
    return out


def _prime_mistakes() -> list[Mistake]:
    """σ′ for tanh′, tanh′ for σ′, ...: one entry per pair of activations."""
    out = []
    for found, found_name in PRIME_NAME.items():
        for wanted, wanted_name in PRIME_NAME.items():
            if wanted != found:
                out.append(
                    Mistake(
                        f"{wanted_name}-for-{found_name}",
                        f"{{name}} uses {PRIME_TEXT[wanted]} where the notes use {PRIME_TEXT[found]}",
                        functools.partial(_other_primes, wanted=wanted, found=found),
                    )
                )
    return out


def _other_activation(link: Link, chain: Chain, wanted: str, found: str) -> list[Expr]:
    return [op[wanted](link.expr.args[0])] if link.expr.op == found else []


def _activation_mistakes() -> list[Mistake]:
    """σ where the notes use tanh, ...: a forward line with another activation."""
    names = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "softmax": "softmax"}
    out = []
    for found in names:
        for wanted in names:
            if wanted != found:
                out.append(
                    Mistake(
                        f"{wanted}-for-{found}",
                        f"{{name}} applies {wanted} where the notes apply {found}",
                        functools.partial(_other_activation, wanted=wanted, found=found),
                    )
                )
    return out


CATALOGUE = [
    Mistake(
        "missing-1/m",
        "{name} lacks the 1/m of the mean loss: its values are m times too large",
        lambda link, chain: [link.expr.args[0]] if _scaled_by_m(link.expr) else [],
    ),
    Mistake(
        "extra-1/m",
        "{name} has an extra 1/m: its values are m times too small"
        " (the notes keep the intermediates dZ, dA per example)",
        lambda link, chain: [op["div"](link.expr, S("m"))],
    ),
    Mistake(
        "m-from-columns",
        "{name} is divided by n (the columns of X) instead of m: m = X.shape[0] counts the examples",
        lambda link, chain: [op["div"](link.expr.args[0], S("n"))] if _scaled_by_m(link.expr) else [],
    ),
    Mistake("sign", "{name} has its sign flipped", lambda link, chain: [op["neg"](link.expr)]),
    Mistake(
        "sigma-prime-again",
        "σ′ applied again after BCE: {name} = (A − Y) ⊙ A(1 − A); BCE's ∂L/∂A times σ′ is already A − Y",
        lambda link, chain: [op["mul"](link.expr, op["sigmoid_prime"](link.expr.args[0]))] if _output_dZ(link) else [],
    ),
    *_prime_mistakes(),
    Mistake(
        "g-prime-left-out",
        "{name} leaves out the activation's derivative: the notes multiply by g′ elementwise",
        lambda link, chain: [link.expr.args[0]] if link.expr.op == "mul" and link.expr.args[1].op in PRIME_TEXT else [],
    ),
    Mistake(
        "tanh-prime-1-minus-A",
        "tanh′ written as 1 − A instead of 1 − A²",
        lambda link, chain: [
            rebuild(op["sub"](ONE, n.args[0])) for n, rebuild in _g_prime_nodes(link.expr) if n.op == "tanh_prime"
        ],
    ),  # fmt: skip
    Mistake(
        "square-outside",
        "the square is outside: (1 − A)² instead of 1 − A²",
        lambda link, chain: [
            rebuild(op["square"](op["sub"](ONE, n.args[0])))
            for n, rebuild in _g_prime_nodes(link.expr)
            if n.op == "tanh_prime"
        ],
    ),  # fmt: skip
    Mistake(
        "tanh-prime-from-Z",
        "the derivative is computed from Z instead of A: g′ in the notes is written in terms of A = g(Z)",
        lambda link, chain: [
            rebuild(Expr(n.op, (S("Z" + n.args[0].name[1:]),), "", n.size))
            for n, rebuild in _g_prime_nodes(link.expr)
            if n.args[0].op == "sym"
        ],
    ),  # fmt: skip
    Mistake(
        "first-unit-g-prime",
        "the derivative of the first unit only (A[:, 0]) is used for every unit",
        lambda link, chain: [
            rebuild(Expr(n.op, (op["col0"](n.args[0]),), "", n.size + 1)) for n, rebuild in _g_prime_nodes(link.expr)
        ],
    ),  # fmt: skip
    Mistake(
        "z-for-a", "{name} uses Z where the notes use A", lambda link, chain: _swap_leaf(link.expr, chain, [("A", "Z")])
    ),
    Mistake(
        "dA-for-dZ",
        "{name} uses dA where the notes use dZ",
        lambda link, chain: _swap_leaf(link.expr, chain, [("dZ", "dA")]),
    ),
    Mistake("transposed", "{name} is transposed", lambda link, chain: [op["T"](link.expr)]),
    Mistake(
        "keepdims",
        "{name} is summed without keepdims=True: a 1-D array where the notes keep a row (1, ·)",
        lambda link, chain: _replace_ops(link.expr, "sum_rows", "sum_rows_1d"),
    ),
    Mistake(
        "axis",
        "{name} is summed over the wrong axis (or not summed): the notes sum the rows, axis=0",
        lambda link, chain: (
            _replace_ops(link.expr, "sum_rows", "sum_cols")
            + _replace_ops(link.expr, "sum_rows", "sum_cols_1d")
            + [rebuild(n.args[0]) for n, rebuild in _nodes(link.expr, lambda n: n.op == "sum_rows")]
        ),
    ),
    Mistake(
        "scalar-sum",
        "{name} is summed over both axes: a scalar where the notes sum the rows only (axis=0, keepdims=True)",
        lambda link, chain: _replace_ops(link.expr, "sum_rows", "sum_all"),
    ),
    Mistake(
        "1-d", "{name} is a 1-D (m,) array where the notes keep (m, 1)", lambda link, chain: [op["ravel"](link.expr)]
    ),
    Mistake(
        "broadcast",
        "an (m,) array was broadcast against an (m, 1) one in {name}: the result is (m, m)",
        _broadcast,
    ),
    Mistake("only-row-0", "{name} uses the first example (row 0) only, not all m rows", _only_row_0),
    Mistake(
        "other-layer",
        "{name} uses {new} where the notes use {old}: another layer's value",
        lambda link, chain: _other_layer(link.expr, chain),
    ),
    Mistake(
        "activation-for-derivative",
        "{name} multiplies by the activation A itself where the notes multiply by its derivative {prime}",
        _activation_for_prime,
    ),
    *_activation_mistakes(),
    Mistake("factor-2", "{name} is twice the notes' value", lambda link, chain: [op["mul"](TWO, link.expr)]),
    Mistake("factor-1/2", "{name} is half the notes' value", lambda link, chain: [op["div"](link.expr, TWO)]),
    Mistake("factor-m", "{name} is m times the notes' value", lambda link, chain: [op["mul"](S("m"), link.expr)]),
    Mistake("factor-n", "{name} is n times the notes' value", lambda link, chain: [op["mul"](S("n"), link.expr)]),
    Mistake(
        "factor-1/n", "{name} is the notes' value divided by n", lambda link, chain: [op["div"](link.expr, S("n"))]
    ),
    Mistake("factor-h", "{name} is h times the notes' value", lambda link, chain: [op["mul"](S("h"), link.expr)]),
    Mistake(
        "factor-1/h", "{name} is the notes' value divided by h", lambda link, chain: [op["div"](link.expr, S("h"))]
    ),
    Mistake(
        "factor-n/m",
        "{name} is n/m times the notes' value: m and n swapped?",
        lambda link, chain: [op["div"](op["mul"](S("n"), link.expr), S("m"))],
    ),
]
# fitted: the same constant in every case
FACTOR = Mistake("factor", "{name} is off by a constant factor {c}", None)
EXTRA_TERM = Mistake(
    "extra-term-W", "{name} has an extra term {c} {W} (an L2 penalty?) that the notes do not have", None
)
BY_NAME = {m.name: m for m in [*CATALOGUE, FACTOR, EXTRA_TERM]}
# a candidate of the search: the mistake, what the learner computes, what its sentence names, and the upstream
# value the mistake is in ("" when it is in the link's own line)
Candidate = tuple[Mistake, Expr, dict[str, str] | None, str]


def close(value: ArrayLike, G: NDArray[np.floating[Any]], dtype: str) -> bool:
    """Whether `value` (float64) is the learner's G: same shape, and within the dtype's rounding of its scale."""
    value = np.asarray(value)
    if value.shape != G.shape or not np.isfinite(G).all() or not np.isfinite(value).all():
        return False
    scale = max(float(np.abs(G).max(initial=0)), 1e-12)
    return bool(np.abs(value - G).max(initial=0) <= tolerances.FORMULA[dtype].rtol * scale)


def evaluate(e: Expr, env: Env) -> NDArray[np.float64] | None:
    try:
        with np.errstate(all="ignore"):
            return np.asarray(e.evaluate(env), np.float64)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@dataclass
class Found:
    """The mistake that explains the most failing cases."""

    mistake: Mistake
    expr: Expr | None  # what the learner computes, when one expression explains every case
    explained: int
    cases: int
    constant: str = ""
    upstream: str = ""  # the upstream link where the mistake is, when it is not in the link's own line
    detail: dict[str, str] | None = None  # what the candidate named (the other layer's value, the derivative)

    def sentence(self, link: Link) -> str:
        W = f"W{link.name[2:]}" if link.name.startswith("dW") else ""
        name = self.upstream or link.name
        text = self.mistake.sentence.format(name=name, notes=link.formula, c=self.constant, W=W, **(self.detail or {}))
        if self.upstream:
            text += f" (in {name}, which the file does not return; {link.name} is computed from it)"
        return text


def best(
    link: Link,
    chain: Chain,
    cases: list[Case],
    given: frozenset[str] = frozenset(),
    allowed: Callable[[str], bool] = lambda name: True,
) -> Found | None:
    """The catalogue's entry explaining the most of `cases` ([(env, G, dtype)]), or None when none explains one.

    `given`: the names the learner returned (a mistake is placed upstream only in a value the file does
    not return); `allowed(name)`: whether a mistake's label may be said (its mechanism is in the code).
    """
    candidates = [c for c in _candidates(link, chain) if allowed(c[0].name)]
    top = _search_catalogue(link, chain, cases, candidates)
    if top is None or top.explained < len(cases):  # a mistake in an upstream value the file does not return
        upstream = [c for c in _upstream_candidates(link, chain) if c[3] not in given and allowed(c[0].name)]
        in_upstream = _search_catalogue(link, chain, cases, upstream)
        if in_upstream is not None and (top is None or in_upstream.explained > top.explained):
            top = in_upstream
    if top is not None and top.explained == len(cases):
        return top
    for fitted in (_factor(link, cases), _extra_term(link, cases)):
        if fitted is not None and (top is None or fitted.explained > top.explained):
            top = fitted
    if top is not None and top.explained < len(cases):
        top.expr = None  # it does not say what the learner computed in the other cases
    return top


def _split(candidate: Variant) -> tuple[Expr, dict[str, str] | None]:
    """(expr, detail) of a mistake's candidate: an Expr, or (Expr, what the sentence names)."""
    return candidate if isinstance(candidate, tuple) else (candidate, None)


def _variants(mistake: Mistake, link: Link, chain: Chain) -> Sequence[Variant]:
    return [] if mistake.candidates is None else mistake.candidates(link, chain)


def _candidates(link: Link, chain: Chain) -> list[Candidate]:
    return [(mistake, *_split(c), "") for mistake in CATALOGUE for c in _variants(mistake, link, chain)]


def _upstream_candidates(link: Link, chain: Chain) -> list[Candidate]:
    """The link's own line fed with an upstream link's mistake (dW1 from a dZ1 computed with 1 − A1)."""
    out: list[Candidate] = []
    for name in sorted(link.expr.symbols()):
        up = chain.by_name.get(name)
        if up is None or chain.names.index(name) >= chain.names.index(link.name):
            continue
        for mistake in CATALOGUE:
            for candidate in _variants(mistake, up, chain):
                expr, detail = _split(candidate)
                out.append((mistake, link.expr.replace(S(name), expr), detail, name))
    return out


def _search_catalogue(link: Link, chain: Chain, cases: list[Case], candidates: list[Candidate]) -> Found | None:
    top: Found | None = None
    first = sorted(cases, key=lambda case: case[1].size)[:3]  # a candidate must explain one of the smallest first
    for mistake, expr, detail, upstream in candidates:
        if len(cases) > len(first) and not any(_explains(expr, case) for case in first):
            continue
        k = sum(_explains(expr, case) for case in cases)
        if k and (top is None or k > top.explained):
            top = Found(mistake, expr, k, len(cases), upstream=upstream, detail=detail)
            if k == len(cases):
                return top
    return top


def _explains(expr: Expr, case: Case) -> bool:
    env, G, dtype = case
    v = evaluate(expr, env)
    return v is not None and close(v, G, dtype)


Direction = Callable[[Env], tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]]


def _fit(cases: list[Case], direction: Direction) -> list[float | None]:
    """The constant c with G ≈ R + c·D (direction gives (R, D) per case), per case; None where it does not fit
    (and in a case of one element, where any two numbers differ by a factor)."""
    out: list[float | None] = []
    for env, G, dtype in cases:
        R, D = direction(env)
        if R is None or D is None or R.shape != G.shape or D.shape != G.shape or not np.isfinite(G).all() or G.size < 2:
            out.append(None)
            continue
        dd = float((D * D).sum())
        c = float(((G - R) * D).sum()) / dd if dd else 0.0
        out.append(c if close(R + c * D, G, dtype) and abs(c) > 1e-9 else None)
    return out


def _constant(values: list[float | None], tol: float = tolerances.FACTOR.rtol) -> tuple[float | None, int]:
    """The value shared by the most entries of `values` (None: unfitted), and how many share it."""
    fitted = [v for v in values if v is not None]
    if not fitted:
        return None, 0
    ref = max(fitted, key=lambda c: sum(abs(v - c) <= tol * max(abs(c), 1e-12) for v in fitted))
    return ref, sum(abs(v - ref) <= tol * max(abs(ref), 1e-12) for v in fitted)


def _factor(link: Link, cases: list[Case]) -> Found | None:
    def direction(env: Env) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
        R = evaluate(link.expr, env)
        return (None, None) if R is None else (np.zeros_like(R), R)

    c, k = _constant(_fit(cases, direction))
    if c is None or abs(c - 1) < tolerances.FACTOR_ONE:
        return None
    text = f"{c:.3g}"
    expr = op["mul"](Expr.const(float(text)), link.expr)
    k = max(k, sum(_explains(expr, case) for case in cases))  # a case of one element is explained by the constant
    return Found(FACTOR, expr, k, len(cases), text)


def _extra_term(link: Link, cases: list[Case]) -> Found | None:
    """dW = notes + c·W (c the same in every case), or + (c/m)·W (c·m the same)."""
    if not link.name.startswith("dW"):
        return None
    W = S("W" + link.name[2:])

    def direction(env: Env) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
        return evaluate(link.expr, env), evaluate(W, env)

    fits = _fit(cases, direction)
    best_found: Found | None = None
    for per_m in (False, True):
        values = [None if c is None else c * env["m"] if per_m else c for c, (env, _, _) in zip(fits, cases)]
        c, k = _constant(values)
        if c is None:
            continue
        text = f"{c:.3g}"
        term = (
            op["div"](op["mul"](Expr.const(float(text)), W), S("m")) if per_m else op["mul"](Expr.const(float(text)), W)
        )
        expr = op["add"](link.expr, term)
        k = max(k, sum(_explains(expr, case) for case in cases))  # one element: explained by the fitted constant
        found = Found(EXTRA_TERM, expr, k, len(cases), f"({text}/m)" if per_m else text)
        if best_found is None or k > best_found.explained:
            best_found = found
    return best_found
