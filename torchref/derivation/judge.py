"""The judge: run a learner's file on the sweep's cases, compare every tensor, name the first wrong link."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from torchref.derivation import diagnosis, protocol
from torchref.derivation import source as reading
from torchref.derivation.child import run_child
from torchref.derivation.diagnosis import Failing, case_environment, own_line
from torchref.derivation.report import FileReport, TensorVerdict, UnusableInput
from torchref.parity import compare_tensor
from torchref.registry import DTYPES, REGISTRY, AutogradPair, Sample, Shape
from torchref.sweep import cases_for, check_sweep
from torchref_handmade import _checks

FD_MAX_PARAMS = 300  # finite differences on the float64 cases with at most this many parameters


def _where(error: dict, m: int | None = None) -> str:
    """The learner's exception with file, line and code; a hint when a local has the (m, m) shape of a broadcast."""
    loc = f" at {error['file']}:{error['line']} in {error.get('function', '?')}" if error.get("line") else ""
    code = f": `{error['code']}`" if error.get("code") else ""
    text = f"{error['type']}{loc}{code}: {error['message']}"
    square = [name for name, shape in error.get("shapes", {}).items() if m and m > 1 and shape == [m, m]]
    if square:
        text += (
            f" (hint: {', '.join(square)} has shape ({m}, {m}) = (m, m): an (m,) array was broadcast against"
            f" an (m, 1) one)"
        )
    return text


def _size(shape) -> int:
    return shape.m * shape.n * max(1, int(np.prod(shape.hidden or (1,)))) * shape.k


def check(
    path,
    model: str,
    cases: int = 20,
    seed: int = 0,
    dtypes=DTYPES,
    timeout: float = 60.0,
    memory_mb: int = 4096,
    source: bytes | None = None,
    import_timeout: float = 60.0,
    hidden=None,
) -> FileReport:
    """Judge one derivation file for one registry model. Never raises for the learner's mistakes.

    The file is read once (or `source` is used) and run from a private copy in a fresh
    temporary folder, so that what it does to the files around it touches neither itself
    nor its neighbours. A deep model is judged at one depth: `hidden` (widths such as
    (4, 3)) for every case, else the depth the file writes out (params["W3"]: two hidden
    layers), else the depth of most of the model's named shapes.
    """
    check_sweep(None, cases, dtypes)  # the caller's arguments, not the learner's file
    for name, value in (("timeout", timeout), ("import_timeout", import_timeout)):
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 < value < float("inf")):
            raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    _checks.positive_int("memory_mb", memory_mb)
    start = time.perf_counter()
    path = Path(path).resolve()
    report = FileReport(str(path), model, dtypes=list(dtypes))
    try:
        pair = REGISTRY.get(model)
        if not isinstance(pair, AutogradPair):
            known = [name for name, p in REGISTRY.items() if isinstance(p, AutogradPair)]
            raise UnusableInput(
                f"model must be one of {', '.join(known)} (a model with a backward pass), got {model!r}"
            )
        if source is None:
            if not path.is_file() or path.suffix != ".py":
                raise UnusableInput(f"FILE must be an existing .py file, got {path}")
            source = path.read_bytes()
        samples = [s for dtype in dtypes for s in cases_for(pair, dtype, cases, seed)]
        samples = _at_depth(pair, samples, hidden, source)
        report.cases = len(samples)
        with tempfile.TemporaryDirectory(prefix="torchref-check-") as tmp:
            (Path(tmp) / "learner").mkdir()
            copy = Path(tmp) / "learner" / path.name
            copy.write_bytes(source)
            inputs, caches = {}, [pair.model.forward(s.X, s.params)[1] for s in samples]  # the handmade forward
            for i, (s, cache) in enumerate(zip(samples, caches)):
                inputs.update(protocol.case_inputs(i, s.X, s.Y, s.params, cache))
            result, outputs = run_child(copy, inputs, len(samples), timeout, import_timeout, memory_mb, Path(tmp))
        _judge(report, pair, samples, caches, result, outputs, source)
    except UnusableInput as exc:
        report.verdict, report.reason = "unusable", str(exc)
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _judge(report: FileReport, pair: AutogradPair, samples, caches, result: dict, outputs: dict, source) -> None:
    if result.get("import_error"):
        raise UnusableInput(f"cannot import the file: {_where(result['import_error'])}")
    if result.get("exit"):
        raise UnusableInput(f"the file called sys.exit({result['exit']['code']}) at {result['exit']['where']}")
    if not result.get("has_backward"):
        raise UnusableInput(_no_backward(source))
    report.has_forward = result["has_forward"]
    deepest = max(samples, key=lambda s: len(s.shape.hidden)).shape
    names = pair.names(deepest)
    # required: the parameter gradients, and the forward values when the file has a forward
    verdicts = {
        n: TensorVerdict(n, required=n.startswith(("dW", "db")) or (report.has_forward and n[0] in "ZA"))
        for n in names
        if n != "J" and (report.has_forward or n.startswith("d"))
    }
    failing = {}  # name -> [Failing] of the tensors whose own line is wrong
    for i, (s, case) in enumerate(zip(samples, result["cases"])):
        report.warnings += [
            f"{name} changed in place by the learner's code (case {s.id})"
            for name in case["mutated"]
            if not any(name in w for w in report.warnings)
        ]
        if case.get("error", {}).get("type") == "MemoryError":
            raise UnusableInput(f"MemoryError in the learner's code (case {s.id}): over the memory limit?")
        if case.get("error") or case["problems"]:
            text = _where(case["error"], s.X.shape[0]) if case.get("error") else _problems(case["problems"])
            report.errors.append(f"case {s.id}: {text}")
            continue
        _judge_case(pair, s, i, caches[i], outputs, verdicts, failing)
    if len(result["cases"]) < len(samples):  # pragma: no cover - the runner stops early only on an exit
        raise UnusableInput("the learner's process returned fewer cases than it was sent")
    report.tensors = list(verdicts.values())
    _verdict(report, pair.chain(deepest), failing, source)
    if report.errors and len(report.errors) == len(samples):
        report.reason += _other_model(pair, deepest, source)


