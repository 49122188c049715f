"""Outputs a teacher can trust: every path checked before a file is judged, a platform's document per submission
(one submission's, or one per student into a folder), CodeRunner's JSON alone on standard output."""

import json

import pytest
from classroom import SCALAR_DB2, SIGN, TANH, derivation, one_folder_per_student
from platform_formats import strict_json, valid_coderunner, valid_coursera, valid_prairielearn

from torchref import cli

CHECK = ["--model", "shallow", "--cases", "3", "--seed", "2", "--quiet", "-j", "1"]


@pytest.fixture
def a_class(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    one_folder_per_student(root)
    return root


def _refused(argv, capsys) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1  # one line, and nothing judged (no file's line printed)
    return err


@pytest.mark.parametrize(
    "target, says",
    [
        (["--json", "/nonexistent/x.json"], "--json /nonexistent/x.json: the folder /nonexistent does not exist"),
        (["--csv", "missing/dir/g.csv"], "--csv missing/dir/g.csv: the folder missing/dir does not exist"),
        (["--html", "{tmp}/taken.txt"], "--html {tmp}/taken.txt: it is a file, not a folder"),
        (["--json", "{tmp}"], "--json {tmp}: it is a folder, not a file"),
        (["--csv", "{tmp}/same", "--json", "{tmp}/same"], "--json and --csv both write {tmp}/same"),
        (["--coderunner", "-", "--prairielearn", "-"], "--prairielearn and --coderunner both write to standard output"),
        (["--csv", "-"], "--csv -: only a platform's document can go to standard output"),
        (["--json", "-"], "--json -: only a platform's document can go to standard output"),
    ],
)
def test_a_bad_output_is_refused_before_anything_is_judged(a_class, tmp_path, target, says, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.txt").write_text("a file already here")
    argv = ["check", str(a_class), "--recursive", *CHECK, *(t.replace("{tmp}", str(tmp_path)) for t in target)]
    assert f"torchref: error: {says.replace('{tmp}', str(tmp_path))}" in _refused(argv, capsys)


def test_a_single_files_json_path_is_checked_before_it_is_judged(tmp_path, capsys):
    (tmp_path / "hw.py").write_text(derivation())
    err = _refused(["check", str(tmp_path / "hw.py"), *CHECK, "--json", "/nonexistent/x.json"], capsys)
    assert err == "torchref: error: --json /nonexistent/x.json: the folder /nonexistent does not exist\n"


def test_a_platform_file_for_a_whole_class_is_refused_with_the_reason(a_class, tmp_path, capsys):
    for flag in ("--gradescope", "--prairielearn", "--coursera", "--coderunner"):
        err = _refused(["check", str(a_class), "--recursive", *CHECK, flag, str(tmp_path / "r.json")], capsys)
        assert f"{flag} {tmp_path}/r.json is one submission's, but --recursive reads {a_class} as 6 students'" in err
        assert "(alice, bob, carol, ...): give " + flag + " a folder (a path ending in /)" in err


def test_a_platform_folder_gets_one_document_per_student_graded_on_their_files_only(a_class, tmp_path, capsys):
    argv = ["check", str(a_class), "--recursive", *CHECK]
    for flag in ("--gradescope", "--prairielearn", "--coursera", "--coderunner"):
        argv += [flag, f"{tmp_path}/{flag[2:]}/"]
    assert cli.main(argv) == 1
    students = ["alice", "bob", "carol", "dan", "erin", "frank"]
    assert sorted(p.name for p in (tmp_path / "prairielearn").iterdir()) == students
    pl = {
        s: valid_prairielearn(json.loads((tmp_path / "prairielearn" / s / "results.json").read_text()))
        for s in students
    }
    assert {s: d.get("score") for s, d in pl.items()} == {
        "alice": 1.0, "bob": 0.5, "carol": 0.0, "dan": 0.0, "erin": 0.5, "frank": None,
    }  # fmt: skip
    assert pl["frank"]["gradable"] is False and "found: frank" in pl["frank"]["format_errors"][0]
    assert pl["bob"]["message"].startswith("bob/hw3.ipynb: WRONG") and "alice" not in json.dumps(pl["bob"])
    gradescope = json.loads((tmp_path / "gradescope" / "erin" / "results.json").read_text())
    assert gradescope["score"] == 2.0 and "also found" not in gradescope["output"]  # no other student's score
    coursera = valid_coursera(json.loads((tmp_path / "coursera" / "dan" / "feedback.json").read_text()))
    assert coursera["fractionalScore"] == 0.0 and "dZ2 has its sign flipped" in coursera["feedback"]
    coderunner = valid_coderunner(json.loads((tmp_path / "coderunner" / "alice" / "coderunner.json").read_text()))
    assert coderunner["fraction"] == 1.0


def test_a_platform_file_reads_the_folder_as_one_submission_at_any_depth(tmp_path, capsys):
    submission = tmp_path / "student"
    (submission / "hw3").mkdir(parents=True)
    (submission / "hw3" / "derivation.py").write_text(derivation(TANH))
    (submission / "scratch.py").write_text(derivation(SIGN))
    out = tmp_path / "results.json"
    assert cli.main(["check", str(submission), *CHECK, "--prairielearn", str(out)]) == 1
    results = valid_prairielearn(json.loads(out.read_text()))
    assert results["score"] == 0.5 and results["message"].startswith("hw3/derivation.py: WRONG")
    assert "also found (not graded): scratch.py (0 of 4)" in results["output"]


def test_coderunner_reads_its_json_alone_on_standard_output(tmp_path, capsys):
    answer = tmp_path / "prog.py"
    answer.write_text(derivation(TANH))
    assert cli.main(["check", str(answer), *CHECK, "--coderunner", "-"]) == 1
    out, err = capsys.readouterr()
    document = valid_coderunner(json.loads(out))  # the whole of stdout is the document
    assert document["fraction"] == 0.5 and "WRONG" in err  # the verdict's table went to stderr


def test_a_shape_that_differs_is_written_as_strict_json_with_no_number_for_its_error(tmp_path, capsys):
    """A scalar db2 (summed over both axes) has no element-wise error: null in every JSON written, not Infinity."""
    (tmp_path / "hw.py").write_text(derivation(SCALAR_DB2))
    out = tmp_path / "out"
    argv = ["check", str(tmp_path / "hw.py"), *CHECK, "--json", str(out / "a.json"), "--html", str(out / "html")]
    out.mkdir()
    assert cli.main([*argv, "--gradescope", str(out / "results.json")]) == 1
    capsys.readouterr()
    single = strict_json((out / "a.json").read_text())
    (db2,) = [t for t in single["tensors"] if t["name"] == "db2"]
    assert db2["status"] == "wrong" and db2["max_abs"] is None and db2["max_rel"] is None
    strict_json((out / "html" / "report.json").read_text())
    strict_json((out / "results.json").read_text())
    assert cli.main(["verify", "--models", "logistic", "--cases", "1", "--json", str(out / "v.json")]) == 0
    strict_json((out / "v.json").read_text())
