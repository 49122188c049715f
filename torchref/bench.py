"""`torchref bench`: one training step of the shallow network, handmade NumPy against torch eager.

Every number is measured side by side in this one run (the machine is noisy: ratios, not
absolute times, are what to compare): the median time of a step on each side and their
ratio, the fraction of this machine's matmul rate (measured here, in the same dtype) each
side reaches, the peak memory a step adds on each side (in a child process per side), and
how many random parity cases per second the registry's parity sweep runs.

One module of over 400 lines: the measurements of one command, sharing its timing helpers
(`_median_time`, `_settle`, `_cpu_seconds`) and its report (`run`, `_row`), so that one
measurement is changed beside the others it is compared with. The checker's throughput
(`a_class`, `class_rate`, `sharded_rate`, `check_parts`) is the part that would move out
first, into a module of its own, if the file grows further.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

# (m, n, h) and the target for the fast step's time over torch's
SIZES = [
    ((64, 2, 4), 0.15),
    ((400, 2, 4), 0.15),
    ((1000, 10, 32), 0.4),
    ((10_000, 100, 128), 1.0),
    ((100_000, 100, 256), 1.05),
    ((4096, 1024, 1024), 1.05),
]
QUICK = 4  # --quick: the first four sizes
DTYPES = ("float32", "float64")  # registry.DTYPES, without importing torch (the fast side's memory child must not)


def _median_time(fn, min_seconds: float = 0.05, repeats: int = 5) -> float:
    fn()  # warm up
    number, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds / repeats or number > 10_000:
            break
        number *= 4
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return float(np.median(times))


SETTLE_SECONDS = 0.2


def _settle():
    """Idle before a side is timed: the previous side's BLAS and OpenMP threads spin-wait on the
    other core for up to ~0.1 s after their last call, which would steal it from this side's workers."""
    time.sleep(SETTLE_SECONDS)


def _problem(m, n, h, dtype, seed=0):
    from torchref_handmade import shallow

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)).astype(dtype)
    Y = (rng.random((m, 1)) > 0.5).astype(dtype)
    return X, Y, shallow.init_params(n, h, rng, dtype, scale=0.1)


def handmade_stepper(X, Y, params, lr=0.1):
    """The plain handmade step: forward, backward, W ← W − α dW (the notes, line by line)."""
    from torchref_handmade import shallow

    state = dict(params)

    def step():
        A2, cache = shallow.forward(X, state)
        grads = shallow.backward(X, Y, state, cache)
        for key in state:
            state[key] = state[key] - lr * grads["d" + key]

    return step


def fast_stepper(X, Y, params, lr=0.1):
    """handmade.shallow_fast: the same step into reused buffers, updated in place."""
    from torchref_handmade.shallow_fast import ShallowTrainer

    return ShallowTrainer(X, Y, params, lr).step


def torch_stepper(X, Y, params, lr=0.1):
    """torch eager: the nn.Module twin, nn.BCELoss, autograd and optim.SGD."""
    import torch

    from torchref.convert import load_params
    from torchref.models import ShallowNet

    twin = ShallowNet(X.shape[1], params["W1"].shape[1], getattr(torch, str(X.dtype)))
    load_params(twin.layers, params)
    optimiser = torch.optim.SGD(twin.parameters(), lr=lr)
    X_t, Y_t = torch.from_numpy(X), torch.from_numpy(Y)

    def step():
        optimiser.zero_grad()
        twin.criterion(twin(X_t), Y_t).backward()
        optimiser.step()

    return step


MATMUL_SIZE, MATMUL_SECONDS = 1024, 0.3  # large enough to be compute-bound here; measured for this long


def matmul_rate(dtype: str) -> float:
    """FLOP/s of a square NumPy matmul of MATMUL_SIZE, in `dtype`."""
    size = MATMUL_SIZE
    a = np.random.default_rng(0).standard_normal((size, size)).astype(dtype)
    seconds = _median_time(lambda: a @ a, min_seconds=MATMUL_SECONDS)
    return 2 * size**3 / seconds


def step_flops(m, n, h) -> float:
    """The GEMM work of one step: X W1 and Xᵀ dZ1 (2mnh each), A1 W2, A1ᵀ dZ2, dZ2 W2ᵀ (2mh each)."""
    return 4 * m * n * h + 6 * m * h


