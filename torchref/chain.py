"""Each differentiable model's chain, written once: its links in the notes' order, as expressions.

A link is one line of the notes (`dZ1 = dA1 ⊙ (1 − A1²)`): its name, the expression that
computes it from upstream symbols, its shape in the notes' symbols ((m, h)), its torch
counterpart and its layer. The checker evaluates a link's expression on the learner's own
upstream values (is their line right?), the mistake catalogue transforms it, the search
of `torchref.checker.diagnosis.reconstruct` builds expressions of the same kind, and `explain`
prints it. An expression renders three ways: in the notes' symbols (`text`), expanded
(`σ′(A1)` as `A1(1 − A1)`), and as NumPy (`python`, evaluable with `np` and the names of
`torchref_handmade.activations`).

The chain is built from a registry entry's `activation`, `output` and layer suffixes:
for layers l = 1..L with A0 = X,

    Zl = A(l−1) Wl + bl,  Al = g(Zl) (l < L),  AL = σ(ZL) or softmax(ZL)
    dZL = AL − Y,  dWl = (1/m) A(l−1)ᵀ dZl,  dbl = (1/m) Σ_rows dZl,
    dA(l−1) = dZl Wlᵀ,  dZ(l−1) = dA(l−1) ⊙ g′(A(l−1)).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from torchref_handmade.activations import HIDDEN, sigmoid, softmax

# the activations an expression may apply: name -> (function, notes' symbol)
FUNCTIONS = {
    "tanh": (np.tanh, "tanh"),
    "sigmoid": (sigmoid, "σ"),
    "relu": (HIDDEN["relu"][0], "relu"),
    "softmax": (softmax, "softmax"),
    "tanh_prime": (HIDDEN["tanh"][1], "tanh′"),
    "sigmoid_prime": (HIDDEN["sigmoid"][1], "σ′"),
    "relu_prime": (HIDDEN["relu"][1], "relu′"),
}
PRIME = {"tanh": "tanh_prime", "sigmoid": "sigmoid_prime", "relu": "relu_prime"}  # g -> g′ (of A = g(Z))
EXPANDED = {"tanh_prime": "(1 − {x}²)", "sigmoid_prime": "{x}(1 − {x})", "relu_prime": "[{x} > 0]"}
SUMS = {  # name -> (numpy keyword arguments, the notes' symbol)
    "sum_rows": (dict(axis=0, keepdims=True), "Σ_rows {x}"),
    "sum_rows_1d": (dict(axis=0), "Σ_rows {x} (1-D, no keepdims)"),
    "sum_cols": (dict(axis=1, keepdims=True), "Σ_columns {x}"),
    "sum_cols_1d": (dict(axis=1), "Σ_columns {x} (1-D)"),
    "sum_all": (dict(), "Σ_all {x}"),
}
UNARY = ("T", "neg", "square", *FUNCTIONS, *SUMS, "row0", "col0", "ravel")
BINARY = ("matmul", "mul", "div", "add", "sub")
# a learner's own helper read back (σ written 1 / (1 + exp(−z))): evaluated and printed, never searched
READ_BACK = {"exp": np.exp, "log": np.log}


@dataclass(frozen=True)
class Expr:
    """An expression over the notes' symbols: a symbol, a constant, or an operation on expressions."""

    op: str  # "sym", "const", or one of UNARY / BINARY
    args: tuple = ()
    name: str = ""  # the symbol's name, or the constant as text
    size: int = field(default=1, compare=False)

    # -- building -----------------------------------------------------------------------
    @staticmethod
    def sym(name: str) -> Expr:
        return Expr("sym", (), name)

    @staticmethod
    def const(value) -> Expr:
        return Expr("const", (), repr(value))

    def __call__(self, *args: Expr) -> Expr:  # Expr("mul")(a, b): an operation applied
        return Expr(self.op, args, "", 1 + sum(a.size for a in args))

    @property
    def scalar(self) -> bool:
        return self.op == "const" or (self.op == "sym" and self.name in SIZES)

    # -- evaluating ---------------------------------------------------------------------
    def evaluate(self, env: dict):
        if self.op == "sym":
            return env[self.name]
        if self.op == "const":
            return float(self.name)
        return apply(self.op, *(a.evaluate(env) for a in self.args))

    def symbols(self) -> set:
        if self.op == "sym":
            return {self.name}
        return set().union(*(a.symbols() for a in self.args)) if self.args else set()

    def nodes(self) -> Iterator[tuple[Expr, Callable[[Expr], Expr]]]:
        """Every sub-expression with a function that rebuilds the whole with that one replaced."""
        yield self, lambda new: new
        for i, arg in enumerate(self.args):
            for node, rebuild in arg.nodes():
                yield node, (lambda new, i=i, rebuild=rebuild: self._with(i, rebuild(new)))

    def _with(self, i: int, arg: Expr) -> Expr:
        args = self.args[:i] + (arg,) + self.args[i + 1 :]
        return Expr(self.op, args, self.name, 1 + sum(a.size for a in args))

    def replace(self, old: Expr, new: Expr) -> Expr:
        if self == old:
            return new
        if not self.args:
            return self
        args = tuple(a.replace(old, new) for a in self.args)
        return Expr(self.op, args, self.name, 1 + sum(a.size for a in args))

    # -- rendering ----------------------------------------------------------------------
    def text(self, expand: bool = False) -> str:
        """In the notes' symbols: `(1/m) A1ᵀ dZ2`, `dA1 ⊙ σ′(A1)` (expand: `dA1 ⊙ A1(1 − A1)`)."""
        op, a = self.op, self.args
        if op == "sym":
            return self.name
        if op == "const":
            return _number(float(self.name))
        t = [x.text(expand) for x in a]
        if op == "T":
            return _atom(a[0], t[0]) + "ᵀ"
        if op == "neg":
            return "−" + _atom(a[0], t[0])
        if op == "square":
            return _atom(a[0], t[0]) + "²"
        if op in FUNCTIONS:
            if expand and op in EXPANDED and a[0].op == "sym":
                return EXPANDED[op].format(x=t[0])
            return f"{FUNCTIONS[op][1]}({t[0]})"
        if op in SUMS:
            return SUMS[op][1].format(x=_atom(a[0], t[0]))
        if op in READ_BACK:
            return f"{op}({t[0]})"
        if op == "row0":
            return f"{_atom(a[0], t[0])}[0:1]"
        if op == "col0":
            return f"{_atom(a[0], t[0])}[:, 0:1]"
        if op == "ravel":
            return f"{_atom(a[0], t[0])}.ravel()"
        if op == "matmul":
            return " ".join(f"({x})" if e.op in ("mul", "div") else _factor(e, x) for e, x in zip(a, t))
        if op == "mul":
            if _number_like(a[0]) or _number_like(a[1]):
                s, x = (0, 1) if _number_like(a[0]) else (1, 0)
                number = t[s] if a[s].scalar else f"({t[s].replace(' / ', '/')})"  # (1/400) X
                return f"{number} {_factor(a[x], t[x])}"
            return f"{_factor(a[0], t[0])} ⊙ {_factor(a[1], t[1])}"
        if op == "div":
            if a[1].scalar and a[0].op == "mul" and a[0].args[0].op == "const":  # (0.1/m) W
                return f"({t[0].split(' ', 1)[0]}/{t[1]}) {_factor(a[0].args[1], a[0].args[1].text(expand))}"
            if a[1].scalar and not a[0].scalar:
                return f"(1/{t[1]}) {_factor(a[0], t[0])}"
            return f"{_factor(a[0], t[0])} / {_atom(a[1], t[1])}"
        sign = {"add": "+", "sub": "−"}[op]
        return f"{t[0]} {sign} {_atom(a[1], t[1]) if op == 'sub' else t[1]}"

    def python(self) -> str:
        """As NumPy: `(1 / m) * (A1.T @ dZ2)`; names from `np` and torchref_handmade.activations."""
        op, a = self.op, self.args
        if op in ("sym", "const"):
            return self.name
        p = [x.python() for x in a]
        q = [f"({t})" if x.op in BINARY or x.op == "neg" else t for x, t in zip(a, p)]  # operands of an operator
        simple = {"T": "{0}.T", "neg": "-{0}", "square": "{0} ** 2", "row0": "{0}[:1]", "col0": "{0}[:, :1]"}
        if op in simple:
            return simple[op].format(q[0])
        if op == "ravel":
            return f"np.ravel({p[0]})"
        if op in FUNCTIONS:
            return f"{op}({p[0]})"
        if op in READ_BACK:
            return f"np.{op}({p[0]})"
        if op in SUMS:
            kwargs = "".join(f", {k}={v}" for k, v in SUMS[op][0].items())
            return f"np.sum({p[0]}{kwargs})"
        sign = {"matmul": "@", "mul": "*", "div": "/", "add": "+", "sub": "-"}[op]
        return f"{q[0]} {sign} {q[1]}"

    def __str__(self) -> str:
        return self.text()


