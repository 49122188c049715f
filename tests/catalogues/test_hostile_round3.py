"""The third round's hostile catalogue (hostile/manifest.py), run as a teacher runs the judge, under both sandboxes.

Each entry goes through `torchref check` with all four reports (--json, --csv, --gradescope,
--html) and, where it is one file or a notebook's functions, through `torchref.check`
(hostile/drive_api.py). Every judge runs in a process of its own, as it runs for a teacher:
a crash is a crash (a traceback, an encoding error on a real UTF-8 pipe), not an exception a
test catches, and its address space is capped (JUDGE_MEMORY) so that an attack on the
judge's own memory costs a MemoryError, not the machine. Where an entry sizes a tmpfs for
the judge (`outer`) or plants a second install under /usr/local, the judge runs in a private
mount namespace (bwrap --dev-bind / /) that holds them; the host is not changed.

Besides each entry's verdicts, every run keeps the INVARIANTS below; `test_a_class_folder...`
runs one hostile file of each kind beside three honest students.

One test per (entry, sandbox): every run the entry needs (the command line, the API, a second
run), every expectation and invariant asserted on those runs. The judges are forked from a
warm interpreter that imported torch once (hostile/judge_server.py: each judge is still a
process of its own, with its own streams, folder, environment and memory cap); an entry whose
attack depends on how the judge's interpreter was started (its command line or environment
read in /proc, the working folder on its import path, its own mount namespace) runs as
`python -m torchref`.

The pairs that do not hold yet are in BROKEN, each with what breaks: marked xfail(strict=True),
so the suite is green while they break and turns red on the fix, until the row is removed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bwrap_guard import probe
from hostile.manifest import (
    BY_NAME,
    CATALOGUE,
    DEFAULTS,
    FILES,
    FORGED,
    KINDS,
    SECRET_SEED,
    Expect,
    Hostile,
    Link,
    data,
)

import torchref_handmade

pytestmark = pytest.mark.hostile  # a CI step of its own (.ci/run), its tests spread over the workers
CHECKOUT = str(Path(__file__).resolve().parents[2])  # the repository the judge runs from
DRIVER = Path(__file__).parent / "hostile" / "drive_api.py"
SERVER = Path(__file__).parent / "hostile" / "judge_server.py"
JUDGE_MEMORY = 3 << 30  # soft RLIMIT_AS of every judge started here (a normal batch reserves well under 1 GiB)
UTF8 = {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"}  # a teacher's UTF-8 terminal: text that is not UTF-8 raises there
RUN_SECONDS = 600  # a judge that has not answered by then is killed, and the test says so
EXIT = {"pass": 0, "wrong": 1, "unusable": 2}
REPORTS = {"--json": "report.json", "--csv": "grades.csv", "--gradescope": "results.json", "--html": "html"}
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVARIANTS = (
    "every output is UTF-8",
    "no traceback on stderr",
    "all four reports written, at their names or beside them under a name stated on stderr",
    "no raw escape character, bidi control or ::add-mask:: in any output",
    f"no line that starts with {FORGED!r}",
    "a secret seed neither printed nor encoded in a case id",
)
BWRAP_WORKS, BWRAP_WHY = probe()
SANDBOXES = [
    pytest.param(
        "bwrap",
        marks=[
            pytest.mark.bwrap,
            pytest.mark.skipif(not BWRAP_WORKS, reason=f"bubblewrap (bwrap) cannot run here: {BWRAP_WHY}"),
        ],
    ),
    "basic",
]


# (entry, sandbox) pairs that break today, and what breaks: each test is xfail(strict=True) (a fix makes it pass, which
# fails the run until its row goes). "class_folder" is test_a_class_folder_with_one_hostile_file_of_each_kind, which
# leaves out what an entry's own row already says. Every pair holds today: the table is empty.
BROKEN: dict[tuple[str, str], str] = {}


def _pair(entry: str, sandbox: str, marks=()) -> list:
    why = BROKEN.get((entry, sandbox))
    return [*marks, *([pytest.mark.xfail(strict=True, reason=why)] if why else [])]


def _cases():
    """(entry, sandbox) of every entry, the bwrap ones marked for the skip guard, the broken ones xfail."""
    cases = []
    for entry in CATALOGUE:
        cases += [
            pytest.param(
                entry, "bwrap", marks=_pair(entry.name, "bwrap", SANDBOXES[0].marks), id=f"{entry.name}-bwrap"
            ),
            pytest.param(entry, "basic", marks=_pair(entry.name, "basic"), id=f"{entry.name}-basic"),
        ]
    return cases


# ---- building what the learners handed in --------------------------------------------------------------------


def build(entry: Hostile, root: Path) -> Path:
    """The entry's files under `root` (made world-readable, as a class's folder is), links last."""
    root.mkdir(parents=True, exist_ok=True)
    links = []
    for name, content in entry.tree.items():
        path = root / os.fsdecode(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            links.append((path, content))
        else:
            path.write_bytes(content(root.parent))
    for path, link in links:
        if link.hard:
            os.link(root / link.target, path)
        else:
            path.symlink_to(link.target)
    for folder, _, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            if not os.path.islink(os.path.join(folder, name)):
                os.chmod(os.path.join(folder, name), 0o644)
    return root


def _judge_memory() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (JUDGE_MEMORY, hard))


def _outer(entry: Hostile, work: Path, extra: list[str]) -> list[str]:
    """The command's prefix: a private mount namespace with the entry's sized tmpfs and planted folders, or none."""
    if not entry.outer and not extra:
        return []
    if shutil.which("bwrap") is None:
        pytest.skip("the judge's own namespace (sized tmpfs, planted folders) is made with bwrap, not installed here")
    args = ["bwrap", "--dev-bind", "/", "/"]
    for folder, mib in entry.outer.items():
        args += ["--perms", "01777", "--size", str(mib << 20), "--tmpfs", folder]
    # the test's folder, and the checkout and its venv where they live under a folder made anew (a clone in /tmp)
    kept = [str(work)] + [p for p in (CHECKOUT, sys.prefix) if any(_under(p, f) for f in entry.outer)]
    return [*args, *extra, *(a for p in kept for a in ("--bind", p, p)), "--"]


def _under(path: str, folder: str) -> bool:
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


@dataclass
class Judged:
    """What one run of the judge left: its streams and reports, and what broke the invariants."""

    status: int
    stdout: str
    stderr: str
    files: list = field(default_factory=list)  # the per-file JSON of the --json report
    csv_rows: list = field(default_factory=list)
    html_pages: dict = field(default_factory=dict)  # {name: text}
    html_doc: dict = field(default_factory=dict)  # html/report.json
    broken: list = field(default_factory=list)  # the invariants it broke, said


def _run(command: list[str], env: dict, cwd: Path) -> tuple[int, bytes, bytes]:
    """`command` as a new process (`python -m torchref ...`, or under the judge's own bwrap namespace)."""
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **UTF8, **env},
        cwd=cwd,
        preexec_fn=_judge_memory,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n[the test killed the judge after {RUN_SECONDS} s]".encode()
    return proc.returncode, out, err


