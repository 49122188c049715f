"""A class judged in three shards and merged equals the class judged in one run with the same seed, output by output,
byte for byte once the documented volatile fields (each file's `seconds`, Gradescope's `execution_time`) are zeroed."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from classroom import SIGN, derivation, one_folder_per_student

from torchref import cli
from torchref.checker.cases import SEED_ENV

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
    assert json.loads((tmp_path / "s.json").read_text())["shard"]["seed"] == 5
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


EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


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
    manifest = (EXAMPLES / "shard-kubernetes.yaml").read_text()
    script = textwrap.dedent(manifest.split("# shard: begin\n", 1)[1].split("# shard: end", 1)[0])
    script = script.replace("/opt/torchref/venv/bin/torchref", "torchref")  # the image's venv: this one
    pods = tmp_path / "pods"
    for index in range(4):  # completions: 4, the pod of completion index I
        pod = {"JOB_COMPLETION_INDEX": str(index), "TORCHREF_SHARDS": str(pods)}
        done = subprocess.run(["sh", "-c", script], env={**env, **pod}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    for folder, count in ((slurm, 2), (pods, 4)):
        shards = sorted(str(p) for p in folder.glob("shard-*.json"))
        assert len(shards) == count
        assert cli.main(["merge", *shards, "--csv", str(folder / "grades.csv")]) == 1
        assert (folder / "grades.csv").read_bytes() == whole.read_bytes()
