"""The judge: one file's arrays against the reference, tensor by tensor along the notes' chain; the verdict.

`judge_file` reads what the sandbox sent back for every case of the batch (`batch.Session`),
compares every tensor with torch's values (and, for small float64 cases, with finite
differences), tells a tensor whose own line is wrong from an echo of an earlier mistake,
and names the first wrong link with its cause and the learner's line.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from torchref.checker import policy
from torchref.checker.cases import Reference, finite_differences_judge
from torchref.checker.diagnosis import diagnosis
from torchref.checker.diagnosis import source as reading
from torchref.checker.diagnosis.diagnosis import Failing, case_environment, own_line
from torchref.checker.escape import clean
from torchref.checker.messages import other_model, problems, where
from torchref.checker.report import FileReport, TensorVerdict, UnusableInput
from torchref.checker.sandbox import protocol
from torchref.checker.sandbox.child import FORWARD_VALUE
from torchref.checker.sandbox.sandbox import Limits
from torchref.parity import TensorResult, agreement, agrees, compare_tensor, dtype_name
from torchref.registry import AutogradPair, Sample
from torchref.sweep import size
from torchref.tolerances import FINITE_DIFFERENCES, SMALL_CASE

EFBIG = 27  # errno "File too large": Python ignores SIGXFSZ, so RLIMIT_FSIZE shows as this error


def _over_processes(error: dict) -> bool:
    """The learner's exception says RLIMIT_NPROC refused a process (fork: EAGAIN) or a thread (threading)."""
    return error.get("type") == "BlockingIOError" or (
        error.get("type") == "RuntimeError" and error.get("message") == "can't start new thread"
    )


def _process_limit(limits: Limits) -> str:
    return f"over the process limit of {limits.processes} (--max-processes; threads count)"


def judge_file(
    report: FileReport,
    pair: AutogradPair,
    samples,
    caches,
    result: dict,
    outputs: dict,
    strict: bool = False,
    limits: Limits | None = None,
    source: bytes = b"",
    diagnose: bool = True,
) -> bool:
    """Judge the backward (and the forward's cache) of one file's run in `report`; False, with nothing judged,
    when the file has no backward (or the model no chain). `diagnose=False`: the verdict and the first wrong
    link only (a repair judged again needs no cause)."""
    limits = limits or Limits()
    errors = [result.get("import_error") or {}, *(c.get("error") or {} for c in result["cases"])]
    if any(e.get("errno") == EFBIG for e in errors):
        raise UnusableInput(f"over the file size limit of {limits.file_mb:g} MiB (--file-mb): it wrote too much")
    policy.refused(result)
    if result.get("import_error"):
        error = result["import_error"]
        missing = re.fullmatch(r"No module named '([\w.]+)'", error["message"])
        if error["type"] == "ModuleNotFoundError" and missing and missing.group(1).split(".")[0] in policy.REFERENCE:
            raise UnusableInput(f"imports the reference (line {error.get('line', '?')}): {missing.group(1)}")
        if _over_processes(error):
            raise UnusableInput(f"{_process_limit(limits)} at import: {where(error)}")
        raise UnusableInput(f"cannot import the file: {where(error)}")
    if result.get("exit"):
        raise UnusableInput(f"the file called sys.exit({result['exit']['code']}) at {result['exit']['where']}")
    if not result.get("has_backward") or not samples:
        return False  # the contract's other functions are judged (`pieces.session`), which says what the file lacks
    if len(result["cases"]) != len(samples):
        raise UnusableInput(
            f"the learner's process returned {len(result['cases'])} cases where {len(samples)} were sent"
        )
    report.has_forward = result["has_forward"]
    deepest = max(samples, key=lambda s: len(s.shape.hidden)).shape
    names = pair.names(deepest)
    # required: the parameter gradients, and the activations when the file has a forward (a cache may keep
    # only what its backward reads: the A's, without the Z's)
    verdicts = {
        n: TensorVerdict(n, required=n.startswith(("dW", "db")) or (report.has_forward and n[0] == "A"))
        for n in names
        if n != "J" and (report.has_forward or n.startswith("d"))
    }
    failing = {}  # name -> [Failing] of the tensors whose own line is wrong
    compared = []  # the cases whose arrays are compared: every one that neither raised nor broke a rule
    for i, (s, case) in enumerate(zip(samples, result["cases"])):
        mutated = [clean(name) for name in case["mutated"]]
        report.warnings += [
            f"{name} changed in place by the learner's code (case {s.id})"
            for name in mutated
            if not any(name in w for w in report.warnings)
        ]
        error = case.get("error", {})
        if strict and (mutated or "read-only" in error.get("message", "")):  # strict: the inputs were read-only
            case = {**case, "problems": [*case["problems"], "changes an input in place (--strict)"]}
            case.pop("error", None)
        if error.get("type") == "MemoryError":
            raise UnusableInput(
                f"MemoryError in the learner's code (case {s.id}): over the memory limit (--memory-mb)?"
            )
        if _over_processes(error):
            raise UnusableInput(f"{_process_limit(limits)} in case {s.id}: {where(error)}")
        if report.has_forward and not case.get("error") and not case["problems"]:
            _forward_A(pair, s, i, outputs, case)
        if case.get("error") or case["problems"]:
            text = where(case["error"], s.X.shape[0]) if case.get("error") else clean(problems(case["problems"]))
            report.errors.append(f"case {s.id}: {text}")
            continue
        compared.append(i)
    for i, found in zip(compared, _compare(pair, samples, compared, outputs, verdicts)):
        if not _fast_case(pair, samples[i], found, verdicts):
            _judge_case(pair, samples[i], i, caches[i], outputs, verdicts, failing, found)
    report.tensors = list(verdicts.values())
    if not diagnose:
        failing = {}
    _verdict(report, pair.chain(deepest), failing, source)
    if report.errors and len(report.errors) == len(samples):
        report.reason += other_model(pair, deepest, source)
    return True


