"""The judge: one file's arrays against the reference, tensor by tensor along the notes' chain; the verdict.

`judge_file` reads what the sandbox sent back for every case of the batch (`batch.Session`),
compares every tensor with torch's values (and, for small float64 cases, with finite
differences), tells a tensor whose own line is wrong from an echo of an earlier mistake,
and names the first wrong link with its cause and the learner's line.

One module of over 400 lines: the comparison and the verdict read the same per-case records; the
verdict's sentences already live in `messages` and the causes in `diagnosis`. The laid-out
comparison (`_compare`, `_Found`) would move out first.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from torchref.checker import policy
from torchref.checker.cases import Reference, finite_differences_judge
from torchref.checker.diagnosis import source as reading
from torchref.checker.escape import clean
from torchref.checker.messages import other_model, problems, unfilled, where
from torchref.checker.report import FileReport, JSONObject, TensorVerdict, UnusableInput
from torchref.checker.sandbox import protocol
from torchref.checker.sandbox.child import FORWARD_VALUE
from torchref.checker.sandbox.sandbox import Limits
from torchref.parity import TensorResult, agreement, agrees, compare_tensor, dtype_name
from torchref.registry import AutogradPair, ModelPair, Sample
from torchref.sweep import size
from torchref.tolerances import FINITE_DIFFERENCES, SMALL_CASE, Tolerance

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from torchref.chain import Chain, Link
    from torchref.checker.diagnosis.diagnosis import Cause
    from torchref.checker.diagnosis.failing import Failing
    from torchref.checker.diagnosis.source import Line, Source
    from torchref.checker.diagnosis.statement import Reading
    from torchref.checker.sandbox.protocol import CaseRecord, Error, Result

    Array = NDArray[Any]
    Outputs = dict[str, Array]  # what the learner's process returned, keyed as protocol.key makes them
    Verdicts = dict[str, TensorVerdict]  # {name: its verdict} of every tensor judged
    Failings = dict[str, list[Failing]]  # {name: its failing cases} of the tensors whose own line is wrong
    Raised = Sequence[tuple[Sample, Error]]  # (case, exception) of every case where the learner's code raised

# the pair as the judge reads it: in a batch the Reference over it (torch's values and finite differences once)
Judged = AutogradPair | Reference

# A right file's check never loads the diagnosis (its causes, catalogue and formula search): the functions
# that explain a wrong or raising case import its modules where they first need them.

EFBIG = 27  # errno "File too large": Python ignores SIGXFSZ, so RLIMIT_FSIZE shows as this error


def _over_processes(error: Mapping[str, object]) -> bool:
    """The learner's exception says RLIMIT_NPROC refused a process (fork: EAGAIN) or a thread (threading)."""
    return error.get("type") == "BlockingIOError" or (
        error.get("type") == "RuntimeError" and error.get("message") == "can't start new thread"
    )


def _process_limit(limits: Limits) -> str:
    return f"over the process limit of {limits.processes} (--max-processes; threads count)"


