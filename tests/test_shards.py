"""The split of a class over machines (which shard judges whom) and the merge's refusals, as pure functions."""

from pathlib import Path

import pytest

from torchref.checker.report import FileReport, TensorVerdict
from torchref.checker.submission import Submission
from torchref.grading import shards


@pytest.mark.parametrize("text", ["1/1", "3/4", "4/4"])
def test_parse_reads_k_of_n(text):
    k, n = shards.parse(text)
    assert f"{k}/{n}" == text


@pytest.mark.parametrize("text", ["0/4", "5/4", "4", "a/b", "1/0", "-1/3", "", "2/3/4"])
def test_parse_refuses_what_is_not_k_of_n(text):
    with pytest.raises(ValueError, match="expected K/N with 1 <= K <= N"):
        shards.parse(text)


def test_a_students_files_share_one_key(tmp_path):
    assert shards.key(tmp_path / "alice" / "hw" / "a.py", tmp_path) == "alice"
    assert shards.key(tmp_path / "alice.py", tmp_path) == shards.key(tmp_path / "alice.ipynb", tmp_path) == "alice"
    assert shards.key(tmp_path / "notes.txt", tmp_path) == "notes.txt"
    assert shards.key(tmp_path / ".py", tmp_path) == ".py"  # a name that is only a suffix keeps it


def test_the_split_is_stable_under_adding_and_removing_students():
    students = [f"student{i:04d}" for i in range(400)]
    before = {s: shards.shard_of(s, 4) for s in students}
    assert set(before.values()) == {1, 2, 3, 4}
    assert all(60 < list(before.values()).count(k) < 140 for k in range(1, 5))  # a fair split of 400
    after = {s: shards.shard_of(s, 4) for s in students[50:] + [f"late{i}" for i in range(30)]}
    assert all(after[s] == before[s] for s in students[50:])  # nobody moved
    assert shards.shard_of("élodie", 4) == shards.shard_of("élodie", 4)


def test_select_gives_every_entry_to_exactly_one_shard(tmp_path):
    found = [Submission(tmp_path / f"s{i}" / "hw.py", f"s{i}") for i in range(40)]
    found += [Submission(tmp_path / "s3" / "notes.txt", "s3")]
    chosen = [shards.select(found, tmp_path, k, 3) for k in (1, 2, 3)]
    assert sorted(i for part in chosen for i in part) == list(range(len(found)))
    assert all(part for part in chosen)
    third = next(part for part in chosen if 3 in part)
    assert len(found) - 1 in third  # s3's .txt goes where s3's file goes


def _shard(tmp_path, k, n, files, positions, entries=None, **changes):
    """A shard's --json document as `torchref check --shard` writes it (schema torchref.check/1)."""
    found = [Submission(tmp_path / f"s{i}.py", f"s{i}") for i in range(entries or len(positions))]
    shard = shards.describe(found, tmp_path, positions, k, n, 7, "shallow", {"cases": 3})
    shard["sources"] = [{"name": "x.py", "text": "x = 1\n", "labels": [], "prefix": ""} for _ in positions]
    shard.update(changes)
    return {"schema": "torchref.check/1", "model": "shallow", "files": files, "shard": shard}


def _report(tmp_path, i):
    tensors = [TensorVerdict("dW1", "wrong", cases=3, failed=1, small_case={"X": [[1.0]]})]
    return FileReport(str(tmp_path / f"s{i}.py"), "shallow", "wrong", student=f"s{i}", tensors=tensors).to_json()


def test_merge_orders_the_shards_reports_as_the_folder_lists_them(tmp_path):
    one = _shard(tmp_path, 1, 2, [_report(tmp_path, 0), _report(tmp_path, 2)], [0, 2], entries=3)
    two = _shard(tmp_path, 2, 2, [_report(tmp_path, 1)], [1], entries=3)
    merged = shards.merge([("b.json", two), ("a.json", one)])
    assert [Path(r.file).name for r in merged.reports] == ["s0.py", "s1.py", "s2.py"]
    assert merged.reports[1].tensors[0].small_case == {"X": [[1.0]]}
    assert merged.reports[0].to_json() == _report(tmp_path, 0)  # to_json, back and forth: the same report
    assert [e.source.text for e in merged.found] == ["x = 1\n"] * 3 and merged.seed == 7


def test_merge_names_every_file_under_the_first_shards_folder(tmp_path):
    """Machines may mount the class at different places: the merge names each file under one folder."""
    here, there = tmp_path / "mnt", tmp_path / "data"
    a = _shard(here, 1, 2, [_report(here, 0)], [0], entries=2)
    b = _shard(there, 2, 2, [_report(there, 1)], [1], entries=2)
    merged = shards.merge([("a.json", a), ("b.json", b)])
    assert [r.file for r in merged.reports] == [str(here / "s0.py"), str(here / "s1.py")]
    assert merged.root == here
    a["shard"]["root"] = "class"  # given relative, elsewhere: named by where it was
    assert shards.merge([("a.json", a), ("b.json", b)]).root == here


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda a, b: b["shard"].update(seed=8), "differ in their seed (8 and 7)"),
        (lambda a, b: b["shard"].update(options={"cases": 4}), "differ in their options"),
        (lambda a, b: b["shard"].update(model="logistic"), "differ in their model"),
        (lambda a, b: b["shard"].update(entries=3), "differ in their folder (3 and 2)"),
        (lambda a, b: b["shard"].update(listing="0" * 64), "listed different folders"),
        (lambda a, b: b["shard"].update(index=1), "shard 1/2 given twice: a.json and b.json"),
        (lambda a, b: b.pop("shard"), 'b.json is not a shard\'s --json (no "shard"'),
        (lambda a, b: b.update(interrupted=True), "b.json: shard 2/2 was interrupted: run it again"),
        (lambda a, b: b.update(schema="torchref.check/9"), "schema 'torchref.check/9'"),
        (lambda a, b: b["files"][0].pop("tensors"), "b.json: a file's report is not one torchref wrote"),
        (lambda a, b: b["shard"].update(positions=[0]), "the shards hold 1 of the folder's 2 entries"),
    ],
)
def test_merge_refuses_shards_that_are_not_one_class(tmp_path, change, says):
    a = _shard(tmp_path, 1, 2, [_report(tmp_path, 0)], [0], entries=2)
    b = _shard(tmp_path, 2, 2, [_report(tmp_path, 1)], [1], entries=2)
    change(a, b)
    with pytest.raises(shards.ShardError) as caught:
        shards.merge([("a.json", a), ("b.json", b)])
    assert says in str(caught.value)


def test_merge_says_which_shards_are_missing(tmp_path):
    a = _shard(tmp_path, 2, 4, [_report(tmp_path, 0)], [0], entries=1)
    with pytest.raises(shards.ShardError, match=r"shard 1/4, 3/4, 4/4 missing: the merge needs all 4 shards"):
        shards.merge([("a.json", a)])
    with pytest.raises(shards.ShardError, match="give the shards' --json files"):
        shards.merge([])