SIZES = ("m", "n", "h", "h1", "h2", "h3", "h4", "h5", "k")  # the sizes an expression may use as numbers


def apply(op: str, *v):
    """One operation on values (arrays, or numbers for the sizes and constants)."""
    if op == "T":
        return v[0].T
    if op == "neg":
        return -v[0]
    if op == "square":
        return v[0] * v[0]
    if op in FUNCTIONS:
        return FUNCTIONS[op][0](np.asarray(v[0]))
    if op in SUMS:
        return np.sum(v[0], **SUMS[op][0])
    if op in READ_BACK:
        return READ_BACK[op](v[0])
    if op == "row0":
        return v[0][:1]
    if op == "col0":
        return v[0][:, :1]
    if op == "ravel":
        return np.ravel(v[0])
    if op == "matmul":
        return v[0] @ v[1]
    if op == "mul":
        return v[0] * v[1]
    if op == "div":
        return v[0] / v[1]
    if op == "add":
        return v[0] + v[1]
    if op == "sub":
        return v[0] - v[1]
    raise ValueError(f"unknown operation {op!r}")


def _number(x: float) -> str:
    return str(int(x)) if x == int(x) and abs(x) < 1e6 else f"{x:.3g}"


def _atom(e: Expr, t: str) -> str:
    """`t` in parentheses unless it is one symbol or a function call."""
    atoms = ("sym", "const", "T", "square", "row0", "col0", *READ_BACK)
    return t if e.op in atoms or e.op in FUNCTIONS else f"({t})"