def judge_file(
    report: FileReport,
    pair: Judged | ModelPair,
    samples: Sequence[Sample],
    caches: Sequence[Mapping[str, Array]],
    result: Result,
    outputs: Outputs,
    strict: bool = False,
    limits: Limits | None = None,
    source: bytes = b"",
    diagnose: bool = True,
) -> bool:
    """Judge the backward (and the forward's cache) of one file's run in `report`; False, with nothing judged,
    when the file has no backward (or the model no chain: no samples). `diagnose=False`: the verdict and the first wrong
    link only (a repair judged again needs no cause)."""
    limits = limits or Limits()
    errors: list[Mapping[str, object]] = [
        result.get("import_error") or {},
        *(c.get("error") or {} for c in result["cases"]),
    ]
    if any(e.get("errno") == EFBIG for e in errors):
        raise UnusableInput(f"over the file size limit of {limits.file_mb:g} MiB (--file-mb): it wrote too much")
    policy.refused(result)
    imported = result.get("import_error")
    if imported:
        missing = re.fullmatch(r"No module named '([\w.]+)'", imported["message"])
        if imported["type"] == "ModuleNotFoundError" and missing and missing.group(1).split(".")[0] in policy.REFERENCE:
            raise UnusableInput(f"imports the reference (line {imported.get('line', '?')}): {missing.group(1)}")
        if _over_processes(imported):
            raise UnusableInput(f"{_process_limit(limits)} at import: {where(imported)}")
        raise UnusableInput(f"cannot import the file: {where(imported)}")
    exited = result.get("exit")
    if exited:
        raise UnusableInput(f"the file called sys.exit({exited['code']}) at {exited['where']}")
    if not result.get("has_backward") or not samples or not isinstance(pair, (AutogradPair, Reference)):
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
    failing: Failings = {}
    compared = []  # the cases whose arrays are compared: every one that neither raised nor broke a rule
    raised: list[tuple[Sample, Error]] = []  # (sample, error) of every case where the learner's code raised
    for i, (s, case) in enumerate(zip(samples, result["cases"])):
        mutated = [clean(name) for name in case["mutated"]]
        report.warnings += [
            f"{name} changed in place by the learner's code (case {s.id})"
            for name in mutated
            if not any(name in w for w in report.warnings)
        ]
        error: Mapping[str, Any] = case.get("error") or {}
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
        raising = case.get("error")
        if raising or case["problems"]:
            if raising:
                from torchref.checker.diagnosis import shapes

                raised.append((s, raising))
                text = where(raising, shapes.sizes_of(s.shape), source)
            else:
                text = clean(problems(case["problems"], source))
            report.errors.append(f"case {s.id}: {text}")
            continue
        compared.append(i)
    for i, found in zip(compared, _compare(pair, samples, compared, outputs, verdicts)):
        if not _fast_case(pair, samples[i], found, verdicts):
            _judge_case(pair, samples[i], i, caches[i], outputs, verdicts, failing, found)
    report.tensors = list(verdicts.values())
    if not diagnose:
        failing = {}
    _verdict(report, pair.chain(deepest), failing, source, raised)
    for t in report.tensors:
        if t.status == "ok" and not t.cases:  # every case raised or returned no numbers: nothing to compare
            t.not_run()
    if diagnose:
        report.notes += _globals(source, Path(report.file).name, report.notes)
    if report.errors and len(report.errors) == len(samples):
        report.reason += other_model(pair.pair if isinstance(pair, Reference) else pair, deepest, source)
    return True


class _Found:
    """What one case returned, and how each of its tensors compares with the reference (`_compare`)."""

    __slots__ = ("mine", "results", "fd")

    def __init__(self, mine: dict[str, Array]):
        self.mine = mine  # name -> the learner's array: the cache and the gradients they returned
        self.results: dict[str, TensorResult] = {}  # name -> against torch's value (assert_close's rule, no message)
        self.fd: dict[str, TensorResult] = {}  # name -> against finite differences, in a case that gets them


def _compare(
    pair: Judged, samples: Sequence[Sample], compared: list[int], outputs: Outputs, verdicts: Verdicts
) -> list[_Found]:
    """Every returned tensor of every compared case against the reference, in one vectorised pass per block.

    The reference side is laid out once per batch (`Reference.laid`); a tensor of another shape or dtype than
    the reference's, or an empty one, is compared alone by `agreement` (its message says what differs).
    """
    if not isinstance(pair, Reference):
        pair = Reference(pair, samples)
    found: list[_Found] = []
    layout: list[tuple[int, str, bool]] = []  # (case, name, finite) of each tensor compared in the vectorised pass
    actual: list[Array] = []
    where: list[tuple[dict[str, TensorResult], str, Array, Tolerance]] = []  # where each one's result goes
    for i in compared:
        s = samples[i]
        f = _Found({**protocol.take(outputs, i, "cache"), **protocol.take(outputs, i, "grads")})
        found.append(f)
        ref, tol = pair.torch(s), pair.tolerance(s.dtype)
        numeric = pair.numerical(s) if finite_differences_judge(pair.pair, s) else {}
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


def _fast_case(pair: Judged, s: Sample, found: _Found, verdicts: Verdicts) -> bool:
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