def _judge_case(
    pair: AutogradPair, s: Sample, i: int, handmade_cache: dict, outputs: dict, verdicts: dict, failing: dict
) -> None:
    def prefix(part):
        return protocol.take(outputs, i, part)

    mine = {**prefix("cache"), **prefix("grads")}
    ref = pair.torch(s)
    cache = {**handmade_cache, **prefix("cache")}  # what the learner's backward received
    env = case_environment(s, cache, mine, ref)
    chain = pair.chain(s.shape)
    tol = pair.tolerance(s.dtype)
    fd = {}
    n_params = sum(v.size for v in s.params.values())
    if s.dtype == "float64" and n_params <= FD_MAX_PARAMS:
        fd = {r.name: r for r in pair.check_finite_differences(s, mine)}
    for link in chain.links:
        name = link.name
        v = verdicts.get(name)
        if v is None:
            continue
        v.cases += 1
        if name not in mine:
            if v.required:
                _failed(v, s)
                v.status, v.diagnosis = "missing", f"no key {name!r} in the returned dict"
            elif v.status == "ok" and v.failed == 0:
                v.status = "not given"
            continue
        res = compare_tensor(name, mine[name], ref[name], tol)
        v.max_abs, v.max_rel = max(v.max_abs, res.max_abs), max(v.max_rel, res.max_rel)
        if name in fd:
            v.fd_cases += 1
            v.fd_max_abs = max(v.fd_max_abs, fd[name].max_abs)
        if res.ok and (name not in fd or fd[name].ok):
            continue
        if not v.first_failure:
            v.message = res.message
            v.worst_index = list(res.worst_index) if res.worst_index is not None else None
        _failed(v, s)
        line = own_line(link, env)
        own_line_ok = line is not None and compare_tensor(name, mine[name], line.astype(ref[name].dtype), tol).ok
        if own_line_ok and v.status in ("ok", "echo"):
            v.status = "echo"
        else:
            v.status = "wrong"
            failing.setdefault(name, []).append(Failing(s.id, s.shape, s.dtype, np.asarray(mine[name]), ref[name], env))


def _failed(v: TensorVerdict, s: Sample) -> None:
    """Count a failing case: the first one, and the smallest shape."""
    v.failed += 1
    v.first_failure = v.first_failure or s.id
    if not v.smallest_failure or _size(s.shape) < v.smallest_size:
        v.smallest_failure, v.smallest_size = s.shape.id, _size(s.shape)