class Warm:
    """hostile/judge_server.py, started once per test process: each request a judge forked from it."""

    def __init__(self):
        self.proc = None

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **UTF8},
            cwd=tempfile.gettempdir(),
        )
        if b"ready" not in self._reply(300):
            raise RuntimeError("the warm judge server did not start")

    def _reply(self, seconds: float) -> bytes:
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], seconds)[0]:
            self.close()
            raise RuntimeError(f"the warm judge server did not answer within {seconds:g} s")
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError("the warm judge server ended")
        return line

    def run(self, kind: str, what, env: dict, cwd: Path, work: Path) -> tuple[int, bytes, bytes]:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        streams = tempfile.mkdtemp(prefix="streams-", dir=work)
        out, err = os.path.join(streams, "stdout"), os.path.join(streams, "stderr")
        request = {
            "kind": kind,
            ("argv" if kind == "cli" else "request"): what,
            "cwd": str(cwd),
            "env": {**os.environ, **UTF8, **env},
            "memory": JUDGE_MEMORY,
            "seconds": RUN_SECONDS,
            "stdout": out,
            "stderr": err,
        }
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        status = json.loads(self._reply(RUN_SECONDS + 60))["status"]
        with open(out, "rb") as fh_out, open(err, "rb") as fh_err:
            stdout, stderr = fh_out.read(), fh_err.read()
        shutil.rmtree(streams, ignore_errors=True)
        if status == -signal.SIGKILL:
            stderr += f"\n[the test killed the judge after {RUN_SECONDS} s, or the kernel did]".encode()
        return status, stdout, stderr

    def close(self) -> None:
        if self.proc is not None:
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


@pytest.fixture(scope="session")
def warm():
    server = Warm()
    yield server
    server.close()


def cold(entry: Hostile) -> bool:
    """Whether the entry's judge runs as `python -m torchref` (its attack reads how the interpreter was started)."""
    return bool(entry.env or entry.outer or entry.plant or entry.from_the_class_folder or entry.run == "planted")


def _text(data: bytes, where: str, broken: list) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        broken.append(f"{where} is not UTF-8 ({exc.reason} at byte {exc.start})")
        return data.decode("utf-8", "replace")