def _forward_A(pair: Judged, s: Sample, i: int, outputs: Outputs, case: CaseRecord) -> None:
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
    pair: Judged,
    s: Sample,
    i: int,
    handmade_cache: Mapping[str, Array],
    outputs: Outputs,
    verdicts: Verdicts,
    failing: Failings,
    found: _Found,
) -> None:
    from torchref.checker.diagnosis.diagnosis import case_environment, own_line
    from torchref.checker.diagnosis.failing import Failing

    mine, fd = found.mine, found.fd
    ref = pair.torch(s)
    cache = {**handmade_cache, **protocol.take(outputs, i, "cache")}  # what the learner's backward received
    chain = pair.chain(s.shape)
    env = case_environment(s, cache, mine, ref, chain)
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
            if not echo and line is not None and s.dtype != "float64":
                echo = _within_rounding(mine[name], line, link, env, ref[name].dtype, tol)
        if echo:
            v.status = "echo"
        else:
            v.status = "wrong"
            given = frozenset(mine)
            failing.setdefault(name, []).append(
                Failing(s.id, s.shape, s.dtype, np.asarray(mine[name]), ref[name], env, given)
            )


ROUNDING = 10  # an echo may differ from its own line by this many times that line's own rounding in the dtype


def _within_rounding(mine: Array, line: Array, link: Link, env: dict[str, Any], dtype: Any, tol: Tolerance) -> bool:
    """The learner's value is its own line from their upstream values, up to rounding in a lower precision:
    float32 upstream values far out of the usual range (a tanh that returns 1e7) carry rounding errors that
    the dtype's tolerance, relative to the result, does not cover. The line evaluated in that dtype, beside the
    same line in float64, measures the rounding of this very computation on these very values."""
    from torchref.checker.diagnosis.diagnosis import own_line

    low = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v for k, v in env.items()}
    rounded = own_line(link, low)
    if rounded is None or rounded.shape != line.shape or np.shape(mine) != line.shape or mine.dtype != dtype:
        return False
    with np.errstate(all="ignore"):
        noise = float(np.max(np.abs(rounded.astype(np.float64) - line), initial=0.0))
        diff = np.abs(np.asarray(mine, np.float64) - line)
        bound = tol.atol + tol.rtol * np.abs(line) + ROUNDING * noise
    return bool(np.isfinite(noise)) and not (diff > bound).any()


def _failed(v: TensorVerdict, s: Sample) -> None:
    """Count a failing case: the first one, and the smallest shape."""
    v.failed += 1
    v.first_failure = v.first_failure or s.id
    work = size(s.shape)
    if not v.smallest_failure or work < v.smallest_size:
        v.smallest_failure, v.smallest_size = s.shape.id, work


def _learner_line(source: Source, chain: Chain, name: str) -> Line | None:
    """The learner's statement that made `name` (source.Line), or None."""
    if name not in chain.by_name:
        return None
    link = chain[name]
    output = link.expr.op == "sub" and "Y" in link.expr.symbols()
    return reading.line_of(source, name, link.forward, output, chain.layers)


def _echo_of(chain: Chain, name: str, status: dict[str, str], through: tuple[str, ...] = ()) -> str:
    """The wrong value an echo follows from: the nearest wrong or echoing link its own line reads, followed
    through the values the file does not return ("A2 through dZ2, which the file does not return"); "" when
    none is found."""
    link = chain.by_name.get(name)
    if link is None:
        return ""
    for symbol in sorted(link.expr.symbols(), key=lambda n: -chain.names.index(n) if n in chain.by_name else 0):
        if status.get(symbol) in ("wrong", "missing", "echo"):
            hidden = f" through {', '.join(through)}, which the file does not return" if through else ""
            return f"{symbol}{hidden}"
        if status.get(symbol) == "not given" and symbol in chain.by_name:
            found = _echo_of(chain, symbol, status, (symbol, *through))
            if found:
                return found
    return ""


def _stated_as_filled(source: Source, chain: Chain, name: str, failing: list[Failing]) -> bool:
    """The learner's statement of `name` (a value the file does not return), read back, gives the value it is
    filled in with (its notes' line on the learner's values) in every failing case."""
    from torchref.checker.diagnosis import mistakes

    line = _learner_line(source, chain, name)
    if line is None or line.expr is None or not failing:
        return False
    for f in failing:
        value = mistakes.evaluate(line.expr, f.env)
        if value is None or not mistakes.close(value, np.asarray(f.env[name], np.float64), f.dtype):
            return False
    return True


