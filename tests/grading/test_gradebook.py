"""A teacher's batch: folders of mixed .py/.ipynb submissions into scores, a CSV and Gradescope's results.json."""

import csv
import io
import json
import os
import threading

import pytest
from classroom import CRASH, SIGN, TANH, derivation, filled_template, notebook, one_folder_per_student

from torchref import cli
from torchref.checker.folder import entries
from torchref.checker.report import FileReport, TensorVerdict
from torchref.grading.rubric import grade, gradient_results, required_gradients

CHECK = ["--model", "shallow", "--cases", "3", "--seed", "2", "--quiet"]


def test_one_folder_per_student_into_a_csv_and_json(tmp_path, capsys):
    submissions = tmp_path / "class"
    submissions.mkdir()
    expected = one_folder_per_student(submissions)
    out_csv, out_json = tmp_path / "grades.csv", tmp_path / "grades.json"
    status = cli.main(
        ["check", str(submissions), "--recursive", *CHECK, "--csv", str(out_csv), "--json", str(out_json)]
    )
    assert status == 1  # wrong files, none that could not be judged
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("check: 1 passed, 4 wrong, 0 could not be judged, 2 not judged (seed ")
    assert "bob/notes.txt: NOT JUDGED: not a .py or .ipynb file" in lines
    assert "frank: NOT JUDGED: an empty folder" in lines
    with open(out_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    columns = [
        "student",
        "file",
        "score",
        "max_score",
        "verdict",
        "first_wrong",
        "cause",
        "line",
        "files",
        "same_source",
    ]
    assert list(rows[0]) == columns
    graded = {r["student"]: (r["verdict"], float(r["score"])) for r in rows if r["verdict"] != "skipped"}
    assert graded == expected
    assert all(float(r["max_score"]) == 4 for r in rows if r["verdict"] != "skipped")
    bob = next(r for r in rows if r["file"] == "bob/hw3.ipynb")
    assert bob["first_wrong"] == "dZ1" and bob["cause"].startswith("tanh′ written as 1 − A instead of 1 − A²; ")
    carol = next(r for r in rows if r["student"] == "carol")
    assert carol["line"] == "hw3.py:26 assert m == 1, 'only one example'"  # where it raised
    doc = json.loads(out_json.read_text())
    assert len(doc["files"]) == 7 and len(rows) == 6  # every entry in the JSON, a row per student in the gradebook
    assert bob["files"] == "1" and next(r for r in rows if r["student"] == "frank")["files"] == "0"
    assert {f["student"]: f["score"] for f in doc["files"] if f["verdict"] != "skipped"} == {
        s: score for s, (_, score) in expected.items()
    }


def test_a_student_with_several_files_is_one_row_graded_by_the_best(tmp_path, capsys):
    root = tmp_path / "class"
    for name, text in {
        "amy/1_draft.py": derivation(SIGN),  # 0 of 4
        "amy/2_final.ipynb": notebook(derivation(TANH)),  # 2 of 4: the one amy is graded by
        "amy/3_broken.py": "def backward(:\n",  # could not be judged
        "ben.py": derivation(SIGN),  # a flat file of the same folder: its own student
        "ben.txt": "ben's notes",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    out_csv, out_html = tmp_path / "grades.csv", tmp_path / "report"
    assert cli.main(["check", str(root), "--recursive", *CHECK, "--csv", str(out_csv), "--html", str(out_html)]) == 2
    with open(out_csv, newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert list(rows) == ["amy", "ben", "ben.txt"]  # a flat folder's stray file is listed as its own, with nothing
    assert (rows["amy"]["file"], rows["amy"]["score"], rows["amy"]["files"]) == ("amy/2_final.ipynb", "2.0", "3")
    assert (rows["ben"]["file"], rows["ben"]["verdict"], rows["ben"]["files"]) == ("ben.py", "wrong", "1")
    report = json.loads((out_html / "report.json").read_text())
    assert report["students"] == 3 and report["counts"] == {"wrong": 2, "skipped": 1} and len(report["files"]) == 5
    assert report["scores"] == [[0.0, 1], [2.0, 1]]  # each student once, by the file they are graded by
    assert sum(m["count"] for m in report["mistakes"]) == 2


def test_crashed_cases_count_as_failed_for_every_tensor(tmp_path):
    """The tensors of a file that raised in most cases read "ok 0/1": its score must not."""
    (tmp_path / "carol.py").write_text(derivation(CRASH))
    report = cli_reports(tmp_path)[0]
    backward = next(p for p in report["pieces"] if p["name"] == "backward")
    assert backward["cases"] == 6 and report["errors"]
    dW1 = next(t for t in report["tensors"] if t["name"] == "dW1")
    assert dW1["status"] == "ok" and dW1["failed"] == 0 and dW1["cases"] < 6  # judged only where it returned
    assert (report["score"], report["max_score"]) == (0.0, 4.0)


def cli_reports(folder, *extra):
    out = folder.parent / f"{folder.name}.json"
    cli.main(["check", str(folder), *CHECK, "--json", str(out), *extra])
    return json.loads(out.read_text())["files"]


def test_the_rubric_reads_every_gradient_of_the_model():
    assert required_gradients("shallow") == ["dW2", "db2", "dW1", "db1"]
    assert required_gradients("logistic") == ["dW", "db"]
    assert required_gradients("deep_tanh_sigmoid")[-2:] == ["dW1", "db1"]
    unusable = grade(FileReport("x.py", "shallow", verdict="unusable", reason="no backward"))
    assert (unusable.score, unusable.max_score) == (0.0, 4.0)
    assert [text for *_, text in gradient_results(unusable)][0] == "dW2: not judged: no backward"
    skipped = grade(FileReport("x.txt", "shallow", verdict="skipped"))
    assert (skipped.score, skipped.max_score) == (0.0, 0.0)
    tensors = [TensorVerdict(n, cases=4) for n in ("dW2", "db2", "dW1")] + [TensorVerdict("db1", "wrong", cases=4)]
    partial = grade(FileReport("x.py", "shallow", verdict="wrong", cases=4, tensors=tensors))
    assert (partial.score, partial.max_score) == (3.0, 4.0)
    # a deep model's dW4 exists only in its cases with three hidden layers: fewer cases is not a crash
    names = required_gradients("deep_tanh_sigmoid")
    tensors = [TensorVerdict(n, cases=2 if n in ("dW4", "db4") else 4) for n in names]
    deep = grade(FileReport("x.py", "deep_tanh_sigmoid", cases=4, tensors=tensors))
    assert deep.score == deep.max_score == len(names)
    crashed = grade(FileReport("x.py", "deep_tanh_sigmoid", "wrong", cases=4, tensors=tensors, errors=["case c1: E"]))
    assert crashed.score == 0


def test_a_pattern_picks_the_files_and_lists_the_others(tmp_path, capsys):
    (tmp_path / "hw3_alice.py").write_text(derivation())
    (tmp_path / "scratch.py").write_text("print('not a submission')")
    (tmp_path / "=cmd.py").write_text(derivation(SIGN))
    out_csv = tmp_path.parent / "pattern.csv"
    status = cli.main(["check", str(tmp_path), *CHECK, "--pattern", "hw3_*.py", "--csv", str(out_csv)])
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "=cmd.py: NOT JUDGED: not --pattern hw3_*.py",
        "hw3_alice.py: PASS (14 cases: forward 8, backward 6)",
        "scratch.py: NOT JUDGED: not --pattern hw3_*.py",
    ]
    text = out_csv.read_text()
    assert "'=cmd.py" in text and "\n=cmd" not in text and ",=cmd" not in text  # never a spreadsheet formula


def test_folder_entries_that_are_not_files_are_listed_with_why(tmp_path):
    (tmp_path / "good.py").write_text(derivation())
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    (tmp_path / "folder.py").mkdir()
    (tmp_path / "link.py").symlink_to(tmp_path / "good.py")
    (tmp_path / "figure.png").write_bytes(b"\x89PNG")
    found = []
    lister = threading.Thread(target=lambda: found.extend(entries(tmp_path, "shallow")), daemon=True)
    lister.start()
    lister.join(30)
    assert not lister.is_alive(), "listing the folder blocked (a FIFO opened for reading?)"
    said = {e.path.name: (e.report.verdict, e.report.reason) if e.report else "judged" for e in found}
    assert said == {
        "dangling.py": ("unusable", f"a symbolic link to nothing ({tmp_path / 'nowhere.py'})"),
        "fifo.py": ("unusable", "a FIFO (named pipe), not a file"),
        "figure.png": ("skipped", "not a .py or .ipynb file"),
        "folder.py": ("unusable", "a folder, not a file"),
        "good.py": "judged",
        # a flat folder's files are each a student's: link.py is not good.py's student
        "link.py": ("unusable", f"a symbolic link to a file that is not link's own ({tmp_path / 'good.py'})"),
        "loop.py": ("unusable", "a symbolic link that loops back on itself"),
    }


def test_gradescope_results_for_one_submission(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "hw3.ipynb").write_text(notebook(derivation(TANH)))
    out = tmp_path / "results.json"
    assert cli.main(["check", str(sub), "--recursive", *CHECK, "--gradescope", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["score"] == 2.0 == sum(t["score"] for t in doc["tests"])
    assert sum(t["max_score"] for t in doc["tests"]) == 4.0
    assert [t["name"] for t in doc["tests"]] == ["dW2 (∂J/∂W2)", "db2 (∂J/∂b2)", "dW1 (∂J/∂W1)", "db1 (∂J/∂b1)"]
    assert all({"name", "score", "max_score", "output", "visibility"} <= t.keys() for t in doc["tests"])
    assert doc["output"].startswith("hw3.ipynb: WRONG: first wrong link dZ1: tanh′ written as 1 − A instead of 1 − A²")
    dW1 = doc["tests"][2]
    assert dW1["status"] == "failed" and "echo: differs from autograd in 6 of 6 cases" in dW1["output"]
    assert "Greatest absolute difference" in dW1["output"]  # the numbers, unless hidden


def test_hide_values_gives_feedback_without_the_expected_numbers(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "hw3.py").write_text(derivation(TANH))
    out, out_json = tmp_path / "results.json", tmp_path / "check.json"
    cli.main(["check", str(sub), *CHECK, "--gradescope", str(out), "--json", str(out_json), "--hide-values"])
    doc = json.loads(out.read_text())
    dW1 = doc["tests"][2]
    assert "echo: differs from autograd in 6 of 6 cases" in dW1["output"] and "follows from dZ1" in dW1["output"]
    assert "difference" not in json.dumps(doc) and doc["score"] == 2.0
    for t in json.loads(out_json.read_text())["files"][0]["tensors"]:
        assert t["max_abs"] == 0 and t["message"] == "" and t["worst_index"] is None


def test_a_submission_without_a_derivation_still_gets_results(tmp_path, capsys):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "README.txt").write_text("I ran out of time")
    out = tmp_path / "results.json"
    assert cli.main(["check", str(sub), *CHECK, "--gradescope", str(out)]) == 2
    assert "no .py or .ipynb files in" in capsys.readouterr().err
    doc = json.loads(out.read_text())
    assert doc["score"] == 0 and doc["tests"] == [] and "found: README.txt" in doc["output"]


@pytest.mark.parametrize(
    "argv, says",
    [
        (["check", "nowhere/", "--model", "shallow", "--csv", "x.csv"], "FILE|DIR must be an existing file or folder"),
        (["check", __file__, "--model", "shallow", "--recursive"], "--recursive and --pattern need a folder"),
    ],
)
def test_bad_arguments_get_one_line(argv, says, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.splitlines()) == 1


def test_an_output_that_cannot_be_written_is_one_line(tmp_path, capsys):
    (tmp_path / "hw.py").write_text(derivation())
    assert cli.main(["check", str(tmp_path), *CHECK, "--csv", str(tmp_path / "no" / "such" / "x.csv")]) == 2
    out, err = capsys.readouterr()
    assert err == f"torchref: error: --csv {tmp_path}/no/such/x.csv: the folder {tmp_path}/no/such does not exist\n"
    assert out == ""  # refused before anything was judged


def test_caches_folders_big_files_and_other_encodings_are_listed(tmp_path, monkeypatch):
    from torchref.checker import submission as sources

    (tmp_path / "amy" / "__pycache__").mkdir(parents=True)
    (tmp_path / "amy" / "hw.py").write_text(derivation())
    (tmp_path / "amy" / "big.py").write_text("#" * 2000)
    (tmp_path / "amy" / "latin.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    monkeypatch.setattr(sources, "MAX_BYTES", {".py": 1000, ".ipynb": 1000})
    said = {
        str(e.path.relative_to(tmp_path)): e.report.reason if e.report else e.source.text
        for e in entries(tmp_path, "shallow", recursive=True)
    }
    assert said["amy/__pycache__"] == "copies and caches"
    assert said["amy/big.py"] == "larger than 0 MiB (2000 bytes)"
    assert said["amy/latin.py"] == "# café\n"  # shown as it reads; the judge runs its bytes
    flat = {e.path.name: e.report.reason for e in entries(tmp_path, "shallow") if e.report}
    assert flat == {"amy": "a folder (give --recursive for a folder per student)"}


def test_a_right_deep_file_earns_every_point_at_the_depth_it_is_judged(tmp_path, capsys):
    """The template's own file, filled in (two hidden layers), graded through the command line: full marks,
    and no gradient of a deeper shape listed as "not judged"; the maximum is that of the judged depth."""
    path = tmp_path / "deep.py"
    path.write_text(filled_template("deep_tanh_sigmoid"))
    grades, results = tmp_path / "g.csv", tmp_path / "results.json"
    argv = ["check", str(path), "--model", "deep_tanh_sigmoid", "--seed", "1", "--cases", "8"]
    assert cli.main([*argv, "--csv", str(grades), "--gradescope", str(results)]) == 0
    row = next(csv.DictReader(grades.read_text().splitlines()))
    assert (row["verdict"], float(row["score"]), float(row["max_score"])) == ("pass", 6.0, 6.0)
    document = json.loads(results.read_text())
    assert [t["name"].split()[0] for t in document["tests"]] == ["dW3", "db3", "dW2", "db2", "dW1", "db1"]
    assert document["score"] == 6.0 and all(t["status"] == "passed" for t in document["tests"])


def test_the_gradebook_says_which_files_other_students_handed_in_too(tmp_path):
    """The same_source column: a student's graded file's shared bytes, then any other file of theirs that shares."""
    from torchref.grading.writers import write_csv

    def shared(*others):
        return [{"student": who, "file": f"{who}/hw3.py", "same": same} for who, same in others]

    reports = [
        FileReport(str(tmp_path / "alice/hw3.py"), "shallow", student="alice", same_source_as=shared(("bob", "file"))),
        FileReport(
            str(tmp_path / "alice/old.py"), "shallow", verdict="wrong", student="alice",
            same_source_as=shared(("erin", "bytes")),
        ),
        FileReport(str(tmp_path / "bob/hw3.py"), "shallow", student="bob", same_source_as=shared(("alice", "file"))),
        FileReport(str(tmp_path / "carol/hw3.py"), "shallow", student="carol"),
    ]  # fmt: skip
    reports = [grade(r) for r in reports]
    write_csv(tmp_path / "grades.csv", reports, tmp_path)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text()))}
    assert rows["alice"]["file"] == "alice/hw3.py"
    assert rows["alice"]["same_source"] == (
        "the same file (a hard link) as bob/hw3.py; alice/old.py: the same bytes as erin/hw3.py"
    )
    assert rows["bob"]["same_source"] == "the same file (a hard link) as alice/hw3.py"
    assert rows["carol"]["same_source"] == ""
