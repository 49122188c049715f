"""`torchref explain` and `torchref template`: the teaching trace of one model, and a file to start from.

`explain` prints the case's inputs and parameters, then every symbol of the derivation in
the notes' order with the notes' formula, its shape as the notes annotate it ((m, h),
(n, h), ...), and two values side by side with their largest difference: the handmade
model's and torch's, or, with a learner's file, the learner's and the reference's (the
file runs in its own process, as `torchref check` runs it; it is never imported here).
`template` writes the contract as a file: the functions, the names, the shapes as
comments and `...` where the learner's lines go. Both read the model's chain
(`AutogradPair.chain`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from torchref.registry import REGISTRY, AutogradPair, Shape, get
from torchref.tolerances import TRACE

OPTIONS = dict(precision=5, suppress_small=True, max_line_width=60, threshold=40)


def _depth(pair: AutogradPair) -> int:
    """The number of layers of the model's usual shape (most of its named shapes)."""
    return pair.usual_depth + 1


def shape_for(pair, m: int, n: int, h=None, k=None) -> Shape:
    if not pair.differentiable:
        return Shape(m, n)
    layers = _depth(pair)
    if layers == 1:
        if h:
            raise ValueError(f"--h: model {pair.name} has no hidden layer, got {list(h)}")
        return Shape(m, n)
    hidden = tuple(h or [4, 3, 2, 2, 2][: layers - 1])
    return Shape(m, n, hidden, (k or pair.shapes[0].k) if pair.one_hot else 1)


def _grid(left, right) -> list[str]:
    left = np.array2string(np.asarray(left), **OPTIONS).splitlines()
    right = np.array2string(np.asarray(right), **OPTIONS).splitlines()
    width = max(map(len, left))
    return [
        f"    {(left[i] if i < len(left) else ''):<{width}}  |  {right[i] if i < len(right) else ''}"
        for i in range(max(len(left), len(right)))
    ]


def _difference(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "biuf":
        return float("nan")
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max(initial=0))


def explain(
    model: str, m: int = 3, n: int = 2, h=None, k=None, dtype: str = "float64", seed: int = 0, file=None
) -> str:
    pair = get(model)
    shape = shape_for(pair, m, n, h, k)
    sample = pair.sample(shape, dtype, seed)
    chain = pair.chain(shape) if isinstance(pair, AutogradPair) else None
    ref = pair.torch(sample)
    if file is not None:
        mine, errors = learner_values(Path(file), pair, sample)
        left, right = f"{Path(file).name} (yours)", "torch (the reference)"
    else:
        mine, errors = pair.handmade(sample), []
        left, right = "handmade (NumPy)", "torch"
    lines = [f"{pair.name}: {pair.description}", f"sample {sample.id}: the inputs and parameters", ""]
    for name, value in [("X", sample.X), ("Y", sample.Y), *sample.params.items()]:
        lines.append(f"{name}    shape {value.shape}")
        lines += [f"    {row}" for row in np.array2string(value, **OPTIONS).splitlines()]
    lines += ["", f"every symbol: {left} | {right}, and max |difference|", ""]
    lines += [f"error: {e}" for e in errors]
    first_wrong = None
    for name in pair.names(shape):
        link = chain.by_name.get(name) if chain else None
        formula = link.formula if link else ("J = " + _loss_text(pair) if name == "J" and chain else name)
        symbolic = f"{link.shape} = " if link else ""
        if name not in mine:
            lines += [f"{formula}    shape {symbolic}{np.shape(ref[name])}    (not returned)", ""]
            continue
        diff = _difference(mine[name], ref[name])
        largest = float(np.abs(np.asarray(ref[name], np.float64)).max(initial=0))
        wrong = not (diff <= max(TRACE.rtol * largest, TRACE.atol))  # relative to the largest |value|
        mark = ""
        if wrong and file is not None and first_wrong is None:
            first_wrong, mark = name, "    ← the first value that differs"
        lines.append(f"{formula}    shape {symbolic}{np.shape(mine[name])}    max |diff| {diff:.2e}{mark}")
        lines += _grid(mine[name], ref[name])
        lines.append("")
    return "\n".join(lines)


def _loss_text(pair) -> str:
    return "−(1/m) Σ [y log a + (1 − y) log(1 − a)]" if pair.output == "sigmoid" else "−(1/m) Σ Σ y log a"