def _names(python: str) -> set[str]:
    """The names an expression in Python reads."""
    return {n.id for n in ast.walk(ast.parse(python, mode="eval")) if isinstance(n, ast.Name)}


def _hidden_reads(chain: Chain, name: str, status: dict[str, str]) -> set[str]:
    """The values the file does not return that `name`'s own line reads, directly or through other such values."""
    out: set[str] = set()
    todo = [name]
    while todo:
        for symbol in chain[todo.pop()].expr.symbols():
            if symbol in chain.by_name and status.get(symbol) == "not given" and symbol not in out:
                out.add(symbol)
                todo.append(symbol)
    return out


def _unseen_upstream(
    report: FileReport, chain: Chain, first: TensorVerdict, verified: set[str], failing: list[Failing], source: Source
) -> None:
    """A wrong link after the first that reads, as the first does, a value the file does not return, is judged
    against what that value would be if its line were right (`case_environment`); if the learner's value there
    is wrong, the link is an echo of it and its own line may be right. Such a value is taken as filled in
    only when the values show it: a returned link that reads it is right or an echo (its line, from the value as
    filled in, gives what the file returned), the first link's statement or formula, which reads it, gives
    the learner's values (`verified`), or the learner's own statement of it, read back, gives the value as
    filled in, in every failing case of the first link. Otherwise each such link is said to be an echo that may
    follow from the unseen value, never called wrong."""
    if first.name not in chain.by_name:
        return
    status = {t.name: t.status for t in report.tensors}
    suspect = _hidden_reads(chain, first.name, status)
    for t in report.tensors:
        if t.status in ("ok", "echo") and t.name in chain.by_name:
            verified |= chain[t.name].expr.symbols()
    verified |= {name for name in suspect if _stated_as_filled(source, chain, name, failing)}
    for name in verified & suspect:
        suspect -= {name} | _hidden_reads(chain, name, status)
    if not suspect:
        return
    for t in report.tensors:
        if t is first or t.status != "wrong" or t.name not in chain.by_name:
            continue
        shared = sorted(_hidden_reads(chain, t.name, status) & suspect, key=chain.names.index)
        if shared:
            t.status, t.mistake, t.computed = "echo", "", ""
            t.diagnosis = (
                f"may follow from {', '.join(shared)}, which the file does not return and {first.name} reads too"
                f" (return {shared[0]} to have it judged)"
            )


def _verdict(report: FileReport, chain: Chain, failing: Failings, source: Source, raised: Raised = ()) -> None:
    wrong = [t for t in report.tensors if t.status in ("wrong", "missing")]
    echoes = [t for t in report.tensors if t.status == "echo"]
    if not wrong and not echoes and not report.errors:
        report.verdict = "pass"
        return
    from torchref.checker.diagnosis import diagnosis

    report.verdict = "wrong"
    shaped, shape_said = _misshapen_link(report, chain, raised, source) if not wrong and not echoes else (None, "")
    first = wrong[0] if wrong else echoes[0] if echoes else shaped or _raising_link(report, chain, raised, source)
    lines: dict[str, Line | None] = {}
    causes: dict[str, Cause] = {}
    line = None
    for t in wrong:  # every wrong tensor gets its cause; the first one the full search and the learner's line
        if t.status == "wrong" and t.name in failing:
            link = chain[t.name]
            lines[t.name] = line = _learner_line(source, chain, t.name)
            statement = line.node if line is not None else None
            if t is first:
                causes[t.name] = cause = diagnosis.explain(link, chain, failing[t.name], statement=statement)
                t.diagnosis = diagnosis.sentence(link, chain, cause)
                t.computed, t.mistake = cause.computed, cause.mistake
                t.small_case = _small_case(failing[t.name], t.name, link)
                report.mistake, report.cause = cause.mistake, t.diagnosis
            else:
                t.diagnosis = diagnosis.catalogue_only(link, chain, failing[t.name], statement)
                t.mistake = ""
    verified: set[str] = set()  # symbols read by a statement or formula that gives the first wrong link's values
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
                t.diagnosis or f"follows from {_echo_of(chain, t.name, status) or first.name}: its own line is right"
            )
        if first.name in chain.by_name and first.status != "missing":
            link = chain[first.name]
            line = lines.get(first.name) or _learner_line(source, chain, first.name)
            if line is not None:
                report.line = line.where(Path(report.file).name)
                first.read_as = line.read_as
                notes = list(line.notes)
                if first.name in failing:
                    first_cause = causes.get(first.name)  # none when the first wrong tensor is not the first wrong
                    upstream = first_cause.upstream if first_cause is not None else ""
                    said, found = _read_statement(
                        line, link, chain, first, failing[first.name], report, source, upstream
                    )
                    notes += said
                    if found.computed is not None and found.mistake != "intermediate":
                        verified = found.computed.symbols()
                    elif first.computed and not found.differs and found.mistake != "intermediate":
                        verified = _names(first.computed)
                    if upstream and report.line == line.where(Path(report.file).name):
                        _upstream_place(upstream, chain, first, failing[first.name], report, source)
                if notes:
                    report.reason += f" (your line: {'; '.join(notes)})"
            if first is shaped:  # its statement ran with the wrong shape; a later line raised (and its own, elsewhere?)
                first.diagnosis, first.mistake = shape_said, "shape"
                report.cause, report.mistake = first.diagnosis, first.mistake
                report.reason = f"first wrong link: {first.name}: {first.diagnosis}"
                if line is not None:
                    _raised_there(report, first, line, raised, source)
            else:
                _raised_there(report, first, line if first.name in failing else None, raised, source)
        if first.status == "wrong":
            _unseen_upstream(report, chain, first, verified, failing.get(first.name, []), source)
    if report.errors:
        failed = len(report.errors)
        error = report.errors[0].split(": ", 1)[1]
        report.reason = (
            report.reason + "; " if report.reason else ""
        ) + f"the learner's code raised in {failed}/{report.cases} cases: {error}"


