"""A class's folder read into submissions: links stay within a student's own files, and files that other students
also handed in (the same bytes, or one file under two names) are said on each, never on one student's own pair."""

import os

from classroom import SIGN, TANH, derivation

from torchref.checker.folder import entries
from torchref.checker.report import FileReport


def _tree(root, files: dict) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _by_name(found, root) -> dict:
    return {os.path.relpath(e.path, root): e for e in found}


def test_a_link_to_a_classmates_file_is_not_the_students_own(tmp_path):
    _tree(tmp_path, {"bob/hw3.py": derivation(), "alice/drafts/hw3.py": derivation(TANH)})
    (tmp_path / "alice" / "hw3.py").symlink_to("../bob/hw3.py")
    (tmp_path / "alice" / "final.py").symlink_to("drafts/hw3.py")  # her own file: judged as hers
    (tmp_path / "alice" / "via").symlink_to("../bob")  # a folder: not walked
    (tmp_path / "carol").mkdir()
    (tmp_path / "carol" / "hw3.py").symlink_to(tmp_path / "alice" / "final.py")  # on to alice's, through her link
    found = _by_name(entries(tmp_path, "shallow", recursive=True), tmp_path)
    alice = found["alice/hw3.py"].report
    assert (alice.verdict, alice.reason) == (
        "unusable",
        "a symbolic link to a file that is not alice's own (../bob/hw3.py)",
    )
    assert found["alice/final.py"].judged and found["alice/final.py"].data == derivation(TANH).encode()
    assert found["alice/via"].report.verdict == "skipped"
    carol = found["carol/hw3.py"].report
    assert carol.verdict == "unusable" and "not carol's own" in carol.reason
    assert found["bob/hw3.py"].judged and found["bob/hw3.py"].same_source_as == []


def test_in_a_flat_folder_a_link_to_another_students_file_is_not_theirs(tmp_path):
    _tree(tmp_path, {"bob.py": derivation()})
    (tmp_path / "alice.py").symlink_to("bob.py")
    found = _by_name(entries(tmp_path, "shallow"), tmp_path)
    assert found["alice.py"].report.reason == "a symbolic link to a file that is not alice's own (bob.py)"
    assert found["bob.py"].judged and found["bob.py"].same_source_as == []


def test_two_students_files_with_the_same_bytes_are_said_on_both(tmp_path):
    _tree(
        tmp_path,
        {
            "carol/hw3.py": derivation(),
            "dave/homework.py": derivation(),  # carol's bytes under another name
            "erin/hw3.py": derivation(SIGN),
            "erin/old/hw3.py": derivation(SIGN),  # erin's own two files: not said
        },
    )
    os.link(tmp_path / "carol" / "hw3.py", tmp_path / "bob.py")  # a file of the class folder itself: no student's
    found = _by_name(entries(tmp_path, "shallow", recursive=True), tmp_path)
    assert found["carol/hw3.py"].same_source_as == [{"student": "dave", "file": "dave/homework.py", "same": "bytes"}]
    assert found["dave/homework.py"].same_source_as == [{"student": "carol", "file": "carol/hw3.py", "same": "bytes"}]
    assert found["erin/hw3.py"].same_source_as == [] and found["erin/old/hw3.py"].same_source_as == []
    assert found["bob.py"].same_source_as == []


def test_a_hard_link_between_two_students_is_said_as_one_file(tmp_path):
    _tree(tmp_path, {"bob/hw3.py": derivation(), "erin/hw3.py": derivation()})
    (tmp_path / "alice").mkdir()
    os.link(tmp_path / "bob" / "hw3.py", tmp_path / "alice" / "hw3.py")
    found = _by_name(entries(tmp_path, "shallow", recursive=True), tmp_path)
    assert found["alice/hw3.py"].judged
    assert found["alice/hw3.py"].same_source_as == [
        {"student": "bob", "file": "bob/hw3.py", "same": "file"},
        {"student": "erin", "file": "erin/hw3.py", "same": "bytes"},
    ]
    assert found["bob/hw3.py"].same_source_as[0] == {"student": "alice", "file": "alice/hw3.py", "same": "file"}


def test_what_a_report_says_of_the_same_bytes(tmp_path):
    """The report of a judged file carries it (`finish`), and its line and table say only what was verified."""
    _tree(tmp_path, {"carol.py": derivation(), "dave.py": derivation(), "empty.py": "\n", "none.py": "\n"})
    found = _by_name(entries(tmp_path, "shallow"), tmp_path)
    assert found["empty.py"].same_source_as == [] and found["none.py"].same_source_as == []  # nothing to share
    report = found["carol.py"].finish(FileReport(str(tmp_path / "carol.py"), "shallow"))
    assert report.student == "carol"
    assert report.same_source_as == [{"student": "dave", "file": "dave.py", "same": "bytes"}]
    assert report.summary().endswith("PASS (0 cases) · the same bytes as dave.py")
    assert "same source: the same bytes as dave.py" in report.table()
    assert "copied" not in report.table() and "cheat" not in report.table()


def test_a_files_line_names_a_few_of_many_copies_and_the_table_all(tmp_path):
    """Thirty students who hand in the unchanged template: each one's line names three others and counts the rest
    (one line a file, not thirty names), where the report's table and the teacher's outputs name every one."""
    _tree(tmp_path, {f"s{i:02}.py": derivation() for i in range(7)})
    report = _by_name(entries(tmp_path, "shallow"), tmp_path)["s00.py"].finish(
        FileReport(str(tmp_path / "s00.py"), "shallow")
    )
    assert report.summary().endswith(
        "PASS (0 cases) · the same bytes as s01.py; the same bytes as s02.py; the same bytes as s03.py; "
        "and 3 more files (--json, --csv and --html name them all)"
    )
    assert "the same bytes as s06.py" in report.table() and "more files" not in report.table()
    assert report.same_source().count("the same bytes as") == 6


def test_a_mac_archives_metadata_is_not_a_submission(tmp_path):
    """A zip made on a Mac holds __MACOSX/ and ._name files beside the learner's: metadata, skipped, never judged."""
    _tree(tmp_path, {"alice/hw3.py": derivation(), "alice/__MACOSX/._hw3.py": "\x00\x05\x16\x07", "alice/._hw3.py": ""})
    found = _by_name(entries(tmp_path, "shallow", recursive=True), tmp_path)
    assert found["alice/hw3.py"].judged
    said = ("skipped", "a Mac archive's metadata (AppleDouble), not a submission")
    for name in ("alice/__MACOSX", "alice/._hw3.py"):
        assert (found[name].report.verdict, found[name].report.reason) == said
    assert "alice/__MACOSX/._hw3.py" not in found  # the folder is not walked


def test_a_folder_nested_beyond_the_limit_is_skipped_as_too_deep_and_not_walked(tmp_path):
    from torchref.checker.folder import MAX_DEPTH

    deep = "/".join(f"d{i}" for i in range(1, MAX_DEPTH + 1))  # the deepest folder still read
    _tree(tmp_path, {f"alice/{deep}/hw3.py": derivation(), f"alice/{deep}/d{MAX_DEPTH + 1}/hw3.py": derivation()})
    found = _by_name(entries(tmp_path, "shallow", recursive=True), tmp_path)
    assert found[f"alice/{deep}/hw3.py"].judged
    too_deep = found[f"alice/{deep}/d{MAX_DEPTH + 1}"]
    assert (too_deep.judged, too_deep.report.verdict, too_deep.report.reason) == (False, "skipped", "too deep")
    assert f"alice/{deep}/d{MAX_DEPTH + 1}/hw3.py" not in found