def learner_values(path: Path, pair, sample, timeout: float | None = None, memory_mb: int | None = None):
    """({name: the learner's value}, [errors]) of one sample: their file run in the checker's sandbox, as check does
    (with check's limits: `timeout` and `memory_mb` default to `checker.options.DEFAULTS`')."""
    from torchref.checker.batch import Session
    from torchref.checker.escape import clean
    from torchref.checker.messages import problems, where
    from torchref.checker.options import DEFAULTS
    from torchref.checker.sandbox import protocol
    from torchref.checker.submission import Submission

    if not pair.differentiable:
        raise ValueError(f"--file: model {pair.name} has no derivation to check")
    submission = Submission.named(path, pair.name)  # a .py or a notebook, read once, as check reads it
    if not submission.judged:
        raise ValueError(f"--file {path}: {submission.report.reason}")
    if submission.data is None:
        raise ValueError(f"--file must be an existing .py file or notebook, got {path}")
    timeout = DEFAULTS.timeout if timeout is None else timeout
    session = Session(
        pair.name,
        dtypes=[sample.dtype],
        timeout=timeout,
        import_timeout=timeout,
        memory_mb=DEFAULTS.memory_mb if memory_mb is None else memory_mb,
        samples=[sample],
        paths=[path],
    )
    try:
        result, outputs, _ = session.run(submission.judge_path, submission.data)
    finally:
        session.close()
    errors = []  # in the judge's words, the learner's text escaped (the sandbox's result is untrusted)
    if result.get("import_error"):
        errors.append(f"cannot import the file: {where(result['import_error'])}")
    for case in result.get("cases", []):
        if case.get("error"):
            errors.append(where(case["error"], sample.X.shape[0]))
        if case.get("problems"):
            errors.append(clean(problems(case["problems"])))
    values = {**protocol.take(outputs, 0, "cache"), **protocol.take(outputs, 0, "grads")}
    return values, errors


def _unpack(container: str, names: list[str]) -> str:
    """'    W1, W2 = params["W1"], params["W2"]'"""
    looked_up = ", ".join(container + '["' + name + '"]' for name in names)
    return f"    {', '.join(names)} = {looked_up}"


def template(model: str, h=None) -> str:
    """A skeleton derivation file: the contract, the shapes as comments, `...` where the learner's lines go."""
    pair = get(model)
    if not pair.differentiable:
        known = ", ".join(name for name, p in REGISTRY.items() if p.differentiable)
        raise ValueError(f"model must have a backward pass (one of {known}), got {model!r}")
    shape = shape_for(pair, 3, 2, h)
    chain = pair.chain(shape)
    suffixes = pair.suffixes(shape)
    params = list(pair.param_shapes(shape))
    forward_names = [link.name for link in chain.links if link.forward]
    backward_names = [link.name for link in chain.links if not link.forward]
    last = f"A{suffixes[-1]}"
    y = "(m, k), one-hot" if pair.one_hot else "(m, 1), 0 or 1"
    sizes = ", ".join(f"{s} = {v}" for s, v in zip(chain.sizes, [shape.n, *shape.hidden, shape.k]) if s != "1")
    out = [
        f'"""My derivation of {pair.name}: {pair.description}.',
        "",
        f"Check it with:  torchref check {{FILE}} --model {pair.name}",
        "",
        "The checker calls forward(X, params) (optional: delete it and the checker's own forward",
        "supplies the cache) and backward(X, Y, params, cache). Every array keeps the dtype of X.",
        f"X is (m, n), Y is {y}; layer sizes {sizes} in `torchref explain {pair.name}`.",
        "The intermediates (dZ, dA) are per example, without 1/m; returning them is optional, but",
        "it lets the checker point at the first wrong line.",
        '"""',
        "",
        "import numpy as np",
        "",
        "",
        "def forward(X, params):",
        _unpack("params", params),
    ]
    for name in forward_names:
        out.append(f"    {name} = ...".ljust(56) + f"# {chain[name].shape}")
    cache = ", ".join(f'"{n}": {n}' for n in forward_names)
    out += [f"    return {last}, {{{cache}}}", "", "", "def backward(X, Y, params, cache):", "    m = X.shape[0]"]
    weights = [p for p in params if p.startswith("W")]
    out.append(_unpack("params", weights))
    activations = [n for n in forward_names if n.startswith("A")]
    out.append(_unpack("cache", activations))
    for name in backward_names:
        out.append(f"    {name} = ...".ljust(56) + f"# {chain[name].shape}")
    grads = ", ".join(f'"{n}": {n}' for n in backward_names)
    out += [f"    return {{{grads}}}", ""]
    return "\n".join(out)
