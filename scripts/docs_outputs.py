"""Every output pasted in the README and under docs/ is made here, by running the real thing.

The Markdown files hold cog blocks (https://nedbatchelder.com/code/cog/) hidden in HTML
comments; `bash scripts/docs` regenerates them in place and `bash scripts/docs --check` (CI)
fails when one is stale:

    <!-- [[[cog
    import docs_outputs as d
    cog.out(d.run("torchref check my_shallow.py --model shallow --seed 1", "docs/examples/my_shallow.py", status=1))
    ]]] -->
    ...the generated block...
    <!-- [[[end]]] -->

What keeps a pasted run stable from one machine to the next: every command gets its seed on
its command line, runs in a fresh folder that is printed as HOME_SHOWN, and sees no
TORCHREF_SEED; a number that measures the machine (seconds) is masked where it is shown
(`mask=`). Figures that depend on the machine's speed belong on the performance page only,
where they are stated with the machine and the date (`bench_page`, `sharded_page`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtual environment's bin/, where `torchref` is
BENCH_RECORDS = ROOT / "docs" / "development" / "data"  # bench-DATE.json, as `record_bench` stores them
HOME_SHOWN = "/home/you/course"  # the folder every pasted run seems to run in
COLUMNS = 100  # argparse's help and anything else that asks the terminal's width
# Where the tolerances live: every module-level Tolerance and table of them in these modules is
# listed on the concepts page (plus the registry entries' own tables). When they all move into
# one module, this line names it alone.
TOLERANCE_MODULES = ("torchref.tolerances",)


class OutputChanged(RuntimeError):
    """A pasted command did not end as the page says it does (its exit status)."""


def _environment() -> dict:
    if shutil.which("bwrap") is None:  # every pasted check names its sandbox: the pages say bwrap
        raise OutputChanged("the pasted runs are made under bubblewrap: apt-get install bubblewrap (.ci/run does)")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TORCHREF_")}
    for key in ("CI", "BUILD_NUMBER"):  # pytest cuts its short summary to the terminal unless one is set
        env.pop(key, None)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        COLUMNS=str(COLUMNS),
        PYTHONUNBUFFERED="1",  # stdout and stderr interleaved as they were written
        PYTHONHASHSEED="0",
        NO_COLOR="1",
        TERM="dumb",
    )
    return env


def _fence(text: str, lang: str = "") -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def _select(lines: list[str], keep) -> list[str]:
    """`keep`: None (all), a slice, or a regular expression a line must match; left-out runs become '...'."""
    if keep is None:
        return lines
    if isinstance(keep, slice):
        chosen = set(range(len(lines))[keep])
    else:
        chosen = {i for i, line in enumerate(lines) if re.search(keep, line)}
    out = []
    for i, line in enumerate(lines):
        if i in chosen:
            out.append(line)
        elif not out or out[-1] != "...":
            out.append("...")
    return out


class Workdir:
    """A fresh folder holding copies of files of the repository, where commands run as a user types them."""

    def __init__(self, *sources: str, **renamed: str):
        self.path = Path(tempfile.mkdtemp(prefix="torchref-docs-"))
        for source in sources:
            self.add(source)
        for name, source in renamed.items():
            self.add(source, name)

    def add(self, source: str, name: str | None = None) -> None:
        """Copy `source` (a path from the repository's root, a file or a folder) in as `name` (default: its name)."""
        src, dst = ROOT / source, self.path / (name or Path(source).name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stable(self, text: str) -> str:
        """Machine paths made stable: this folder as HOME_SHOWN, the repository as `torchref/`'s checkout."""
        text = text.replace(str(self.path.resolve()), HOME_SHOWN).replace(str(self.path), HOME_SHOWN)
        text = text.replace(str(BIN) + "/", "").replace(str(ROOT), "/path/to/checkout")
        return text

    def execute(self, command: str, status: int = 0, stdin: str | None = None) -> str:
        """Run `command` here and return what it printed (stdout and stderr, in order), paths made stable."""
        proc = subprocess.run(
            shlex.split(command),
            cwd=self.path,
            env=_environment(),
            input=stdin if stdin is not None else "",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        if proc.returncode != status:
            raise OutputChanged(f"`{command}` exited {proc.returncode}, the page says {status}:\n{proc.stdout[-3000:]}")
        return self.stable(proc.stdout)

    def run(self, command: str, status: int = 0, keep=None, mask=(), prompt: bool = True) -> str:
        """A console block: `$ command`, what it printed (lines chosen by `keep`), and its exit status if not 0.

        `mask`: regular expressions whose first group (or whole match) is shown as `…`: a
        figure that measures the machine, such as seconds, never stays in a pasted output.
        """
        out = _masked(self.execute(command, status), mask)
        lines = _select(out.rstrip("\n").splitlines(), keep)
        head = [f"$ {command}"] if prompt else []
        tail = [f"(exit status {status})"] if status else []
        return _fence("\n".join(head + lines + tail), "console")

    def file(self, name: str, keep=None, mask=(), lang: str = "", json_keys=None) -> str:
        """A block with a file the commands wrote (`json_keys`: show only these keys of a JSON document)."""
        text = (self.path / name).read_text(encoding="utf-8")
        if json_keys is not None:
            doc = json.loads(text)
            text = json.dumps({key: doc[key] for key in json_keys if key in doc}, indent=2, ensure_ascii=False)
            lang = lang or "json"
        text = _masked(self.stable(text), mask)
        lang = lang or {".json": "json", ".csv": "csv", ".py": "python"}.get(Path(name).suffix, "")
        return _fence("\n".join(_select(text.rstrip("\n").splitlines(), keep)), lang)

    def python(self, code: str, keep=None, mask=()) -> str:
        """A `>>>` transcript of `code` run statement by statement in a fresh interpreter here, as typed at a prompt."""
        driver = textwrap.dedent(
            """
            import ast, sys
            source = sys.stdin.read()
            for node in ast.parse(source).body:
                text = ast.get_source_segment(source, node)
                print("\\n".join((">>> " if i == 0 else "... ") + line for i, line in enumerate(text.splitlines())))
                if "\\n" in text:
                    print("... ")
                sys.stdout.flush()
                exec(compile(ast.Interactive([node]), "<stdin>", "single"), globals())
                sys.stdout.flush()
            """
        )
        proc = subprocess.run(
            [sys.executable, "-c", driver],
            cwd=self.path,
            env=_environment(),
            input=textwrap.dedent(code).strip() + "\n",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            raise OutputChanged(f"the Python transcript failed:\n{proc.stdout[-3000:]}")
        out = _masked(self.stable(proc.stdout), mask)
        return _fence("\n".join(_select(out.rstrip("\n").splitlines(), keep)), "pycon")


def _masked(text: str, mask) -> str:
    for pattern in [mask] if isinstance(mask, str) else mask:
        text = re.sub(pattern, lambda m: m.group(0).replace(m.group(m.lastindex or 0), "…"), text)
    return text


def run(command: str, *sources: str, status: int = 0, keep=None, mask=(), **renamed: str) -> str:
    """One command in a fresh folder holding copies of `sources`: the console block."""
    with Workdir(*sources, **renamed) as work:
        return work.run(command, status=status, keep=keep, mask=mask)


def source(path: str, lang: str = "python", keep=None) -> str:
    """A file of the repository, shown whole (or the lines `keep` picks)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    return _fence("\n".join(_select(text.rstrip("\n").splitlines(), keep)), lang)


# ---- the command line's reference, from the live parser -------------------------------------------


@contextlib.contextmanager
def _columns():
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(COLUMNS)  # argparse asks shutil.get_terminal_size, which reads COLUMNS first
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def commands() -> dict[str, argparse.ArgumentParser]:
    """{name: its parser} for every command of `torchref` (the live parser of torchref.cli)."""
    from torchref.cli import parser

    top = parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def command_help(name: str | None = None) -> str:
    """`torchref --help`, or `torchref NAME --help`, as the terminal shows it at COLUMNS columns."""
    from torchref.cli import parser

    with _columns():
        return (parser() if name is None else commands()[name]).format_help()


def cli_reference() -> str:
    """The CLI reference page's body: the overview, then every command with its --help."""
    from torchref.cli import parser

    top = parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    out = [_fence(command_help(), "text")]
    for name in commands():
        out.append(f"\n## `torchref {name}`\n\n{helps.get(name, '')}\n\n")
        out.append(_fence(command_help(name), "text"))
    return "".join(out)


# ---- the tolerances, from the table(s) in the code ------------------------------------------------


def _is_tolerance(value) -> bool:
    """A Tolerance, wherever its class lives: rtol, atol and the reason for them."""
    return not isinstance(value, type) and all(hasattr(value, a) for a in ("rtol", "atol", "reason"))


def tolerances(modules=TOLERANCE_MODULES) -> list[tuple[str, str, object]]:
    """(where, what it applies to, Tolerance) for every tolerance the code declares, in declaration order.

    A module's `TABLE` of (name, Tolerance) rows, where it has one; otherwise every
    module-level Tolerance and dict of them (keyed by dtype or by name, nested or not). A
    tolerance met twice (a table imported by another module) is listed once. Then each
    registry entry's own tolerance, where it is not among those already listed.
    """
    import importlib

    found, seen = [], set()

    def walk(owner: str, key: str, value) -> list:
        if _is_tolerance(value):
            return [(owner, key, value)]
        if isinstance(value, dict) and value:
            rows = [walk(owner, " · ".join(filter(None, (key, str(k)))), v) for k, v in value.items()]
            if all(rows):  # every value is a tolerance, or a table of them
                return [row for found_rows in rows for row in found_rows]
        return []

    def add(rows) -> None:
        for row in rows:
            if id(row[2]) not in seen:
                seen.add(id(row[2]))
                found.append(row)

    for module_name in modules:
        module = importlib.import_module(module_name)
        table = getattr(module, "TABLE", None)
        if isinstance(table, list) and table and all(_is_tolerance(tol) for _, tol in table):
            add((module_name, name, tol) for name, tol in table)
            continue
        for name, value in vars(module).items():
            if not name.startswith("_"):
                add(walk(f"{module_name}.{name}", "", value))
    from torchref.registry import REGISTRY

    for pair in REGISTRY.values():
        add(walk(f"registry entry {pair.name}", "", pair.tolerances))
    return found


def tolerance_table(modules=TOLERANCE_MODULES) -> str:
    """A Markdown table of `tolerances()`: a value passes when |actual − expected| ≤ atol + rtol·|expected|."""
    rows = ["| where | for | rtol | atol | why |", "|---|---|---|---|---|"]
    for where, key, tol in tolerances(modules):
        reason = tol.reason.replace("|", "\\|")
        rows.append(f"| `{where}` | {key or 'any dtype'} | {tol.rtol:g} | {tol.atol:g} | {reason} |")
    return "\n".join(rows) + "\n"


def thresholds(modules=TOLERANCE_MODULES) -> str:
    """The other numbers of the tolerance module(s): module-level floats, with the comment that explains each."""
    import ast
    import importlib

    rows = ["| where | value | what it is |", "|---|---|---|"]
    for module_name in modules:
        path = Path(importlib.import_module(module_name).__file__)
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.parse("\n".join(lines)).body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                continue
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, float)):
                continue
            line = lines[node.lineno - 1]
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            name = node.targets[0].id
            if not comment:  # the comment block above it, or the nearest one above that names it
                above = node.lineno - 2
                if not lines[above].lstrip().startswith("#"):
                    above = next((i for i in range(above, -1, -1) if name in lines[i] and "#" in lines[i]), -1)
                block = []
                while above >= 0 and lines[above].lstrip().startswith("#"):
                    block.insert(0, lines[above].lstrip("# ").strip())
                    above -= 1
                comment = " ".join(block)
            comment = comment.replace("|", "\\|")
            rows.append(f"| `{module_name}.{name}` | {node.value.value:g} | {comment} |")
    return "\n".join(rows) + "\n" if len(rows) > 2 else ""


# ---- the performance page, from a stored `torchref bench --json` ---------------------------------


def machine() -> dict:
    """What the machine is: CPU model, cores, memory, load, kernel, Python, torch and NumPy."""
    import platform

    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        kib = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        info["memory_gib"] = round(kib / 2**20, 1)
    info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    info["kernel"] = platform.release()
    info["python"] = platform.python_version()
    import numpy
    import torch

    info["numpy"], info["torch"] = numpy.__version__, torch.__version__
    info["bwrap"] = shutil.which("bwrap") is not None
    return info


def record_bench(out: str, quick: bool = True) -> None:
    """Run `torchref bench [--quick] --json` once and store it with the machine and the date (the page's data)."""
    import datetime

    with tempfile.TemporaryDirectory() as tmp:
        before = machine()
        command = [str(BIN / "torchref"), "bench", "--json", f"{tmp}/bench.json", *(["--quick"] if quick else [])]
        printed = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, env=_environment()).stdout
        result = json.loads(Path(tmp, "bench.json").read_text())
    record = {
        "date": datetime.date.today().isoformat(),
        "command": "torchref bench" + (" --quick" if quick else "") + " --json bench.json",
        "machine": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "printed": printed,
        "bench": result,
    }
    Path(out).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def bench_page(path: str) -> str:
    """The performance page's measured part, from a file `record_bench` stored."""
    record = json.loads((ROOT / path).read_text(encoding="utf-8"))
    m, b = record["machine"], record["bench"]
    load = ", ".join(f"{x:g}" for x in m["load_average"])
    lines = [
        f"Measured on **{record['date']}** with `{record['command']}` on {m['cpu']}, {m['cores']} cores, "
        f"{m.get('memory_gib', '?')} GiB, Linux {m['kernel']}, Python {m['python']}, torch {m['torch']}, "
        f"NumPy {m['numpy']}, bubblewrap {'installed' if m['bwrap'] else 'absent'}; load average before the run "
        f"{load} (1, 5, 15 min). Stored in `{path}`; the machine's speed and its load move every figure: "
        "compare ratios within one run.\n",
        _fence(record["printed"], "text"),
        "\n| figure | value |\n|---|---|",
        f"| parity cases per second, registry shapes, {b['parity_cases_per_shape']} to a shape "
        f"| {b['parity_cases_per_second']:.0f} |",
        f"| parity cases per second, the notes' scale | {b['parity_cases_per_second_small']:.0f} |",
        f"| the same, a new shape every case | {b['parity_cases_per_second_new_shapes']:.0f} and "
        f"{b['parity_cases_per_second_small_new_shapes']:.0f} |",
        f"| a class of {b['class_files']} files, sandbox {b['class_sandbox']}, {b['class_jobs']} jobs "
        f"| {b['class_files_per_minute']:.0f} files a minute ({b['class_right_verdicts']}/{b['class_files']} "
        "verdicts right) |",
        f"| one file alone | {b['check_seconds']:.2f} s (sandbox {b['check_sandbox']}) |",
        f"| a wrong file whose cause the search reconstructs | {b['wrong_check_seconds']:.2f} s |",
    ]
    for row in b.get("classes", []):
        fresh, shared, cold = row["fresh"], row["shared"], row["cold"]
        lines.append(
            f"| a class of {row['files']} files, {b['class_jobs']} jobs, three ways (load average "
            f"{row['load_average']:.1f}) | fresh sandbox per file {fresh['files_per_minute']:.0f} a minute, "
            f"one shared per job {shared['files_per_minute']:.0f} (x{row['ratio_to_shared']:.2f}), a new sandbox "
            f"per file {cold['files_per_minute']:.0f} (x{row['ratio_to_cold']:.1f}, on {cold['files']} files) |"
        )
        if "judge_cpu_ms_per_file" in fresh:
            lines.append(
                f"| the judge's CPU per file of that class (its workers', not the sandboxes') | "
                f"{fresh['judge_cpu_ms_per_file']:.0f} ms fresh, {shared['judge_cpu_ms_per_file']:.0f} shared, "
                f"{cold['judge_cpu_ms_per_file']:.0f} cold |"
            )
        if fresh.get("machine_cpu_ms_per_file") is not None:
            lines.append(
                f"| the whole machine's CPU per file of that class, fresh (every process) | "
                f"{fresh['machine_cpu_ms_per_file']:.0f} ms, {fresh['cores_busy']:.2f} of {b['class_jobs']} "
                f"cores busy: at most {b['class_jobs'] * 60e3 / fresh['machine_cpu_ms_per_file']:.0f} files a "
                "minute at that CPU |"
            )
    if "shell_beyond_torch" in b:
        beyond = b["shell_beyond_torch"]
        lines.append(
            f"| one `torchref check` from the shell, its own work beyond `import torch` (fastest of "
            f"{b.get('shell_runs', 3)} runs, timed inside a process that imports torch first) | {beyond['wall']:.2f} s "
            f"(the judge's CPU {beyond['cpu']:.2f} s; `import torch`, ended as the command ends, "
            f"{b['shell_import_torch']['wall']:.2f} s) |"
        )
    if "notebook_second_check" in b:
        first, second = b["notebook_first_check"], b["notebook_second_check"]
        lines.append(
            f"| `torchref.check` in a notebook, first and second call | {first['wall']:.2f} s, the judge's CPU "
            f"{first['cpu']:.2f} s ({first['servers_started']} sandbox started), then {second['wall']:.2f} s, CPU "
            f"{second['cpu']:.2f} s ({second['servers_started']} started) |"
        )
    if "check_parts" in b:
        lines += ["", "One check's parts (a right file, then a wrong one's own):", "", "| part | wall s | CPU s |"]
        lines.append("|---|---|---|")
        lines += [f"| {name} | {p['wall']:.3f} | {p['cpu']:.3f} |" for name, p in b["check_parts"].items()]
    return "\n".join(lines) + "\n"


def sharded_page(folder: Path = BENCH_RECORDS) -> str:
    """The figures of a class judged on one machine and in shards, from the newest stored record that holds them
    (a full `torchref bench`: `--quick` leaves the sharded class out), with the machine, the load and the date."""
    try:
        path = latest_bench("sharded_files", folder)
    except FileNotFoundError:
        return (
            "No stored bench record holds these figures yet: the stored runs are `torchref bench --quick`, which "
            "leaves the sharded class out. `bash scripts/docs --bench-full` runs the whole bench once (many minutes "
            "on every core: run it on a machine with no other work) and stores it; this part is then written "
            "from it.\n"
        )
    record = json.loads((ROOT / path).read_text(encoding="utf-8"))
    m, b = record["machine"], record["bench"]
    n, one, total = b["sharded_shards"], b["one_machine_seconds"], b["shards_sum_seconds"]
    largest, merge = b["largest_shard_seconds"], b["merge_seconds"]
    more = total / one - 1
    wall = largest + merge
    before, after = b.get("sharded_load_average", (m["load_average"][0], record["load_average_after"][0]))
    torch_alone = b.get("shell_import_torch", {}).get("wall")
    lines = [
        f"Measured on **{record['date']}** with `{record['command']}` on {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, torch {m['torch']}, bubblewrap {'installed' if m['bwrap'] else 'absent'}; load "
        f"average (1 min) {before:g} before these runs and {after:g} after them. Stored in `{path}`; the "
        "machine's speed and its load move every figure.\n",
        "| | seconds |",
        "| --- | --- |",
        f"| one machine, {b['sharded_files']:,} files | {one:.1f} |",
        f"| {n} shards one after another ({', '.join(map(str, b['sharded_shard_files']))} files) "
        f"| {total:.1f} (the sum: {more:+.1%}) |",
        "| the largest shard | " + f"{largest:.1f} |",
        "| the merge | " + f"{merge:.1f} |",
        f"| merged gradebook identical to the one run's | {'yes' if b['merged_same_gradebook'] else 'NO'} |",
        "",
        f"So {n} machines would grade this class in about {wall:.0f} s of wall time (the largest shard and the "
        f"merge), {one / wall:.1f}× faster than one, for {abs(more):.1%} {'more' if more >= 0 else 'less'} machine "
        "time. Every figure is a whole `torchref` process: Python's start and `import torch` included"
        + (f" ({torch_alone:.1f} s alone in this run)" if torch_alone is not None else "")
        + ", the merge's too: it reads only the shards' JSON, but the checker's modules it uses import torch.",
    ]
    return "\n".join(lines) + "\n"


# ---- counts, generated rather than typed ------------------------------------------------------------


def models_table() -> str:
    """The registry as a Markdown table: name and description."""
    from torchref.registry import REGISTRY

    rows = ["| model | what it is |", "|---|---|"]
    rows += [f"| `{name}` | {pair.description} |" for name, pair in REGISTRY.items()]
    return "\n".join(rows) + "\n"


def count(what: str) -> int:
    """A count the docs state: `models`, `mistakes` (the catalogue of known mistakes), `tests` (the suite's
    tests as pytest collects them: no test runs)."""
    if what == "models":
        from torchref.registry import REGISTRY

        return len(REGISTRY)
    if what == "mistakes":
        return len(_mistakes())
    if what == "tests":
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"]
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=_environment())
        found = re.search(r"^(\d+) tests? collected", done.stdout, re.M)
        if done.returncode != 0 or found is None:
            raise OutputChanged(f"pytest --collect-only exited {done.returncode}: {done.stdout[-500:]}")
        return int(found.group(1))
    raise ValueError(f"what must be 'models', 'mistakes' or 'tests', got {what!r}")