def _globals(source: Source, filename: str, said: list[str]) -> list[str]:
    """A note for each global of the notebook or module that the file's forward or backward reads (what a kernel
    that ran the notebook would give them), with its value when the module writes it as a number."""
    text, out = _lines(source), []
    for function, name, value, set_at, read_at in reading.globals_read(source):
        if any(f"the global {name} " in note for note in said):
            continue
        code = text[set_at - 1].split("#")[0].strip() if 0 < set_at <= len(text) else ""
        shown = f"{name} = {value:g}" if value is not None else name
        out.append(f"{function} reads the global {shown} (`{clean(code, 120)}` at {filename}:{set_at}; read at "
                   f"{filename}:{read_at})")  # fmt: skip
    return out


def _lines(source: Source) -> list[str]:
    return (source.decode("utf-8", "replace") if isinstance(source, bytes) else source).splitlines()


def _place(report: FileReport, source: Source, number: int) -> str:
    """`file.py:N  <code>` of line N of the judged source."""
    text = _lines(source)
    code = text[number - 1].split("#")[0].strip() if 0 < number <= len(text) else ""
    return f"{Path(report.file).name}:{number}  {code}"


def _read_statement(
    line: Line,
    link: Link,
    chain: Chain,
    t: TensorVerdict,
    failing: list[Failing],
    report: FileReport,
    source: Source,
    upstream: str = "",
) -> tuple[list[str], Reading]:
    """The learner's statement read against their values (`statement.read`): what it verifies joins the cause
    (a helper, an intermediate, an eps, a global, a parameter changed in place, the formula), and its line is
    named when it is another than the statement's; a statement that gives other values says so. Returns the
    notes for the reason and the reading."""
    from torchref.checker.diagnosis import diagnosis, statement

    filename = Path(report.file).name
    found = statement.read(line, link, chain, failing, source, filename, upstream)
    report.notes = list(dict.fromkeys(report.notes + found.notes))
    notes = []
    if found.differs and not found.sentences:
        notes.append(
            f"it gives other values than the {t.name} returned: is {t.name} changed after it, or returned from "
            "another line?"
        )
    # the catalogue's label or the search's formula stands, unless the statement shows a mechanism that a fitted
    # constant only describes (a global m is no "constant factor")
    known = bool(t.mistake or t.computed)
    if found.mistake in statement.MECHANISMS and t.mistake in ("factor", "extra-term-W"):
        known, t.computed = False, ""
    parts = list(found.sentences)
    if found.computed is not None and not t.computed:
        t.computed = found.computed.python()
        parts.append(f"you computed {diagnosis.said(link, found.computed)}; the notes: {link.formula}")
    if not parts:
        return notes, found
    layer = chain.layer_text(link.name)
    text = f"{t.diagnosis}; {'; '.join(parts)}" if known else (f"{layer}: " if layer else "") + "; ".join(parts)
    if not known and found.mistake:
        t.mistake = report.mistake = found.mistake
    t.diagnosis = report.cause = text
    report.reason = f"first wrong link: {t.name}: {text}"
    if found.place:
        report.line = _place(report, source, found.place)
    return notes, found