def _verdict(report: FileReport, chain, failing: dict, source) -> None:
    wrong = [t for t in report.tensors if t.status in ("wrong", "missing")]
    echoes = [t for t in report.tensors if t.status == "echo"]
    if not wrong and not echoes and not report.errors:
        report.verdict = "pass"
        return
    report.verdict = "wrong"
    first = wrong[0] if wrong else echoes[0] if echoes else None
    for t in wrong:  # every wrong tensor gets its cause; the first one the full search and the learner's line
        if t.status == "wrong" and t.name in failing:
            link = chain[t.name]
            if t is first:
                cause = diagnosis.explain(link, chain, failing[t.name])
                t.diagnosis = diagnosis.sentence(link, chain, cause)
                t.computed, t.mistake = cause.computed, cause.mistake
                t.small_case = _small_case(failing[t.name], t.name, link)
                report.mistake, report.cause = cause.mistake, t.diagnosis
            else:
                t.diagnosis = diagnosis.catalogue_only(link, chain, failing[t.name])
                t.mistake = ""
    if first is not None:
        report.first_wrong = first.name
        report.reason = f"first wrong link: {first.name}: {first.diagnosis or 'follows from an earlier value'}"
        if first.status == "missing":
            loop = reading.loop_storing(source, first.name)
            if loop is not None:
                first.diagnosis += (
                    f"; the loop at line {loop} stores {first.name[:2]}{{l}}: does it reach layer {first.name[2:]}?"
                )
                report.reason = f"first wrong link: {first.name}: {first.diagnosis}"
            report.mistake, report.cause = "missing-key", first.diagnosis
        for t in echoes:
            t.diagnosis = t.diagnosis or f"follows from {first.name}: its own line is right"
        if first.name in chain.by_name and first.status != "missing":
            link = chain[first.name]
            line = reading.line_of(
                source, first.name, link.forward, link.expr.op == "sub" and "Y" in link.expr.symbols()
            )
            if line is not None:
                report.line = line.where(Path(report.file).name)
                first.read_as = line.read_as
                notes = list(line.notes)
                if line.expr is not None and first.name in failing:
                    notes += _line_against_values(line, link, chain, first, failing[first.name], report)
                if notes:
                    report.reason += f" (your line: {'; '.join(notes)})"
    if report.errors:
        failed = len(report.errors)
        error = report.errors[0].split(": ", 1)[1]
        report.reason = (
            report.reason + "; " if report.reason else ""
        ) + f"the learner's code raised in {failed}/{report.cases} cases: {error}"


def _line_against_values(line, link, chain, t: TensorVerdict, failing: list, report: FileReport) -> list[str]:
    """The learner's line, read in the notes' symbols, against the values they returned.

    When it gives those values in every failing case and nothing else said what was computed,
    it is the formula; when it gives other values, that is the message: the value was
    changed after the line, or another line produced it.
    """
    values = [diagnosis.mistakes.evaluate(line.expr, f.env) for f in failing]
    if any(v is None for v in values):
        return []
    agrees = [diagnosis.mistakes.close(v, np.asarray(f.G, np.float64), f.dtype) for v, f in zip(values, failing)]
    if all(agrees):
        if not t.computed:
            cause = diagnosis.Cause(computed=line.expr.python(), formula=diagnosis.said(link, line.expr))
            cause.explained = cause.cases = len(failing)
            t.computed, t.diagnosis = cause.computed, diagnosis.sentence(link, chain, cause)
            report.cause, report.reason = t.diagnosis, f"first wrong link: {t.name}: {t.diagnosis}"
        return []
    name = t.name
    return [
        f"it gives other values than the {name} returned: is {name} changed after it, or returned from another line?"
    ]


def _small_case(failing: list[Failing], name: str, link) -> dict:
    """The smallest failing case in full, to recompute by hand: inputs, parameters, the values the notes'
    line uses (`upstream`), the expected and the learner's value, and the first element that differs."""
    f = min(failing, key=lambda f: (_size(f.shape), f.dtype != "float64"))
    G, E = np.asarray(f.G), np.asarray(f.expected)
    case = {"case": f.case, "X": f.env["X"].tolist(), "Y": f.env["Y"].tolist()}
    case["params"] = {k: f.env[k].tolist() for k in f.env if k[:1] in ("W", "b") and not k.startswith("d")}
    used = sorted(link.expr.symbols() - {"X", "Y", *case["params"]})
    case["upstream"] = {k: f.env[k].tolist() for k in used if isinstance(f.env.get(k), np.ndarray)}
    case["expected"] = {name: E.tolist()}
    case["yours"] = {name: G.tolist() if G.dtype.kind in "biuf" else str(G)}
    if G.shape == E.shape and G.dtype.kind in "biuf":
        differs = ~np.isclose(G.astype(np.float64), E.astype(np.float64), rtol=1e-4, atol=1e-6, equal_nan=True)
        if differs.any():
            index = np.unravel_index(int(np.argmax(differs)), E.shape)
            case["first_difference"] = {
                "index": [int(i) for i in index],
                "expected": float(E[index]),
                "yours": float(G[index]),
            }
    return case