def peak_memory(jobs, sides=("fast", "torch")) -> dict:
    """{side: {(m, n, h, dtype): MiB}}: the peak memory three steps add, in one fresh process per side.

    The memory of a step in training: after one warm-up step (which touches the fast
    side's buffers and gives torch its .grad tensors), Linux's peak resident size (VmHWM)
    is reset (writing 5 to /proc/self/clear_refs), so each number is that job's own peak
    above the resident size just before its next three steps. The processes of the sides
    run at the same time (each has its own peak; nothing is timed while they run).
    """
    jobs = list(jobs)
    procs = {side: _child_peak(side, jobs) for side in sides}
    outputs = {side: proc.communicate(timeout=600) for side, proc in procs.items()}  # every child reaped first
    for side, proc in procs.items():
        if proc.returncode != 0:
            raise RuntimeError(f"the {side} side's memory process failed: {outputs[side][1][-500:]}")
    return {side: dict(zip(jobs, json.loads(stdout.splitlines()[-1]))) for side, (stdout, _) in outputs.items()}


def _child_peak(side: str, jobs) -> subprocess.Popen:
    code = (
        "import json\n"
        "from torchref import bench\n"
        "def kib(field):\n"
        "    return int(next(l for l in open('/proc/self/status') if l.startswith(field)).split()[1])\n"
        "out = []\n"
        f"for m, n, h, dtype in {list(jobs)!r}:\n"
        "    X, Y, p = bench._problem(m, n, h, dtype)\n"
        f"    step = bench.{side}_stepper(X, Y, p)\n"
        "    step()\n"
        "    open('/proc/self/clear_refs', 'w').write('5')\n"
        "    before = kib('VmRSS:')\n"
        "    for _ in range(3):\n"
        "        step()\n"
        "    out.append((kib('VmHWM:') - before) / 1024)\n"
        "    del X, Y, p, step\n"
        "print(json.dumps(out))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def small_shape(rng):
    """A shallow-network shape of the notes' scale: m <= 64, n <= 8, h <= 8."""
    from torchref.registry import Shape

    return Shape(int(rng.integers(1, 65)), int(rng.integers(1, 9)), (int(rng.integers(1, 9)),))


def parity_rate(seconds: float = 2.0, draw=None, per_shape: int = 1, cases: int | None = None) -> float:
    """Random shallow-network parity cases (draw, forward, backward, compare everything) per second, on one thread.

    Shapes come from `draw(rng)`, by default the registry's (what `verify` and the tests
    draw: m <= 512, n, h <= 64). `per_shape` cases share each shape and dtype, as `verify`
    draws long runs (their torch sides then run as one batch, ModelPair.torch_many); with
    1, every case has a new shape and the dtypes alternate. torch and NumPy's BLAS run on one
    thread for the measurement, as the command line and the tests run them. With `cases`, exactly
    that many cases run (rounded up to whole chunks), however long they take: what a test asserts
    on must not depend on how much work fits in `seconds` on this machine.
    """
    import torch
    from threadpoolctl import threadpool_limits

    from torchref.registry import REGISTRY

    pair = REGISTRY["shallow"]
    draw = draw or pair.random_shape
    rng, threads = np.random.default_rng(0), torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):  # the caller's BLAS threads come back after
            return _cases_per_second(pair, draw, rng, seconds, per_shape, cases)
    finally:
        torch.set_num_threads(threads)