def _number_like(e: Expr) -> bool:
    """A number written as an expression of numbers and sizes: 1 / 400, 0.1 / m."""
    return e.scalar or (e.op in ("div", "mul") and all(_number_like(a) for a in e.args))


def _factor(e: Expr, t: str) -> str:
    """`t` as a factor of a product: sums and differences in parentheses."""
    return f"({t})" if e.op in ("add", "sub", "neg") or (e.op == "div" and not e.args[1].scalar) else t


S = Expr.sym
ONE, TWO = Expr.const(1), Expr.const(2)
op = {name: Expr(name) for name in (*UNARY, *BINARY, *READ_BACK)}


@dataclass(frozen=True)
class Link:
    name: str  # "dZ1"
    expr: Expr  # how the notes compute it from upstream symbols
    shape: str  # in the notes' symbols: "(m, h)"
    torch: str  # what it is on the torch side
    layer: int  # 1..L
    forward: bool

    @property
    def formula(self) -> str:
        return f"{self.name} = {self.expr.text(expand=True)}"


@dataclass(frozen=True)
class Chain:
    """The links of one model at one depth, in the notes' order (forward, then backward)."""

    links: tuple
    sizes: tuple  # the layer sizes in the notes' symbols: ("n", "h", "1")
    layers: int

    def __getitem__(self, name: str) -> Link:
        return self.by_name[name]

    @functools.cached_property  # a frozen chain: its index never changes
    def by_name(self) -> dict:
        return {link.name: link for link in self.links}

    @property
    def names(self) -> list[str]:
        return [link.name for link in self.links]

    def layer_text(self, name: str) -> str:
        """'layer 1 of 3' for a deep model's link; '' for one or two layers, where the names say it."""
        return f"layer {self[name].layer} of {self.layers}" if self.layers > 2 else ""

    def upstream(self, name: str) -> list[str]:
        """The links before `name` in the notes' order."""
        names = self.names
        return names[: names.index(name)]


