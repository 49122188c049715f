"""A batch: one Session (the cases and their reference drawn once, the sandbox) and every file judged in it.

A batch (one file, or a class's folder) draws its cases once, computes the reference of
every case once and shares them with every file; each file runs in the batch's sandbox,
`jobs` files at a time in forked workers, and whatever one file does makes only that file
"could not be judged". Ctrl-C raises one `Interrupted` that carries the reports finished.

One module of over 400 lines: the `Session` and the three ways a batch runs it (one file;
a folder's files grouped by the depth they write out; forked workers) share its state and
one Ctrl-C protocol (`Interrupted` with the reports finished, in input order). The forked
workers (`_in_parallel`, `_worker`), which need only a Session and the files, are the part
that would move out first.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

from torchref.checker import generic, policy
from torchref.checker.cases import (
    SEED_ENV,
    Reference,
    SecretSeed,
    Seed,
    at_depth,
    draw_cases,
    drawing_seed,
    fresh_seed,
    shown_seed,
)
from torchref.checker.diagnosis import saturation
from torchref.checker.diagnosis import source as reading
from torchref.checker.escape import clean, each_string, safe_report
from torchref.checker.judge import judge_file
from torchref.checker.options import CheckOptions
from torchref.checker.pieces.session import Course
from torchref.checker.report import FileReport, JSONObject, UnusableInput
from torchref.checker.sandbox import protocol
from torchref.checker.sandbox.child import run_file
from torchref.checker.sandbox.sandbox import Batch, SandboxError, Server
from torchref.checker.submission import Submission, read_regular
from torchref.interrupt import Interrupted
from torchref.registry import REGISTRY, AutogradPair, ModelPair, Sample, Shape
from torchref_handmade import _checks

if TYPE_CHECKING:
    import multiprocessing.queues
    from types import FrameType

    from _typeshed import StrPath

    from torchref.chain import Chain
    from torchref.checker.sandbox.protocol import Result

    Item = tuple[StrPath, bytes | str | None]  # a file of a batch: its path, and its source (None: read it)

T = TypeVar("T")


class Progress(Protocol):
    """What wraps a batch's iteration to show its progress (tqdm, or `iter` for none)."""

    def __call__(self, iterable: Iterable[T], /) -> Iterable[T]: ...


