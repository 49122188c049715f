"""`torchref explain`: the teaching trace of one model.

Every symbol of the derivation in the notes' order, with the notes' formula, its shape
as the notes annotate it ((m, h), (n, h), ...), the handmade value beside torch's, and
their largest difference.
"""

from __future__ import annotations

import numpy as np

from torchref.registry import AutogradPair, Shape, get

PRIME = {"tanh": "(1 − {A}²)", "sigmoid": "{A}(1 − {A})", "relu": "[{A} > 0]"}


def _shape_for(pair, m: int, n: int, h, k) -> Shape:
    if not isinstance(pair, AutogradPair):
        return Shape(m, n)
    layers = len(pair.param_shapes(pair.shapes[-1])) // 2
    if layers == 1:
        return Shape(m, n)
    hidden = tuple(h or ([4] if layers == 2 and pair.name == "shallow" else [4, 3]))
    return Shape(m, n, hidden, (k or pair.shapes[0].k) if pair.one_hot else 1)


def _symbols(pair: AutogradPair, shape: Shape):
    """(formula, symbolic shape) for every name, from the layer sizes n, h (or h1, h2, ...), 1 (or k)."""
    suffixes = pair.suffixes(shape)
    if len(suffixes) == 2 and pair.name == "shallow":
        sizes = ["n", "h", "1"]
    else:
        sizes = ["n", *[f"h{i}" for i in range(1, len(suffixes))], "k" if pair.one_hot else "1"]
    head = "σ" if pair.output == "sigmoid" else "softmax"
    out = {"J": ("−(1/m) Σ [y log a + (1 − y) log(1 − a)]" if pair.output == "sigmoid" else "−(1/m) Σ Σ y log a", "()")}
    for i, s in enumerate(suffixes):
        prev = "X" if i == 0 else f"A{suffixes[i - 1]}"
        g = head if i == len(suffixes) - 1 else pair.activation
        rows, cols = sizes[i], sizes[i + 1]
        out[f"Z{s}"] = (f"{prev} W{s} + b{s}", f"(m, {cols})")
        out[f"A{s}"] = (f"{g}(Z{s})", f"(m, {cols})")
        out[f"dW{s}"] = (f"(1/m) {prev}ᵀ dZ{s}", f"({rows}, {cols})")
        out[f"db{s}"] = (f"(1/m) Σ_rows dZ{s}", f"(1, {cols})")
        if i == len(suffixes) - 1:
            out[f"dZ{s}"] = (f"A{s} − Y", f"(m, {cols})")
        else:
            nxt = suffixes[i + 1]
            out[f"dA{s}"] = (f"dZ{nxt} W{nxt}ᵀ", f"(m, {cols})")
            out[f"dZ{s}"] = (f"dA{s} * " + PRIME[pair.activation].format(A=f"A{s}"), f"(m, {cols})")
    return out


def explain(model: str, m: int = 3, n: int = 2, h=None, k=None, dtype: str = "float64", seed: int = 0) -> str:
    pair = get(model)
    shape = _shape_for(pair, m, n, h, k)
    sample = pair.sample(shape, dtype, seed)
    mine, ref = pair.handmade(sample), pair.torch(sample)
    symbols = _symbols(pair, shape) if isinstance(pair, AutogradPair) else {}
    lines = [
        f"{pair.name}: {pair.description}",
        f"sample {sample.id}; handmade (NumPy) | torch, and max |difference|",
        "",
    ]
    options = dict(precision=5, suppress_small=True, max_line_width=60, threshold=40)
    for name in pair.names(shape):
        formula, sym = symbols.get(name, ("", ""))
        a, b = np.asarray(mine[name]), np.asarray(ref[name])
        diff = (
            float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max(initial=0))
            if a.shape == b.shape
            else float("nan")
        )
        title = f"{name} = {formula}" if formula else name
        lines.append(f"{title}    shape {sym + ' = ' if sym else ''}{a.shape}    max |diff| {diff:.2e}")
        left = np.array2string(a, **options).splitlines()
        right = np.array2string(b, **options).splitlines()
        width = max(map(len, left))
        for i in range(max(len(left), len(right))):
            lines.append(f"    {(left[i] if i < len(left) else ''):<{width}}  |  {right[i] if i < len(right) else ''}")
        lines.append("")
    return "\n".join(lines)