def unsafe(text: str, where: str, lines: bool = True) -> list[str]:
    """What a terminal, a CI log or a renderer would take from `text` as ours: escapes, bidi controls (which also
    reorder code a teacher reads), workflow commands and, with `lines`, forged lines. A page of the class report shows
    the learner's code as written and its printed output in a block of its own: there, only escapes and bidi count."""
    found = []
    if "\x1b" in text:
        found.append(f"{where}: a raw escape character")
    if any(c in text for c in BIDI):
        found.append(f"{where}: a raw bidi control")
    if lines and "::add-mask::" in text:
        found.append(f"{where}: a workflow command (::add-mask::)")
    if lines:
        forged = [line for line in re.split(r"\r\n|\r|\n", text) if line.startswith(FORGED)]
        found += [f"{where}: a forged line {line[:50]!r}" for line in forged]
    return found


def _strings(value, printed: bool = False):
    """(string, whether it is the learner's printed output) for every string (keys included) of a JSON document:
    the report keeps what a file printed line by line, under "stdout", where a line of it is no line of ours."""
    if isinstance(value, str):
        yield value, printed
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k, False
            yield from _strings(v, k == "stdout")
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, printed)


def _unsafe_json(doc, where: str) -> list[str]:
    return [found for value, printed in _strings(doc) for found in unsafe(value, where, lines=not printed)]


