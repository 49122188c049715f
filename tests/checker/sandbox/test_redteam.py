"""Files of one batch against each other: none may change what another is given, leave it a
message, or see it while it is judged, under both sandboxes (bubblewrap, and the basic fallback).

Each test runs a short batch in which the first file attacks the files judged after it or
beside it, and asserts on what those files got.
"""

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from test_hostile import GOOD, LIMITS, SANDBOXES  # beside this file

from torchref import cli
from torchref.checker import check, check_many

POISONS_THE_INPUTS = """
import os, signal
# the batch's inputs, as the sandbox's server reads them when it (re)starts
for folder in ("/", "/job", os.path.dirname(os.path.dirname(os.getcwd())), os.path.dirname(os.getcwd())):
    for name in os.listdir(folder) if os.access(folder, os.R_OK) else ():
        if name.endswith(".arrays"):
            try:
                os.chmod(os.path.join(folder, name), 0o666)
                with open(os.path.join(folder, name), "r+b") as fh:
                    size = fh.seek(0, os.SEEK_END)
                    fh.seek(size // 2)
                    fh.write(os.urandom(size - size // 2))  # the last cases' values
            except OSError:
                pass
os.kill(os.getppid(), signal.SIGKILL)  # the server: the next file gets a new one, which reads the inputs again
"""

WRITES_A_MESSAGE = """
import os
for folder in ("/tmp", "/dev/shm", "/var/tmp", "/job", "/"):
    try:
        with open(os.path.join(folder, "message-7c1e.txt"), "w") as fh:
            fh.write("the answers")
    except OSError:
        pass
"""

READS_THE_MESSAGE = """
import os
for folder in ("/tmp", "/dev/shm", "/var/tmp", "/job", "/"):
    try:
        with open(os.path.join(folder, "message-7c1e.txt")) as fh:
            print("found in", folder, fh.read())
    except OSError:
        pass
"""

WAITS_A_SECOND = """
import time
time.sleep(1.0)
"""

LOOKS_FOR_ITS_NEIGHBOUR = """
import os, time
mine = os.path.dirname(os.getcwd())  # its own folder; the one above holds the folders of the batch's files
others = set()
for _ in range(150):
    try:
        others |= {e for e in os.listdir(os.path.dirname(mine)) if e != os.path.basename(mine)}
    except OSError:
        pass
    time.sleep(0.01)
print("saw", len({e for e in others if not e.endswith(".arrays")}), "other folders")
"""


def _batch(tmp_path, sandbox, files, jobs):
    for name, code in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code) + "\n" + GOOD)
    items = [(p, p.read_bytes()) for p in sorted(tmp_path.glob("*.py"))]
    reports = check_many(items, "shallow", jobs=jobs, sandbox=sandbox, **LIMITS)
    return {Path(r.file).stem: r for r in reports}


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_file_cannot_change_the_inputs_of_the_files_after_it(tmp_path, sandbox):
    reports = _batch(tmp_path, sandbox, {"a_poisoner": POISONS_THE_INPUTS, "b_good": "", "c_good": ""}, jobs=1)
    assert reports["a_poisoner"].verdict == "unusable"
    assert [reports["b_good"].verdict, reports["c_good"].verdict] == ["pass", "pass"], reports["b_good"].table()


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_file_leaves_nothing_for_the_next_file(tmp_path, sandbox):
    reports = _batch(tmp_path, sandbox, {"a_writer": WRITES_A_MESSAGE, "b_reader": READS_THE_MESSAGE}, jobs=1)
    for folder in ("/tmp", "/dev/shm", "/var/tmp"):  # basic without namespaces: the host's own (not the test's)
        Path(folder, "message-7c1e.txt").unlink(missing_ok=True)
    if reports["b_reader"].limits["isolation"].startswith("shared") and sandbox == "basic":
        pytest.xfail("basic without namespaces of its own shares the host's /tmp (README: what it does not promise)")
    assert reports["b_reader"].limits["isolation"] == "fresh namespaces and tmpfs per file"
    assert reports["b_reader"].verdict == "pass"
    assert "found in" not in reports["b_reader"].stdout, reports["b_reader"].stdout


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_file_cannot_see_the_file_judged_beside_it(tmp_path, sandbox):
    reports = _batch(tmp_path, sandbox, {"a_sleeper": WAITS_A_SECOND, "b_spy": LOOKS_FOR_ITS_NEIGHBOUR}, jobs=2)
    assert "saw 0 other folders" in reports["b_spy"].stdout, reports["b_spy"].stdout


