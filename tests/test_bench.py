"""`torchref bench` measures and reports; its numbers are not asserted (machines are noisy)."""

import dataclasses
import json
import os

import pytest

from torchref import bench, cli


def test_bench_measures_both_sides_side_by_side(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(bench, "SIZES", [((32, 2, 3), 0.5), ((64, 3, 4), 0.5)])
    monkeypatch.setattr(bench, "MATMUL_SIZE", 256)  # the roofline's rate, measured smaller and shorter:
    monkeypatch.setattr(bench, "MATMUL_SECONDS", 0.02)  # this test checks the report, not the machine
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(bench, "CLASS_FILES", 6)  # the checker's throughput, on a class of six
    monkeypatch.setattr(bench, "CLASS_LARGE", 4)  # and the "large" class (--large-class) of four
    monkeypatch.setattr(bench, "SHELL_RUNS", 1)  # one timed `torchref check` from the shell (after a warm one)
    measure = bench.parity_rate
    monkeypatch.setattr(
        bench, "parity_rate", lambda seconds, draw=None, per_shape=1: measure(draw=draw, per_shape=per_shape, cases=32)
    )
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "--quick", "--large-class", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == bench.HEAD and "parity cases per second" in out
    # every number is printed with the machine it ran on and the load average it met
    assert out.startswith("machine: ") and f"{os.cpu_count()} cores" in out.splitlines()[0]
    assert (
        "one check's parts (wall / CPU s; load average" in out and "from the shell (fastest of 1; load average" in out
    )
    result = json.loads(path.read_text())
    assert result["schema"] == "torchref.bench/1" and result["quick"] is True
    assert result["machine"]["cores"] == os.cpu_count() and result["machine"]["load_average"] >= 0
    assert [(r["m"], r["dtype"]) for r in result["rows"]] == [
        (32, "float32"),
        (64, "float32"),
        (32, "float64"),
        (64, "float64"),
    ]
    for row in result["rows"]:
        assert row["handmade_ms"] > 0 and row["fast_ms"] > 0 and row["torch_ms"] > 0
        assert abs(row["ratio"] - row["fast_ms"] / row["torch_ms"]) < 1e-9
        assert abs(row["plain_ratio"] - row["handmade_ms"] / row["torch_ms"]) < 1e-9
        assert 0 < row["fast_roofline"] < 1 and row["matmul_gflops"] > 1
        assert row["fast_peak_mib"] >= 0 and row["torch_peak_mib"] >= 0 and row["fast_workers"] == 1
    assert result["parity_cases_per_shape"] == 16
    assert result["class_files"] == 6 and result["class_right_verdicts"] == 6 and result["class_files_per_minute"] > 0
    assert result["class_sandbox"] in ("bwrap", "basic") and "files per minute" in out
    # the class checked three ways in the same run: a fresh sandbox per file, one shared per job, a new one per file
    row, large = result["classes"]
    assert (row["files"], large["files"], large["fresh"]["right_verdicts"]) == (6, 4, 4) and not row["repair"]
    assert [row[k]["right_verdicts"] for k in ("fresh", "shared", "cold")] == [6, 6, 6]
    assert row["ratio_to_shared"] == row["fresh"]["files_per_minute"] / row["shared"]["files_per_minute"]
    assert row["cold"]["isolation"] == "a new sandbox per file" and "x" in out and "load average" in out
    assert list(result["check_parts"]) == [
        "cases and reference",
        "sandbox start",
        "learner's process",
        "exchange",
        "comparison and verdict",
        "wrong file: comparison",
        "wrong file: diagnosis",
    ]
    assert all(part["wall"] >= 0 and part["cpu"] >= 0 for part in result["check_parts"].values())
    assert all(result["check_parts"][name]["wall"] > 0 for name in ("cases and reference", "wrong file: comparison"))
    assert all(
        row[way]["judge_cpu_ms_per_file"] > 0 for row in result["classes"] for way in ("fresh", "shared", "cold")
    )
    # the whole machine's CPU covers the judge's and the sandboxes': never less than the judge's alone
    assert all(
        row[way]["machine_cpu_ms_per_file"] >= row[way]["judge_cpu_ms_per_file"] * 0.8
        and 0 < row[way]["cores_busy"] <= (os.cpu_count() or 1) * 1.5  # (the kernel counts in ticks)
        for row in result["classes"]
        for way in ("fresh", "shared", "cold")
    )
    assert "cores busy" in out and "5,000 a minute needs" in out
    assert result["shell_check"]["wall"] > 0 and result["shell_import_torch"]["wall"] > 0 and "beyond" in out
    # timed inside the check's own process (not the difference of two): less than the whole command
    assert (
        result["shell_beyond_torch_inside"] and 0 < result["shell_beyond_torch"]["wall"] < result["shell_check"]["wall"]
    )
    # a notebook's second check starts no sandbox: the first one's is kept
    assert (result["notebook_first_check"]["servers_started"], result["notebook_second_check"]["servers_started"]) == (
        1,
        0,
    )
    # the mistake no catalogue entry names is stated as a formula, not given up on
    assert (
        result["wrong_check_seconds"] > 0 and "you computed dZ1 = dA1 ⊙ tanh′(A1) ⊙ A1" in result["wrong_check_cause"]
    )
    assert all(
        result[f"parity_cases_per_second{kind}"] > 1 for kind in ("", "_small", "_new_shapes", "_small_new_shapes")
    )


def test_step_flops_counts_the_gemms():
    assert bench.step_flops(10, 2, 4) == 4 * 10 * 2 * 4 + 6 * 10 * 4


def test_unwritable_json_path_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    ran = []
    monkeypatch.setattr(bench, "main", lambda quick, large: ran.append(1) or {"schema": "torchref.bench/1"})
    assert cli.main(["bench", "--quick", "--json", str(tmp_path / "no" / "bench.json")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("torchref: error: --json ") and "does not exist" in line
    assert not ran  # refused before anything is measured


def test_parity_rate_runs_on_one_thread_and_fails_loudly(monkeypatch, blas_threads):
    import torch
    from threadpoolctl import threadpool_limits

    from torchref.registry import REGISTRY

    threads, seen, kinds = torch.get_num_threads(), [], []
    real = REGISTRY["shallow"].parity_many

    def noting_threads(samples):
        seen.append((torch.get_num_threads(), frozenset(blas_threads())))
        kinds.append(len({(s.shape, s.dtype) for s in samples}))
        return real(samples)

    monkeypatch.setattr(REGISTRY["shallow"], "parity_many", noting_threads)
    torch.set_num_threads(2)
    try:
        with threadpool_limits(limits=2, user_api="blas"):
            # counts fixed in advance: what runs does not depend on how fast this machine is
            assert bench.parity_rate(draw=bench.small_shape, cases=48) > 0 and set(seen) == {(1, frozenset({1}))}
            assert kinds == [16, 16, 16]  # a new shape and the other dtype for every case
            kinds.clear()
            assert bench.parity_rate(draw=bench.small_shape, per_shape=16, cases=48) > 0 and kinds == [1, 1, 1]
            assert torch.get_num_threads() == 2 and blas_threads() == {2}  # the caller's settings, given back
    finally:
        torch.set_num_threads(threads)

    def planted(samples):
        return [[dataclasses.replace(r, ok=False, message="planted") for r in results] for results in real(samples)]

    monkeypatch.setattr(REGISTRY["shallow"], "parity_many", planted)
    with pytest.raises(AssertionError, match="parity failed at m.*seed0: planted"):
        bench.parity_rate(cases=16)


def test_a_failing_memory_child_is_named_with_its_error(monkeypatch):
    real = bench._child_peak
    monkeypatch.setattr(bench, "_child_peak", lambda side, jobs: real(side, [(0, 2, 3, "float32")]))  # m = 0
    with pytest.raises(RuntimeError, match=r"(?s)the fast side's memory process failed: .*Error"):
        bench.peak_memory([(8, 2, 3, "float32")], sides=("fast",))


def test_the_class_of_the_bench_mixes_right_and_wrong_files():
    """Every mistake of the class is caught, every right file passes: the throughput counts real verdicts."""
    from pathlib import Path

    from torchref.checker import check_many

    submissions = bench.a_class(2 * len(bench.CLASS_MISTAKES))
    assert [want for _, _, want in submissions].count("wrong") == len(bench.CLASS_MISTAKES)
    reports = check_many([(Path(n), src) for n, src, _ in submissions], "shallow", cases=4)
    assert [r.verdict for r in reports] == [want for _, _, want in submissions]


def test_the_sharded_class_counts_every_file_once_and_merges_to_the_same_gradebook():
    result = bench.sharded_rate(files=4, shards=2)
    assert result["sharded_files"] == sum(result["sharded_shard_files"]) == 4  # every file in one shard
    assert len(result["shard_seconds"]) == result["sharded_shards"] == 2
    assert result["shards_sum_seconds"] == sum(result["shard_seconds"])
    assert result["largest_shard_seconds"] == max(result["shard_seconds"])
    assert result["merged_same_gradebook"] is True
    assert len(result["sharded_load_average"]) == 2  # the load the figures were measured under, before and after
