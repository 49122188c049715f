"""Why a tensor is wrong: the notes' chain, what its own line gives, and the usual mistakes.

The chain is walked in the notes' order (Z1, A1, ..., dZ2, dW2, db2, dA1, dZ1, dW1, db1).
A tensor is compared with the reference, and also with what its own line of the notes gives
from the learner's *own* upstream values: a tensor that is wrong although its line is right
is an echo of an earlier mistake, and the first tensor whose line is wrong is the first
wrong link. `diagnose` then names the kind of mistake that turns the reference into the
learner's value.
"""

from __future__ import annotations

import numpy as np

from torchref.registry import AutogradPair, Sample
from torchref_handmade.activations import HIDDEN, sigmoid, softmax


def chain(pair: AutogradPair, s: Sample, cache, mistake: str | None = None) -> dict:
    """The notes' backward pass over the pair's layers, optionally with one classic mistake."""
    X, Y, params = s.X, s.Y, s.params
    suffixes, m = pair.suffixes(s.shape), X.shape[0]
    g_prime = HIDDEN[pair.activation][1] if pair.activation else None
    A = lambda i: X if i < 0 else cache[f"A{suffixes[i]}"]  # noqa: E731
    AL = A(len(suffixes) - 1)
    dZ = AL - Y  # (m, k)
    if mistake == "sigma-prime-again":
        dZ = dZ * AL * (1 - AL)
    grads = {}
    for i in range(len(suffixes) - 1, -1, -1):
        s_i = suffixes[i]
        grads[f"dZ{s_i}"] = dZ
        grads[f"dW{s_i}"] = (1 / m) * (A(i - 1).T @ dZ)
        grads[f"db{s_i}"] = (1 / m) * np.sum(dZ, axis=0, keepdims=True)
        if i > 0:
            dA = dZ @ params[f"W{s_i}"].T
            grads[f"dA{suffixes[i - 1]}"] = dA
            if mistake == "tanh-prime-1-minus-A":
                dZ = dA * (1 - A(i - 1))
            elif mistake == "tanh-prime-from-Z":
                dZ = dA * (1 - cache[f"Z{suffixes[i - 1]}"] ** 2)
            else:
                dZ = dA * g_prime(A(i - 1))
    return grads


def link(pair: AutogradPair, s: Sample, name: str, mine: dict, ref: dict, cache):
    """What the notes' line for `name` gives from the learner's own upstream values.

    `cache` is what the learner's backward received; `mine` what the learner returned
    (intermediates it did not return are taken from the reference `ref`).
    """
    suffixes, m = pair.suffixes(s.shape), s.X.shape[0]
    up = lambda key: mine.get(key, ref[key])  # noqa: E731 - theirs where given
    body = name[1:] if name.startswith("d") else name
    kind, sfx = body[0], body[1:]
    i, last = suffixes.index(sfx), len(suffixes) - 1
    A_prev = s.X if i == 0 else cache[f"A{suffixes[i - 1]}"]  # (m, n_(l−1))
    if not name.startswith("d"):  # forward: Zl, Al
        if kind == "Z":
            return (s.X if i == 0 else up(f"A{suffixes[i - 1]}")) @ s.params[f"W{sfx}"] + s.params[f"b{sfx}"]
        g = HIDDEN[pair.activation][0] if i < last else (sigmoid if pair.output == "sigmoid" else softmax)
        return g(up(f"Z{sfx}"))
    if kind == "Z":
        return cache[f"A{sfx}"] - s.Y if i == last else up(f"dA{sfx}") * HIDDEN[pair.activation][1](cache[f"A{sfx}"])
    if kind == "W":
        return (1 / m) * (A_prev.T @ up(f"dZ{sfx}"))
    if kind == "b":
        return (1 / m) * np.sum(up(f"dZ{sfx}"), axis=0, keepdims=True)
    return up(f"dZ{suffixes[i + 1]}") @ s.params[f"W{suffixes[i + 1]}"].T  # dAl = dZ(l+1) W(l+1)ᵀ


def _close(a, b, rtol=1e-4) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or not np.isfinite(a).all():
        return False
    return bool(np.abs(a - b).max(initial=0) <= rtol * max(np.abs(b).max(initial=0), 1e-12))


