"""The judge: run a learner's file on the sweep's cases, compare every tensor, name the first wrong link.

A batch (one file, or a class's folder) draws its cases once, computes the reference of
every case once (torch's values, the handmade cache, the finite differences) and shares
them with every file; each file runs in the batch's sandbox (`sandbox.py`), `jobs` files
at a time, and whatever one file does makes only that file "could not be judged".
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import secrets
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import torchref
from torchref.derivation import diagnosis, protocol
from torchref.derivation import source as reading
from torchref.derivation.child import FORWARD_VALUE, run_file
from torchref.derivation.diagnosis import Failing, case_environment, own_line
from torchref.derivation.escape import clean
from torchref.derivation.report import FileReport, TensorVerdict, UnusableInput
from torchref.derivation.sandbox import Batch, Limits, SandboxError
from torchref.parity import agreement, compare_tensor, finite_differences
from torchref.registry import DTYPES, FD_TOLERANCE, REGISTRY, AutogradPair, Sample, Shape
from torchref.sweep import FD_MAX_PARAMS, cases_for, check_sweep, size
from torchref_handmade import _checks

MAX_SOURCE = 2**20  # bytes of a submission
# what a derivation may not import: the reference itself, and the libraries that compute gradients for it
REFERENCE = ("torch", "torchref", "torchref_handmade", "handmade", "jax", "jaxlib")
ALLOWED = frozenset(sys.stdlib_module_names) | {"numpy"}
SEED_ENV = "TORCHREF_SEED"
# the ranges of m, and of n and each hidden width, of the two large cases: one tall (many examples),
# one wide (many inputs and units); each costs a few milliseconds
TALL = ((1024, 2049), (8, 33))
WIDE = ((16, 65), (128, 321))


def _where(error: dict, m: int | None = None) -> str:
    """The learner's exception with file, line and code; a hint when a local has the (m, m) shape of a broadcast."""
    loc = (
        f" at {clean(error['file'])}:{error['line']} in {clean(error.get('function', '?'))}"
        if error.get("line")
        else ""
    )
    code = f": `{clean(error['code'])}`" if error.get("code") else ""
    text = f"{clean(error['type'])}{loc}{code}: {clean(error['message'])}"
    square = [name for name, shape in error.get("shapes", {}).items() if m and m > 1 and shape == [m, m]]
    if square:
        text += (
            f" (hint: {', '.join(clean(n) for n in square)} has shape ({m}, {m}) = (m, m): an (m,) array was broadcast"
            f" against an (m, 1) one)"
        )
    return text


def fresh_seed() -> int:
    """The seed of a run: TORCHREF_SEED when set (a secret fixed seed for CI), else a fresh random one."""
    text = os.environ.get(SEED_ENV)
    if text is None or text == "":
        return secrets.randbelow(2**31)
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"{SEED_ENV} must be an integer >= 0, got {text!r}")
    return seed


def draw_cases(pair: AutogradPair, dtypes, cases: int, seed: int) -> list[Sample]:
    """The sweep's cases, with the last random case of each dtype replaced by a large one.

    The large shape keeps the pair's depth and classes (from its own random shape) and
    draws m, n and the hidden widths from TALL (the first dtype) or WIDE (the second),
    beyond the registry's random shapes, so that a file cannot have met every shape before.
    """
    samples = []
    for dtype in dtypes:
        drawn = list(cases_for(pair, dtype, cases, seed))
        if cases > len(pair.shapes) + 1:
            rng = np.random.default_rng([seed, 7, DTYPES.index(dtype)])
            base = pair.random_shape(rng)
            tall = len(samples) == 0  # the first dtype's is tall (m large), the second's wide (n, h large)
            (m0, m1), (n0, n1) = (TALL if tall else WIDE)[:2]
            shape = replace(
                base,
                m=int(rng.integers(m0, m1)),
                n=int(rng.integers(n0, n1)),
                hidden=tuple(int(rng.integers(n0, n1)) for _ in base.hidden),
            )
            drawn[-1] = pair.sample(shape, dtype, seed * 100_003 + cases - 1)
        samples += drawn
    return samples