def _upstream_place(
    name: str, chain: Chain, t: TensorVerdict, failing: list[Failing], report: FileReport, source: Source
) -> None:
    """The named mistake is in a value the file does not return (dZ2 for dW2): its statement is the learner's
    line, or the helper it calls when the values show the helper is wrong."""
    line = _learner_line(source, chain, name)
    if line is None:
        return
    from torchref.checker.diagnosis import statement

    found = statement.upstream(line, chain[name], chain, failing, source, Path(report.file).name)
    report.line = _place(report, source, found.place or line.number)
    if found.sentences:
        t.diagnosis = report.cause = f"{t.diagnosis}; {'; '.join(found.sentences)}"
        report.reason = f"first wrong link: {t.name}: {t.diagnosis}"


def _raising_counts(raised: Raised) -> dict[tuple[str | None, int | None], int]:
    """(function, line) -> the cases the statement there raised in."""
    counts: dict[tuple[str | None, int | None], int] = {}
    for _, error in raised:
        place = (error.get("function"), error.get("line"))
        counts[place] = counts.get(place, 0) + 1
    return counts


def _made_by_raising(tree: ast.Module, link: Link, counts: dict[tuple[str | None, int | None], int]) -> int:
    """The cases in which a statement that makes the link's value raised (0: none)."""
    function = "forward" if link.forward else "backward"
    fn = reading._function(tree, function)
    if fn is None:
        return 0
    for (raising, number), count in counts.items():
        made = next(
            (n for n in reading.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign)) and n.lineno == number), None
        )
        target = reading._target_name(made) if raising == function and made is not None else ""
        # a bare annotation (`dW1: np.ndarray`) stores no value
        values = [value for value, _ in reading._producers(fn, link.name) if value is not None] if target else []
        if any(isinstance(n, ast.Name) and n.id == target for value in values for n in reading.walk(value)):
            return count
    return 0


def _raising_link(report: FileReport, chain: Chain, raised: Raised, source: Source) -> TensorVerdict | None:
    """Where nothing returned is wrong but the code raised: the first link of the chain whose value a raising
    statement makes (the statements that raised, each counted in the cases where it did)."""
    tree = reading.parse(source)
    if not raised or tree is None:
        return None
    counts = _raising_counts(raised)
    by_name = {t.name: t for t in report.tensors}
    for link in chain.links:
        if link.name in by_name and (count := _made_by_raising(tree, link, counts)):
            t = by_name[link.name]
            t.status = "wrong"
            t.failed += count
            t.cases += count
            return t
    return None


def _notes_shape(shape: str, sizes: dict[str, int]) -> tuple[int, ...] | None:
    """A link's shape in the notes' symbols ("(m, h)") in a case's numbers; None when a size is not known."""
    out = []
    for part in shape.strip("()").split(","):
        part = part.strip()
        if part.isdigit():
            out.append(int(part))
        elif part in sizes:
            out.append(sizes[part])
        else:
            return None
    return tuple(out)


