"""`torchref explain` and `torchref template`: the teaching trace of one model, and a file to start from.

`explain` prints the case's inputs and parameters, then every symbol of the derivation in
the notes' order with the notes' formula, its shape as the notes annotate it ((m, h),
(n, h), ...), and two values side by side with their largest difference: the handmade
model's and torch's, or, with a learner's file, the learner's and the reference's (the
file runs in its own process, as `torchref check` runs it; it is never imported here).
Then every other function of the contract on a case the checker draws, with a file the
learner's values beside the reference's on the smallest case where theirs is wrong as check
judges it. `template` writes every function of the contract, the shapes as comments and
`...` where the learner's lines go.

About 410 lines: explain and template read the same things of a registry entry (its shapes
in the notes' symbols, the contract's functions and formulas), so they stay one module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from torchref import contracts
from torchref.registry import AutogradPair, Shape, get
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
    """Two values side by side, row by row: arrays as NumPy prints them, text (a value already shown) as it is."""
    left, right = (v.splitlines() if isinstance(v, str) else np.array2string(np.asarray(v), **OPTIONS).splitlines()
                   for v in (left, right))  # fmt: skip
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
    model: str, m: int | None = None, n: int = 2, h=None, k=None, dtype: str = "float64", seed: int = 0, file=None
) -> str:
    """The trace of `model` (its symbols, handmade beside torch, or a learner's `file` beside the reference), then
    every other function of its contract on the checker's smallest case of it. `m` defaults to 3, or to the
    smallest m ≥ 3 the model takes (the perceptron's exact grid takes powers of two)."""
    pair = get(model)
    if m is None:
        m = 3 if pair.differentiable else next((s.m for s in pair.shapes if s.m >= 3), 3)
    if file is not None and not pair.differentiable:
        run = _run(Path(file), pair, None, seed)
        return "\n".join([f"{pair.name}: {pair.description}", ""] + _pieces(pair, run, seed, Path(file)))
    shape = shape_for(pair, m, n, h, k)
    sample = pair.sample(shape, dtype, seed)
    chain = pair.chain(shape) if isinstance(pair, AutogradPair) else None
    ref = pair.torch(sample)
    run = None
    if file is not None:
        run = _run(Path(file), pair, sample, seed)
        mine, errors = learner_values(Path(file), pair, sample, run=run)
        if errors and not any(name in mine for name in pair.names(shape)):
            from torchref.checker.report import UnusableInput

            raise UnusableInput(errors[0])  # nothing to show beside the reference: check's words, one line
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
    return "\n".join(lines + _pieces(pair, run, seed, Path(file) if file is not None else None))


def _pieces(pair, run, seed: int, file: Path | None) -> list[str]:
    """Every function of the contract but a chain's forward and backward, on one case the checker draws for it
    (the smallest; with a learner's `run`, the smallest where theirs is wrong, as check judges it): its arguments,
    then each value it returns, the learner's beside the reference's (a loop's: the reference of its own kind,
    and the step where it parts from it)."""
    from torchref import contracts
    from torchref.checker.escape import clean
    from torchref.checker.pieces import judge, plan, values, where
    from torchref.checker.pieces.cases import draw
    from torchref.checker.submission import Submission

    filename = file.name if file is not None else ""

    cases = run[0].cases if run is not None else draw(pair, seed)
    records = {c["id"]: c for c in run[1].get("calls", [])} if run is not None else {}
    found = run[1].get("found", {}) if run is not None else {}
    perceptron = pair.contract is contracts.PERCEPTRON
    out = []
    for function in pair.contract.functions:
        if pair.differentiable and function.name in ("forward", "backward"):
            continue
        drawn = sorted(
            (c for c in cases if c.piece == function.name and c.kind == "ordinary"),
            key=lambda c: (c.m, c.dtype != "float64"),
        )
        if not drawn:
            continue
        judged, notes = {}, []
        if run is not None and found.get(function.name):
            judged = {c.id: judge.failure(c, records.get(plan.PREFIX + c.id), run[2], perceptron, notes) for c in drawn}
        case = next((c for c in drawn if judged.get(c.id) is not None), drawn[0])
        failed, parts = judged.get(case.id), {}
        if function.name == "train" and failed is not None and file is not None:
            code = where.parse(Submission.named(file, pair.name).data or b"", found[function.name])
            failed, parts = judge.against_own_kind(failed, code)
            case = failed.case  # its reference: the trajectory of the loop's own kind
        which = "the smallest where yours is wrong" if failed is not None else "the smallest the checker draws"
        out += [f"--- {function.signature}: {function.doc}", f"case {case.label} ({which})"]
        for name, value in case.args.items():
            for label, item in value.items() if isinstance(value, dict) else [(name, value)]:
                label = f'{name}["{label}"]' if isinstance(value, dict) else name
                out.append(f"{label}    shape {np.shape(item)}" if np.ndim(item) else f"{label}: {item}")
                rows = np.array2string(np.asarray(item), **OPTIONS).splitlines() if np.ndim(item) else []
                out += [f"    {row}" for row in rows]
        got, said = {}, []
        if run is not None and not found.get(function.name):
            said = [f"(not in {filename})"]
        elif run is not None:
            record = records.get(plan.PREFIX + case.id) or {}
            if failed is not None and failed.error:
                error = failed.error
                said = [
                    f"your {function.name} raised {clean(error.get('type', ''))}: {clean(error.get('message', ''))}"
                ]
            elif failed is not None and failed.problem:
                said = [clean(failed.problem, 300)]
            if record and not record.get("error") and not record.get("missing"):
                got = values.read(case, plan.returned(run[2], case.id), record["types"])[0]
            said += [f"accepted: {note}" for note in dict.fromkeys(notes)]
        head = f"returns: {filename} (yours) | the reference, and max |difference|" if run is not None else "returns:"
        parted = [f"{parts['said']} {parts['_reference']}".rstrip()] if parts else []  # explain shows the reference
        out += [head] + [f"    {line}" for line in said + parted]
        wrong = failed.wrong if failed is not None else []
        for name, expected in case.expected.items():
            if name.startswith("_"):
                continue
            if name not in got:
                out.append(f"{name}    shape {np.shape(expected)}")
                out += [f"    {row}" for row in values.show(expected).splitlines()]
                continue
            mark = "    ← the first value that differs" if wrong and name == wrong[0] else ""
            out.append(
                f"{name}    shape {np.shape(got[name])}    max |diff| {_difference(got[name], expected):.2e}{mark}"
            )
            out += _grid(values.show(got[name]), values.show(expected))
        out.append("")
    return out


def _loss_text(pair) -> str:
    return "−(1/m) Σ [y log a + (1 − y) log(1 − a)]" if pair.output == "sigmoid" else "−(1/m) Σ Σ y log a"


def _run(path: Path, pair, sample, seed: int, timeout: float | None = None, memory_mb: int | None = None):
    """(the batch's Course, result, outputs, the source it ran): the learner's file run once in the checker's
    sandbox, as check runs it (with check's limits: `timeout` and `memory_mb` default to
    `checker.options.DEFAULTS`'), on `sample` for a chain and on the contract's cases of `seed` for every other
    function."""
    from torchref.checker.batch import Session
    from torchref.checker.options import DEFAULTS
    from torchref.checker.submission import Submission

    submission = Submission.named(path, pair.name)  # a .py or a notebook, read once, as check reads it
    if not submission.judged:
        raise ValueError(f"--file {path}: {submission.report.reason}")
    if submission.data is None:
        raise ValueError(f"--file must be an existing .py file or notebook, got {path}")
    timeout = DEFAULTS.timeout if timeout is None else timeout
    session = Session(
        pair.name,
        dtypes=[sample.dtype] if sample is not None else ["float64", "float32"],
        seed=seed,
        timeout=timeout,
        import_timeout=timeout,
        memory_mb=DEFAULTS.memory_mb if memory_mb is None else memory_mb,
        samples=[sample] if sample is not None else None,
        paths=[path],
    )
    try:
        result, outputs, _ = session.run(submission.judge_path, submission.data)
    finally:
        session.close()
    if result.get("import_error") and sample is None:
        from torchref.checker.messages import where
        from torchref.checker.report import UnusableInput

        raise UnusableInput(f"cannot import the file: {where(result['import_error'])}")
    return session.course, result, outputs, submission.data


def learner_values(path: Path, pair, sample, timeout: float | None = None, memory_mb: int | None = None, run=None):
    """({name: the learner's value}, [errors]) of one sample of a chain: their file run in the checker's sandbox
    (`run`: what `_run` gave, else it runs now)."""
    from torchref.checker.escape import clean
    from torchref.checker.messages import problems, where
    from torchref.checker.sandbox import protocol

    if not pair.differentiable:
        raise ValueError(f"--file: model {pair.name} has no derivation to check")
    _, result, outputs, source = run if run is not None else _run(path, pair, sample, 0, timeout, memory_mb)
    errors = []  # in the judge's words, the learner's text escaped (the sandbox's result is untrusted)
    if result.get("import_error"):
        errors.append(f"cannot import the file: {where(result['import_error'])}")
    for case in result.get("cases", []):
        if case.get("error"):
            errors.append(where(case["error"], sample.X.shape[0], source))
        if case.get("problems"):
            errors.append(clean(problems(case["problems"], source)))
    values = {**protocol.take(outputs, 0, "cache"), **protocol.take(outputs, 0, "grads")}
    return values, errors


def _unpack(container: str, names: list[str]) -> str:
    """'    W1, W2 = params["W1"], params["W2"]'"""
    looked_up = ", ".join(container + '["' + name + '"]' for name in names)
    return f"    {', '.join(names)} = {looked_up}"


def template(model: str, h=None) -> str:
    """A skeleton file with every function of the model's contract: the signatures, the notes' formula of each, the
    names and shapes as comments, and `...` where the learner's lines go."""
    pair = get(model)
    shape = shape_for(pair, 3, 2, h) if pair.differentiable else None
    chain = pair.chain(shape) if pair.differentiable else None
    out = _head(pair, shape, chain) + ["", "import numpy as np"]
    for function in pair.contract.functions:
        out += ["", ""] + _function_text(pair, function, shape, chain)
    return "\n".join(out) + "\n"


def _head(pair, shape, chain) -> list[str]:
    out = [
        f'"""My {pair.name}: {pair.description}.',
        "",
        f"Check it with:  torchref check {{FILE}} --model {pair.name}",
        "",
        "The checker judges every function below that the file defines (delete the ones you do not write) and",
        "lists those it did not find. Fill in each line marked `...`; the comments give its shape.",
    ]
    if chain is None:
        return out + ['"""']
    y = "(m, k), one-hot" if pair.one_hot else "(m, 1), 0 or 1"
    sizes = ", ".join(f"{s} = {v}" for s, v in zip(chain.sizes, [shape.n, *shape.hidden, shape.k]) if s != "1")
    return out + [
        "backward is graded by its gradients; forward is optional (the checker's own forward then supplies",
        "the cache). Every array keeps the dtype of X.",
        f"X is (m, n), Y is {y}; layer sizes {sizes} in `torchref explain {pair.name}`.",
        "The intermediates (dZ, dA) are per example, without 1/m; returning them is optional, but",
        "it lets the checker point at the first wrong line.",
        '"""',
    ]


def _line(code: str, comment: str) -> str:
    return f"{code}".ljust(56) + f"# {comment}" if comment else code


def _function_text(pair, function, shape, chain) -> list[str]:
    """One function of the contract: its signature, its formula, and its body with `...` to fill in."""
    if chain is not None and function.name in ("forward", "backward"):
        return [f"def {function.signature}:"] + _chain_body(pair, shape, chain, function.name)
    doc = f"J = {_loss_text(pair)}" if function.name == "loss" and chain is not None else function.doc
    return [f"def {function.signature}:", f'    """{doc}"""'] + _body(pair, function, shape)


def _chain_body(pair, shape, chain, name: str) -> list[str]:
    """forward or backward of a model with a chain: a line per link, the chain's shape of each."""
    suffixes = pair.suffixes(shape)
    params = list(pair.param_shapes(shape))
    forward_names = [link.name for link in chain.links if link.forward]
    if name == "forward":
        out = [_unpack("params", params)]
        out += [_line(f"    {n} = ...", chain[n].shape) for n in forward_names]
        cache = ", ".join(f'"{n}": {n}' for n in forward_names)
        return out + [f"    return A{suffixes[-1]}, {{{cache}}}"]
    backward_names = [link.name for link in chain.links if not link.forward]
    out = ["    m = X.shape[0]", _unpack("params", [p for p in params if p.startswith("W")])]
    out.append(_unpack("cache", [n for n in forward_names if n.startswith("A")]))
    out += [_line(f"    {n} = ...", chain[n].shape) for n in backward_names]
    grads = ", ".join(f'"{n}": {n}' for n in backward_names)
    return out + [f"    return {{{grads}}}"]


def _parameters(pair, shape) -> dict:
    """Each parameter and its shape in the notes' symbols: W (n_in, n_out), b (1, n_out)."""
    if not pair.differentiable:  # one layer (the perceptron)
        return {p: "(n, 1)" if p.startswith("W") else "(1, 1)" for p in pair.param_shapes(Shape(1, 1))}
    sizes = pair.chain(shape).sizes
    return {
        p: f"({sizes[i // 2] if p.startswith('W') else '1'}, {sizes[i // 2 + 1]})"
        for i, p in enumerate(pair.param_shapes(shape))
    }


def _body(pair, function, shape) -> list[str]:
    """The lines of a function of the contract that is not a link of a chain, `...` where the learner writes."""
    name = function.name
    if pair.contract is contracts.MP_NEURON:
        return _MP[name]
    if pair.contract is contracts.NORMALISE:
        return _NORMALISE[name]
    if name == "forward":  # the perceptron's
        return [
            _line("    Z = ...", "(m, 1): X W + b"),
            _line("    A = ...", "(m, 1): the step, 1 where z ≥ 0, else 0"),
            '    return A, {"Z": Z, "A": A}',
        ]
    if name == "loss":
        return ["    m = Y.shape[0]", _line("    J = ...", "a number"), "    return J"]
    if name == "backward":  # the perceptron's rule
        return [
            "    m = X.shape[0]",
            '    A = cache["A"]',
            _line("    dZ = ...", "(m, 1)"),
            _line("    dW = ...", "(n, 1)"),
            _line("    db = ...", "(1, 1)"),
            '    return {"dZ": dZ, "dW": dW, "db": db}',
        ]
    if name == "update":
        params = _parameters(pair, shape)
        out = [_line(f"    {p} = ...", size) for p, size in params.items()]
        return out + ["    return {" + ", ".join(f'"{p}": {p}' for p in params) + "}"]
    if name == "train":
        return [
            "    losses = []",
            "    for step in range(steps):",
            _line("        A, cache = ...", "forward"),
            _line("        losses.append(...)", "J before this update"),
            _line("        grads = ...", "backward"),
            _line("        params = ...", "update"),
            _line("    A, cache = ...", "forward, after the last update"),
            _line("    losses.append(...)", "the final J: steps + 1 values in all"),
            "    return params, losses",
        ]
    returned = function.returns.strip("()")
    return [f"    {n.strip()} = ..." for n in returned.split(",")] + [f"    return {returned}"]


_MP = {
    "forward": [
        "    if inhibitory is None:",
        "        inhibitory = np.zeros(X.shape[1], dtype=int)",
        _line("    inhibitory = np.asarray(inhibitory, dtype=bool)", "(n,): the inhibitory inputs"),
        _line("    z = ...", "(m, 1): how many excitatory inputs are on"),
        _line("    vetoed = ...", "(m, 1): an inhibitory input is on"),
        _line("    A = ...", "(m, 1) of 0/1"),
        "    return A",
    ],
    "fit": [
        "    n = X.shape[1]",
        _line("    for theta in range(n + 2):", "every threshold that can matter: 0 … n + 1"),
        _line("        if ...:", "forward(X, theta, inhibitory) gives Y"),
        "            return theta",
        _line("    return None", "no threshold gives Y (XOR)"),
    ],
}
_NORMALISE = {
    "normalise": [
        _line("    low = ...", "(1, n): each column's min"),
        _line("    high = ...", "(1, n): each column's max"),
        _line("    X_scaled = ...", "(m, n), each column in [0, 1]"),
        "    return X_scaled",
    ],
    "denormalise": [_line("    X = ...", "(m, n)"), "    return X"],
}