def build(activation: str | None, output: str, suffixes) -> Chain:
    """The chain of a network with these layers (suffixes '' for one layer, else '1', '2', ...).

    Built once per model and depth (a chain is frozen): the judge asks for it in every case.
    """
    return _build(activation, output, tuple(suffixes))


@functools.cache
def _build(activation: str | None, output: str, suffixes: tuple) -> Chain:
    L = len(suffixes)
    sizes = ["n", *(["h"] if L == 2 else [f"h{i}" for i in range(1, L)]), "k" if output == "softmax" else "1"]
    head = "softmax" if output == "softmax" else "sigmoid"
    head_torch = "nn.Softmax(dim=1)" if output == "softmax" else "nn.Sigmoid()"
    g_torch = {"tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()", "relu": "nn.ReLU()"}
    forward, backward = [], []
    A = lambda i: S("X") if i < 0 else S(f"A{suffixes[i]}")  # noqa: E731 - A0 = X
    for i, s in enumerate(suffixes):
        rows, cols, layer = sizes[i], sizes[i + 1], i + 1
        g, g_t = (head, head_torch) if i == L - 1 else (activation, g_torch[activation])
        linear = f"nn.Linear({rows}, {cols}): {A(i - 1).name} @ weight.T + bias"
        forward.append(Link(f"Z{s}", op["add"](op["matmul"](A(i - 1), S(f"W{s}")), S(f"b{s}")), f"(m, {cols})",
                            linear, layer, True))  # fmt: skip
        forward.append(Link(f"A{s}", op[g](S(f"Z{s}")), f"(m, {cols})", f"{g_t}(Z{s})", layer, True))
    dZ = op["sub"](A(L - 1), S("Y"))
    for i in range(L - 1, -1, -1):
        s, rows, cols, layer = suffixes[i], sizes[i], sizes[i + 1], i + 1
        grad = "m · ∂J/∂{} (autograd, per example)"
        backward.append(Link(f"dZ{s}", dZ, f"(m, {cols})", grad.format(f"Z{s}"), layer, False))
        backward.append(
            Link(f"dW{s}", op["div"](op["matmul"](op["T"](A(i - 1)), S(f"dZ{s}")), S("m")), f"({rows}, {cols})",
                 f"Linear.weight.grad.T of layer {layer}", layer, False)
        )  # fmt: skip
        backward.append(
            Link(f"db{s}", op["div"](op["sum_rows"](S(f"dZ{s}")), S("m")), f"(1, {cols})",
                 f"Linear.bias.grad of layer {layer}", layer, False)
        )  # fmt: skip
        if i > 0:
            prev = suffixes[i - 1]
            backward.append(
                Link(f"dA{prev}", op["matmul"](S(f"dZ{s}"), op["T"](S(f"W{s}"))), f"(m, {rows})",
                     grad.format(f"A{prev}"), layer - 1, False)
            )  # fmt: skip
            dZ = op["mul"](S(f"dA{prev}"), op[PRIME[activation]](S(f"A{prev}")))
    return Chain(tuple(forward + backward), tuple(sizes), L)


def environment(X, Y, params: dict, forward: dict, backward: dict) -> dict:
    """The symbols of one case as float64: inputs, sizes, parameters, forward and backward values."""
    env = {"X": X, "Y": Y, **params, **forward, **backward}
    env = {k: np.asarray(v, np.float64) for k, v in env.items()}
    env["m"], env["n"] = X.shape[0], X.shape[1]
    widths = [params[k].shape[1] for k in params if k.startswith("W")][:-1]
    if len(widths) == 1:
        env["h"] = widths[0]
    env.update({f"h{i}": w for i, w in enumerate(widths, 1)} if len(widths) > 1 else {})
    return env