def _mistakes() -> list:
    """The catalogue of known mistakes, wherever the checker's package keeps mistakes.py."""
    import importlib

    for name in ("torchref.checker.diagnosis.mistakes", "torchref.derivation.mistakes"):
        with contextlib.suppress(ModuleNotFoundError):
            return list(importlib.import_module(name).BY_NAME.values())
    raise ModuleNotFoundError("the catalogue of known mistakes (mistakes.py)")


def mistakes_table() -> str:
    """The catalogue of known mistakes as a Markdown table: its name (as the report's `mistake`) and sentence."""
    rows = ["| mistake | what the report says |", "|---|---|"]
    for mistake in _mistakes():
        sentence = (
            mistake.sentence.replace("{name}", "‹tensor›").replace("{c}", "c").replace("{W}", "W").replace("|", "\\|")
        )
        for field, shown in (("{new}", "A(l±1)"), ("{old}", "Al"), ("{prime}", "g′(A)")):
            sentence = sentence.replace(field, shown)
        rows.append(f"| `{mistake.name}` | {sentence} |")
    return "\n".join(rows) + "\n"


# ---- the Python API page: one mkdocstrings block per public module, found by walking the packages ---


def api_modules(packages=("torchref", "torchref_handmade")) -> list[str]:
    """Every public module of `packages` (no leading underscore in any part; no __main__), in name order."""
    import importlib.util
    import pkgutil

    found = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        found.append(package)
        for info in pkgutil.walk_packages(spec.submodule_search_locations, prefix=package + "."):
            if not any(part.startswith("_") for part in info.name.split(".")[1:]) and "examples" not in info.name:
                found.append(info.name)
    return sorted(found)