def _cases_per_second(pair, draw, rng, seconds: float, per_shape: int, cases: int | None) -> float:
    """Cases drawn and checked CHUNK at a time, as `verify` runs them: for `seconds`, or `cases` of them."""
    from torchref.sweep import CHUNK

    count, start, shape = 0, time.perf_counter(), None
    while count < cases if cases is not None else time.perf_counter() - start < seconds:
        samples = []
        for i in range(count, count + CHUNK):
            if i % per_shape == 0:
                shape, dtype = draw(rng), DTYPES[i // per_shape % 2]
            samples.append(pair.sample(shape, dtype, i))
        for sample, results in zip(samples, pair.parity_many(samples)):
            failed = [r.message for r in results if not r.ok]
            if failed:
                raise AssertionError(f"parity failed at {sample.id}: {failed[0]}")
        count += CHUNK
    return count / (time.perf_counter() - start)


def run(quick: bool = False, progress=print, sizes=None, parity_seconds: float = 2.0, large: bool = False) -> dict:
    """Every measurement; `large`: the class of CLASS_LARGE files too (a full run always measures it)."""
    import torch

    from torchref.sweep import CHUNK
    from torchref_handmade.shallow_fast import default_workers

    sizes = sizes or (SIZES[:QUICK] if quick else SIZES)
    rows, jobs = [], [(*size, dtype) for dtype in DTYPES for size, _ in sizes]
    memory = peak_memory(jobs)
    for dtype in DTYPES:
        rate = matmul_rate(dtype)
        for (m, n, h), target in sizes:
            X, Y, params = _problem(m, n, h, dtype)
            times = []
            for stepper in (handmade_stepper, fast_stepper, torch_stepper):
                _settle()
                times.append(_median_time(stepper(X, Y, params)))
            t_h, t_f, t_t = times
            flops = step_flops(m, n, h)
            rows.append(
                {
                    "m": m,
                    "n": n,
                    "h": h,
                    "dtype": dtype,
                    "handmade_ms": t_h * 1e3,
                    "fast_ms": t_f * 1e3,
                    "torch_ms": t_t * 1e3,
                    "plain_ratio": t_h / t_t,
                    "ratio": t_f / t_t,
                    "target": target,
                    "meets_target": t_f / t_t <= target,
                    "fast_roofline": flops / t_f / rate,
                    "torch_roofline": flops / t_t / rate,
                    "fast_peak_mib": memory["fast"][m, n, h, dtype],
                    "torch_peak_mib": memory["torch"][m, n, h, dtype],
                    "matmul_gflops": rate / 1e9,
                    "fast_workers": default_workers(m, h, dtype),
                }
            )
            progress(_row(rows[-1]))
    return {
        "schema": "torchref.bench/1",
        "quick": quick,
        "machine": machine(),
        "torch_threads": torch.get_num_threads(),
        "rows": rows,
        "parity_cases_per_shape": CHUNK,
        "parity_cases_per_second": parity_rate(parity_seconds, per_shape=CHUNK),
        "parity_cases_per_second_small": parity_rate(parity_seconds, small_shape, per_shape=CHUNK),
        "parity_cases_per_second_new_shapes": parity_rate(parity_seconds),
        "parity_cases_per_second_small_new_shapes": parity_rate(parity_seconds, small_shape),
        **class_rate(sizes=(CLASS_FILES,) if quick and not large else (CLASS_FILES, CLASS_LARGE)),
        **({} if quick else sharded_rate()),
    }


def machine() -> dict:
    """What the numbers were measured on: the processor, its cores, the kernel, Python, bwrap, and the load
    average when the run began (other work on the machine slows every number; ratios measured side by side hold)."""
    import os
    import platform
    import shutil

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    bwrap = shutil.which("bwrap")
    version = ""
    if bwrap:
        done = subprocess.run([bwrap, "--version"], capture_output=True, text=True, check=False)
        version = done.stdout.strip()
    return {
        "cpu": model or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "bwrap": version or "not installed",
        "load_average": os.getloadavg()[0],
    }


def _load() -> float:
    import os

    return os.getloadavg()[0]


CLASS_FILES = 200  # the class the checker's throughput is measured on
# the wrong lines of the class: (the example's line, the learner's), each a classic mistake
CLASS_MISTAKES = [
    ("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)"),
    ("dW2 = (1 / m) * (A1.T @ dZ2)", "dW2 = A1.T @ dZ2"),
    ("dZ2 = A2 - Y", "dZ2 = Y - A2"),
    ("dW1 = (1 / m) * (X.T @ dZ1)", "dW1 = (1 / m) * (dZ1.T @ X).T * 2"),
]


SEARCHED_MISTAKE = ("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1**2) * A1")


def a_class(files: int) -> list[tuple[str, str, str]]:
    """(name, source, the verdict it must get) for a class of `files` shallow-model submissions:
    half of them right, the others each with one classic mistake; no endless loops."""
    from pathlib import Path

    import torchref

    good = (Path(torchref.__file__).parent / "examples" / "shallow_derivation.py").read_text()
    out = []
    for i in range(files):
        if i % 2 == 0:
            out.append((f"student{i:03d}.py", good, "pass"))
        else:
            line, wrong = CLASS_MISTAKES[(i // 2) % len(CLASS_MISTAKES)]
            out.append((f"student{i:03d}.py", good.replace(line, wrong), "wrong"))
    return out


CLASS_LARGE = 1000  # the second class of a full run
COLD_SAMPLE = 40  # files of each class run with a new sandbox per file (the slow baseline is measured on these)


def class_rate(files: int | None = None, jobs: int | None = None, sizes=None) -> dict:
    """Submissions per minute for a class checked as it is graded (sandbox on, every core, no search for a repair
    of each wrong file), and one file's time.

    Each class is checked three ways in this one run, so that their ratios hold on a loaded
    machine: "fresh" (the default: a warm server per job forks a child with new namespaces
    and its own tmpfs for every file), "shared" (the same fork without namespaces of its own,
    folders emptied after each file) and "cold" (a new sandbox, interpreter and NumPy for
    every file; on the first COLD_SAMPLE files only).
    """
    import os
    from pathlib import Path

    from torchref.checker import check, check_many

    files = files or CLASS_FILES
    jobs = jobs or os.cpu_count() or 1
    classes = []
    # warmed first: what the first batch of a process pays once (imports the comparison makes on its first use)
    check_many([(Path(name), source) for name, source, _ in a_class(2)], "shallow", jobs=1, seed=1)
    for size in sizes or (files,):
        submissions = a_class(size)
        items = [(Path(name), source) for name, source, _ in submissions]
        row = {"files": size, "load_average": os.getloadavg()[0], "repair": False}
        for per_file, batch in (("fresh", items), ("shared", items), ("cold", items[:COLD_SAMPLE])):
            start, cpu, busy = time.perf_counter(), _cpu_seconds(), _machine_cpu()
            # as a class is graded (a gradebook written: no search for a repair of each wrong file)
            reports = check_many(batch, "shallow", jobs=jobs, per_file=per_file, seed=1, repair=False)
            seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu  # this process and its workers
            busy = None if busy is None else (_machine_cpu() or busy) - busy
            row[per_file] = {
                "files": len(batch),
                "seconds": seconds,
                "files_per_minute": len(batch) / seconds * 60,
                # the judge's CPU: the sandbox's processes are killed, never waited for, so theirs is not counted
                "judge_cpu_ms_per_file": cpu / len(batch) * 1e3,
                # every process of the machine (the sandboxes', and other work's: see the load average)
                "machine_cpu_ms_per_file": None if busy is None else busy / len(batch) * 1e3,
                "cores_busy": None if busy is None else busy / seconds,
                "right_verdicts": sum(r.verdict == want for r, (_, _, want) in zip(reports, submissions)),
                "sandbox": reports[0].sandbox,
                "isolation": reports[0].limits.get("isolation", ""),
            }
        row["load_average_after"] = os.getloadavg()[0]
        row["ratio_to_shared"] = row["fresh"]["files_per_minute"] / row["shared"]["files_per_minute"]
        row["ratio_to_cold"] = row["fresh"]["files_per_minute"] / row["cold"]["files_per_minute"]
        classes.append(row)
    first = classes[0]
    one = time.perf_counter()
    single = check(Path("student000.py"), "shallow", source=a_class(1)[0][1])
    one = time.perf_counter() - one
    # a mistake no catalogue entry names: its cause is stated as the formula the learner computed
    line, novel = SEARCHED_MISTAKE
    wrong = time.perf_counter()
    searched = check(Path("searched.py"), "shallow", source=a_class(1)[0][1].replace(line, novel))
    wrong = time.perf_counter() - wrong
    # a wrong file checked with its repair (found, judged again and verified): CPU of this process and its children
    line, mistake = CLASS_MISTAKES[1]
    cpu = _cpu_seconds()
    repaired = check(Path("repaired.py"), "shallow", source=submissions[0][1].replace(line, mistake))
    cpu = _cpu_seconds() - cpu
    return {
        "class_files": first["files"],
        "class_seconds": first["fresh"]["seconds"],
        "class_files_per_minute": first["fresh"]["files_per_minute"],
        "class_right_verdicts": first["fresh"]["right_verdicts"],
        "class_sandbox": first["fresh"]["sandbox"],
        "class_jobs": jobs,
        "classes": classes,
        "check_seconds": one,
        "check_sandbox": single.sandbox,
        "check_parts_load_average": _load(),  # (measured just before them)
        "check_parts": check_parts(),
        **shell_check(),
        **notebook_check(),
        "wrong_check_seconds": wrong,
        "wrong_check_cause": searched.cause,
        "repair_check_cpu_seconds": cpu,
        "repair_check_result": (repaired.repair or {}).get("result", ""),
    }


SHARDED_FILES = 1000  # the class the sharded run is measured on (not with --quick)
SHARDS = 4


def sharded_rate(files: int | None = None, shards: int | None = None, seed: int = 1) -> dict:
    """A class of `files` generated files judged by one run, then as `shards` shards one after another and merged.

    Each run is its own `torchref check` (or `torchref merge`) process, as each machine of a
    sharded class runs one (torch's import included), with every core and a CSV written. The
    shards' sum is what sharding costs, the largest shard the wall time on `shards` machines
    at once (plus the merge). The merged gradebook is compared with the one run's.
    """
    import os
    import tempfile
    from pathlib import Path

    files, shards = files or SHARDED_FILES, shards or SHARDS
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="torchref-bench-") as tmp:
        root = Path(tmp) / "class"
        root.mkdir()
        for name, source, _ in a_class(files):
            (root / name).write_text(source)
        common = ["--model", "shallow", "--seed", str(seed), "--quiet"]

        def timed(argv) -> float:
            """The wall time of one `torchref` process, which must leave its output (its last argument)."""
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "torchref", *argv], capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if not Path(argv[-1]).is_file():
                raise RuntimeError(f"torchref {argv[0]} wrote no {argv[-1]} ({done.returncode}): {done.stderr[-500:]}")
            return seconds

        whole = timed(["check", str(root), *common, "--csv", f"{tmp}/whole.csv"])
        parts, sizes = [], []
        for k in range(1, shards + 1):
            path = f"{tmp}/shard-{k}.json"
            parts.append(timed(["check", str(root), *common, "--shard", f"{k}/{shards}", "--json", path]))
            sizes.append(len(json.loads(Path(path).read_text())["files"]))
        names = [f"{tmp}/shard-{k}.json" for k in range(1, shards + 1)]
        merge = timed(["merge", *names, "--csv", f"{tmp}/merged.csv"])
        same = Path(f"{tmp}/whole.csv").read_bytes() == Path(f"{tmp}/merged.csv").read_bytes()
    return {
        "sharded_files": files,
        "sharded_shards": shards,
        "sharded_shard_files": sizes,
        "one_machine_seconds": whole,
        "shard_seconds": parts,
        "shards_sum_seconds": sum(parts),
        "largest_shard_seconds": max(parts),
        "merge_seconds": merge,
        "merged_same_gradebook": same,
        "sharded_load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # 1 min, before and after
    }


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (the sandbox's learner processes)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + _children_cpu()


def _machine_cpu() -> float | None:
    """CPU seconds every core of the machine has spent busy since it started (/proc/stat: all but idle and
    waiting for the disk), or None where there is no /proc/stat."""
    import os

    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended, and of theirs."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def check_parts(per_file: str = "fresh") -> dict:
    """One check split into its parts, each {"wall": s, "cpu": s}: drawing the cases and their reference (the
    sandbox's server starts meanwhile, as in one check), what is left of the sandbox's start (its interpreter and
    NumPy), the learner's process (fork, namespaces, import, cases; its CPU as the sandbox measured it), the
    exchange (folder, reading and checking its arrays), the comparison with the verdict of a right file, and of a
    wrong one: its comparison, then its diagnosis (cause, learner's line, small case). Measured after a first file
    of the same batch has warmed it. On one thread of torch and of the BLAS, as a batch runs."""

    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            return _check_parts(per_file)
    finally:
        torch.set_num_threads(threads)


def _check_parts(per_file: str) -> dict:
    from pathlib import Path

    from torchref.checker.batch import Session
    from torchref.checker.judge import judge_file
    from torchref.checker.report import FileReport

    right = a_class(1)[0][1].encode()
    line, mistake = CLASS_MISTAKES[0]
    wrong = right.replace(line.encode(), mistake.encode())
    parts = {}

    def timed(name, fn, cpu=None):
        wall, own = time.perf_counter(), time.process_time()
        out = fn()
        parts[name] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - own if cpu is None else cpu}
        return out

    def referenced() -> Session:  # (one check computes the reference while its file runs: here, on its own)
        session = Session("shallow", seed=1, per_file=per_file)
        session.expected_bytes()
        return session

    session = timed("cases and reference", referenced)
    try:
        server = session.servers[0]
        timed("sandbox start", server.start)
        session.judge(Path("warm.py"), right, server)
        session.judge(Path("warm-wrong.py"), wrong, server)  # (what a wrong file's diagnosis imports on first use)
        result, outputs, facts = timed("run and exchange", lambda: session._run(Path("one.py"), right, server))
        run = parts.pop("run and exchange")
        parts["learner's process"] = {"wall": facts["run_seconds"] or 0.0, "cpu": facts["cpu"]}
        parts["exchange"] = {"wall": run["wall"] - parts["learner's process"]["wall"], "cpu": run["cpu"]}

        def judged(name, source, result, outputs, diagnose=True):
            report = FileReport(name, "shallow", dtypes=session.dtypes, seed=session.seed)
            report.cases = len(session.samples)
            args = (session.pair, session.samples, session.caches, result, outputs, False, session.limits, source)
            judge_file(report, *args, diagnose=diagnose)
            return report

        timed("comparison and verdict", lambda: judged("one.py", right, result, outputs))
        result, outputs, _ = session._run(Path("wrong.py"), wrong, server)
        for diagnose, name in ((False, "wrong file: comparison"), (True, "wrong file: with its diagnosis")):
            timed(name, lambda diagnose=diagnose: judged("wrong.py", wrong, result, outputs, diagnose))
        whole = parts.pop("wrong file: with its diagnosis")
        comparison = parts["wrong file: comparison"]
        parts["wrong file: diagnosis"] = {k: max(0.0, whole[k] - comparison[k]) for k in ("wall", "cpu")}
    finally:
        session.close()
    return parts


SHELL_RUNS = 3  # runs of each command shell_check times (after one that warms the caches)


# `torchref check` as the command runs it (`python -m torchref`), in a process that imports torch first and, once
# the command has ended (its exit handlers run last-registered first: this one after the command's own), writes
# the wall and CPU seconds since then: the command's own work beyond `import torch`, without the noise of the
# import's own time in two processes
AFTER_TORCH = (
    "import atexit, runpy, sys, time, torch\n"
    "start, cpu = time.perf_counter(), time.process_time()\n"
    "atexit.register(lambda: sys.stderr.write(f'after torch: {time.perf_counter() - start} "
    "{time.process_time() - cpu}\\n'))\n"
    "sys.argv = ['torchref', *sys.argv[1:]]\n"
    "runpy.run_module('torchref', run_name='__main__', alter_sys=True)\n"
)


def shell_check() -> dict:
    """What one `torchref check FILE` from the shell pays beyond `import torch`: SHELL_RUNS runs each of
    `python -c "import torch"`, of the check of a right file, and of the same check in a process that imports torch
    first and times the rest (`AFTER_TORCH`), alternated, after a first run of each (the disk's cache and the
    modules' bytecode warm, as an installed package's is). Wall and CPU (of the process and the children it waited
    for) of the fastest run of each: the one other work on the machine disturbed least; beyond `import torch`: the
    wall and the judge's own CPU measured inside the process."""
    import os
    from pathlib import Path

    import torchref

    example = str(Path(torchref.__file__).parent / "examples" / "shallow_derivation.py")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    arguments = ["check", example, "--model", "shallow", "--seed", "1", "--quiet"]
    # the baseline ends as the command does (its exit handlers, then the process, without the interpreter's teardown
    # of torch's modules: `cli._end`)
    commands = {
        "import": [sys.executable, "-c", "import atexit, os, torch; atexit._run_exitfuncs(); os._exit(0)"],
        "check": [sys.executable, "-m", "torchref", *arguments],
        "after torch": [sys.executable, "-c", AFTER_TORCH, *arguments],
    }
    runs: dict = {name: [] for name in commands}
    beyond: list[dict] = []
    load = _load()
    for turn in range(SHELL_RUNS + 1):
        for name, command in commands.items():
            wall, cpu = time.perf_counter(), _children_cpu()
            done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            if not turn:  # the first of each warms the caches
                continue
            runs[name].append({"wall": time.perf_counter() - wall, "cpu": _children_cpu() - cpu})
            said = [
                line for line in done.stderr.decode(errors="replace").splitlines() if line.startswith("after torch")
            ]
            if name == "after torch" and said and done.returncode == 0:  # (the right file passed: it ran whole)
                inner_wall, inner_cpu = said[-1].split()[-2:]
                beyond.append({"wall": float(inner_wall), "cpu": float(inner_cpu)})
    best = {name: {k: min(run[k] for run in values) for k in ("wall", "cpu")} for name, values in runs.items()}
    return {
        "shell_runs": SHELL_RUNS,
        "shell_import_torch": best["import"],
        "shell_check": best["check"],
        # (a check that printed no time would leave it at the difference of the two processes' fastest runs)
        "shell_beyond_torch": {k: min(run[k] for run in beyond) for k in ("wall", "cpu")}
        if beyond
        else {k: best["check"][k] - best["import"][k] for k in ("wall", "cpu")},
        "shell_beyond_torch_inside": bool(beyond),  # timed inside the process (else: the difference of two)
        "shell_load_average": [load, _load()],  # before and after the runs
    }


def notebook_check() -> dict:
    """Two `torchref.check` calls of a right file in this process, as a notebook makes them: the first pays the
    set-up (cases, reference, the sandbox's server), the second reuses it. Wall time, the judge's CPU (this
    process's: the kept server's own is counted when it ends) and how many sandbox servers each call started."""
    import gc
    import tempfile
    from pathlib import Path

    import torchref
    from torchref.checker import batch

    def servers() -> set:
        return {s.proc.pid for session in batch.kept.values() for s in session.servers if s.proc is not None}

    out, seen = {}, set()
    try:
        with tempfile.TemporaryDirectory(prefix="torchref-bench-") as tmp:
            path = Path(tmp) / "notebook.py"
            path.write_text(a_class(1)[0][1])
            for call in ("notebook_first_check", "notebook_second_check"):
                gc.collect()  # not the garbage of what ran before
                wall, cpu = time.perf_counter(), time.process_time()
                torchref.check(path, model="shallow", seed=1)
                out[call] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
                out[call]["servers_started"] = len(servers() - seen)
                seen |= servers()
    finally:
        batch.close_kept()
    return out


HEAD = (
    f"{'m':>7} {'n':>5} {'h':>5} {'dtype':<8} {'plain ms':>9} {'fast ms':>9} {'wk':>2} {'torch ms':>9} {'plain/pt':>8} "
    f"{'fast/pt':>7} {'target':>6} {'fast roof':>9} {'pt roof':>7} {'fast MiB':>8} {'pt MiB':>7}"
)


def _row(r: dict) -> str:
    flag = "" if r["meets_target"] else "  (over target)"
    return (
        f"{r['m']:>7} {r['n']:>5} {r['h']:>5} {r['dtype']:<8} {r['handmade_ms']:>9.3f} {r['fast_ms']:>9.3f} "
        f"{r['fast_workers']:>2} {r['torch_ms']:>9.3f} {r['plain_ratio']:>8.2f} {r['ratio']:>7.2f} {r['target']:>6.2f} "
        f"{r['fast_roofline']:>9.0%} {r['torch_roofline']:>7.0%} {r['fast_peak_mib']:>8.1f} "
        f"{r['torch_peak_mib']:>7.1f}{flag}"
    )


def main(quick: bool, large: bool = False) -> dict:
    """Print the table as it is measured, and return the measurements (schema torchref.bench/1)."""
    m = machine()
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, Python {m['python']}, {m['bwrap']}; "
        f"load average {m['load_average']:.1f} at the start (every line below names its own)"
    )
    print(HEAD)
    result = run(quick, large=large)
    print(
        f"parity cases per second, one thread (shallow; target 1500): {result['parity_cases_per_second']:.0f} on the "
        f"registry's shapes (m <= 512, n, h <= 64), {result['parity_cases_per_second_small']:.0f} on the notes' scale "
        f"(m <= 64, n, h <= 8), {result['parity_cases_per_shape']} cases to a random shape as verify draws long runs; "
        f"{result['parity_cases_per_second_new_shapes']:.0f} and "
        f"{result['parity_cases_per_second_small_new_shapes']:.0f} "
        "with a new shape every case"
    )
    print(
        f"torchref check, a class of {result['class_files']} shallow files (half wrong), sandbox "
        f"{result['class_sandbox']}, {result['class_jobs']} jobs: {result['class_files_per_minute']:.0f} files per "
        f"minute ({result['class_seconds']:.1f} s; {result['class_right_verdicts']}/{result['class_files']} verdicts "
        f"right); one file alone: {result['check_seconds']:.2f} s (sandbox {result['check_sandbox']}); a wrong one "
        f"whose cause the search reconstructs: {result['wrong_check_seconds']:.2f} s (target 2); a wrong one with its "
        f"verified repair: {result['repair_check_cpu_seconds']:.2f} s of CPU (target 2; "
        f"{result['repair_check_result'] or 'no repair'})"
    )
    for row in result["classes"]:
        print(
            f"a class of {row['files']} as graded (load average {row['load_average']:.1f} before, "
            f"{row['load_average_after']:.1f} after, on {result['class_jobs']} jobs): "
            f"{row['fresh']['files_per_minute']:.0f} files per minute with a fresh sandbox per file, "
            f"{row['shared']['files_per_minute']:.0f} forked into one shared sandbox per job "
            f"(x{row['ratio_to_shared']:.2f}), {row['cold']['files_per_minute']:.0f} with a new sandbox per file "
            f"(x{row['ratio_to_cold']:.1f}, on {row['cold']['files']} files)"
        )
    print(
        f"one check's parts (wall / CPU s; load average {result['check_parts_load_average']:.1f}): "
        + ", ".join(f"{name} {p['wall']:.3f} / {p['cpu']:.3f}" for name, p in result["check_parts"].items())
    )
    print(
        "the judge's CPU per file of a class (ms; its workers included, the sandboxes' not): "
        + "; ".join(
            f"{row['files']} files: "
            + ", ".join(f"{way} {row[way]['judge_cpu_ms_per_file']:.0f}" for way in ("fresh", "shared", "cold"))
            for row in result["classes"]
        )
    )
    fresh = [row for row in result["classes"] if row["fresh"]["machine_cpu_ms_per_file"] is not None]
    if fresh:
        cores = result["class_jobs"]
        print(
            "the whole machine's CPU per file of a class graded with a fresh sandbox per file (ms; every process, "
            "the sandboxes' and other work's): "
            + "; ".join(
                f"{row['files']} files: {row['fresh']['machine_cpu_ms_per_file']:.0f} "
                f"({row['fresh']['cores_busy']:.2f} of {cores} cores busy)"
                for row in fresh
            )
            + f"; at that CPU per file, {cores} cores grade at most "
            f"{cores * 60e3 / fresh[0]['fresh']['machine_cpu_ms_per_file']:.0f} files a minute "
            f"(5,000 a minute needs {cores * 60e3 / 5000:.0f} ms a file)"
        )
    beyond, first, second = (
        result["shell_beyond_torch"],
        result["notebook_first_check"],
        result["notebook_second_check"],
    )
    print(
        f"one `torchref check` from the shell (fastest of {result['shell_runs']}; load average "
        f"{result['shell_load_average'][0]:.1f}): "
        f"{result['shell_check']['wall']:.2f} s; its own work beyond `import torch` {beyond['wall']:.2f} s (the "
        f"judge's CPU {beyond['cpu']:.2f} s; timed inside a process that imports torch first; `import torch` alone "
        f"{result['shell_import_torch']['wall']:.2f} s, in a process that ends as the command does); in a "
        f"notebook, a first torchref.check {first['wall']:.2f} s, the judge's CPU {first['cpu']:.2f} s "
        f"({first['servers_started']} sandbox started), "
        f"a second {second['wall']:.2f} s, CPU {second['cpu']:.2f} s ({second['servers_started']} started)"
    )
    if "sharded_files" in result:
        print(
            f"a class of {result['sharded_files']} files: one machine {result['one_machine_seconds']:.1f} s; "
            f"{result['sharded_shards']} shards one after another {result['shards_sum_seconds']:.1f} s (the largest "
            f"{result['largest_shard_seconds']:.1f} s: the wall time on {result['sharded_shards']} machines), merge "
            f"{result['merge_seconds']:.2f} s; merged gradebook "
            + ("identical" if result["merged_same_gradebook"] else "DIFFERENT")
        )
    print(
        "plain = handmade.shallow (reads like the notes), fast = handmade.shallow_fast (wk: its workers); "
        "x/pt = time ratio to torch eager (median); target applies to fast/pt; "
        "roof = share of the measured matmul rate; MiB = peak memory three steps add above the resident "
        "size before them (after a warm-up step), in a fresh process per side"
    )
    return result
