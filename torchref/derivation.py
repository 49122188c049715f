"""Check a learner's derivation: run it in a child process, compare, name the first wrong link.

A derivation is a Python file defining `backward(X, Y, params, cache) -> grads` (and
optionally `forward(X, params) -> (A, cache)`) for one registry model, with the notes'
names (README, "Checking a derivation"). The learner's code runs in its own process
(`_runner.py`) under a time and memory limit; it only hands back arrays, and this module
judges them against autograd (the torch twin) and finite differences.

The chain is walked in the notes' order (Z1, A1, ..., dZ2, dW2, db2, dA1, dZ1, dW1, db1).
Each tensor is compared with the reference, and also with what its own line of the notes
gives from the learner's *own* upstream values: a tensor that is wrong although its line
is right is an echo of an earlier mistake, and the first tensor whose line is wrong is the
first wrong link.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from torchref import _arrays
from torchref.parity import compare_tensor
from torchref.registry import DTYPES, REGISTRY, AutogradPair, Sample
from torchref.verify import cases_for, check_sweep
from torchref_handmade import _checks
from torchref_handmade.activations import HIDDEN, sigmoid, softmax

SCHEMA = "torchref.check/1"
RUNNER = Path(__file__).with_name("_runner.py")
EXIT = {"pass": 0, "wrong": 1, "unusable": 2}
VERDICT_WORDS = {"pass": "PASS", "wrong": "WRONG", "unusable": "COULD NOT JUDGE"}
FD_MAX_PARAMS = 300  # finite differences on the float64 cases with at most this many parameters


class UnusableInput(ValueError):
    """The derivation cannot be judged (no such file, no backward, it crashed or timed out...)."""


@dataclass
class TensorVerdict:
    name: str
    status: str = "ok"  # ok | wrong | echo | missing | not given
    required: bool = True
    cases: int = 0
    failed: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    worst_index: list | None = None
    first_failure: str = ""  # case id (shape, dtype, seed) of the first failing case
    smallest_failure: str = ""  # the smallest failing shape
    diagnosis: str = ""
    message: str = ""  # assert_close's message for the first failing case
    fd_cases: int = 0  # float64 cases also compared with central finite differences
    fd_max_abs: float = 0.0
    smallest_size: int = 0  # m·n·Πh·k of the smallest failing case
    kinds: dict = field(default_factory=dict)  # mistake kind -> failing cases that show it


@dataclass
class FileReport:
    file: str
    model: str
    verdict: str = "pass"  # pass | wrong | unusable
    reason: str = ""
    first_wrong: str = ""
    cases: int = 0
    dtypes: list = field(default_factory=list)
    has_forward: bool = False
    tensors: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # exceptions inside the learner's code
    warnings: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]

    def to_json(self) -> dict:
        return {"schema": SCHEMA, **asdict(self), "exit_code": self.exit_code}

    def summary(self) -> str:
        name = os.path.basename(self.file)
        if self.verdict == "pass":
            return f"{name}: PASS ({self.cases} cases)"
        return f"{name}: {VERDICT_WORDS[self.verdict]}: {self.reason}"

    def table(self) -> str:
        lines = [
            f"{self.file}  model {self.model}  {self.cases} cases ({', '.join(self.dtypes)})  "
            f"{VERDICT_WORDS[self.verdict]}"
        ]
        if self.reason:
            lines.append(self.reason)
        if self.tensors:
            head = (
                f"{'tensor':<8} {'verdict':<9} {'failed':>7} {'max abs':>9} {'max rel':>9} {'worst at':<9} "
                f"{'first failing case':<30} {'smallest':<16} diagnosis"
            )
            lines += ["", head, "-" * len(head)]
            for t in self.tensors:
                worst = "" if t.worst_index is None else str(tuple(t.worst_index))
                lines.append(
                    f"{t.name:<8} {t.status:<9} {f'{t.failed}/{t.cases}':>7} {t.max_abs:>9.2e} {t.max_rel:>9.2e} "
                    f"{worst:<9} {t.first_failure:<30} {t.smallest_failure:<16} {t.diagnosis}"
                )
        for error in self.errors[:3]:
            lines.append(f"error: {error}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# ---------------------------------------------------------------------------- the chain


def _chain(pair: AutogradPair, s: Sample, cache, mistake: str | None = None) -> dict:
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


def _link(pair: AutogradPair, s: Sample, name: str, mine: dict, ref: dict, cache):
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


# ---------------------------------------------------------------------------- diagnosis


def _close(a, b, rtol=1e-4) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or not np.isfinite(a).all():
        return False
    return bool(np.abs(a - b).max(initial=0) <= rtol * max(np.abs(b).max(initial=0), 1e-12))


MISTAKES = {  # kind -> text; _chain(..., kind) computes what the whole chain gives with that mistake
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


# ---------------------------------------------------------------------------- running


def _run_child(
    path: Path, inputs: dict, n_cases: int, timeout: float, import_timeout: float, memory_mb: int, workdir: Path
):
    """Run the learner's file on every case in a child process; return (result, outputs) or raise UnusableInput.

    Two clocks: importing the file may take `import_timeout` seconds (a file that imports
    torch pays ~3 s before its first line runs); running every case after that, `timeout`.
    The child says it has imported by writing one byte to a pipe; a file that closes or
    writes to that pipe itself only starts its shorter clock early.
    """
    nonce = secrets.token_hex(8)
    _arrays.pack(workdir / "inputs.arrays", inputs)
    imported_r, imported_w = os.pipe()
    (workdir / "job.json").write_text(
        json.dumps({"file": str(path), "cases": n_cases, "nonce": nonce, "imported_fd": imported_w})
    )

    def limits():  # in the child, before exec
        import resource

        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    env = {
        "PATH": os.environ.get("PATH", ""),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "HOME": str(workdir),
    }
    with (
        open(workdir / "stdout.txt", "wb") as out,
        open(workdir / "stderr.txt", "wb") as err,
        os.fdopen(imported_r, "rb", buffering=0) as imported,
    ):
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(RUNNER), str(workdir)],
                cwd=path.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=limits,
                start_new_session=True,
                pass_fds=(imported_w,),
            )
        finally:
            os.close(imported_w)  # the child holds the only writing end now
        try:
            if not select.select([imported], [], [], import_timeout)[0]:
                raise _Killed(
                    f"killed after the import time limit of {import_timeout:g} s "
                    "(an endless loop at the top level of the file?)"
                )
            imported.read(1)  # a byte: imported; b"": the child closed it or ended
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise _Killed(f"killed after the time limit of {timeout:g} s (an endless loop?)") from None
        except _Killed as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise UnusableInput(str(exc)) from None
        finally:
            if proc.poll() is None:  # pragma: no cover - only when a wait itself was interrupted
                os.killpg(proc.pid, signal.SIGKILL)
    stderr = (workdir / "stderr.txt").read_bytes()[-2000:].decode("utf-8", "replace")
    try:
        result = json.loads((workdir / "result.json").read_text())
        if result.get("nonce") != nonce:
            raise ValueError("a result.json that the runner did not write")
        outputs = _arrays.unpack(workdir / "outputs.arrays")
    except (OSError, ValueError, KeyError) as exc:
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (over the memory limit?)" if "MemoryError" in stderr or name in ("SIGKILL", "SIGSEGV") else ""
            raise UnusableInput(f"the learner's process died with {name}{hint}") from None
        if "MemoryError" in stderr:
            raise UnusableInput(f"MemoryError: over the memory limit of {memory_mb} MiB") from None
        raise UnusableInput(
            f"the learner's process ended (exit status {code}) before returning its arrays"
            f"{': ' + stderr.strip().splitlines()[-1] if stderr.strip() else ''}"
        ) from exc
    return result, outputs


class _Killed(Exception):
    """The learner's process ran out of one of its two clocks."""


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
) -> FileReport:
    """Judge one derivation file for one registry model. Never raises for the learner's mistakes.

    The file is read once (or `source` is used) and run from a private copy in a fresh
    temporary folder, so that what it does to the files around it touches neither itself
    nor its neighbours.
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
        report.cases = len(samples)
        with tempfile.TemporaryDirectory(prefix="torchref-check-") as tmp:
            (Path(tmp) / "learner").mkdir()
            copy = Path(tmp) / "learner" / path.name
            copy.write_bytes(source)
            inputs, caches = {}, [pair.model.forward(s.X, s.params)[1] for s in samples]  # the handmade forward
            for i, (s, cache) in enumerate(zip(samples, caches)):
                inputs.update({f"{i}/X": s.X, f"{i}/Y": s.Y})
                inputs.update({f"{i}/params/{k}": v for k, v in s.params.items()})
                inputs.update({f"{i}/cache/{k}": v for k, v in cache.items()})
            result, outputs = _run_child(copy, inputs, len(samples), timeout, import_timeout, memory_mb, Path(tmp))
        _judge(report, pair, samples, caches, result, outputs)
    except UnusableInput as exc:
        report.verdict, report.reason = "unusable", str(exc)
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _judge(report: FileReport, pair: AutogradPair, samples, caches, result: dict, outputs: dict) -> None:
    if result.get("import_error"):
        raise UnusableInput(f"cannot import the file: {_where(result['import_error'])}")
    if result.get("exit"):
        raise UnusableInput(f"the file called sys.exit({result['exit']['code']}) at {result['exit']['where']}")
    if not result.get("has_backward"):
        raise UnusableInput("the file defines no function backward(X, Y, params, cache)")
    report.has_forward = result["has_forward"]
    deepest = max(samples, key=lambda s: len(s.shape.hidden)).shape
    names = pair.names(deepest)
    # required: the parameter gradients, and the forward values when the file has a forward
    verdicts = {
        n: TensorVerdict(n, required=n.startswith(("dW", "db")) or (report.has_forward and n[0] in "ZA"))
        for n in names
        if n != "J" and (report.has_forward or n.startswith("d"))
    }
    for i, (s, case) in enumerate(zip(samples, result["cases"])):
        report.warnings += [
            f"{name} changed in place by the learner's code (case {s.id})"
            for name in case["mutated"]
            if not any(name in w for w in report.warnings)
        ]
        if case.get("error", {}).get("type") == "MemoryError":
            raise UnusableInput(f"MemoryError in the learner's code (case {s.id}): over the memory limit?")
        if case.get("error") or case["problems"]:
            text = _where(case["error"], s.X.shape[0]) if case.get("error") else "; ".join(case["problems"])
            report.errors.append(f"case {s.id}: {text}")
            continue
        _judge_case(pair, s, i, caches[i], outputs, verdicts)
    if len(result["cases"]) < len(samples):  # pragma: no cover - the runner stops early only on an exit
        raise UnusableInput("the learner's process returned fewer cases than it was sent")
    report.tensors = list(verdicts.values())
    _verdict(report)


def _judge_case(pair: AutogradPair, s: Sample, i: int, handmade_cache: dict, outputs: dict, verdicts: dict) -> None:
    prefix = lambda part: {k[len(f"{i}/{part}/") :]: v for k, v in outputs.items() if k.startswith(f"{i}/{part}/")}  # noqa: E731
    mine = {**prefix("cache"), **prefix("grads")}
    ref = pair.torch(s)
    cache = {**handmade_cache, **prefix("cache")}  # what the learner's backward received
    variants = {key: _chain(pair, s, ref, key) for key in MISTAKES}
    tol = pair.tolerance(s.dtype)
    fd = {}
    n_params = sum(v.size for v in s.params.values())
    if s.dtype == "float64" and n_params <= FD_MAX_PARAMS:
        fd = {r.name: r for r in pair.check_finite_differences(s, mine)}
    for name in pair.names(s.shape):
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
        link = _safe_link(pair, s, name, mine, ref, cache)
        own_line_ok = link is not None and compare_tensor(name, mine[name], link.astype(ref[name].dtype), tol).ok
        if own_line_ok and v.status in ("ok", "echo"):
            v.status = "echo"
        else:
            v.status = "wrong"
            kind, text = diagnose(name, mine[name], ref[name], s, variants)
            v.kinds.setdefault(kind, text)
            v.diagnosis = _consolidate(v.kinds)


def _failed(v: TensorVerdict, s: Sample) -> None:
    """Count a failing case: the first one, and the smallest shape."""
    v.failed += 1
    v.first_failure = v.first_failure or s.id
    if not v.smallest_failure or _size(s.shape) < v.smallest_size:
        v.smallest_failure, v.smallest_size = s.shape.id, _size(s.shape)


def _consolidate(kinds: dict) -> str:
    """One diagnosis when every failing case shows the same kind of mistake, else a plain one."""
    if len(kinds) == 1:
        return next(iter(kinds.values()))
    return "no known kind (the failing cases look like different mistakes: " + "; ".join(kinds.values()) + ")"


def _safe_link(pair, s, name, mine, ref, cache):
    try:
        with np.errstate(all="ignore"):
            out = _link(pair, s, name, mine, ref, cache)
        return None if out is None else np.asarray(out)
    except (ValueError, KeyError, TypeError):  # the learner's upstream has the wrong shape
        return None


def _verdict(report: FileReport) -> None:
    wrong = [t for t in report.tensors if t.status in ("wrong", "missing")]
    echoes = [t for t in report.tensors if t.status == "echo"]
    if not wrong and not echoes and not report.errors:
        report.verdict = "pass"
        return
    report.verdict = "wrong"
    first = wrong[0] if wrong else echoes[0] if echoes else None
    if first is not None:
        report.first_wrong = first.name
        report.reason = f"first wrong link: {first.name}: {first.diagnosis or 'follows from an earlier value'}"
        for t in echoes:
            t.diagnosis = t.diagnosis or f"follows from {first.name}: its own line is right"
    if report.errors:
        failed = len(report.errors)
        error = report.errors[0].split(": ", 1)[1]
        report.reason = (
            report.reason + "; " if report.reason else ""
        ) + f"the learner's code raised in {failed}/{report.cases} cases: {error}"


def check_many(directory, model: str, progress=None, **kwargs) -> list[FileReport]:
    """Every *.py file of `directory`, sorted by name; one report each.

    All files are read before the first runs, so no submission can change or delete
    another before it is judged. `progress` wraps the iteration (e.g. tqdm).
    """
    files = sorted(p for p in Path(directory).glob("*.py") if p.is_file())
    sources = [(p, p.read_bytes()) for p in files]
    return [check(p, model, source=src, **kwargs) for p, src in (progress or iter)(sources)]


__all__ = ["check", "check_many", "FileReport", "TensorVerdict", "UnusableInput"]
