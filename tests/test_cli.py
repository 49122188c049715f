"""`torchref verify` and `python -m torchref`: exit status, table and JSON report."""

import json
import subprocess
import sys

import pytest

from torchref import cli
from torchref.registry import REGISTRY


def test_verify_passes_with_a_table_and_json(tmp_path, capsys):
    path = tmp_path / "verify.json"
    status = cli.main(["verify", "--cases", "2", "--dtype", "float32", "--seed", "3", "--json", str(path)])
    out = capsys.readouterr().out
    assert status == 0
    assert "verdict" in out.splitlines()[0] and "FAIL" not in out
    report = json.loads(path.read_text())
    assert report["schema"] == "torchref.verify/1" and report["passed"] is True
    assert report["dtypes"] == ["float32"] and report["seed"] == 3
    assert {row["model"] for row in report["rows"]} == set(REGISTRY)
    row = next(r for r in report["rows"] if r["model"] == "shallow" and r["tensor"] == "dW1")
    assert row["cases"] == 2 and row["failed"] == 0 and row["rtol"] == 1.3e-6 and row["atol"] == 1e-5
    assert any(r["tensor"] == "train.W1" for r in report["rows"] if r["model"] == "shallow")


def test_verify_is_deterministic(tmp_path):
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    for path in paths:
        assert cli.main(["verify", "--models", "shallow", "--cases", "7", "--json", str(path)]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_verify_draws_long_runs_in_groups_of_one_random_shape():
    """Named shapes first; then at least CHUNK distinct random shapes, each for up to CHUNK cases in a row."""
    from torchref.sweep import CHUNK, cases_for, named_order

    pair = REGISTRY["shallow"]
    default = [s.shape for s in cases_for(pair, "float64", 20, 0)]
    assert default[: len(pair.shapes)] == named_order(pair) and len(set(default[len(pair.shapes) :])) == 20 - len(
        pair.shapes
    )
    long = list(cases_for(pair, "float32", len(pair.shapes) + 40 * CHUNK, 0))
    shapes = [s.shape for s in long[len(pair.shapes) :]]
    runs = [shapes[i : i + CHUNK] for i in range(0, len(shapes), CHUNK)]
    assert all(len(set(run)) == 1 for run in runs) and len(set(shapes)) == 40
    assert len({s.seed for s in long}) == len(long)  # every case its own data and parameters


def test_verify_models_subset(capsys):
    assert cli.main(["verify", "--models", "mp_neuron,perceptron", "--cases", "1", "--failures-only"]) == 0
    out = capsys.readouterr().out
    assert "shallow" not in out and "verify: " in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "--models", "nope"], "unknown model(s) ['nope']"),
        (["verify", "--cases", "0"], "expected a positive integer, got 0"),
        (["verify", "--cases", "many"], "expected a positive integer, got 'many'"),
        (["verify", "--dtype", "float16"], "invalid choice: 'float16'"),
        ([], "required: command"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_json_path_exits_2(tmp_path, capsys):
    status = cli.main(["verify", "--models", "mp_neuron", "--cases", "1", "--json", str(tmp_path / "no" / "dir.json")])
    assert status == 2
    assert "cannot write --json" in capsys.readouterr().err


def test_models_lists_the_registry_on_one_thread_of_torch_and_of_blas(capsys, blas_threads):
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(2)
    threadpool_limits(limits=2, user_api="blas")
    assert blas_threads() == {2}
    try:
        assert cli.main(["models"]) == 0
        assert torch.get_num_threads() == 1 and blas_threads() == {1}
    finally:
        torch.set_num_threads(1)  # as conftest left them
        threadpool_limits(limits=1, user_api="blas")
    out = capsys.readouterr().out
    assert all(name in out for name in REGISTRY)


def test_python_dash_m_runs_the_same_command():
    proc = subprocess.run(
        [sys.executable, "-m", "torchref", "verify", "--models", "logistic", "--cases", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "logistic" in proc.stdout and "rows passed, 0 rows failed" in proc.stdout