class _Found:
    """What one case returned, and how each of its tensors compares with the reference (`_compare`)."""

    __slots__ = ("mine", "results", "fd")

    def __init__(self, mine: dict):
        self.mine = mine  # name -> the learner's array: the cache and the gradients they returned
        self.results = {}  # name -> TensorResult against torch's value (assert_close's rule, no message)
        self.fd = {}  # name -> TensorResult against finite differences, in a case that gets them


def _compare(pair, samples, compared: list[int], outputs: dict, verdicts: dict) -> list[_Found]:
    """Every returned tensor of every compared case against the reference, in one vectorised pass per block.

    The reference side is laid out once per batch (`Reference.laid`); a tensor of another shape or dtype than
    the reference's, or an empty one, is compared alone by `agreement` (its message says what differs).
    """
    if not isinstance(pair, Reference):
        pair = Reference(pair, samples)
    found, layout, actual, where = [], [], [], []
    for i in compared:
        s = samples[i]
        f = _Found({**protocol.take(outputs, i, "cache"), **protocol.take(outputs, i, "grads")})
        found.append(f)
        ref, tol = pair.torch(s), pair.tolerance(s.dtype)
        numeric = pair.numerical(s) if finite_differences_judge(pair, s) else {}
        for name in pair.names(s.shape):
            a = f.mine.get(name)
            if name not in verdicts or a is None:
                continue
            for finite, e in ((False, ref[name]), (True, numeric.get(name))):
                if e is None:
                    continue
                results = f.fd if finite else f.results
                if a.shape == e.shape and a.dtype == e.dtype and a.size:
                    layout.append((i, name, finite))
                    actual.append(a)
                    where.append((results, name, e, FINITE_DIFFERENCES if finite else tol))
                else:
                    results[name] = agreement({name: a}, {name: e}, FINITE_DIFFERENCES if finite else tol)[0]
    if layout:
        for (results, name, e, tol), ok, max_abs, max_rel in zip(where, *pair.laid(tuple(layout)).compare(actual)):
            results[name] = TensorResult(
                name, ok, e.shape, dtype_name(e.dtype), max_abs, max_rel, None, tol.rtol, tol.atol
            )
    return found