class _Reference:
    """The pair as the judge sees it in a batch: torch's values and finite differences computed once per case."""

    def __init__(self, pair: AutogradPair, samples):
        self._pair = pair
        self._torch = {id(s): pair.torch(s) for s in samples}
        self._numeric = {}
        for s in samples:  # now, once, rather than in every worker of a parallel batch
            if s.dtype == "float64" and sum(v.size for v in s.params.values()) <= FD_MAX_PARAMS:
                self._numerical(s)

    def __getattr__(self, name):
        return getattr(self._pair, name)

    def torch(self, s: Sample) -> dict:
        return self._torch[id(s)] if id(s) in self._torch else self._pair.torch(s)

    def check_finite_differences(self, s: Sample, grads: dict | None = None):
        if grads is None:
            return self._pair.check_finite_differences(s)
        numeric = {key: value for key, value in self._numerical(s).items() if key in grads}
        return agreement(grads, numeric, FD_TOLERANCE)

    def _numerical(self, s: Sample) -> dict:
        """Central differences of the handmade loss for every parameter of `s`, in float64 (computed once)."""
        if id(s) not in self._numeric:
            s64 = replace(
                s,
                dtype="float64",
                X=s.X.astype(np.float64),
                Y=s.Y.astype(np.float64),
                params={key: value.astype(np.float64) for key, value in s.params.items()},
            )
            self._numeric[id(s)] = finite_differences(self._pair.loss_of_params(s64), s64.params)
        return self._numeric[id(s)]


_AST_LOCK = threading.Lock()


def scan_imports(source: bytes) -> list[tuple[str, int]]:
    """Every import statement of the file: (module, line); [] when it does not parse (the runner says why)."""
    try:
        with _AST_LOCK:  # CPython 3.11's parser is not safe in two threads at once
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(("." * node.level + (node.module or ""), node.lineno))
    return sorted(found, key=lambda item: item[1])


def _reference_roots(paths) -> list[list[str]]:
    """Folders a derivation may not read: the reference's packages, and the submissions' own folders."""
    roots = []
    for name in REFERENCE:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            roots.append([str(Path(module.__file__).resolve().parent), "the reference", name])
    roots.append([str(Path(torchref.__file__).resolve().parent), "the reference", "torchref"])
    folders = sorted({str(Path(p).resolve().parent) for p in paths})
    return roots + [[folder, "another submission", ""] for folder in folders]


