"""Mutation testing of the maths and the gate with mutmut (run through scripts/mutation).

mutmut (3.x) copies the code to mutants/, writes every mutant of a function beside the
original behind a trampoline, runs the test suite once to learn which tests call which
function, then runs each mutant against those tests only, in processes forked from a
server that has imported them (torch is imported once, not once per mutant).

The package installs `handmade/` under the name `torchref_handmade`, and mutmut names a
mutant by its file's path; so the run happens in a staging folder, build/mutation-<kind>/,
where `torchref_handmade` and `torchref` are links to the sources and pyproject.toml is
written from the [tool.mutmut] section of the real one.

Two kinds of run:
- tests (default): the modules of [tool.mutmut] only_mutate against the test suite.
  `--sample N` draws N mutants with a fixed seed (CI); without it every mutant runs (a release).
- gate (`--gate`): the models' mutants (handmade/, but not its input checks, data sets,
  normalisation and checkpoints) against `torchref verify` at its default cases: how
  often the CI gate itself fails when a model is wrong.

The score is killed / (mutants run − equivalent mutants). Equivalent mutants are listed in
scripts/equivalent-mutants.txt with a one-line argument each; they are printed, never
silently dropped, and one that a test kills is reported as not equivalent after all.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the toml package mutmut itself reads its configuration with
    import toml as tomllib

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = ROOT / "scripts" / "equivalent-mutants.txt"
# the modules of the models: what `torchref verify` is there to catch
GATE_MODULES = [
    "torchref_handmade/activations.py",
    "torchref_handmade/losses.py",
    "torchref_handmade/mp_neuron.py",
    "torchref_handmade/perceptron.py",
    "torchref_handmade/logistic.py",
    "torchref_handmade/shallow.py",
    "torchref_handmade/shallow_fast.py",
    "torchref_handmade/deep.py",
    "torchref_handmade/train.py",
]
GATE_TEST = '''"""The CI gate as one test: `torchref verify` at its default cases (written by scripts/mutation)."""

from torchref.verify import verify


def test_verify_default_cases_pass():
    report = verify()
    assert report.ok, report.table(failures_only=True)
'''
# a mutant that makes the tests fail, crash or hang is caught
CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}


def _toml(value) -> str:
    """A TOML value for the strings, booleans and lists of strings of a [tool.*] section (JSON spells them alike)."""
    return json.dumps(value, ensure_ascii=False)


def stage(kind: str) -> Path:
    """build/mutation-<kind>/ with links to the sources and the tests, and a pyproject.toml for this kind of run."""
    folder = ROOT / "build" / f"mutation-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    for link, target in (("torchref_handmade", "handmade"), ("torchref", "torchref"), ("tests", "tests")):
        path = folder / link
        if not path.is_symlink():
            path.symlink_to(ROOT / target, target_is_directory=True)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    mutmut = dict(project["tool"]["mutmut"])
    pytest_options = dict(project["tool"]["pytest"]["ini_options"])
    if kind == "gate":
        (folder / "test_verify_gate.py").write_text(GATE_TEST, "utf-8")
        mutmut["only_mutate"] = GATE_MODULES
        mutmut["pytest_add_cli_args_test_selection"] = ["test_verify_gate.py"]
        # verify runs the models on valid input: their argument checks are the test suite's to catch
        mutmut["do_not_mutate_patterns"] = [*mutmut.get("do_not_mutate_patterns", []), r"_checks\."]
        pytest_options["testpaths"] = ["test_verify_gate.py"]
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {_toml(value)}" for key, value in pytest_options.items()]
    lines += ["", "[tool.mutmut]"]
    lines += [f"{key} = {_toml(value)}" for key, value in mutmut.items()]
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def generate(jobs: int) -> dict[str, Path]:
    """Write the mutants (in the current folder's mutants/, made afresh) and return every mutant's name -> its file.

    Afresh: mutmut keeps which tests call which function from its last run, so tests added
    since would not be run against the mutants they kill.
    """
    from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants, setup_source_paths
    from mutmut.utils.file_utils import walk_mutatable_files

    shutil.rmtree("mutants", ignore_errors=True)
    Path("mutants").mkdir()
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(jobs)
    return {name: path for path in walk_mutatable_files() for name in _meta(path)["exit_code_by_key"]}


def _meta(path: Path) -> dict:
    return json.loads((Path("mutants") / f"{path}.meta").read_text("utf-8"))


def equivalent_mutants(kind: str) -> dict[str, str]:
    """name -> the argument that no test can tell the mutant from the original.

    A line that starts with `gate ` holds for the gate only: a change `torchref verify` cannot
    see by design (a speed switch between two right answers) that the tests do pin.
    """
    out = {}
    for number, line in enumerate(EQUIVALENT_FILE.read_text("utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("gate "):
            if kind != "gate":
                continue
            line = line[len("gate ") :]
        name, _, why = line.partition(" ")
        if not why.strip():
            sys.exit(f"{EQUIVALENT_FILE.name}:{number}: {name} has no argument (one line: why no test can kill it)")
        out[name] = why.strip()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, metavar="N", help="run N mutants drawn with --seed (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="which sample (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    parser.add_argument("--only", metavar="GLOB", help="only the mutants whose names match, e.g. '*losses*'")
    parser.add_argument("names", nargs="*", help="run these mutants only (names as printed after SURVIVED)")
    parser.add_argument("--gate", action="store_true", help="the models' mutants against `torchref verify`")
    parser.add_argument("--min-score", type=float, default=95.0, help="exit 1 below this score in %% (default 95)")
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        parser.error(f"--sample must be a positive number of mutants, got {args.sample}")
    if args.jobs < 1:
        parser.error(f"--jobs must be a positive number of processes, got {args.jobs}")
    kind = "gate" if args.gate else "tests"
    folder = stage(kind)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    names = generate(args.jobs)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"names must be mutants of this run, got unknown {unknown[:3]}")
    chosen = sorted(n for n in args.names or names if args.only is None or fnmatch.fnmatch(n, args.only))
    if args.sample is not None and args.sample < len(chosen):
        chosen = sorted(random.Random(args.seed).sample(chosen, args.sample))
    if not chosen:
        parser.error(f"--only {args.only!r} matches none of the {len(names)} mutants")
    print(f"mutation ({kind}): {len(chosen)} of {len(names)} mutants in {folder}", flush=True)
    mutmut = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)]
    env = {**os.environ, "CI": "true"}  # hypothesis draws its fixed examples: a survivor stays a survivor
    run = subprocess.run([*mutmut, *chosen], env=env, check=False)
    if run.returncode != 0:
        print(
            f"mutation: mutmut stopped with exit status {run.returncode} (its output above says why)", file=sys.stderr
        )
        return 2
    return report(chosen, names, args.min_score, kind)


def report(chosen, names, min_score: float, kind: str) -> int:
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    codes = {}
    for path in {names[n] for n in chosen}:
        codes.update(_meta(path)["exit_code_by_key"])
    status = {n: status_by_exit_code[codes.get(n)] for n in chosen}
    equivalent = equivalent_mutants(kind)
    stale = sorted(set(equivalent) - set(names)) if kind == "tests" else []  # the gate mutates the models only
    # the gate: a function verify never calls (an initialisation, a training driver) is reported, not scored
    unreached = [n for n in chosen if kind == "gate" and status[n] == "no tests" and n not in equivalent]
    counted = [n for n in chosen if n not in equivalent and n not in unreached]
    caught = [n for n in counted if status[n] in CAUGHT]
    survivors = [n for n in counted if status[n] not in CAUGHT]
    for n in survivors:
        print(f"\nSURVIVED ({status[n]}) {n}\n{get_diff_for_mutant(n, path=names[n])}")
    for n in sorted(set(chosen) & set(equivalent)):
        verdict = "caught: not equivalent after all, take it off the list" if status[n] in CAUGHT else status[n]
        print(f"EQUIVALENT {n} ({verdict}): {equivalent[n]}")
    for n in unreached:
        print(f"NOT RUN BY VERIFY {n}: no default case calls this function (left out of the gate's score)")
    for n in stale:
        print(f"STALE {n}: listed in {EQUIVALENT_FILE.name} but no longer a mutant (the function changed?)")
    by_module: dict[str, list[int]] = {}
    for n in counted:
        module = n.split(".x")[0]
        by_module.setdefault(module, [0, 0])[0] += status[n] in CAUGHT
        by_module[module][1] += 1
    print("\nmodule                                   caught / run")
    for module, (k, total) in sorted(by_module.items()):
        print(f"{module:<40} {k:>6} / {total}")
    score = 100.0 * len(caught) / len(counted) if counted else 100.0
    what = "torchref verify failed on" if kind == "gate" else "killed"
    print(
        f"\nmutation score ({kind}): {score:.1f} % — {what} {len(caught)} of {len(counted)} mutants "
        f"({len(chosen) - len(counted) - len(unreached)} equivalent"
        + (f" and {len(unreached)} never run by verify" if kind == "gate" else "")
        + f" left out, listed above; {len(survivors)} survived)"
    )
    return 0 if score >= min_score else 1


if __name__ == "__main__":
    sys.exit(main())