def seeds_in(text: str) -> set[int]:
    """The seeds a reader of torchref's source recovers from `text`: every number after the word seed, and what a
    case id's sample seed (seed * 100003 + i) gives back."""
    found = set()
    for match in re.finditer(r"seed\D{0,40}?(\d+)", text, re.IGNORECASE):
        n = int(match.group(1))
        found |= {n, n // 100_003}
    return found


def _written(flag: str, target: str, stderr: str) -> Path | None:
    """The report written for `flag` at `target`: there, or beside it under a name the judge states on stderr."""
    given = Path(target)

    def ok(path: Path) -> bool:
        if flag == "--html":
            return (path / "index.html").is_file()
        if target.endswith("/"):  # a folder of documents, one per student
            return path.is_dir() and any(path.rglob("*.json"))
        return path.is_file() and not path.is_symlink()

    if ok(given):
        return given
    for token in re.findall(r"(/[^\s'\"]+)", stderr):
        candidate = Path(token.rstrip(".,:;)"))
        if candidate != given and given.stem in candidate.name and ok(candidate):
            return candidate
    return None


def read_reports(written: dict[str, str], judged: Judged, secret: int | None, never=()) -> None:
    """The four reports ({flag: path}) into `judged`, each checked against the invariants."""
    texts = {"stdout": judged.stdout, "stderr": judged.stderr}
    documents = []  # (its name in a finding, the JSON document)
    for flag, target in written.items():
        name = os.path.basename(target.rstrip("/"))
        path = _written(flag, target, judged.stderr)
        if path is None:
            judged.broken.append(f"{flag} {name} was not written")
            continue
        if flag == "--html":
            for page in sorted(path.rglob("*.html")):
                page_name = str(page.relative_to(path))
                judged.html_pages[page_name] = _text(page.read_bytes(), f"--html {page_name}", judged.broken)
                texts[f"--html {page_name}"] = judged.html_pages[page_name]
            with contextlib.suppress(OSError, ValueError):
                judged.html_doc = json.loads((path / "report.json").read_text("utf-8"))
            continue
        if flag == "--csv":
            text = texts[name] = _text(path.read_bytes(), flag, judged.broken)
            judged.csv_rows = list(csv.DictReader(io.StringIO(text)))
            continue
        for file in sorted(path.rglob("*.json")) if path.is_dir() else [path]:
            where = name if file == path else f"{name}/{file.relative_to(path)}"
            text = texts[where] = _text(file.read_bytes(), f"{flag} {where}", judged.broken)
            try:
                documents.append((flag, where, json.loads(text)))
            except ValueError as exc:
                judged.broken.append(f"{flag} {where} is not JSON ({exc})")
    for flag, where, doc in documents:
        judged.broken += _unsafe_json(doc, f"{flag} {where} (a string of it)")
        if flag == "--json":
            judged.files = doc.get("files", [doc])
    for where, text in texts.items():
        as_lines = where in ("stdout", "stderr") or where.endswith(".csv")  # JSON: its strings are checked above
        judged.broken += unsafe(text, where, lines=as_lines)
        if secret is not None and secret in seeds_in(text) | {int(n) for n in re.findall(r"\d+", text)}:
            judged.broken.append(f"{where}: the secret seed {secret}, whole or encoded in a case id")
        judged.broken += [f"{where}: {phrase!r}" for phrase in never if phrase in text]
    if "Traceback (most recent call last)" in judged.stderr:
        judged.broken.append("a traceback on stderr: " + judged.stderr.strip().splitlines()[-1][:200])


def targets(entry: Hostile, out: Path) -> dict[str, str]:
    """{flag: path} of the four reports; a recursive run (several students) has a Gradescope document per student."""
    paths = {flag: str(out / name) for flag, name in REPORTS.items()}
    if entry.run == "recursive":
        paths["--gradescope"] = str(out / "gradescope") + "/"
    return paths


def judge_cli(entry: Hostile, sandbox: str, target: Path, out: Path, work: Path, warm, outer=(), env=None) -> Judged:
    """`torchref check TARGET` with all four reports into `out`, as a teacher runs it."""
    options = {**DEFAULTS, **entry.options}
    argv = ["check", str(target), "--model", entry.model, "--sandbox", sandbox]
    for key, value in options.items():
        argv += ["-j" if key == "jobs" else "--" + key.replace("_", "-"), str(value)]
    argv += ["--quiet"] + (["--recursive"] if entry.run == "recursive" else [])
    written = targets(entry, out)
    for flag, path in written.items():
        argv += [flag, path]
    cwd = target if entry.from_the_class_folder else work
    env = {**entry.env, **(env or {})}
    if cold(entry) or outer:
        command = [*_outer(entry, work, list(outer)), sys.executable, "-m", "torchref", *argv]
        status, stdout, stderr = _run(command, env, cwd)
    else:
        status, stdout, stderr = warm.run("cli", argv, env, cwd, work)
    broken: list = []
    judged = Judged(status, _text(stdout, "stdout", broken), _text(stderr, "stderr", broken), broken=broken)
    read_reports(written, judged, entry.secret_seed, entry.never)
    return judged


def judge_api(entry: Hostile, sandbox: str, path: Path, work: Path, warm, outer=()) -> dict:
    """torchref.check on the file (or on the cell's functions) in a process of its own: what a caller reads."""
    options = {k: v for k, v in {**DEFAULTS, **entry.options}.items() if k != "jobs"}
    request = {"model": entry.model, "options": {**options, "sandbox": sandbox}}
    if entry.run == "api":
        request["module"] = str(path)
    else:
        request["path"] = os.fsencode(path).hex()
    if cold(entry) or outer:
        command = [*_outer(entry, work, list(outer)), sys.executable, str(DRIVER), json.dumps(request)]
        status, stdout, stderr = _run(command, entry.env, work)
    else:
        status, stdout, stderr = warm.run("api", request, entry.env, work, work)
    broken: list = []
    text = _text(stdout, "the API's output", broken)
    err = _text(stderr, "stderr", broken)
    try:
        shown = json.loads(text)
    except ValueError:
        last = err.strip().splitlines()[-1:] or ["nothing"]
        return {"broken": [*broken, f"torchref.check crashed (exit status {status}): {last[0][:300]}"]}
    for key in ("table", "summary", "html"):
        broken += unsafe(shown.get(key, ""), f"report.{key}()", lines=key != "html")
    broken += _unsafe_json(shown.get("json", {}), "report.to_json() (a string of it)")
    if entry.secret_seed is not None and entry.secret_seed in seeds_in(text):
        broken.append(f"the report holds the secret seed {entry.secret_seed}, whole or encoded in a case id")
    shown["broken"] = broken
    return shown


# ---- what a report says of one file ------------------------------------------------------------------------


def _values(value, leave=("file", "student", "stdout", "imports", "schema", "name", "page")) -> str:
    """The string values of one file's JSON report (not its keys, nor what the learner named or printed)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_values(v, ()) for k, v in value.items() if k not in leave)
    if isinstance(value, list):
        return "\n".join(_values(v, ()) for v in value)
    return ""


def expect_file(doc: dict | None, expect: Expect, where: str, extra: str = "") -> list[str]:
    """What `doc` (one file's JSON report) breaks of `expect`; `extra`: more of its text (its row, its page)."""
    if doc is None:
        return [f"{where}: no report for it"]
    wrong = []
    verdict, reason = doc.get("verdict"), doc.get("reason") or ""
    if verdict not in expect.verdicts:
        wrong.append(f"{where}: {verdict} ({reason[:200]!r}), expected {' or '.join(expect.verdicts)}")
    for phrase in expect.reason:
        if phrase not in reason:
            wrong.append(f"{where}: the reason lacks {phrase!r}: {reason[:200]!r}")
    if expect.reason_any and not any(p in reason for p in expect.reason_any):
        wrong.append(f"{where}: the reason names none of {expect.reason_any}: {reason[:200]!r}")
    said = _unnamed(_values(doc) + "\n" + extra, doc).lower()  # the file's name is no flag (reverse_mode_tape.py)
    if expect.flag_any and not any(word in said for word in expect.flag_any):
        wrong.append(f"{where}: no flag among {expect.flag_any} in its report (warnings: {doc.get('warnings')})")
    for text in expect.stdout_never:
        if text in (doc.get("stdout") or ""):
            wrong.append(f"{where}: its printed output holds {text!r}: {doc.get('stdout')[:300]!r}")
    if expect.similar_to and expect.similar_to not in _values(doc) + extra:
        wrong.append(f"{where}: nothing says it is the same source as {expect.similar_to}'s")
    return wrong


def _unnamed(text: str, doc: dict) -> str:
    """`text` without the file's path and name (a name such as complex_step.py says nothing of the report)."""
    path = str(doc.get("file") or "")
    for name in (path, Path(path).name, Path(path).stem):
        text = text.replace(name, " ") if name else text
    return text


def _find(docs: list, rel: str | bytes, match: str = "") -> dict | None:
    rel = os.fsdecode(rel)
    for doc in docs:
        name = str(doc.get("file") or doc.get("name") or "")
        if name.endswith("/" + rel) or name == rel or (match and match in Path(name).name):
            return doc
    return None


def _row(judged: Judged, rel, match="") -> str:
    for row in judged.csv_rows:
        label = row.get("file", "")
        if label.endswith(os.fsdecode(rel)) or (match and match in label):
            return " ".join(v for k, v in row.items() if k not in ("student", "file"))
    return ""


def _index_text(judged: Judged) -> str:
    """The class report's index (its text, tags removed), where a teacher reads the flags of a file."""
    return re.sub(r"<[^>]+>", " ", judged.html_pages.get("index.html", ""))


def check_cli(entry: Hostile, sandbox: str, judged: Judged) -> list[str]:
    """Every file of the entry that has an expectation, against the reports; the invariants."""
    wrong = [f"cli: {b}" for b in judged.broken]
    for rel, expects in [(entry.judged_path, entry.expect), *entry.others.items()]:
        match = entry.match if rel == entry.judged_path else ""
        doc = _find(judged.files, rel, match)
        expect = expects[sandbox]
        wrong += expect_file(doc, expect, f"cli {os.fsdecode(rel)}", _row(judged, rel, match))
        index = _unnamed(_index_text(judged), doc or {}).lower()
        if expect.flag_any and not any(word in index for word in expect.flag_any):
            wrong.append(f"cli {os.fsdecode(rel)}: the class report's index shows none of {expect.flag_any}")
    expect = entry.expect[sandbox]
    if entry.run == "file" and isinstance(expect.verdict, str) and judged.status != EXIT[expect.verdict]:
        wrong.append(f"cli: exit status {judged.status}, expected {EXIT[expect.verdict]}")
    said = [line for line in judged.stderr.splitlines() if line.strip()]
    if wrong and said:
        wrong.append(f"cli: the judge's last words: {said[-1][:300]}")
    return wrong


def check_api(entry: Hostile, sandbox: str, shown: dict) -> list[str]:
    wrong = [f"api: {b}" for b in shown["broken"]]
    expect = entry.expect[sandbox]
    if "raised" in shown:  # refusing function objects by raising, as for a lambda: with the reason, nothing else
        message = shown["message"]
        said = all(p in message for p in expect.reason) and any(p in message for p in expect.reason_any or [""])
        if entry.run != "api" or expect.verdicts != ("unusable",) or not said or shown["raised"].startswith("Unicode"):
            wrong.append(f"api: torchref.check raised {shown['raised']}: {message[:200]!r}")
        return wrong
    if "json" in shown:
        wrong += expect_file(shown["json"], expect, "api", shown["table"])
    return wrong


def _fail(entry: Hostile, sandbox: str, wrong: list[str]) -> None:
    wrong = list(dict.fromkeys(wrong))  # one line per distinct finding
    if wrong:
        note = f" (basic: {entry.basic_note})" if sandbox == "basic" and entry.basic_note else ""
        message = f"{entry.name} [{sandbox}] ({entry.attack}){note}:\n  " + "\n  ".join(wrong)
        pytest.fail(encodable(message), pytrace=False)


def encodable(text: str) -> str:
    """`text` as UTF-8 can hold it: what a judge printed may hold lone surrogates (a latin-1 file name read back
    as `caf\\udce9`), which pytest-xdist cannot send from a worker (its channel encodes UTF-8: the worker dies)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# ---- planted beside the submission: copies of the reference ---------------------------------------------------


def _copy_of_the_reference(folder: Path) -> Path:
    """The four files of the handmade shallow model (the reference) as a package of that name, world-readable."""
    package = folder / "torchref_handmade"
    package.mkdir(parents=True)
    source = Path(torchref_handmade.__file__).parent
    for name in ("__init__.py", "_checks.py", "activations.py", "losses.py", "shallow.py"):
        text = "" if name == "__init__.py" else (source / name).read_text()
        (package / name).write_text(text)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


@contextlib.contextmanager
def plant(entry: Hostile, work: Path, sandbox: str):
    """What the entry needs beside its files: a list of arguments for the judge's own namespace (maybe empty)."""
    if entry.plant == "usr_local":  # a second install, as /usr/local holds one: in the judge's namespace only
        folders = sorted(Path("/usr/local/lib").glob("python3*/dist-packages"))
        if not folders:
            pytest.skip("no /usr/local/lib/python3*/dist-packages on this machine: no second install of that shape")
        copy = _copy_of_the_reference(work / "second_install")
        yield ["--perms", "0755", "--tmpfs", str(folders[0]), "--ro-bind", str(copy), f"{folders[0]}/torchref_copy"]
    elif entry.plant == "prefix":  # a copy in the interpreter's own site-packages (bound whole under bwrap)
        site = Path(sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"])
        if not os.access(site, os.W_OK):
            pytest.skip(f"the interpreter's site-packages ({site}) is not writable here: no copy can be planted")
        copy = Path(tempfile.mkdtemp(prefix="torchref_copy_", dir=site))
        try:
            shutil.copytree(_copy_of_the_reference(work / "prefix_copy"), copy, dirs_exist_ok=True)
            copy.chmod(0o755)
            yield []
        finally:
            shutil.rmtree(copy, ignore_errors=True)
    elif entry.plant == "checkout":  # another checkout of the course repository, world-readable on the disk
        # under /opt: each file has /tmp and /var/tmp of its own, and basic shows it the host's other folders (bwrap
        # shows it none of them: where /opt is not writable, a folder of the test's serves the same)
        where = "/opt" if os.access("/opt", os.W_OK) else None
        if where is None and sandbox == "basic":
            pytest.skip("/opt is not writable here: no checkout can be planted where basic shows it (not root)")
        checkout = Path(tempfile.mkdtemp(prefix="torchref-old-checkout-", dir=where or work))
        try:
            shutil.copytree(_copy_of_the_reference(work / "checkout_copy"), checkout / "handmade")
            for path in [checkout, *checkout.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            yield []
        finally:
            shutil.rmtree(checkout, ignore_errors=True)
    else:
        yield []


def _built(entry: Hostile, work: Path) -> Path:
    if entry.needs and shutil.which(entry.needs) is None:
        pytest.skip(f"the attacker's files are built with {entry.needs}, not installed here")
    return build(entry, work / "class")


@pytest.fixture
def work():
    """A world-readable folder for a class and its reports (pytest's own are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="torchref-hostile-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _cleanup_hosts_tmp() -> None:
    """What a basic run may have left in the host's shared folders (basic is not a container: docs/untrusted.md)."""
    shutil.rmtree("/tmp/torchref-hostile-fill", ignore_errors=True)


# ---- the tests ---------------------------------------------------------------------------------------------


@pytest.fixture
def open_folder():
    """A folder anyone may write to (as /tmp is), for the reports: a learner's process can reach it under basic."""
    folder = Path(tempfile.mkdtemp(prefix="torchref-reports-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _by_cli(entry, sandbox, work, warm, open_folder) -> list[str]:
    """A file, a folder or a class (--recursive) through `torchref check`; a file also through `torchref.check`."""
    root = _built(entry, work)
    target = root / os.fsdecode(entry.judged_path) if entry.run == "file" else root
    out = work / "out"
    out.mkdir()
    try:
        with plant(entry, work, sandbox) as outer:
            wrong = check_cli(entry, sandbox, judge_cli(entry, sandbox, target, out, work, warm, outer))
            if entry.run == "file":
                shown = judge_api(entry, sandbox, root / os.fsdecode(entry.judged_path), work, warm, outer)
                wrong += check_api(entry, sandbox, shown)
    finally:
        _cleanup_hosts_tmp()
    return wrong


def _by_api(entry, sandbox, work, warm, open_folder) -> list[str]:
    """A notebook cell's functions through `torchref.check(backward=...)`."""
    root = _built(entry, work)
    return check_api(entry, sandbox, judge_api(entry, sandbox, root / os.fsdecode(entry.judged_path), work, warm))


def _planted(entry, sandbox, work, warm, open_folder) -> list[str]:
    """The reports go to a folder anyone may write to, where the learner's file plants what blocks their names."""
    root = _built(entry, work)
    return check_cli(entry, sandbox, judge_cli(entry, sandbox, root, open_folder, work, warm))


def _lookup_file(seed: int, model: str, cases: int) -> str:
    """The attacker's next hand-in: the answers of every case the seed draws, looked up by the bytes of X."""
    import base64
    import hashlib

    from torchref.registry import DTYPES, REGISTRY

    try:
        from torchref.checker.cases import draw_cases
    except ImportError:
        from torchref.derivation.judge import draw_cases
    pair, table = REGISTRY[model], {}
    for s in draw_cases(pair, DTYPES, cases, seed):
        key = hashlib.sha256(s.X.tobytes() + str(s.X.dtype).encode()).hexdigest()
        grads = {k: v for k, v in pair.torch(s).items() if k.startswith(("dW", "db"))}
        table[key] = {
            k: [str(v.dtype), list(v.shape), base64.b64encode(v.tobytes()).decode()] for k, v in grads.items()
        }
    return (
        '"""No derivation: the answers of the cases the last run\'s seed draws, looked up by X."""\n\n'
        "import base64\nimport hashlib\n\nimport numpy as np\n\n"
        f"TABLE = {table!r}\n\n\n"
        "def backward(X, Y, params, cache):\n"
        "    key = hashlib.sha256(X.tobytes() + str(X.dtype).encode()).hexdigest()\n"
        "    if key not in TABLE:\n"
        "        return {'d' + k: np.zeros_like(v) for k, v in params.items()}\n"
        "    return {k: np.frombuffer(base64.b64decode(b), d).reshape(s) for k, (d, s, b) in TABLE[key].items()}\n"
    )


def _lookup(entry, sandbox, work, warm, open_folder) -> list[str]:
    """A table of answers built from what the first run printed, handed in for the second run, which must fail it."""
    root = _built(entry, work)
    (work / "out").mkdir()
    first = judge_cli(entry, sandbox, root / "hw3.py", work / "out", work, warm)
    printed = "\n".join([first.stdout, first.stderr, json.dumps(first.files)])
    seeds = sorted(seeds_in(printed))
    seed = SECRET_SEED if SECRET_SEED in seeds else (seeds[0] if seeds else 0)  # the attacker's best guess
    (root / "hw3.py").write_text(_lookup_file(seed, entry.model, {**DEFAULTS, **entry.options}["cases"]))
    (work / "out2").mkdir()
    return check_cli(entry, sandbox, judge_cli(entry, sandbox, root / "hw3.py", work / "out2", work, warm))


def _pytester(entry, sandbox, work, warm, open_folder) -> list[str]:
    """The plugin runs in pytest's process, where a conftest.py the learner controls can replace it (docs/untrusted.md,
    what it does not promise); `torchref check` on the same file gives the verdict, and the documentation says so."""
    root = _built(entry, work)
    pytest_run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root)], cwd=root, capture_output=True
    )
    out = work / "out"
    out.mkdir()
    wrong = check_cli(entry, sandbox, judge_cli(entry, sandbox, root / "derivation.py", out, work, warm))
    project = Path(__file__).parents[2]
    docs = "\n".join(
        p.read_text() for p in [project / "README.md", *sorted((project / "docs").glob("*.md"))] if p.exists()
    )
    said = re.search(r"conftest\.py.{0,200}can change what the fixture reports", docs, re.DOTALL)
    if pytest_run.returncode == 0 and not said:
        wrong.append("pytest passed a wrong derivation through the learner's conftest.py, and no document says it can")
    return wrong


RUNS = {
    "file": _by_cli,
    "folder": _by_cli,
    "recursive": _by_cli,
    "api": _by_api,
    "planted": _planted,
    "lookup": _lookup,
    "pytester": _pytester,
}


@pytest.mark.parametrize("entry, sandbox", _cases())
def test_every_entry(entry, sandbox, work, warm, open_folder):
    """Every run the entry needs under one sandbox; its verdicts, reasons and flags, and the invariants, on each."""
    _fail(entry, sandbox, RUNS[entry.run](entry, sandbox, work, warm, open_folder))


def test_every_broken_pair_is_a_pair_of_the_catalogue():
    """A row of BROKEN names an entry (or the class folder) and a sandbox, and says what breaks."""
    names = {entry.name for entry in CATALOGUE} | {"class_folder"}
    for (name, sandbox), why in BROKEN.items():
        assert name in names and sandbox in ("bwrap", "basic") and why.strip(), (name, sandbox, why)


def test_the_catalogue_covers_every_kind_with_enough_files():
    counts = {kind: sum(entry.kind == kind for entry in CATALOGUE) for kind in KINDS}
    assert all(counts.values()), counts
    assert len(CATALOGUE) >= 45, len(CATALOGUE)
    for entry in CATALOGUE:
        assert entry.expect, entry.name
        assert entry.run in ("file", "folder", "recursive", "api", "planted", "lookup", "pytester"), entry.name
        for sandbox, expect in [*entry.expect.items(), *(i for e in entry.others.values() for i in e.items())]:
            assert sandbox in ("bwrap", "basic") and set(expect.verdicts) <= {"pass", "wrong", "unusable", "skipped"}
        if entry.expect.get("basic") != entry.expect.get("bwrap") and entry.kind != "students":
            assert entry.basic_note, f"{entry.name}: basic differs from bwrap without saying why"
        for content in entry.tree.values():
            assert isinstance(content, Link) or callable(content), entry.name
    assert {p.relative_to(FILES).parts[0] for p in FILES.rglob("*") if p.is_file()} <= {*KINDS, "honest"}


# ---- a class folder: one hostile file of each kind, three honest students ----------------------------------------

HONEST = {
    "rita": ("honest/right.py", "pass"),
    "walt": ("honest/wrong.py", "wrong"),
    "cody": ("honest/crash.py", "wrong"),
}
# one student per kind (the notebook API, kind 5, has no file to hand in: it is judged on function objects)
CLASS = {
    "sam/hw3.py": BY_NAME["surrogate_in_exception"].tree["surrogate_in_exception.py"],  # 1
    b"lena/caf\xe9_hw3.py": BY_NAME["latin1_file_name"].tree[b"caf\xe9_hw3.py"],  # 1
    "kim/hw3.ipynb": BY_NAME["kernelspec_is_a_string"].tree["kernelspec_is_a_string.ipynb"],  # 2
    "kai/hw3.ipynb": BY_NAME["deep_sum_cell"].tree["deep_sum_cell.ipynb"],  # 2
    "tom/hw3.py": BY_NAME["three_hundred_threads"].tree["three_hundred_threads.py"],  # 3
    "ivy/hw3.py": BY_NAME["imports_sympy_at_run_time"].tree["imports_sympy_at_run_time.py"],  # 4
    "linus/hw3.py": Link("../rita/hw3.py"),  # 6
    "sue/hw3.py": data("seed/reads_the_seed_from_the_judges_environment.py"),  # 7 (TORCHREF_SEED set)
    "pat/hw3.py": data("reports/plants_folders_at_the_reports_names.py"),  # 8
    "tara/hw3.py": data("generic/reverse_mode_tape.py"),  # 9
    "lee/hw3.py": data("leak/atexit_hook.py"),  # 10
}


@pytest.mark.parametrize(
    "sandbox",
    [
        pytest.param("bwrap", marks=_pair("class_folder", "bwrap", SANDBOXES[0].marks), id="bwrap"),
        pytest.param("basic", marks=_pair("class_folder", "basic"), id="basic"),
    ],
)
def test_a_class_folder_with_one_hostile_file_of_each_kind(sandbox, work, open_folder, warm):
    tree = {**{f"{name}/hw3.py": data(path) for name, (path, _) in HONEST.items()}, **CLASS}
    entry = Hostile(
        "class_folder",
        "text",
        "a class with one hostile file of each kind beside three honest students",
        tree,
        {},
        run="recursive",
        options={"max_processes": 16},
        env={"TORCHREF_SEED": str(SECRET_SEED)},
        secret_seed=SECRET_SEED,
    )
    root = build(entry, work / "class")
    judged = judge_cli(entry, sandbox, root, open_folder, work, warm)
    wrong = [f"cli: {b}" for b in judged.broken]
    for name, (_, verdict) in HONEST.items():
        doc = _find(judged.files, f"{name}/hw3.py")
        wrong += expect_file(doc, Expect(verdict), name)
        if doc and name == "rita" and doc.get("score") != doc.get("max_score"):
            wrong.append(f"rita: {doc.get('score')} of {doc.get('max_score')}, expected every point")
    rows = {row.get("student") for row in judged.csv_rows}
    wrong += [f"no CSV row for {name}" for name in HONEST if name not in rows]
    hostile = [os.fsdecode(rel).split("/")[0] for rel in CLASS]
    wrong += [f"no report for {name}" for name in hostile if not any(f.get("student") == name for f in judged.files)]
    wrong += [f"{name}'s hostile file passes" for name in ("linus", "ivy") if _find(judged.files, f"{name}/hw3.py")
              and _find(judged.files, f"{name}/hw3.py").get("verdict") == "pass"]  # fmt: skip
    said = [line for line in judged.stderr.splitlines() if line.strip()]
    if wrong and said:
        wrong.append(f"the judge's last words: {said[-1][:300]}")
    if wrong:
        pytest.fail(encodable(f"class folder [{sandbox}]:\n  " + "\n  ".join(wrong)), pytrace=False)
