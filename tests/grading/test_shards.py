"""The split of a class over machines (which shard judges whom), the merge's refusals as pure functions, and a
class judged in shards and merged against one run with the same seed: byte for byte, output by output, once the
documented volatile fields (each file's `seconds`, Gradescope's `execution_time`) are zeroed; the Slurm and
Kubernetes examples run as their schedulers run them."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from classroom import SIGN, derivation, one_folder_per_student

from torchref import cli
from torchref.checker.cases import SEED_ENV
from torchref.checker.report import SCHEMA, FileReport, TensorVerdict
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
    """A shard's --json document as `torchref check --shard` writes it."""
    found = [Submission(tmp_path / f"s{i}.py", f"s{i}") for i in range(entries or len(positions))]
    shard = shards.describe(found, tmp_path, positions, k, n, 7, "shallow", {"cases": 3})
    shard["sources"] = [{"name": "x.py", "text": "x = 1\n", "labels": [], "prefix": ""} for _ in positions]
    shard.update(changes)
    return {"schema": SCHEMA, "model": "shallow", "files": files, "shard": shard}


def _report(tmp_path, i):
    tensors = [
        TensorVerdict("dW1", "wrong", cases=3, failed=1, small_case={"X": [[1.0]]}),
        TensorVerdict("db2", "wrong", cases=3, failed=3, max_abs=math.inf, max_rel=math.inf),  # a shape that differs
    ]
    return FileReport(str(tmp_path / f"s{i}.py"), "shallow", "wrong", student=f"s{i}", tensors=tensors).to_json()


def test_merge_orders_the_shards_reports_as_the_folder_lists_them(tmp_path):
    one = _shard(tmp_path, 1, 2, [_report(tmp_path, 0), _report(tmp_path, 2)], [0, 2], entries=3)
    two = _shard(tmp_path, 2, 2, [_report(tmp_path, 1)], [1], entries=3)
    merged = shards.merge([("b.json", two), ("a.json", one)])
    assert [Path(r.file).name for r in merged.reports] == ["s0.py", "s1.py", "s2.py"]
    assert merged.reports[1].tensors[0].small_case == {"X": [[1.0]]}
    assert merged.reports[0].to_json() == _report(tmp_path, 0)  # to_json, back and forth: the same report
    assert merged.reports[0].tensors[1].max_abs == math.inf  # JSON's null read back as "no element-wise number"
    assert "inf" in merged.reports[0].table() and "inf" in merged.reports[0]._repr_html_()
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


OPTIONS = ["--model", "shallow", "--recursive", "--cases", "3", "-j", "1", "--quiet"]
VOLATILE = ("seconds", "execution_time")  # the time a file took: the only difference two runs may show


def outputs(base: Path) -> list[str]:
    """Every output a class run writes, under `base`."""
    return [
        "--json", str(base / "class.json"), "--csv", str(base / "grades.csv"), "--html", str(base / "report"),
        "--gradescope", f"{base}/gradescope/", "--prairielearn", f"{base}/prairielearn/",
        "--coursera", f"{base}/coursera/", "--coderunner", f"{base}/coderunner/",
    ]  # fmt: skip