def _misshapen_link(
    report: FileReport, chain: Chain, raised: Raised, source: Source
) -> tuple[TensorVerdict | None, str]:
    """Where nothing returned is wrong but the code raised: the first link of the chain that the raising frame
    holds under its own name, made by the learner's statement before the raising line, with another shape than
    the notes' (dZ2 (m, m) where the notes keep (m, 1)); that link, and the sentence that says so. A transposed
    shape is left alone (a file that keeps examples in columns may mean it). (None, "") when there is none."""
    from torchref.checker.diagnosis import shapes
    from torchref.checker.messages import _one_d_line

    tree = reading.parse(source)
    if not raised or tree is None:
        return None, ""
    by_name = {t.name: t for t in report.tensors}
    counts = _raising_counts(raised)
    for link in chain.links:
        function = "forward" if link.forward else "backward"
        fn = reading._function(tree, function)
        if fn is None or link.name not in by_name:
            continue
        if _made_by_raising(tree, link, counts):  # an earlier link's own statement raised: that one is first
            return None, ""
        seen = []
        for s, error in raised:
            got = (error.get("shapes") or {}).get(link.name)
            line = error.get("line")
            if error.get("function") != function or got is None or not line:
                continue
            sizes = shapes.sizes_of(s.shape)
            expected = _notes_shape(link.shape, sizes)
            made = [a for a in reading._assignments(fn, link.name) if a.lineno < line]
            if expected is None or tuple(got) == expected or not made:
                continue
            seen.append((s, error, tuple(got), expected))
        if seen:
            t = by_name[link.name]
            t.status, t.failed, t.cases = "wrong", t.failed + len(seen), t.cases + len(seen)
            s, error, made_shape, _ = min(seen, key=lambda c: size(c[0].shape))
            sizes = shapes.sizes_of(s.shape)
            sentence = (
                f"{link.name} is {shapes.named(made_shape, sizes)} where the notes keep {link.shape}: the statement "
                f"that made it ran, and line {error['line']} raised after it, in {len(seen)}/{report.cases} cases"
            )
            if made_shape == (sizes["m"], sizes["m"]) and (one_d := _one_d_line(source, error, link.name)):
                sentence += f"; an (m,) array was broadcast against an (m, 1) one at line {one_d}"
            return t, sentence
    return None, ""


def _raised_there(report: FileReport, t: TensorVerdict, line: Line | None, raised: Raised, source: Source) -> None:
    """The first wrong link's own statement raised in some cases: why, from its operands' shapes."""
    if not raised:
        return
    number = line.number if line is not None else 0
    here = [(s, e) for s, e in raised if e.get("line") and (e["line"] == number or not number)]
    if not here:
        return
    if not number:  # the link is the raising statement's (nothing it returned was wrong where the code ran)
        lines = [e["line"] or 0 for _, e in here]  # each has a line (`here` keeps only those)
        number = max(set(lines), key=lines.count)
        here = [(s, e) for s, e in here if e["line"] == number]
        report.line = _place(report, source, number)
    from torchref.checker.diagnosis import shapes

    left = unfilled(source, here[0][1])  # a `...` of the template that the line holds or reads
    why = left or next((w for s, e in here if (w := shapes.explain(e, shapes.sizes_of(s.shape)))), "")
    if not why:
        return
    said = (
        f"{left} (your line raised in {len(here)}/{report.cases} cases)"
        if left
        else (f"your line raised in {len(here)}/{report.cases} cases: {why}")
    )
    if t.mistake or t.computed:
        t.diagnosis = f"{t.diagnosis}; {said}"
    else:
        t.diagnosis = (f"{t.diagnosis.split(': ', 1)[0]}: " if t.diagnosis.startswith("layer ") else "") + said
        t.mistake = t.mistake or "raises"
    report.cause, report.mistake = t.diagnosis, t.mistake
    report.reason = f"first wrong link: {t.name}: {t.diagnosis}"


def _small_case(failing: list[Failing], name: str, link: Link) -> JSONObject:
    """The smallest failing case in full, to recompute by hand: inputs, parameters, the values the notes'
    line uses (`upstream`), the expected and the learner's value, and the first element that differs."""
    f = min(failing, key=lambda f: (size(f.shape), f.dtype != "float64"))
    G, E = np.asarray(f.G), np.asarray(f.expected)
    case: JSONObject = {"case": f.case, "X": f.env["X"].tolist(), "Y": f.env["Y"].tolist()}
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
        elif G.size:  # a difference no five printed digits show: the largest, to be printed with enough digits
            gap = np.abs(G.astype(np.float64) - E.astype(np.float64))
            index = np.unravel_index(int(np.nanargmax(gap)) if not np.isnan(gap).all() else 0, E.shape)
            case["largest_difference"] = {
                "index": [int(i) for i in index],
                "expected": float(E[index]),
                "yours": float(G[index]),
            }
    return case
