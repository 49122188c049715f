"""`torchref verify` and `python -m torchref`: exit status, table and JSON report."""

import json
import subprocess
import sys
from pathlib import Path

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
    assert f"--json {tmp_path}/no/dir.json: the folder {tmp_path}/no does not exist" in capsys.readouterr().err


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


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "models", interrupted)
    assert cli.main(["models"]) == 130
    assert capsys.readouterr().err == "torchref: interrupted\n"


def test_a_command_that_saved_a_partial_report_says_so_when_interrupted(monkeypatch, capsys):
    def interrupted(args):
        raise cli.Interrupted(note="3 of 9 files judged; partial report written to out.json")

    monkeypatch.setitem(cli.COMMANDS, "verify", interrupted)
    assert cli.main(["verify"]) == 130
    assert capsys.readouterr().err == "torchref: interrupted: 3 of 9 files judged; partial report written to out.json\n"


def _torchref(*argv, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "torchref", *argv], stderr=subprocess.PIPE, text=True, **kwargs)


def test_ctrl_c_in_a_real_run_is_one_line_without_a_traceback(tmp_path):
    """SIGINT once the command has torch loaded (inside main), in the middle of a long verify."""
    import signal
    import time

    proc = _torchref("verify", "--cases", "100000", stdout=subprocess.DEVNULL)
    maps, deadline = Path(f"/proc/{proc.pid}/maps"), time.monotonic() + 120
    while "libtorch" not in maps.read_text() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.startswith("torchref: interrupted") and err.count("\n") == 1, err  # the note if rows were finished


@pytest.mark.parametrize(
    "argv",
    [["models"], ["explain", "shallow"], ["verify", "--models", "logistic", "--cases", "1"]],
    ids=["models", "explain", "verify"],
)
def test_a_reader_gone_before_the_output_is_a_quiet_exit(argv):
    """`torchref models | head -1`, at its worst: nobody reads at all (the pipe's read end is closed)."""
    import os

    read, write = os.pipe()
    os.close(read)
    proc = _torchref(*argv, stdout=write)
    os.close(write)
    _, err = proc.communicate(timeout=120)
    assert err == "" and proc.returncode == 141


def test_head_dash_1_takes_one_line_quietly():
    proc = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m torchref models | head -1; echo \"status ${{PIPESTATUS[0]}}\""],
        capture_output=True,
        text=True,
        timeout=120,
    )
    first, status = proc.stdout.splitlines()
    assert first.startswith("mp_neuron") and status in ("status 0", "status 141") and proc.stderr == ""


def test_ctrl_c_in_verify_keeps_the_rows_finished(monkeypatch, tmp_path, capsys):
    def interrupted(samples):
        raise KeyboardInterrupt

    monkeypatch.setattr(REGISTRY["perceptron"], "parity_many", interrupted)
    path = tmp_path / "verify.json"
    assert cli.main(["verify", "--models", "mp_neuron,perceptron", "--cases", "1", "--json", str(path)]) == 130
    out, err = capsys.readouterr()
    report = json.loads(path.read_text())
    assert report["complete"] is False and report["passed"] is False
    assert {row["model"] for row in report["rows"]} == {"mp_neuron"} and len(report["rows"]) == 8
    assert "mp_neuron" in out and "verify: interrupted" in out
    assert err.count("\n") == 1 and err.startswith("torchref: interrupted: the 8 rows") and str(path) in err


def test_ctrl_c_in_compare_all_writes_the_report_of_the_runs_finished(monkeypatch, tmp_path, capsys):
    from torchref import compare

    real, calls = compare.side_by_side, []

    def second_one_interrupted(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(compare, "side_by_side", second_one_interrupted)
    assert cli.main(["compare", "--all", "--steps", "5", "--out", str(tmp_path), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err == f"torchref: interrupted: the report of the 1 of 19 runs finished is in {tmp_path / 'report.md'}\n"
    text = (tmp_path / "report.md").read_text()
    assert "| mp_neuron | and |" in text and "| mp_neuron | or |" not in text


def test_an_unknown_option_is_named_with_a_suggestion(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["check", "mine.py", "--modle", "shallow"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.splitlines()) == 1
    assert "unknown option --modle: did you mean --model?" in err


def test_every_command_names_an_unknown_option(capsys):
    commands = cli.parser()._subparsers._group_actions[0].choices
    for command in commands:
        with pytest.raises(SystemExit) as info:
            cli.main([command, "--zz-never"])
        err = capsys.readouterr().err
        assert info.value.code == 2 and "unknown option --zz-never" in err, command
        assert err.endswith(f"(see torchref {command} --help)\n"), err  # the command's own help
    with pytest.raises(SystemExit):
        cli.main(["--verison"])
    assert "unknown option --verison: did you mean --version?" in capsys.readouterr().err


def test_the_model_given_as_an_option_to_a_command_that_takes_it_first_is_told_the_command_it_means(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["explain", "--file", "my_shallow.py", "--model", "shallow"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err == (
        "torchref: error: unknown option --model: torchref explain takes the model first, without --model: "
        "torchref explain shallow --file my_shallow.py (see torchref explain --help)\n"
    )


@pytest.mark.parametrize("name", ["nope.py", "nope.ipynb"])
def test_a_missing_file_is_one_line(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", name, "--model", "shallow"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"torchref: error: FILE|DIR must be an existing file or folder, got {name}\n"


def test_the_command_ends_its_process_with_its_status_after_the_exit_handlers_and_the_output():
    """`main()` as the command (no arguments given) ends the process itself, skipping the interpreter's teardown:
    its output is all there, the exit handlers (kept sandboxes, temporary folders) ran, the status is kept."""
    program = (
        "import atexit, sys\n"
        "from torchref.cli import main\n"
        "atexit.register(lambda: print('exit handlers ran', flush=True))\n"
        "sys.argv = ['torchref', *sys.argv[1:]]\n"
        "main()\n"
        "print('main returned')\n"
    )
    done = subprocess.run([sys.executable, "-c", program, "models"], capture_output=True, text=True)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[-1] == "exit handlers ran" and "main returned" not in done.stdout
    assert [line.split()[0] for line in lines[:-1]] == list(REGISTRY)
    bad = subprocess.run([sys.executable, "-c", program, "verify", "--cases", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == "exit handlers ran\n" and "--cases" in bad.stderr