def _fast_case(pair, s: Sample, found: _Found, verdicts: dict) -> bool:
    """A case where every given tensor agrees (and every required one is given), counted at once.

    False, with nothing counted, when anything differs: `_judge_case` then walks the chain
    and names the mistake. The counting is `_judge_case`'s for the tensors that agree.
    """
    names = [n for n in pair.names(s.shape) if n in verdicts]
    if any(verdicts[n].required and n not in found.mine for n in names):
        return False
    results, fd = found.results, found.fd
    if not all(r.ok for r in results.values()) or not all(r.ok for r in fd.values()):
        return False
    for name in names:
        v = verdicts[name]
        v.cases += 1
        if name not in results:
            if v.status == "ok" and v.failed == 0:
                v.status = "not given"
            continue
        v.max_abs, v.max_rel = max(v.max_abs, results[name].max_abs), max(v.max_rel, results[name].max_rel)
        if name in fd:
            v.fd_cases += 1
            v.fd_max_abs = max(v.fd_max_abs, fd[name].max_abs)
    return True


def _forward_A(pair, s: Sample, i: int, outputs: dict, case: dict) -> None:
    """The A that forward returned is the last layer's A of its cache: compared, and used where the cache lacks it."""
    last = [n for n in pair.names(s.shape) if FORWARD_VALUE.match(n) and n.startswith("A")][-1]
    A = outputs.get(protocol.key(i, "forward", "A"))
    cached = outputs.get(protocol.key(i, "cache", last))
    if A is None:
        return
    if cached is None:
        outputs[protocol.key(i, "cache", last)] = A
    elif A.shape != cached.shape or not np.array_equal(A, cached, equal_nan=True):
        case["problems"].append(f"forward returned an A that differs from its cache[{last!r}]")


def _judge_case(
    pair: AutogradPair,
    s: Sample,
    i: int,
    handmade_cache: dict,
    outputs: dict,
    verdicts: dict,
    failing: dict,
    found: _Found,
) -> None:
    mine, fd = found.mine, found.fd
    ref = pair.torch(s)
    cache = {**handmade_cache, **protocol.take(outputs, i, "cache")}  # what the learner's backward received
    env = case_environment(s, cache, mine, ref)
    chain = pair.chain(s.shape)
    tol = pair.tolerance(s.dtype)
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
        res = found.results[name]
        v.max_abs, v.max_rel = max(v.max_abs, res.max_abs), max(v.max_rel, res.max_rel)
        if name in fd:
            v.fd_cases += 1
            v.fd_max_abs = max(v.fd_max_abs, fd[name].max_abs)
        if res.ok and (name not in fd or fd[name].ok):
            continue
        if not v.first_failure:  # the first failing case's message and worst element are the ones kept
            res = compare_tensor(name, mine[name], ref[name], tol)
            v.message = res.message
            v.worst_index = list(res.worst_index) if res.worst_index is not None else None
        _failed(v, s)
        echo = False  # an echo: its own line, from the learner's upstream values, gives what they returned
        if v.status in ("ok", "echo"):  # (a tensor wrong in an earlier case stays wrong: no need to look again)
            line = own_line(link, env)
            echo = line is not None and agrees(mine[name], line.astype(ref[name].dtype), tol)
        if echo:
            v.status = "echo"
        else:
            v.status = "wrong"
            given = frozenset(mine)
            failing.setdefault(name, []).append(
                Failing(s.id, s.shape, s.dtype, np.asarray(mine[name]), ref[name], env, given)
            )