class Session:
    """One batch: the cases and their reference, drawn once; the sandbox; every file judged against them."""

    def __init__(
        self,
        model: str,
        options: CheckOptions | None = None,
        *,
        jobs: int = 1,
        paths: Iterable[StrPath] = (),
        depth_from: bytes | str | None = None,
        samples: Iterable[Sample] | None = None,
        **given: Any,
    ) -> None:
        """`options` (or the same names as keywords, `given`); `jobs` sandboxed servers; `paths` the batch's files
        (their folders are closed to each file); `depth_from` the source whose depth a deep model is drawn at."""
        options = CheckOptions.of(**given) if options is None else options.validated()
        _checks.positive_int("jobs", jobs)
        self.options = options
        self.limits = options.limits()
        self.model, self.dtypes, self.strict = model, list(options.dtypes), options.strict
        self.seed = fresh_seed() if options.seed is None else options.seed
        self.allowed = sorted(set(options.allow_imports))
        self.problem = None  # a reason every file of the batch is unusable (a model without a backward pass)
        self.batch = None
        pair = contract_pair(model)
        autograd = pair if isinstance(pair, AutogradPair) else None  # a differentiable pair: a backward's cases
        self.roots = policy.reference_roots(paths)
        # the sandbox first: a batch of one job starts its server (Python and NumPy) while the cases are drawn, and
        # the inputs are written for it to read with the first file's job
        try:
            self.batch = Batch(options.sandbox, None, jobs, options.per_file)
            self.batch.limit(self.limits)
        except SandboxError as exc:
            self.problem = str(exc)
        else:
            self.servers = list(self.batch.servers)
            if jobs == 1:  # judged in this process
                with contextlib.suppress(SandboxError):  # (if it cannot, the first file's run starts it and says why)
                    self.servers[0].launch()
        try:
            self._draw(pair, autograd, samples, depth_from)
        except UnusableInput as exc:  # (before the sandbox's own problem: the cases could not be drawn at all)
            self.close()
            self.batch, self.problem = None, str(exc)
            return
        except BaseException:
            self.close()
            raise
        self._autograd = autograd
        self._pair: Reference | ModelPair | None = None if autograd is not None else pair
        self._expected: int | None = None
        if jobs > 1:  # before the workers are forked: computed once for all of them
            try:
                self.pair  # noqa: B018
            except BaseException:
                self.close()
                raise

    def _draw(
        self,
        pair: ModelPair,
        autograd: AutogradPair | None,
        samples: Iterable[Sample] | None,
        depth_from: bytes | str | None,
    ) -> None:
        """The batch's cases (UnusableInput when they cannot be drawn) and every input of a file's run, written
        for the sandbox."""
        options = self.options
        drawn = [] if autograd is None else draw_cases(autograd, options.dtypes, options.cases, self.seed)
        drawn = drawn if samples is None else list(samples)
        self.samples = at_depth(autograd, drawn, options.hidden, depth_from) if autograd is not None else []
        # every other function of the contract: its cases and plan, at the depth the backward's cases are drawn at
        hidden = (
            tuple(options.hidden) if options.hidden else len(self.samples[0].shape.hidden) if self.samples else None
        )
        self.course = Course(pair, drawing_seed(self.seed), hidden)
        # the handmade forward (cases only where the pair is differentiable)
        self.caches = [autograd.model.forward(s.X, s.params)[1] for s in self.samples] if autograd is not None else []
        # the saturated case, judged on its own (a note, never the verdict); not where the caller gave the samples
        self.saturated = saturation.draw(pair, self.samples) if autograd is not None and samples is None else []
        if self.batch is None:
            return
        inputs = dict(self.course.inputs)
        for i, (s, cache) in enumerate(zip(self.samples, self.caches)):
            inputs.update(protocol.case_inputs(i, s.X, s.Y, s.params, cache))
        inputs.update(saturation.inputs(pair, self.saturated, len(self.samples)))
        self.batch.write_inputs(inputs)

    @property
    def pair(self) -> Reference | ModelPair:
        """What the files are judged against: torch's values and the finite differences of every case, computed
        once, on first use. A batch of one job computes them while its first file runs (`expected_bytes`), the
        sandbox starting and the learner's code running on another core."""
        if self._pair is None:
            assert self._autograd is not None  # (a pair that is not differentiable is its own judge)
            self._pair = Reference(self._autograd, self.samples)
        return self._pair

    def expected_bytes(self) -> int:
        """The bytes of arrays a file may send back: 4x every forward value and gradient of every case, and room
        for two (m, m) arrays per case (an (m,) array broadcast against an (m, 1) one)."""
        if self._expected is None:
            pair = self.pair
            self._expected = (
                self.course.expected_bytes
                + sum(
                    sum(v.nbytes for k, v in pair.torch(s).items() if k != "J")
                    + 2 * s.X.shape[0] ** 2 * s.X.itemsize // 4
                    for s in self.samples
                )
                + saturation.expected_bytes(self.saturated)
            )
        return self._expected

    def run(self, path: StrPath, source: bytes) -> tuple[Result, protocol.Arrays, JSONObject]:
        """(result, outputs, facts) of one file on the batch's cases, unjudged (`explain --file` shows them)."""
        if self.problem:
            raise UnusableInput(self.problem)
        return self._run(Path(path), source, self.servers[0])

    def close(self) -> None:
        if self.batch is not None:
            self.batch.close()

    def judge(self, path: StrPath, source: bytes | str | None, server: Server | None = None) -> FileReport:
        """One file's report; never raises for anything the file does."""
        start = time.perf_counter()
        path = Path(path)
        report = self._report(path)
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
            if len(source) > policy.MAX_SOURCE:
                raise UnusableInput(f"the file has {len(source)} bytes, over the limit of {policy.MAX_SOURCE} bytes")
            report.cases = len(self.samples)
            self._scan(report, source)
            result, outputs, facts = self._run(path, source, server or self.servers[0])
            report.stdout = facts["stdout"]
            if facts["left_behind"]:
                report.warnings.append(f"{facts['left_behind']} process(es) it started were killed after its run")
            with _watchdog(JUDGE_SECONDS):
                self._judge(report, path, result, outputs, source)
                if self.options.repair:
                    report.repair = self._repair(path, source, server, report)
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
        if isinstance(self.seed, SecretSeed):  # a file that found the secret and printed or raised it
            each_string(report, self.seed.mask)
        return report

    def _report(self, path: Path) -> FileReport:
        """A report of this batch's cases: its seed named, or said to be secret."""
        seed = shown_seed(self.seed)
        return FileReport(clean(path.resolve()), self.model, dtypes=self.dtypes, seed=seed, seed_secret=seed is None)

    def _repair(self, path: Path, source: bytes, server: Server | None, report: FileReport) -> JSONObject | None:
        """A verified repair of a wrong file: the backward's chain's own, else one of its first wrong piece."""
        if report.verdict != "wrong":
            return None
        from torchref.checker import repair  # (a right file's check never loads the repairs)
        from torchref.checker.pieces import repair as pieces_repair

        def rejudge(edited: str) -> FileReport:
            return self.rejudge(path, edited, server)

        reference = self.pair if isinstance(self.pair, Reference) and self.samples else None  # a backward was judged
        found = repair.attempt(rejudge, reference.chain(self._deepest), report, source) if reference else None
        return found if found is not None else pieces_repair.attempt(rejudge, self.course, report, source)

    @property
    def _deepest(self) -> Shape:
        return max(self.samples, key=lambda s: len(s.shape.hidden)).shape

    def rejudge(self, path: StrPath, source: str, server: Server | None = None) -> FileReport:
        """An edited source (a repair) judged on the same cases and reference: the verdict and first wrong link."""
        path = Path(path)
        report = self._report(path)
        report.cases = len(self.samples)
        data = source.encode("utf-8", "surrogateescape")
        try:
            result, outputs, _ = self._run(path, data, server or self.servers[0])
            self._judge(report, path, result, outputs, data, diagnose=False)
        except UnusableInput as exc:
            report.verdict, report.reason = "unusable", str(exc)
        return report

    def _judge(
        self,
        report: FileReport,
        path: Path,
        result: Result,
        outputs: protocol.Arrays,
        source: bytes,
        diagnose: bool = True,
    ) -> None:
        """The backward's judge link by link, then every other function of the contract: the file's verdict."""
        backward = judge_file(
            report, self.pair, self.samples, self.caches, result, outputs, self.strict, self.limits, source,
            diagnose=diagnose,
        )  # fmt: skip
        self.course.merge(report, result, outputs, source, path.name, backward)
        # (a backward judged: the pair is the Reference over an AutogradPair)
        if backward and diagnose and result.get("saturated") and isinstance(self.pair, Reference):
            chain = self.pair.chain(self._deepest)
            report.notes += saturation.notes(
                self.pair, chain, self.saturated, result["saturated"], outputs, len(self.samples),
                lambda name: _line_text(source, chain, name, path.name), bool(report.errors),
            )  # fmt: skip

    def _scan(self, report: FileReport, source: bytes) -> None:
        """What the file's text shows before it runs: its imports (refused by the policy) and how its backward
        differentiates when it does not by the notes' formulas (warnings for the teacher; never the verdict)."""
        imports = policy.scan_imports(source)
        report.imports = policy.listed(imports)
        policy.refuse_imports(imports, self.allowed)
        try:
            report.warnings += generic.flags(source, self.course.pair.contract, Path(report.file).name)
        except Exception as exc:  # the flags are the teacher's; a failure to read them costs no verdict
            report.warnings.append(f"how backward differentiates could not be read ({type(exc).__name__})")

    def _run(self, path: Path, source: bytes, server: Server) -> tuple[Result, protocol.Arrays, JSONObject]:
        rules = policy.rules(self.roots, self.allowed, self.strict)
        name = clean(path.name, 100).replace("/", "_")
        if not name.endswith(".py") or name.startswith("."):
            name = "submission.py"
        n = len(self.samples)
        if self.batch is None:  # a sandbox that did not start: every caller raised its `problem` before
            raise UnusableInput(self.problem or "the sandbox did not start")
        try:
            result, outputs, facts = run_file(
                self.batch, server, name, source, n + len(self.saturated), self.limits, self.expected_bytes, rules,
                self.course.plan,
            )  # fmt: skip
        except SandboxError as exc:
            raise UnusableInput(str(exc)) from None
        if self.saturated and isinstance(result.get("cases"), list):  # the saturated cases apart
            result["saturated"], result["cases"] = result["cases"][n:], result["cases"][:n]
        return result, outputs, facts