class Session:
    """One batch: the cases and their reference, drawn once; the sandbox; every file judged against them."""

    def __init__(
        self,
        model: str,
        cases: int = 20,
        seed: int | None = None,
        dtypes=DTYPES,
        timeout: float = 60.0,
        memory_mb: int = 4096,
        import_timeout: float = 60.0,
        *,
        sandbox: str = "auto",
        cpu_seconds: int = 120,
        file_mb: int = 256,
        max_processes: int = 64,
        output_mb: float | None = None,
        allow_imports=(),
        strict: bool = False,
        jobs: int = 1,
        paths=(),
        hidden=None,
        depth_from=None,
        samples=None,
        per_file: str = "fresh",
    ):
        check_sweep(None, cases, dtypes)  # the caller's arguments, not the learner's file
        for name, value in (("timeout", timeout), ("import_timeout", import_timeout)):
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
        _checks.positive_int("memory_mb", memory_mb)
        _checks.positive_int("jobs", jobs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be an integer >= 0 or None (a fresh one), got {seed!r}")
        self.limits = Limits(timeout, import_timeout, cpu_seconds, memory_mb, file_mb, max_processes, output_mb)
        self.limits.check()
        self.model, self.dtypes, self.strict = model, list(dtypes), strict
        self.seed = fresh_seed() if seed is None else seed
        self.allowed = sorted(set(allow_imports))
        self.problem = None  # a reason every file of the batch is unusable (an unknown model)
        self.batch = None
        pair = REGISTRY.get(model)
        if not pair.differentiable:
            known = [name for name, p in REGISTRY.items() if p.differentiable]
            self.problem = f"model must be one of {', '.join(known)} (a model with a backward pass), got {model!r}"
            return
        try:
            drawn = draw_cases(pair, dtypes, cases, self.seed) if samples is None else list(samples)
            self.samples = _at_depth(pair, drawn, hidden, depth_from)
        except UnusableInput as exc:
            self.problem = str(exc)
            return
        self.pair = _Reference(pair, self.samples)
        self.caches = [pair.model.forward(s.X, s.params)[1] for s in self.samples]  # the handmade forward
        inputs = {}
        for i, (s, cache) in enumerate(zip(self.samples, self.caches)):
            inputs.update(protocol.case_inputs(i, s.X, s.Y, s.params, cache))
        # the bytes of arrays a file may send back: 4x every forward value and gradient of every case,
        # and room for two (m, m) arrays per case (an (m,) array broadcast against an (m, 1) one)
        self.expected = sum(
            sum(v.nbytes for k, v in self.pair.torch(s).items() if k != "J") + 2 * s.X.shape[0] ** 2 * s.X.itemsize // 4
            for s in self.samples
        )
        self.rules = {
            "blocked": [],  # filled per run: the reference always, and what is not allowed
            "allowed": [],
            "roots": _reference_roots(paths),
            "strict": strict,
        }
        try:
            self.batch = Batch(sandbox, inputs, jobs, per_file)
            self.batch.limit(self.limits)
        except SandboxError as exc:
            self.problem = str(exc)
            return
        self.servers = list(self.batch.servers)

    def run(self, path, source: bytes) -> tuple[dict, dict, dict]:
        """(result, outputs, facts) of one file on the batch's cases, unjudged (`explain --file` shows them)."""
        if self.problem:
            raise UnusableInput(self.problem)
        return self._run(Path(path), source, self.servers[0])

    def close(self) -> None:
        if self.batch is not None:
            self.batch.close()

    def judge(self, path, source, server=None) -> FileReport:
        """One file's report; never raises for anything the file does."""
        start = time.perf_counter()
        path = Path(path)
        report = FileReport(clean(path.resolve()), self.model, dtypes=self.dtypes, seed=self.seed)
        if self.batch is not None:
            report.sandbox = self.batch.kind
        try:
            if self.problem:
                raise UnusableInput(self.problem)
            if source is None:
                if not path.is_file() or path.suffix != ".py":
                    raise UnusableInput(f"FILE must be an existing .py file, got {clean(path)}")
                source = path.read_bytes()
            if isinstance(source, str):
                source = source.encode("utf-8", "surrogateescape")
            if len(source) > MAX_SOURCE:
                raise UnusableInput(f"the file has {len(source)} bytes, over the limit of {MAX_SOURCE} bytes")
            report.cases = len(self.samples)
            self._scan(report, source)
            result, outputs, facts = self._run(path, source, server or self.servers[0])
            report.stdout = facts["stdout"]
            if facts["left_behind"]:
                report.warnings.append(f"{facts['left_behind']} process(es) it started were killed after its run")
            with _watchdog(JUDGE_SECONDS):
                _judge(report, self.pair, self.samples, self.caches, result, outputs, self.strict, self.limits, source)
        except UnusableInput as exc:
            report.verdict, report.reason = "unusable", str(exc)
        except Exception as exc:
            report.verdict = "unusable"
            report.reason = (
                f"could not be judged: the judge failed on this file ({type(exc).__name__}: {clean(exc, 300)})"
            )
        if self.batch is not None:  # after the run: what the file had of its own is known once its server started
            report.limits = self.batch.describe(self.limits, server or self.servers[0])
        report.seconds = round(time.perf_counter() - start, 3)
        return report

    def _scan(self, report: FileReport, source: bytes) -> None:
        imports = scan_imports(source)
        report.imports = [f"{clean(name, 80)} (line {line})" for name, line in imports]
        for name, line in imports:
            top = name.split(".")[0]
            if top in self.allowed:
                continue
            if top in REFERENCE:
                raise UnusableInput(f"imports the reference (line {line}): {clean(name, 80)}")
            if top and top not in ALLOWED:
                raise UnusableInput(
                    f"imports {clean(name, 80)} (line {line}): only the standard library and NumPy may be imported "
                    "(--allow-import NAME)"
                )

    def _run(self, path: Path, source: bytes, server):
        rules = dict(self.rules)
        rules["blocked"] = [n for n in REFERENCE if n not in self.allowed]
        rules["allowed"] = sorted(ALLOWED | set(self.allowed))
        rules["roots"] = [[root, what] for root, what, name in self.rules["roots"] if name not in self.allowed]
        rules["native"] = bool(self.allowed)  # a package a teacher allows (torch) loads its libraries with ctypes
        name = clean(path.name, 100).replace("/", "_")
        if not name.endswith(".py") or name.startswith("."):
            name = "submission.py"
        try:
            return run_file(self.batch, server, name, source, len(self.samples), self.limits, self.expected, rules)
        except SandboxError as exc:
            raise UnusableInput(str(exc)) from None


JUDGE_SECONDS = 60.0  # the judge's own time for comparing one file's arrays (a normal file: well under 1 s)


class _JudgeTimeout(UnusableInput):
    pass


@contextlib.contextmanager
def _watchdog(seconds: float):
    """Stop the judge's own work on one file after `seconds` (a SIGALRM timer; only in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise _JudgeTimeout(f"the judge's own time limit of {seconds:g} s for one file ran out (watchdog)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(
    path,
    model: str,
    cases: int = 20,
    seed: int | None = None,
    dtypes=DTYPES,
    timeout: float = 60.0,
    memory_mb: int = 4096,
    source: bytes | str | None = None,
    import_timeout: float = 60.0,
    **options,
) -> FileReport:
    """Judge one derivation file for one registry model. Never raises for the learner's mistakes.

    The file is read once (or `source`, bytes or text, is used) and run from a private copy
    in the sandbox (`options`: sandbox, cpu_seconds, file_mb, max_processes, output_mb,
    allow_imports, strict; README, "Grading untrusted files"). `seed=None` draws a fresh
    seed (or takes TORCHREF_SEED), recorded in the report. A deep model is judged at one
    depth (`options["hidden"]`, widths such as (4, 3), for every case; else the depth the
    file writes out: params["W3"] means two hidden layers; else the usual depth).
    """
    reports = check_many(
        [(path, source)],
        model,
        jobs=1,
        cases=cases,
        seed=seed,
        dtypes=dtypes,
        timeout=timeout,
        memory_mb=memory_mb,
        import_timeout=import_timeout,
        **options,
    )
    return reports[0]


EFBIG = 27  # errno "File too large": Python ignores SIGXFSZ, so RLIMIT_FSIZE shows as this error


def _judge(
    report: FileReport,
    pair: AutogradPair,
    samples,
    caches,
    result: dict,
    outputs: dict,
    strict: bool = False,
    limits: Limits | None = None,
    source: bytes = b"",
) -> None:
    limits = limits or Limits()
    errors = [result.get("import_error") or {}, *(c.get("error") or {} for c in result["cases"])]
    if any(e.get("errno") == EFBIG for e in errors):
        raise UnusableInput(f"over the file size limit of {limits.file_mb:g} MiB (--file-mb): it wrote too much")
    found = result.get("reference", {})
    if "import" in found:
        raise UnusableInput(f"imports the reference (line {found['import']['line']}): {clean(found['import']['name'])}")
    if "native" in found:
        name, line = clean(found["native"]["name"]), found["native"]["line"]
        what = "opens a process's memory" if name.startswith("/proc/") else "calls native code"
        raise UnusableInput(f"{what} (line {line}): {name}")
    if "program" in found:
        raise UnusableInput(f"starts a program (line {found['program']['line']}): {clean(found['program']['name'])}")
    if "open" in found:
        raise UnusableInput(f"reads {clean(found['open']['what'])} (line {found['open']['line']})")
    if result.get("import_error"):
        error = result["import_error"]
        missing = re.fullmatch(r"No module named '([\w.]+)'", error["message"])
        if error["type"] == "ModuleNotFoundError" and missing and missing.group(1).split(".")[0] in REFERENCE:
            raise UnusableInput(f"imports the reference (line {error.get('line', '?')}): {missing.group(1)}")
        if error["type"] == "BlockingIOError":
            raise UnusableInput(f"over the process limit (--max-processes) at import: {_where(error)}")
        raise UnusableInput(f"cannot import the file: {_where(error)}")
    if result.get("exit"):
        raise UnusableInput(f"the file called sys.exit({result['exit']['code']}) at {result['exit']['where']}")
    if not result.get("has_backward"):
        raise UnusableInput(_no_backward(source))
    if len(result["cases"]) != len(samples):
        raise UnusableInput(
            f"the learner's process returned {len(result['cases'])} cases where {len(samples)} were sent"
        )
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
        if error.get("type") == "BlockingIOError":
            raise UnusableInput(f"over the process limit (--max-processes) in case {s.id}: {_where(error)}")
        if report.has_forward and not case.get("error") and not case["problems"]:
            _forward_A(pair, s, i, outputs, case)
        if case.get("error") or case["problems"]:
            text = _where(case["error"], s.X.shape[0]) if case.get("error") else clean(_problems(case["problems"]))
            report.errors.append(f"case {s.id}: {text}")
            continue
        if not _fast_case(pair, s, i, outputs, verdicts):
            _judge_case(pair, s, i, caches[i], outputs, verdicts, failing)
    report.tensors = list(verdicts.values())
    _verdict(report, pair.chain(deepest), failing, source)
    if report.errors and len(report.errors) == len(samples):
        report.reason += _other_model(pair, deepest, source)


def _fast_case(pair, s: Sample, i: int, outputs: dict, verdicts: dict) -> bool:
    """A case where every given tensor agrees (and every required one is given), counted in one vectorised pass.

    False, with nothing counted, when anything differs: `_judge_case` then walks the chain
    and names the mistake. The counting is `_judge_case`'s for the tensors that agree.
    """
    mine = {**protocol.take(outputs, i, "cache"), **protocol.take(outputs, i, "grads")}
    names = [n for n in pair.names(s.shape) if n in verdicts]
    if any(verdicts[n].required and n not in mine for n in names):
        return False
    given = [n for n in names if n in mine]
    ref, tol = pair.torch(s), pair.tolerance(s.dtype)
    if not _within(mine, ref, given, tol):  # decided without building assert_close's messages
        return False
    results = dict(zip(given, agreement(mine, ref, tol, names=given)))
    if not all(r.ok for r in results.values()):
        return False
    fd = {}
    if s.dtype == "float64" and sum(v.size for v in s.params.values()) <= FD_MAX_PARAMS:
        fd = {r.name: r for r in pair.check_finite_differences(s, mine)}
        if not all(r.ok for r in fd.values()):
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


def _within(mine: dict, ref: dict, names, tol) -> bool:
    """Every named array of the same shape and dtype as the reference's, and within assert_close's rule."""
    for name in names:
        a, e = mine[name], np.asarray(ref[name])
        if a.shape != e.shape or a.dtype != e.dtype:
            return False
        with np.errstate(invalid="ignore", over="ignore"):
            if not np.all(np.abs(a - e) <= tol.atol + tol.rtol * np.abs(e)):
                return False
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
        res = compare_tensor(name, mine[name], ref[name], tol, messages=not v.first_failure)  # the first one is kept
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
        own_line_ok = (
            line is not None and compare_tensor(name, mine[name], line.astype(ref[name].dtype), tol, messages=False).ok
        )
        if own_line_ok and v.status in ("ok", "echo"):
            v.status = "echo"
        else:
            v.status = "wrong"
            failing.setdefault(name, []).append(Failing(s.id, s.shape, s.dtype, np.asarray(mine[name]), ref[name], env))


def _failed(v: TensorVerdict, s: Sample) -> None:
    """Count a failing case: the first one, and the smallest shape."""
    v.failed += 1
    v.first_failure = v.first_failure or s.id
    if not v.smallest_failure or size(s.shape) < v.smallest_size:
        v.smallest_failure, v.smallest_size = s.shape.id, size(s.shape)


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
    f = min(failing, key=lambda f: (size(f.shape), f.dtype != "float64"))
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
        written = reading.layers_written_out(source) if source is not None else None
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
        if other is pair or not other.differentiable:
            continue
        theirs = keys & vocabulary(other, other.shapes[-1])
        if len(theirs) > max(ours, len(best_keys)):
            best, best_keys = name, theirs
    if best is None:
        return ""
    return f"; this looks like a {best} file (keys {', '.join(sorted(best_keys))}): did you mean `--model {best}`?"


def check_many(items, model: str, jobs: int | None = None, progress=None, **options) -> list[FileReport]:
    """One report per submission, in input order: `items` is an iterable of (path, source) pairs, or a folder.

    A folder means its *.py files, sorted by name. Every source is read before the first
    file runs, so no submission can change or delete another before it is judged. The cases
    and their reference are drawn once for the batch; `jobs` files run at a time (default:
    every core), each in its own child of the batch's sandbox. `progress` wraps the
    iteration (e.g. tqdm).
    """
    if isinstance(items, (str, os.PathLike)):
        folder = Path(items)
        items = [(p, p.read_bytes()) for p in sorted(folder.glob("*.py")) if p.is_file()]
    else:
        items = [(Path(p), _read(p) if src is None else src) for p, src in items]
    if not items:
        return []
    if options.get("seed") is None:  # one seed for the whole batch (every group of it), named in every report
        options["seed"] = fresh_seed()
    groups = _by_depth(model, items, options.get("hidden"))
    if len(groups) == 1:
        return _batch(items, model, jobs, progress, options, groups[0][0])
    reports: list = [None] * len(items)
    try:
        for depth_from, where in groups:
            for i, report in zip(where, _batch([items[i] for i in where], model, jobs, progress, options, depth_from)):
                reports[i] = report
    except Interrupted as exc:
        raise Interrupted([r for r in reports if r is not None] + exc.reports) from None
    return reports


def _by_depth(model: str, items: list, hidden) -> list[tuple]:
    """[(source, indices)]: the items of one batch each, grouped by the depth their files write out.

    A deep model's cases are drawn at one depth per file; files of one depth share a batch
    (its cases, their reference and a sandbox), and the source given is the group's first.
    """
    pair = REGISTRY.get(model)
    if hidden is not None or pair is None or not pair.differentiable or len({len(s.hidden) for s in pair.shapes}) == 1:
        return [(items[0][1], list(range(len(items))))]
    groups: dict = {}
    for i, (_, source) in enumerate(items):
        groups.setdefault(reading.layers_written_out(source) if source is not None else None, []).append(i)
    return [(items[where[0]][1], where) for where in groups.values()]


def _batch(items: list, model: str, jobs, progress, options: dict, depth_from) -> list[FileReport]:
    """One Session over `items`: the cases drawn once at the depth of `depth_from`'s file."""
    import torch
    from threadpoolctl import threadpool_limits

    jobs = jobs or os.cpu_count() or 1
    threads = torch.get_num_threads()
    # one thread for torch and NumPy's BLAS: a case's arrays are small, and the cores go to the files
    with threadpool_limits(limits=1, user_api="blas"):
        torch.set_num_threads(1)
        session = Session(
            model, jobs=min(jobs, len(items)), paths=[p for p, _ in items], depth_from=depth_from, **options
        )
        done: list = [None] * len(items)
        try:
            if session.batch is None or len(session.servers) == 1:
                for i, (p, src) in enumerate((progress or iter)(items)):
                    done[i] = session.judge(p, src)
                return done
            return _in_parallel(session, items, progress, done)
        except KeyboardInterrupt:
            raise Interrupted([r for r in done if r is not None]) from None
        finally:
            session.close()
            torch.set_num_threads(threads)


def _read(path) -> bytes | None:
    """A regular file's bytes (read as a folder's entries are: a FIFO never blocks), else None (the judge then says
    what the path is)."""
    from torchref.derivation.sources import read_regular

    try:
        return read_regular(Path(path))
    except OSError:
        return None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a batch: `reports` holds the files judged so far, in input order."""

    def __init__(self, reports: list):
        super().__init__(f"interrupted after {len(reports)} files")
        self.reports = reports


def _in_parallel(session: Session, items: list, progress, reports: list) -> list[FileReport]:
    """`session.judge` of every item in worker processes forked from this one, one sandbox each.

    The workers share the batch's cases and reference (forked, not copied) and take the
    next file from a queue as soon as they are free, so a file that runs to its time limit
    holds up only its own worker. A worker that dies leaves its files "could not be judged".
    """
    import multiprocessing
    import queue

    context = multiprocessing.get_context("fork")
    tasks, results = context.Queue(), context.Queue()
    for i in range(len(items)):
        tasks.put(i)
    workers = []
    for server in session.servers:
        tasks.put(None)
        workers.append(context.Process(target=_worker, args=(session, server, items, tasks, results), daemon=True))
    for worker in workers:
        worker.start()
    try:
        for _ in (progress or iter)(range(len(items))):
            while True:
                try:
                    i, report = results.get(timeout=1.0)
                    break
                except queue.Empty:
                    if not any(w.is_alive() for w in workers) and results.empty():
                        raise _WorkersGone from None
            reports[i] = report
    except _WorkersGone:
        pass
    except KeyboardInterrupt:  # Ctrl-C is the parent's to handle: the workers stop now, each closing its sandbox
        for worker in workers:
            worker.terminate()
        raise
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():  # pragma: no cover - a worker stuck past its own watchdog
                worker.kill()
                worker.join()
    for i, report in enumerate(reports):
        if report is None:  # pragma: no cover - only when a worker process itself died
            reports[i] = FileReport(clean(Path(items[i][0]).resolve()), session.model, verdict="unusable")
            reports[i].reason = "could not be judged: the judge's worker process died"
    return reports


class _WorkersGone(Exception):
    pass


def _worker(session: Session, server, items, tasks, results) -> None:  # pragma: no cover - runs in a fork
    import torch

    # the parent's OpenMP threads do not exist in this fork: a parallel region waiting for them would hang
    torch.set_num_threads(1)  # (check_many set one thread already; this keeps the worker safe on its own)
    # Ctrl-C reaches the whole process group: the parent keeps the files judged so far and stops the
    # workers with SIGTERM, which ends this one through its `finally` (its sandbox closed), without a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        while (i := tasks.get()) is not None:
            path, source = items[i]
            results.put((i, session.judge(path, source, server)))
    finally:
        server.close()
