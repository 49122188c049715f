"""The grader's third round of hostile submissions: each attack, and what the judge must answer to it.

Every entry is written as an attacker would hand it in (a file, a notebook, a folder of a class,
a notebook's function objects) from `files/`, and names the verdict it must get under each
sandbox, what its report must say, and what no output may ever hold. The verdicts are those
the judge owes once the round's fixes are in; `tests/catalogues/test_hostile_round3.py` runs
every entry through `torchref check` (with --json, --csv, --gradescope and --html) and through
`torchref.check`, each in a process of its own.

Besides each entry's own expectations, every output of every run keeps the same invariants
(`test_hostile_round3.INVARIANTS`): readable UTF-8, no traceback, all four reports written
(at their names, or beside them under a name the judge states), no raw escape or bidi
character, no workflow command, no line forged for a classmate.

Kinds (what a fix owes, one cause each):

1. text: learner text that crashed the judge or forged lines, made safe at every sink;
2. parsing: the judge's own parsing of learner input (notebook JSON, cells, the .py of a
   deep batch) inside the per-file guard, with size caps before parsing;
3. resources: memory (tmpfs included), processes (threads included) and the work folder
   bound per file, so that a file can cost only itself;
4. reference: no copy of the reference within reach, and the allowed-import rule at run time;
5. api: the notebook API judges the function it was given, not text it fetched;
6. students: links only inside a student's folder, identical sources flagged;
7. seed: a seed from the environment never printed nor encoded in case ids;
8. reports: reports written even when their final names are blocked;
9. generic: generic differentiation passes on its maths, with a flag a teacher can see;
10. leak: no state of one file reaches the next one (warm workers: a fresh child per file);
11. judge: no learner's code runs in the judge's own process (a module named like one the judge imports).

`basic` may differ from `bwrap` where an entry says why (`basic_note`): it is not a container.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

FILES = Path(__file__).parent / "files"
SANDBOXES = ("bwrap", "basic")
VERDICTS = ("pass", "wrong", "unusable", "skipped")
KINDS = {
    "text": "1. learner text that crashes the judge or forges lines",
    "parsing": "2. the judge's own parsing of learner input",
    "resources": "3. limits a file can only spend on itself",
    "reference": "4. no copy of the reference within reach",
    "api": "5. the notebook API judges the function it was given",
    "students": "6. students apart",
    "seed": "7. a secret seed stays secret",
    "reports": "8. reports written even when their names are blocked",
    "generic": "9. generic differentiation made visible",
    "leak": "10. no state crosses from one file to the next",
    "judge": "11. the judge never runs a learner's code itself",
}
# the options every run gets unless the entry says otherwise (the large case is the second: m = 512, n = 37, h = 64)
DEFAULTS = {
    "cases": 2,
    "timeout": 30,
    "import_timeout": 30,
    "memory_mb": 1024,
    "file_mb": 8,
    "max_processes": 32,
    "jobs": 1,  # one file at a time unless the entry says otherwise: "the next file" is then the next one
}
SECRET_SEED = 918273645  # TORCHREF_SEED of the seed entries: no output may let a reader recover it
FORGED = "friend.py: PASS"  # the line kind 1's files try to print for a classmate
# what a teacher must be able to read in the report of a file that differentiates generically (any one of them)
AUTODIFF_WORDS = ("automatic differentiation", "autodiff", "operator overloading", "dual number", "tape")


@dataclass(frozen=True)
class Expect:
    """What the judge must answer for one file of an entry, in one sandbox."""

    verdict: str | tuple[str, ...]  # the verdict, or the verdicts each of which is right (the entry says why)
    reason: tuple[str, ...] = ()  # every one of these is in the reason
    reason_any: tuple[str, ...] = ()  # at least one of these is in the reason (wording left to the fix)
    flag_any: tuple[str, ...] = ()  # the report (JSON, and the file's page of the class report) names one of these
    stdout_never: tuple[str, ...] = ()  # the learner's printed output, as the report keeps it, never holds these
    similar_to: str = ""  # the report names this other student as handing in the same source

    @property
    def verdicts(self) -> tuple[str, ...]:
        return (self.verdict,) if isinstance(self.verdict, str) else self.verdict


def both(expect: Expect) -> dict[str, Expect]:
    return dict.fromkeys(SANDBOXES, expect)


@dataclass(frozen=True)
class Hostile:
    """One attack: the files handed in, how they are run, and what each sandbox must answer."""

    name: str
    kind: str  # a key of KINDS
    attack: str  # what it tries, in one line
    tree: dict  # {path in the submission (str, or bytes for a name that is not UTF-8): its content}
    expect: dict  # {sandbox: Expect} for the judged file
    judged: str | bytes = ""  # the judged file's path in the tree (default: the tree's only file)
    match: str = ""  # a part of the judged file's name as the reports write it (for names that are not UTF-8)
    others: dict = field(default_factory=dict)  # {path: {sandbox: Expect}} of the tree's other files
    model: str = "shallow"
    run: str = "file"  # file | folder | recursive | api | planted | lookup | pytester
    options: dict = field(default_factory=dict)  # over DEFAULTS; "jobs" is -j (the command line only)
    env: dict = field(default_factory=dict)  # the judge's environment, over the caller's
    outer: dict = field(default_factory=dict)  # {folder: MiB}: sized tmpfs for the judge itself (a private namespace)
    plant: str = ""  # something put beside the submission by the test (a copy of the reference, a checkout)
    secret_seed: int | None = None  # TORCHREF_SEED of the run: no output may hold it, whole or encoded
    basic_note: str = ""  # why basic's answer differs from bwrap's (a documented exception)
    needs: str = ""  # a tool the entry's files are built with ("cc")
    never: tuple[str, ...] = ()  # text no output of the run may hold
    from_the_class_folder: bool = False  # the judge started as `python -m torchref` from the class's folder

    @property
    def judged_path(self):
        return self.judged or next(iter(self.tree))


# ---- contents: data files, links, and files built when the test runs ---------------------------------------


def data(name: str) -> Callable[[Path], bytes]:
    """A file of `files/`, as the learner handed it in."""
    return lambda work: (FILES / name).read_bytes()


@dataclass(frozen=True)
class Link:
    """A symbolic link (`target` relative to the link's folder, as a learner makes one) or a hard link (`hard`:
    `target` relative to the tree's root)."""

    target: str
    hard: bool = False


def _big_cell(text: str) -> Callable[[Path], bytes]:
    """The right notebook with one more cell holding `text`."""

    def build(work: Path) -> bytes:
        doc = json.loads((FILES / "parsing" / "big_cell.ipynb").read_text())
        doc["cells"][-1]["source"] = text
        return json.dumps(doc).encode()

    return build


def _deep_with(line: str) -> Callable[[Path], bytes]:
    return lambda work: (FILES / "honest" / "deep_right.py").read_bytes() + b"\n\n" + line.encode() + b"\n"


DEEP_SUM = "a = 1\nx = " + "+".join(["a"] * 200_000)  # 200,000 terms: the parser's recursion, not the file's size
MINUS_CHAIN = "x = " + "-" * 200_000 + "1"  # the parser's stack
EIGHT_MB_LITERAL = "BIG = [" + "1," * 4_000_000 + "]"  # 8 MB of source: hundreds of bytes of AST per byte


def _extension(template: str, module: str) -> Callable[[Path], bytes]:
    """The attacker's file with its compiled extension module (files/reference/peek.c, built here as `module`)
    carried inside as base64."""

    def build(work: Path) -> bytes:
        compiler = shutil.which("cc")
        if compiler is None:
            raise RuntimeError("the attacker's extension module needs a C compiler (cc)")
        (work / "build").mkdir(exist_ok=True)
        out = work / "build" / f"{module}{EXTENSION_SUFFIXES[0]}"
        include = sysconfig.get_paths()["include"]
        source = FILES / "reference" / "peek.c"
        command = [
            compiler,
            "-shared",
            "-fPIC",
            "-O1",
            f"-DMODULE={module}",
            f"-I{include}",
            str(source),
            "-o",
            str(out),
        ]
        subprocess.run(command, check=True, capture_output=True)
        so = base64.b64encode(out.read_bytes()).decode()
        return (FILES / "reference" / template).read_text().replace("__SO_BASE64__", so).encode()

    return build


RIGHT, WRONG, CRASH, DEEP = (data(f"honest/{n}.py") for n in ("right", "wrong", "crash", "deep_right"))
NEIGHBOURS = {"zz_right.py": RIGHT, "zz_wrong.py": WRONG}  # judged after the hostile file (and beside it, with -j 2)
# the same, each waiting a second and a half at import: they run beside a file that holds what it took (-j 2)
NEIGHBOURS_WHILE_IT_HOLDS = {name: data(f"resources/after_a_pause_{name[3:]}") for name in NEIGHBOURS}
NEIGHBOURS_RIGHT = {
    "zz_right.py": both(Expect("pass")),
    "zz_wrong.py": both(Expect("wrong", ("first wrong link: dZ1",))),
}


def _file(kind: str, name: str, attack: str, expect, suffix=".py", **more) -> Hostile:
    return Hostile(name, kind, attack, {f"{name}{suffix}": data(f"{kind}/{name}{suffix}")}, expect, **more)


# ---- the catalogue -----------------------------------------------------------------------------------------

CATALOGUE: list[Hostile] = [
    # 1. learner text
    _file(
        "text",
        "surrogate_in_exception",
        "every case raises an exception whose message holds a lone surrogate",
        both(Expect("wrong", ("RuntimeError",))),
    ),
    _file(
        "text",
        "surrogate_in_import_error",
        "the import raises with a lone surrogate in the message (an undecodable file name)",
        both(Expect("unusable", ("ValueError",))),
    ),
    _file(
        "text",
        "surrogate_in_function_name",
        "the function that raises has a lone surrogate in its code object's name, which tracebacks quote",
        both(Expect("wrong", ("ValueError",))),
    ),
    _file(
        "text",
        "exit_code_repr_forges_lines",
        "sys.exit(obj) in backward, where repr(obj) holds newlines, ANSI, ::add-mask:: and a PASS line",
        both(Expect("unusable", ("sys.exit",))),
    ),
    _file(
        "text",
        "exit_code_repr_at_import",
        "the same exit code at import",
        both(Expect("unusable", ("sys.exit", "at import"))),
    ),
    Hostile(
        "latin1_file_name",
        "text",
        "a right file handed in under a latin-1 name (b'caf\\xe9_hw3.py'), as zip archives give",
        {b"caf\xe9_hw3.py": data("text/latin1_file_name.py")},
        both(Expect("pass")),
        match="caf",
    ),
    _file(
        "text",
        "raw_surrogate_bytes_on_stdout",
        "invalid UTF-8 and a forged PASS line written straight to file descriptor 1",
        both(Expect("pass")),
    ),
    _file(
        "text",
        "ansi_in_the_wrong_line",
        "the wrong line's comment carries ANSI, a line separator, a PASS line, ::add-mask:: and a bidi override",
        both(Expect("wrong", ("first wrong link: dZ1",))),
    ),
    _file(
        "text",
        "kernelspec_language_forges_lines",
        "a notebook whose kernelspec language forges a PASS line, ANSI and ::add-mask::",
        both(Expect("unusable", ("notebook",))),
        suffix=".ipynb",
    ),
    _file(
        "text",
        "nbformat_field_forges_lines",
        "a notebook whose nbformat field forges a PASS line",
        both(Expect("unusable", ("notebook",))),
        suffix=".ipynb",
    ),
    _file(
        "text",
        "language_info_forges_lines",
        "a notebook whose language_info name forges a PASS line",
        both(Expect("unusable", ("notebook",))),
        suffix=".ipynb",
    ),
    _file(
        "text",
        "surrogate_in_notebook_cell",
        "a right notebook with one more cell holding a lone surrogate (not text: it cannot be written as UTF-8)",
        both(Expect("unusable")),
        suffix=".ipynb",
    ),
    # 2. the judge's own parsing
    Hostile(
        "deep_sum_cell",
        "parsing",
        "a right notebook with a cell of 200,000 `a+a+...` terms (the parser's recursion)",
        {"deep_sum_cell.ipynb": _big_cell(DEEP_SUM)},
        both(Expect("unusable", ("cell 5",))),
    ),
    Hostile(
        "minus_chain_cell",
        "parsing",
        "a right notebook with a cell `----...1` of 200,000 signs (the parser's memory)",
        {"minus_chain_cell.ipynb": _big_cell(MINUS_CHAIN)},
        both(Expect("unusable", ("cell 5",))),
    ),
    Hostile(
        "eight_megabyte_literal",
        "parsing",
        "a right notebook with an 8 MB list literal in a cell (hundreds of bytes of judge memory per byte)",
        {"eight_megabyte_literal.ipynb": _big_cell(EIGHT_MB_LITERAL)},
        both(Expect("unusable", ("cell 5",))),
    ),
    _file(
        "parsing",
        "kernelspec_is_a_string",
        "a right notebook whose kernelspec is a string",
        both(Expect("unusable", ("kernelspec",))),
        suffix=".ipynb",
    ),
    _file(
        "parsing",
        "language_info_is_a_string",
        "a right notebook whose language_info is a string",
        both(Expect("unusable", ("language_info",))),
        suffix=".ipynb",
    ),
    Hostile(
        "deep_model_deep_sum",
        "parsing",
        "the 200,000-term line in the .py of a deep-model batch (read for its depth before any guard)",
        {"a_deep_sum.py": _deep_with(DEEP_SUM), "zz_deep_right.py": DEEP},
        both(Expect("unusable", reason_any=("Recursion", "nest", "deep", "too long", "complex", "limit"))),
        others={"zz_deep_right.py": both(Expect("pass"))},
        model="deep_tanh_sigmoid",
        run="folder",
    ),
    Hostile(
        "deep_model_minus_chain",
        "parsing",
        "the `----...1` line in the .py of a deep-model batch",
        {"a_minus_chain.py": _deep_with(MINUS_CHAIN), "zz_deep_right.py": DEEP},
        both(Expect("unusable", reason_any=("Memory", "nest", "deep", "too long", "complex", "limit"))),
        others={"zz_deep_right.py": both(Expect("pass"))},
        model="deep_tanh_sigmoid",
        run="folder",
    ),
    # 3. resources
    _file(
        "resources",
        "writes_a_gibibyte_into_tmp",
        "a right file that first writes 1 GiB into /tmp (an unsized tmpfs under bwrap: the host's memory)",
        both(Expect("unusable", reason_any=("limit", "space"))),
        outer={"/tmp": 256},
        basic_note="basic writes into the judge's own /tmp (docs/untrusted.md): the test's namespace sizes it at "
        "256 MiB, so the write fails there as on a full disk",
    ),
    _file(
        "resources",
        "three_hundred_threads",
        "a right file that keeps 300 threads waiting, under --max-processes 16 (threads are tasks to the kernel)",
        both(Expect("unusable", ("process limit of 16",))),
        options={"max_processes": 16},
    ),
    _file(
        "resources",
        "forks_hold_memory",
        "a right file whose 4 forks hold 120 MiB each, under --memory-mb 300 (a limit per process is not one per file)",
        both(Expect("unusable", ("memory limit",))),
        options={"memory_mb": 300},
    ),
    Hostile(
        "fills_shared_memory_for_the_next_file",
        "resources",
        "fills /dev/shm, /tmp and its work folder (a 128 MiB tmpfs each in the test's namespace); the next file runs",
        {"a_filler.py": data("resources/fills_shared_memory.py"), **NEIGHBOURS},
        both(Expect(("pass", "unusable"))),  # its own writes fail: its verdict is its own business
        others=NEIGHBOURS_RIGHT,
        run="folder",
        outer={"/dev/shm": 128, "/tmp": 128},
    ),
    Hostile(
        "fills_shared_memory_beside_it",
        "resources",
        "the same, with -j 2: the files judged beside it (while it holds the memory) must not pay for it",
        {"a_filler.py": data("resources/fills_shared_memory.py"), **NEIGHBOURS_WHILE_IT_HOLDS},
        both(Expect(("pass", "unusable"))),
        others=NEIGHBOURS_RIGHT,
        run="folder",
        options={"jobs": 2},
        outer={"/dev/shm": 128, "/tmp": 128},
    ),
    # 4. the reference within reach
    _file(
        "reference",
        "reads_a_second_install_under_usr_local",
        "finds a second install of the package under /usr/local/lib/python3*/dist-packages and runs its backward",
        {"bwrap": Expect("wrong", ("first wrong link: dZ1",)), "basic": Expect("unusable", ("reads",))},
        plant="usr_local",
        basic_note="basic shares the host's file system: the copy is in sight, and opening it must be refused",
    ),
    _file(
        "reference",
        "reads_a_copy_in_the_interpreters_prefix",
        "finds a copy of the package in the interpreter's own site-packages and runs its backward",
        {"bwrap": Expect("wrong", ("first wrong link: dZ1",)), "basic": Expect(("wrong", "unusable"))},
        plant="prefix",
        basic_note="basic runs the file as nobody: where the interpreter lives in a private folder (/root) the copy "
        "is out of its reach (wrong: its own derivation); where it is world-readable, opening it must be refused",
    ),
    _file(
        "reference",
        "walks_the_disk_for_a_checkout",
        "walks the world-readable folders for another checkout of the course repository and runs its backward",
        {"bwrap": Expect("wrong", ("first wrong link: dZ1",)), "basic": Expect("unusable", ("reads",))},
        plant="checkout",
        basic_note="basic shares the host's file system: the checkout is in sight, and opening it must be refused",
    ),
    Hostile(
        "native_extension_reads_the_reference",
        "reference",
        "writes out a compiled extension and imports it at run time: libc's open reads the reference unaudited",
        {"native_extension_reads_the_reference.py": _extension("native_extension_reads_the_reference.py.in", "peek")},
        both(Expect("unusable", ("peek",))),
        needs="cc",
    ),
    Hostile(
        "native_extension_named_like_the_stdlib",
        "reference",
        "writes out a compiled extension named colorsys beside itself; a plain `import colorsys` loads it",
        {
            "native_extension_named_like_the_stdlib.py": _extension(
                "native_extension_named_like_the_stdlib.py.in", "colorsys"
            )
        },
        both(Expect("unusable", ("colorsys",))),
        needs="cc",
    ),
    _file(
        "reference",
        "imports_sympy_at_run_time",
        "importlib.import_module('sym' + 'py'): no scan sees it",
        both(Expect("unusable", ("sympy",))),
    ),
    # 5. the notebook API
    *(
        Hostile(name, "api", attack, {f"{name}.py": data(f"api/{name}.py")}, both(expect), run="api")
        for name, attack, expect in [
            (
                "wrapped_points_at_the_solution",
                "backward returns zeros; its __wrapped__ is the shipped example's backward",
                Expect("wrong"),
            ),
            (
                "code_object_points_at_the_solution",
                "the wrong backward's code object carries the right one's first line number",
                Expect("unusable", reason_any=("source", "code")),
            ),
            (
                "linecache_holds_the_solution",
                "backward compiled from wrong text under a cell name whose linecache entry holds the right text",
                Expect("unusable", reason_any=("source", "code")),
            ),
            (
                "renamed_function_brings_the_solution",
                "backward is zeros renamed; the right backward it reads goes along and holds the name the judge calls",
                Expect("unusable", reason_any=("source", "code")),
            ),
            (
                "function_from_the_shipped_example",
                "backward is the shipped example's own function",
                Expect("unusable", ("torchref",)),
            ),
            (
                "function_from_torchref_handmade",
                "backward is the reference's own function",
                Expect("unusable", ("torchref_handmade",)),
            ),
        ]
    ),
    # 6. students apart
    Hostile(
        "link_to_a_classmates_file",
        "students",
        "alice/hw3.py -> ../bob/hw3.py under --recursive",
        {"bob/hw3.py": RIGHT, "alice/hw3.py": Link("../bob/hw3.py")},
        both(Expect("unusable", ("link",))),
        judged="alice/hw3.py",
        others={"bob/hw3.py": both(Expect("pass"))},
        run="recursive",
    ),
    Hostile(
        "link_to_a_classmates_folder",
        "students",
        "alice/work -> ../bob under --recursive",
        {"bob/hw3.py": RIGHT, "alice/work": Link("../bob")},
        both(Expect(("skipped", "unusable"))),  # either way, nothing of bob's counts for alice
        judged="alice/work",
        others={"bob/hw3.py": both(Expect("pass"))},
        run="recursive",
    ),
    Hostile(
        "hard_link_to_a_classmates_file",
        "students",
        "alice/hw3.py is a hard link to bob/hw3.py (no symbolic link to see)",
        {"bob/hw3.py": RIGHT, "alice/hw3.py": Link("bob/hw3.py", hard=True)},
        both(Expect("pass", similar_to="bob")),
        judged="alice/hw3.py",
        others={"bob/hw3.py": both(Expect("pass", similar_to="alice"))},
        run="recursive",
    ),
    Hostile(
        "identical_files_across_students",
        "students",
        "carol and dave hand in byte-identical files under different names",
        {"carol/hw3.py": RIGHT, "dave/homework.py": RIGHT, "erin/hw3.py": WRONG},
        both(Expect("pass", similar_to="dave")),
        judged="carol/hw3.py",
        others={"dave/homework.py": both(Expect("pass", similar_to="carol")), "erin/hw3.py": both(Expect("wrong"))},
        run="recursive",
    ),
    # 7. the seed
    Hostile(
        "secret_seed_in_the_reports",
        "seed",
        "TORCHREF_SEED set for a wrong file: the reports print it and the case ids encode it",
        {"hw3.py": WRONG},
        both(Expect("wrong", ("first wrong link: dZ1",))),
        env={"TORCHREF_SEED": str(SECRET_SEED)},
        secret_seed=SECRET_SEED,
    ),
    Hostile(
        "lookup_table_from_a_printed_seed",
        "seed",
        "a table of answers built offline for the seed the last run printed, handed in for the next run",
        {"hw3.py": WRONG},  # the first run's file; the second is built from what the first run printed
        both(Expect("wrong")),
        run="lookup",
        env={"TORCHREF_SEED": str(SECRET_SEED)},
        secret_seed=SECRET_SEED,
    ),
    _file(
        "seed",
        "reads_the_seed_from_the_judges_environment",
        "looks for TORCHREF_SEED in every /proc/<pid>/environ it can read and prints it",
        both(Expect("pass")),
        env={"TORCHREF_SEED": str(SECRET_SEED)},
        secret_seed=SECRET_SEED,
    ),
    # 8. the reports' names
    Hostile(
        "plants_folders_at_the_reports_names",
        "reports",
        "reads the judge's command line in /proc and makes folders at every report's final name",
        {"a_planter.py": data("reports/plants_folders_at_the_reports_names.py"), **NEIGHBOURS},
        both(Expect("pass")),
        others=NEIGHBOURS_RIGHT,
        run="planted",
    ),
    Hostile(
        "plants_a_file_at_the_html_folder",
        "reports",
        "reads the judge's command line and puts a file where the HTML folder goes, a folder where the JSON goes",
        {"a_planter.py": data("reports/plants_a_file_at_the_html_folder.py"), **NEIGHBOURS},
        both(Expect("pass")),
        others=NEIGHBOURS_RIGHT,
        run="planted",
    ),
    # 9. generic differentiation: the maths passes, the report says how
    _file(
        "generic",
        "reverse_mode_tape",
        "a 60-line reverse-mode tape of array operations: no line of the notes' backward",
        both(Expect("pass", flag_any=AUTODIFF_WORDS)),
    ),
    _file(
        "generic",
        "dual_numbers",
        "forward-mode dual numbers, one pass per parameter entry",
        both(Expect("pass", flag_any=AUTODIFF_WORDS)),
        options={"cases": 1},
    ),
    _file(
        "generic",
        "complex_step",
        "the complex-step derivative of every parameter entry",
        both(Expect("pass", flag_any=("complex",))),
        options={"cases": 1},
    ),
    _file(
        "generic",
        "perturbation_loop_calls_forward",
        "central differences: backward calls forward twice per parameter entry",
        both(Expect("pass", flag_any=("perturb", "finite difference", "numerical", "calls forward", "forward from"))),
        options={"cases": 1},
    ),
    Hostile(
        "conftest_patches_the_plugin",
        "generic",
        "the learner's conftest.py overrides the torchref_check fixture of a repository it controls",
        {  # stored as .in: the suite's own pytest must not collect the learner's conftest.py or test
            "conftest.py": data("generic/conftest_patches_the_plugin/conftest.py.in"),
            "test_derivation.py": data("generic/conftest_patches_the_plugin/test_derivation.py.in"),
            "derivation.py": data("generic/conftest_patches_the_plugin/derivation.py"),
        },
        both(Expect("wrong")),  # what `torchref check derivation.py` says (docs/ci.md: gate CI with it)
        judged="derivation.py",
        run="pytester",
    ),
    # 11. the judge's own process
    Hostile(
        "module_named_like_a_judge_import",
        "judge",
        "colorsys.py handed in beside a wrong file; the teacher runs `python -m torchref check .` from the folder",
        {"alice.py": WRONG, "colorsys.py": data("judge/colorsys.py")},
        both(Expect("wrong", ("first wrong link: dZ1",))),
        others={"colorsys.py": both(Expect("unusable"))},  # not a derivation (and the stdlib may be out of reach)
        run="folder",
        never=("printed by a learner's module inside the judge",),
        from_the_class_folder=True,
    ),
    # 10. state left for the next file (warm workers): a leaker, a victim that looks for it, a wrong file after
    *(
        Hostile(
            f"leaves_{name}",
            "leak",
            attack,
            {f"a_{name}.py": data(f"leak/{name}.py"), "b_victim.py": data("leak/victim.py"), "c_wrong.py": WRONG},
            both(Expect("pass")),
            others={
                "b_victim.py": both(Expect("pass", stdout_never=("LEAKED",))),
                "c_wrong.py": both(Expect("wrong", ("first wrong link: dZ1",))),
            },
            run="folder",
            options={"jobs": 1},
        )
        for name, attack in [
            ("module_attribute", "an attribute left on numpy and builtins"),
            ("patched_numpy_function", "np.tanh, np.exp and np.sum replaced"),
            ("thread_left_running", "a thread that keeps patching numpy and writing a file"),
            ("atexit_hook", "exit handlers that print and patch"),
            ("file_in_the_work_folder", "a file in its folder, the folders above and its home"),
            ("environment_variable", "environment variables set"),
            ("working_folder_changed", "os.chdir('/')"),
            ("sys_modules_entry", "a fake module in sys.modules, a folder on sys.path, a finder on sys.meta_path"),
            ("signal_handlers", "a SIGALRM handler, an interval timer, an ignored and a blocked signal"),
            ("resource_limits_and_umask", "a lowered open-files limit and an odd umask"),
            ("open_descriptor", "an inheritable descriptor on number 100"),
        ]
    ),
]

BY_NAME = {entry.name: entry for entry in CATALOGUE}
assert len(BY_NAME) == len(CATALOGUE), "two entries share a name"
assert {entry.kind for entry in CATALOGUE} == set(KINDS), "a kind without an entry"