def _line_text(source: bytes, chain: Chain, name: str, filename: str) -> str:
    """`file.py:N` of the learner's line that makes `name`, or ""."""
    link = chain.by_name.get(name)
    if link is None:
        return ""
    output = link.expr.op == "sub" and "Y" in link.expr.symbols()
    line = reading.line_of(source, name, link.forward, output, chain.layers)
    return f"{filename}:{line.number}: `{clean(line.code, 120)}`" if line is not None else ""


def contract_pair(model: str) -> ModelPair:
    """The registry pair a file is judged as; an unknown name is the caller's argument, refused in one line (as a
    bad number of cases is) before any file is read."""
    pair = REGISTRY.get(model) if isinstance(model, str) else None
    if pair is None or pair.contract is None:
        known = sorted((n for n, p in REGISTRY.items() if p.contract), key=lambda n: not REGISTRY[n].differentiable)
        raise ValueError(f"model must be one of {', '.join(known)} (a registry model), got {model!r}")
    return pair


JUDGE_SECONDS = 60.0  # the judge's own time for comparing one file's arrays (a normal file: well under 1 s)


class _JudgeTimeout(UnusableInput):
    pass


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """Stop the judge's own work on one file after `seconds` (a SIGALRM timer; only in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> NoReturn:
        raise _JudgeTimeout(f"the judge's own time limit of {seconds:g} s for one file ran out (watchdog)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(path: StrPath, model: str, *, source: bytes | str | None = None, **options: Any) -> FileReport:
    """Judge one derivation file for one registry model. Never raises for the learner's mistakes.

    The file is read once (or `source`, bytes or text, is used) and run from a private copy
    in the sandbox. `options` are `CheckOptions`' names (cases, seed, dtypes, timeout,
    import_timeout, memory_mb, sandbox, cpu_seconds, file_mb, max_processes, output_mb,
    allow_imports, strict, hidden; README, "Grading untrusted files"). `seed=None` draws a
    fresh seed, recorded in the report (or takes TORCHREF_SEED's, which it keeps secret). A
    deep model is judged at one depth (`hidden`, widths such as (4, 3), for every case; else the depth the file
    writes out: params["W3"] means two hidden layers; else the usual depth).
    """
    return check_many([(path, source)], model, **{**options, "jobs": 1})[0]


def check_many(
    items: StrPath | Iterable[Item],
    model: str,
    progress: Progress | None = None,
    options: CheckOptions | None = None,
    keep: bool = False,
    **given: Any,
) -> list[FileReport]:
    """One report per submission, in input order: `items` is an iterable of (path, source) pairs, or a folder.

    A folder means its *.py files, sorted by name. Every source is read before the first
    file runs, so no submission can change or delete another before it is judged. The cases
    and their reference are drawn once for the batch; `jobs` files run at a time (default:
    every core), each in its own child of the batch's sandbox. `progress` wraps the
    iteration (e.g. tqdm). `options` (or their names as keywords, `given`): `CheckOptions`.
    `keep` (one job): the batch's session is kept for the next call with the same options (`kept`).
    """
    options = CheckOptions.of(**given) if options is None else options.validated()
    keep = keep and options.jobs == 1
    if isinstance(items, (str, os.PathLike)):
        folder = Path(items)
        items = [(p, p.read_bytes()) for p in sorted(folder.glob("*.py")) if p.is_file()]
    else:
        items = [(Path(p), _read(p) if src is None else src) for p, src in items]
    if not items:
        return []
    if options.seed is None:  # one seed for the whole batch (every group of it), named in every report
        options = replace(options, seed=_kept_seed(model, options) if keep else fresh_seed())
    groups = _by_depth(model, items, options.hidden)
    if len(groups) == 1:
        return _batch(items, model, progress, options, groups[0][0], keep)
    reports: dict[int, FileReport] = {}  # {index in items: its report}, filled group by group
    try:
        for depth_from, where in groups:
            for i, report in zip(where, _batch([items[i] for i in where], model, progress, options, depth_from, keep)):
                reports[i] = report
    except Interrupted as exc:
        raise Interrupted([reports[i] for i in sorted(reports)] + exc.reports) from None
    return [reports[i] for i in range(len(items))]  # the groups share out every index


def judge_submissions(
    found: list[Submission],
    model: str,
    progress: Progress | None = None,
    options: CheckOptions | None = None,
    keep: bool = False,
    **given: Any,
) -> list[FileReport]:
    """One report per `Submission`, in order: those to judge in one batch (`check_many`), each finished as the
    learner names things; the others with their own report. Ctrl-C raises `Interrupted` holding, in order,
    the submissions finished so far (those judged, and those that are not submissions)."""
    todo = [s for s in found if s.judged]
    try:
        judged = check_many([(s.judge_path, s.data) for s in todo], model, progress, options, keep, **given)
    except Interrupted as exc:
        done = {r.file: r for r in exc.reports}
        paths = {id(s): clean(s.judge_path.resolve()) for s in todo}  # as Session.judge names its report
        finished = [s for s in found if not s.judged or paths[id(s)] in done]
        raise Interrupted(
            [safe_report(s.finish(done[paths[id(s)]]) if s.judged else s.report) for s in finished]
        ) from None
    reports = iter(judged)  # (a submission is judged when it has no report of its own: Submission.judged)
    return [safe_report(s.finish(next(reports)) if s.report is None else s.report) for s in found]


def _by_depth(
    model: str, items: list[Item], hidden: Sequence[int] | None
) -> list[tuple[bytes | str | None, list[int]]]:
    """[(source, indices)]: the items of one batch each, grouped by the depth their files write out.

    A deep model's cases are drawn at one depth per file; files of one depth share a batch
    (its cases, their reference and a sandbox), and the source given is the group's first.
    """
    pair = REGISTRY.get(model)
    if hidden is not None or pair is None or not pair.differentiable or pair.one_depth:
        return [(items[0][1], list(range(len(items))))]
    groups: dict[int | None, list[int]] = {}  # {depth written out (None: not read): the indices of its items}
    for i, (_, source) in enumerate(items):
        groups.setdefault(reading.layers_written_out(source) if source is not None else None, []).append(i)
    return [(items[where[0]][1], where) for where in groups.values()]


def _batch(
    items: list[Item],
    model: str,
    progress: Progress | None,
    options: CheckOptions,
    depth_from: bytes | str | None,
    keep: bool = False,
) -> list[FileReport]:
    """One Session over `items`: the cases drawn once at the depth of `depth_from`'s file (`keep`: a kept one)."""
    import torch
    from threadpoolctl import threadpool_limits

    jobs = options.jobs or os.cpu_count() or 1
    threads = torch.get_num_threads()
    paths = [p for p, _ in items]
    # one thread for torch and NumPy's BLAS: a case's arrays are small, and the cores go to the files
    with threadpool_limits(limits=1, user_api="blas"):
        torch.set_num_threads(1)
        if keep:
            session = _kept_session(model, options, paths, depth_from)
        else:
            session = Session(model, options, jobs=min(jobs, len(items)), paths=paths, depth_from=depth_from)
        done: list[FileReport | None] = [None] * len(items)
        finished = False
        try:
            if session.batch is None or len(session.servers) == 1:
                for i, (p, src) in enumerate((progress or iter)(items)):
                    done[i] = session.judge(p, src)
                finished = True
                return [report for report in done if report is not None]  # every one judged
            return _in_parallel(session, items, progress, done)
        except KeyboardInterrupt:
            raise Interrupted([r for r in done if r is not None]) from None
        finally:
            if not (finished and session in kept.values()):  # a session stopped midway is not kept
                _forget(session)
                session.close()
            torch.set_num_threads(threads)


KEPT = 2  # the sessions one process keeps for its next checks (`kept`); the least recently used one is closed
# `torchref.check`'s sessions in this process (a notebook), by (model, options, depth), the most recently used last: a
# second check with the same options reuses the first one's cases, their reference and its warm sandbox server
kept: dict[tuple[str, CheckOptions, int | None], Session] = {}
_kept_seeds: dict[
    tuple[str, CheckOptions], Seed
] = {}  # (model, options without a seed) -> the seed drawn for them once in this process


def _kept_seed(model: str, options: CheckOptions) -> Seed:
    """A kept batch's seed when none is given: drawn once per process and set of options ($TORCHREF_SEED first)."""
    if os.environ.get(SEED_ENV):
        return fresh_seed()
    if (model, options) not in _kept_seeds:
        _kept_seeds[model, options] = fresh_seed()
    return _kept_seeds[model, options]


def _kept_session(
    model: str, options: CheckOptions, paths: Sequence[StrPath], depth_from: bytes | str | None
) -> Session:
    """The kept session of these options (made, and kept, on the first call), its closed folders now `paths`'."""
    pair = REGISTRY.get(model)
    deep = pair is not None and pair.differentiable and not pair.one_depth and options.hidden is None
    key = (model, options, reading.layers_written_out(depth_from) if deep and depth_from is not None else None)
    session = kept.pop(key, None)
    if session is None:
        session = Session(model, options, jobs=1, paths=paths, depth_from=depth_from)
        if session.problem:  # (a sandbox that could not start is tried again next time)
            return session
    else:
        session.roots = policy.reference_roots(paths)
    kept[key] = session
    while len(kept) > KEPT:
        kept.pop(next(iter(kept))).close()
    return session


def _forget(session: Session) -> None:
    for key, value in list(kept.items()):
        if value is session:
            del kept[key]


def close_kept() -> None:
    """Close every kept session (their sandbox servers and folders); at the process's exit, and in tests."""
    while kept:
        kept.popitem()[1].close()


atexit.register(close_kept)


def _read(path: StrPath) -> bytes | None:
    """A regular file's bytes (read as a folder's entries are: a FIFO never blocks), else None (the judge then says
    what the path is)."""
    try:
        return read_regular(Path(path))
    except OSError:
        return None


def _in_parallel(
    session: Session, items: list[Item], progress: Progress | None, reports: list[FileReport | None]
) -> list[FileReport]:
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
    out = []
    for i, report in enumerate(reports):
        if report is None:  # pragma: no cover - only when a worker process itself died
            report = FileReport(clean(Path(items[i][0]).resolve()), session.model, verdict="unusable")
            report.reason = "could not be judged: the judge's worker process died"
        out.append(report)
    return out


class _WorkersGone(Exception):
    pass


def _worker(  # pragma: no cover - runs in a fork
    session: Session,
    server: Server,
    items: list[Item],
    tasks: multiprocessing.queues.Queue[int | None],
    results: multiprocessing.queues.Queue[tuple[int, FileReport]],
) -> None:
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