MISTAKES = {  # kind -> text; chain(..., kind) computes what the whole chain gives with that mistake
    "sigma-prime-again": "σ′ applied again after BCE: (A − Y)·A(1 − A); BCE's ∂L/∂A times σ′ is already A − Y",
    "tanh-prime-1-minus-A": "tanh′ written as 1 − A instead of 1 − A²",
    "tanh-prime-from-Z": "tanh′ computed from Z instead of A: 1 − Z² instead of 1 − A²",
}


def diagnose(name: str, G, R, s: Sample, variants: dict) -> tuple[str, str]:
    """(kind, text): the usual mistake that turns the reference R into the learner's G.

    The kind is the same in every case that shows the same mistake (a constant factor
    only when it is the same constant), so that one verdict can be drawn across cases.
    """
    G, m = np.asarray(G), s.X.shape[0]
    if G.dtype != R.dtype and G.shape == R.shape:
        if G.dtype.kind == "f" and _close(G, R, 1e-3):
            return "dtype", (
                f"dtype {G.dtype} where the inputs are {R.dtype}: a float64 constant or array "
                f"(np.float64, np.ones, np.array([...])) promoted the computation"
            )
        return f"dtype {G.dtype}", f"dtype {G.dtype} where the inputs are {R.dtype}"
    if G.shape != R.shape:
        return _shape_mistake(G, R, m)
    if not np.isfinite(G).all():
        return "nan", f"NaN/inf values ({np.count_nonzero(~np.isfinite(G))} of {G.size}): a log or a division by 0?"
    if m > 1 and _close(G, m * R):
        return "missing-1/m", "missing 1/m: the values are m times too large"
    if m > 1 and _close(G, R / m):
        return "extra-1/m", "an extra 1/m: the values are m times too small"
    if _close(G, -R):
        return "sign", "flipped sign"
    if R.ndim == 2 and R.shape[0] == R.shape[1] and not _close(R, R.T) and _close(G, R.T):
        return "transposed", "transposed (a square case, so the shape did not show it)"
    for key, text in MISTAKES.items():
        if name in variants.get(key, {}) and _close(G, variants[key][name]):
            return key, text
    denom = float((R * R).sum())
    c = float((G * R).sum()) / denom if denom else 0.0
    if G.size > 1 and denom and abs(c - 1) > 1e-3 and _close(G, c * R):
        return f"factor {c:.3g}", f"off by a constant factor {c:.3g}"
    return "unknown", "no known kind"


def _shape_mistake(G, R, m) -> tuple[str, str]:
    got, want = G.shape, R.shape
    if got == want[::-1]:
        return "transposed", f"transposed: shape {got}, expected {want}"
    if len(want) == 2 and want[0] == 1 and got == (want[1],):
        return "keepdims", f"summed without keepdims: shape {got}, expected {want}"
    if len(want) == 2 and want[1] == 1 and got == (want[0],):
        return "1-d", f"shape {got} instead of {want}: a 1-D (m,) array where the notes keep (m, 1)"
    if len(want) == 2 and want[0] == 1 and got in ((m, 1), (m, want[1])) and m != 1:
        return "axis", f"summed over the wrong axis (or not summed): shape {got}, expected {want}; sum the rows, axis=0"
    if got == ():
        return "scalar", f"summed over both axes: a scalar, expected {want}"
    if len(got) == 2 and got[0] == got[1] == m and want != (m, m):
        return "broadcast", f"shape {got}: an (m,) array was broadcast against an (m, 1) one (m = {m})"
    return "shape", f"wrong shape {got}, expected {want}"


def consolidate(kinds: dict) -> str:
    """One diagnosis when every failing case shows the same kind of mistake, else a plain one."""
    if len(kinds) == 1:
        return next(iter(kinds.values()))
    return "no known kind (the failing cases look like different mistakes: " + "; ".join(kinds.values()) + ")"


def safe_link(pair, s, name, mine, ref, cache):
    try:
        with np.errstate(all="ignore"):
            out = link(pair, s, name, mine, ref, cache)
        return None if out is None else np.asarray(out)
    except (ValueError, KeyError, TypeError):  # the learner's upstream has the wrong shape
        return None