def _at_depth(pair: AutogradPair, samples: list, hidden, source) -> list:
    """The samples at one depth: `hidden` if given, else the depth the file writes out, else the usual one."""
    depths = [len(s.hidden) for s in pair.shapes]
    if hidden is not None:
        hidden = tuple(hidden)
        if not hidden or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden):
            raise ValueError(f"hidden must be positive layer widths such as (4, 3), got {hidden!r}")
        if len(set(depths)) == 1 and depths[0] != len(hidden):
            raise UnusableInput(
                f"hidden: model {pair.name} has {depths[0]} hidden layer(s), got {len(hidden)} width(s) {hidden}"
            )
    elif len(set(depths)) == 1:
        return samples  # one depth: nothing to choose
    else:
        written = reading.layers_written_out(source)
        depth = written - 1 if written and written > 1 else max(set(depths), key=depths.count)
    out = []
    for s in samples:
        widths = hidden or (s.shape.hidden * depth)[:depth]
        if widths == s.shape.hidden:
            out.append(s)
        else:
            out.append(pair.sample(Shape(s.shape.m, s.shape.n, widths, s.shape.k), s.dtype, s.seed))
    return out


def _no_backward(source) -> str:
    """The file has no backward: say what it has instead."""
    found = reading.functions(source)
    similar = [f for f in found if "back" in f.lower() or "grad" in f.lower()]
    if similar:
        return f"found `{similar[0]}()`, expected `backward(X, Y, params, cache)`: the checker calls it by that name"
    listed = f" (it defines {', '.join(f'`{f}()`' for f in found)})" if found else ""
    return f"the file defines no function backward(X, Y, params, cache){listed}"


def _problems(problems: list) -> str:
    """The runner's complaints about what was returned, with the usual cause of each."""
    out = []
    for text in problems:
        if text.endswith("got NoneType"):
            function = "backward" if "grads must" in text else "forward"
            text = f"{function} returned None: a missing `return`?"
        out.append(text)
    unfilled = [text for text in out if text.endswith("dtype object is not numeric")]
    if len(unfilled) > 2:  # the template's `...` everywhere: one line, not one per name
        names = ", ".join(text.split(": ")[0].rsplit("/", 1)[-1] for text in unfilled)
        out = [t for t in out if t not in unfilled]
        out.append(f"{names} are not numbers (a `...` of the template not filled in yet?)")
    return "; ".join(out)


def _other_model(pair: AutogradPair, shape: Shape, source) -> str:
    """When no case ran: a file written for another model of the registry ('keys A, dW, db': the logistic one)."""

    def vocabulary(p: AutogradPair, s: Shape) -> set:
        return set(p.param_shapes(s)) | set(p.names(s)) - {"J"}

    keys = reading.string_keys(source)
    ours = len(keys & vocabulary(pair, shape))
    best, best_keys = None, set()
    for name, other in REGISTRY.items():
        if other is pair or not isinstance(other, AutogradPair):
            continue
        theirs = keys & vocabulary(other, other.shapes[-1])
        if len(theirs) > max(ours, len(best_keys)):
            best, best_keys = name, theirs
    if best is None:
        return ""
    return f"; this looks like a {best} file (keys {', '.join(sorted(best_keys))}): did you mean `--model {best}`?"


def check_many(directory, model: str, progress=None, **kwargs) -> list[FileReport]:
    """Every *.py file of `directory`, sorted by name; one report each.

    All files are read before the first runs, so no submission can change or delete
    another before it is judged. `progress` wraps the iteration (e.g. tqdm).
    """
    files = sorted(p for p in Path(directory).glob("*.py") if p.is_file())
    sources = [(p, p.read_bytes()) for p in files]
    return [check(p, model, source=src, **kwargs) for p, src in (progress or iter)(sources)]