# ---- a class's folder: what a learner controls there is its files' names and links


def test_a_link_out_of_the_folder_is_neither_judged_nor_read(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "solution.py").write_text(GOOD)  # a teacher's solution, the shipped example...
    (outside / "secret.txt").write_text("s3cret = 'the judge can read this'\n")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "good.py").write_text(GOOD)
    (folder / "alias.py").symlink_to(folder / "good.py")  # inside the folder, but another student's file
    (folder / "borrowed.py").symlink_to(outside / "solution.py")
    (folder / "leak.py").symlink_to(outside / "secret.txt")
    out = tmp_path / "out.json"
    assert cli.main(["check", str(folder), "--model", "shallow", "--cases", "1", "--quiet", "--json", str(out)]) == 2
    files = {Path(f["file"]).name: f for f in json.loads(out.read_text())["files"]}
    assert files["good.py"]["verdict"] == "pass" and files["alias.py"]["verdict"] == "unusable"
    assert files["alias.py"]["reason"] == f"a symbolic link to a file that is not alias's own ({folder / 'good.py'})"
    for name in ("borrowed.py", "leak.py"):
        assert files[name]["verdict"] == "unusable"
        assert "a symbolic link to a file outside the folder" in files[name]["reason"]
    assert "s3cret" not in out.read_text()


def test_file_names_are_escaped_in_every_gradebook(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a\nfriend.py: PASS.py", "b\x1b[2J.py", "c\u202egnp.py"):
        (folder / name).write_text(GOOD.replace("(1 - A1**2)", "(1 - A1)"))
    csv_path, json_path = tmp_path / "grades.csv", tmp_path / "report.json"
    args = ["check", str(folder), "--model", "shallow", "--cases", "1", "--quiet"]
    assert cli.main([*args, "--csv", str(csv_path), "--json", str(json_path)]) == 1
    text = csv_path.read_text(encoding="utf-8")
    assert not any(line.startswith("friend.py") for line in text.splitlines())
    assert "\x1b" not in text and "\u202e" not in text
    students = [f["student"] for f in json.loads(json_path.read_text())["files"]]
    assert sorted(students) == ["a\\nfriend.py: PASS", "b\\x1b[2J", "c\\u202egnp"]


# ---- what a file returns: values chosen to trouble the judge's own arithmetic

HUGE_VALUES = """
import numpy as np


def backward(X, Y, params, cache):
    grads = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    for g in grads.values():
        g.flat[0] = 1e307  # finite, and its difference over any expected value below 17 is past float64's range
    return grads
"""


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_huge_values_are_wrong_without_a_warning_from_the_judge(tmp_path, sandbox):
    path = tmp_path / "huge.py"
    path.write_text(HUGE_VALUES)
    # pyproject's filterwarnings makes every warning an error: one from the judge's own arithmetic fails this test
    report = check(path, "shallow", sandbox=sandbox, cases=3, seed=1)
    assert report.verdict == "wrong", report.table()


# ---- the judge's own outputs, written after every learner's process is gone

PLANTS_LINKS_WHERE_THE_REPORTS_GO = """
import os
for name in ("report.json", "grades.csv", "html"):
    try:
        os.symlink("{VICTIM}", os.path.join("{OUT}", name))
    except OSError:
        pass
"""


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_the_reports_go_where_the_teacher_said_not_where_a_file_pointed(tmp_path, sandbox):
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="torchref-out-", dir="/tmp"))  # a folder anyone may write to, as /tmp
    try:
        out.chmod(0o1777)
        folder = tmp_path / "class"
        folder.mkdir()
        victim = folder / "b_classmate.py"
        victim.write_text(GOOD)
        attack = PLANTS_LINKS_WHERE_THE_REPORTS_GO.replace("{VICTIM}", str(victim)).replace("{OUT}", str(out))
        (folder / "a_planter.py").write_text(textwrap.dedent(attack) + "\n" + GOOD)
        args = ["check", str(folder), "--model", "shallow", "--cases", "1", "--quiet", "--sandbox", sandbox]
        outputs = ["--json", str(out / "report.json"), "--csv", str(out / "grades.csv"), "--html", str(out / "html")]
        assert cli.main([*args, *outputs]) == 0
        assert victim.read_text() == GOOD  # the classmate's file is untouched
        for name in ("report.json", "grades.csv", "html"):
            assert not (out / name).is_symlink()
        assert json.loads((out / "report.json").read_text())["files"][1]["verdict"] == "pass"
    finally:
        shutil.rmtree(out, ignore_errors=True)