def zeroed(value):
    if isinstance(value, dict):
        return {k: (0 if k in VOLATILE else zeroed(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [zeroed(v) for v in value]
    return value


def contents(base: Path) -> dict[str, bytes]:
    """{path under base: bytes}, JSON files with the volatile fields zeroed (and written back as the tool writes)."""
    out = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".json":
            data = (json.dumps(zeroed(json.loads(data)), indent=2, ensure_ascii=False) + "\n").encode()
        out[str(path.relative_to(base))] = data
    return out


@pytest.fixture(scope="module")
def a_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded") / "class"
    root.mkdir()
    one_folder_per_student(root)  # a right file, wrong ones, a crash, a notebook and a .txt, an empty folder
    for name in ("gus", "hana", "ivan", "jo"):
        (root / name).mkdir()
        (root / name / "hw3.py").write_text(derivation(SIGN) if name in ("gus", "jo") else derivation())
    (root / "stray.py").write_text("print('a file at the top of the class folder')\n")
    return root


def test_three_shards_merged_equal_one_run_with_the_same_seed(a_class, tmp_path, capsys):
    whole, merged = tmp_path / "whole", tmp_path / "merged"
    whole.mkdir(), merged.mkdir()
    status = cli.main(["check", str(a_class), *OPTIONS, "--seed", "11", *outputs(whole)])
    lines = capsys.readouterr().out
    assert status == 2 and lines.count("\n") == 13  # 12 entries (stray.py could not be judged), the count
    sizes = []
    for k in (1, 2, 3):
        shard = tmp_path / f"shard-{k}.json"
        assert (
            cli.main(["check", str(a_class), *OPTIONS, "--seed", "11", "--shard", f"{k}/3", "--json", str(shard)]) == 0
        )
        sizes.append(len(json.loads(shard.read_text())["files"]))
    capsys.readouterr()
    assert sum(sizes) == 12 and all(sizes), sizes  # every entry judged once; each shard had students
    shards = [str(tmp_path / f"shard-{k}.json") for k in (3, 1, 2)]  # any order
    away = a_class.with_name("elsewhere")
    a_class.rename(away)  # the merge needs the shards only, not the class (a machine that does not have it)
    try:
        assert cli.main(["merge", *shards, *outputs(merged)]) == status
    finally:
        away.rename(a_class)
    assert capsys.readouterr().out == lines
    want, got = contents(whole), contents(merged)
    assert sorted(got) == sorted(want) and len(want) > 40  # every output, a page and a document per student
    for name in want:
        assert got[name] == want[name], name


def test_shards_need_one_seed_and_write_only_their_json(a_class, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(SEED_ENV, raising=False)
    shard = ["check", str(a_class), *OPTIONS, "--shard", "1/2"]
    assert cli.main([*shard, "--json", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err == (
        f"torchref: error: --shard needs one seed for every shard: give --seed N or set {SEED_ENV}\n"
    )
    assert cli.main([*shard, "--seed", "1", "--csv", str(tmp_path / "g.csv"), "--json", str(tmp_path / "s.json")]) == 2
    assert "--shard K/N writes the shard's --json FILE only (not --csv)" in capsys.readouterr().err
    monkeypatch.setenv(SEED_ENV, "5")
    assert cli.main([*shard, "--json", str(tmp_path / "s.json")]) == 0
    document = json.loads((tmp_path / "s.json").read_text())
    # a secret seed is recorded by a fingerprint, not itself (`cases.recorded_seed`), in the shard and its options
    assert re.fullmatch(r"secret [0-9a-f]{16}", document["shard"]["seed"])
    assert document["shard"]["options"]["seed"] == document["shard"]["seed"]
    judged = [f for f in document["files"] if f["verdict"] != "skipped"]
    assert judged and all(f["seed"] is None and f["seed_secret"] for f in judged)
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "schemas" / "check.schema.json").read_text())
    jsonschema.validate(document, schema)  # the shard object as the documentation describes it
    assert not os.path.exists(tmp_path / "g.csv")


def test_merge_refuses_in_one_line(a_class, tmp_path, capsys):
    one = tmp_path / "one.json"
    assert cli.main(["check", str(a_class), *OPTIONS, "--seed", "2", "--shard", "1/2", "--json", str(one)]) == 0
    (tmp_path / "not.json").write_text("{")
    for argv, says in (
        ([str(one)], "shard 2/2 missing: the merge needs all 2 shards"),
        ([str(one), str(tmp_path / "not.json")], f"SHARD.json {tmp_path}/not.json is not JSON"),
        ([str(tmp_path / "none.json")], f"cannot read SHARD.json {tmp_path}/none.json"),
        ([str(one), "--csv", str(tmp_path / "no" / "g.csv")], "--csv"),
    ):
        capsys.readouterr()
        assert cli.main(["merge", *argv]) == 2
        err = capsys.readouterr().err
        assert says in err and len(err.splitlines()) == 1, err


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_the_slurm_and_kubernetes_examples_shard_a_class_that_merges_to_one_run(tmp_path, capsys):
    """docs/examples run as their schedulers would run them: each array task, each indexed pod, then the merge."""
    root = tmp_path / "class"
    for name, text in (("amy", derivation()), ("ben", derivation(SIGN)), ("cy", derivation())):
        (root / name).mkdir(parents=True)
        (root / name / "hw3.py").write_text(text)
    whole = tmp_path / "whole.csv"
    assert (
        cli.main(
            ["check", str(root), "--model", "shallow", "--recursive", "--quiet", "--seed", "11", "--csv", str(whole)]
        )
        == 1
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # the torchref command
        "TORCHREF_SEED": "11",
        "TORCHREF_CLASS": str(root),
    }
    slurm = tmp_path / "slurm"
    for k in (1, 2):  # sbatch --array=1-2: SLURM_ARRAY_TASK_ID of each task
        task = {"SLURM_ARRAY_TASK_ID": str(k), "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_CPUS_PER_TASK": "1"}
        done = subprocess.run(
            ["bash", str(EXAMPLES / "shard-slurm.sh")], env={**env, **task, "TORCHREF_SHARDS": str(slurm)},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    job = yaml.safe_load((EXAMPLES / "shard-kubernetes.yaml").read_text())
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    completions = job["spec"]["completions"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    command = [*container["command"], *container["args"]]
    command[-1] = command[-1].replace("/opt/torchref/venv/bin/torchref", "torchref")  # the image's venv: this one
    assert f'--shard "$k/{completions}"' in command[-1]  # as many shards as the Job has completions
    pods = tmp_path / "pods"
    for index in range(completions):  # the pod of completion index I
        pod = {"JOB_COMPLETION_INDEX": str(index), "TORCHREF_SHARDS": str(pods)}
        done = subprocess.run(command, env={**env, **pod}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    for folder, count in ((slurm, 2), (pods, completions)):
        shards = sorted(str(p) for p in folder.glob("shard-*.json"))
        assert len(shards) == count
        assert cli.main(["merge", *shards, "--csv", str(folder / "grades.csv")]) == 1
        assert (folder / "grades.csv").read_bytes() == whole.read_bytes()