def _failed(v: TensorVerdict, s: Sample) -> None:
    """Count a failing case: the first one, and the smallest shape."""
    v.failed += 1
    v.first_failure = v.first_failure or s.id
    if not v.smallest_failure or size(s.shape) < v.smallest_size:
        v.smallest_failure, v.smallest_size = s.shape.id, size(s.shape)


def _learner_line(source, chain, name: str):
    """The learner's statement that made `name` (source.Line), or None."""
    if name not in chain.by_name:
        return None
    link = chain[name]
    return reading.line_of(source, name, link.forward, link.expr.op == "sub" and "Y" in link.expr.symbols())


def _echo_of(chain, name: str, status: dict, first: str) -> str:
    """The wrong value an echo follows from: the nearest wrong or echoing link its own line reads."""
    link = chain.by_name.get(name)
    if link is None:
        return first
    for symbol in sorted(link.expr.symbols(), key=lambda n: -chain.names.index(n) if n in chain.by_name else 0):
        if status.get(symbol) in ("wrong", "missing", "echo"):
            return symbol
    return first


def _verdict(report: FileReport, chain, failing: dict, source) -> None:
    wrong = [t for t in report.tensors if t.status in ("wrong", "missing")]
    echoes = [t for t in report.tensors if t.status == "echo"]
    if not wrong and not echoes and not report.errors:
        report.verdict = "pass"
        return
    report.verdict = "wrong"
    first = wrong[0] if wrong else echoes[0] if echoes else None
    lines = {}
    for t in wrong:  # every wrong tensor gets its cause; the first one the full search and the learner's line
        if t.status == "wrong" and t.name in failing:
            link = chain[t.name]
            lines[t.name] = line = _learner_line(source, chain, t.name)
            statement = line.node if line is not None else None
            if t is first:
                cause = diagnosis.explain(link, chain, failing[t.name], statement=statement)
                t.diagnosis = diagnosis.sentence(link, chain, cause)
                t.computed, t.mistake = cause.computed, cause.mistake
                t.small_case = _small_case(failing[t.name], t.name, link)
                report.mistake, report.cause = cause.mistake, t.diagnosis
            else:
                t.diagnosis = diagnosis.catalogue_only(link, chain, failing[t.name], statement)
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
        status = {t.name: t.status for t in report.tensors}
        for t in echoes:
            t.diagnosis = (
                t.diagnosis or f"follows from {_echo_of(chain, t.name, status, first.name)}: its own line is right"
            )
        if first.name in chain.by_name and first.status != "missing":
            link = chain[first.name]
            line = lines.get(first.name) or _learner_line(source, chain, first.name)
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
    f = min(failing, key=lambda f: (size(f.shape), f.dtype != "float64"))
    G, E = np.asarray(f.G), np.asarray(f.expected)
    case = {"case": f.case, "X": f.env["X"].tolist(), "Y": f.env["Y"].tolist()}
    case["params"] = {k: f.env[k].tolist() for k in f.env if k[:1] in ("W", "b") and not k.startswith("d")}
    used = sorted(link.expr.symbols() - {"X", "Y", *case["params"]})
    case["upstream"] = {k: f.env[k].tolist() for k in used if isinstance(f.env.get(k), np.ndarray)}
    case["expected"] = {name: E.tolist()}
    case["yours"] = {name: G.tolist() if G.dtype.kind in "biuf" else str(G)}
    if G.shape == E.shape and G.dtype.kind in "biuf":
        tol = SMALL_CASE
        differs = ~np.isclose(G.astype(np.float64), E.astype(np.float64), rtol=tol.rtol, atol=tol.atol, equal_nan=True)
        if differs.any():
            index = np.unravel_index(int(np.argmax(differs)), E.shape)
            case["first_difference"] = {
                "index": [int(i) for i in index],
                "expected": float(E[index]),
                "yours": float(G[index]),
            }
    return case