def api_page(packages=("torchref", "torchref_handmade")) -> str:
    """The body of the Python API page: a heading and an mkdocstrings identifier per module."""
    out = []
    for name in api_modules(packages):
        out.append(f"::: {name}\n    options:\n      show_submodules: false\n      heading_level: 2\n\n")
    return "".join(out)


def mutated_modules() -> str:
    """The `only_mutate` globs of pyproject.toml's [tool.mutmut], as a Markdown list."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    return "".join(f"- `{glob}`\n" for glob in config["only_mutate"])


def tests_index() -> str:
    """Every test file with the first paragraph of its docstring, as a Markdown list."""
    import ast

    out = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        first = " ".join(doc.split("\n\n")[0].split())
        out.append(f"- `{path.relative_to(ROOT)}`: {first}\n")
    return "".join(out)


def latest_bench(holding: str | None = None, folder: Path = BENCH_RECORDS) -> str:
    """The newest stored bench record (docs/development/data/bench-DATE.json), as a path from the root; with
    `holding`, the newest whose figures include that one (`sharded_files`: a full run, not `--quick`)."""
    records = sorted(folder.glob("bench-*.json"))
    if holding is not None:
        records = [r for r in records if holding in json.loads(r.read_text(encoding="utf-8"))["bench"]]
    if not records:
        run = "bash scripts/docs --bench" + ("-full" if holding else "")
        raise FileNotFoundError(
            f"no bench-*.json in {folder}" + (f" holding {holding}" if holding else "") + f": {run}"
        )
    return str(records[-1].relative_to(ROOT) if records[-1].is_relative_to(ROOT) else records[-1])
