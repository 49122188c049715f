"""Errors and guarantees: a catalogue of bad inputs across the public API, fuzzing with
arbitrary arrays, checkpoints that survive interruption, and determinism.

Every bad input must raise the documented error type with a message that names the
argument; nothing else may escape (no IndexError, no RuntimeWarning, no silent NaN).
"""

import contextlib
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchref
from torchref import cli, models
from torchref.checkpoint import load_state_dict, save_state_dict
from torchref.compare import side_by_side
from torchref.convert import load_params, read_params
from torchref.verify import verify
from torchref_handmade import checkpoint, deep, logistic, losses, mp_neuron, perceptron, shallow
from torchref_handmade.normalise import MinMax
from torchref_handmade.train import gradient_descent

BAD_INPUTS = [
    ("X-1d", lambda p: shallow.forward(np.zeros(3), p), ValueError, r"X must be a 2-D array"),
    ("X-wrong-n", lambda p: shallow.forward(np.zeros((3, 5)), p), ValueError, r"X must have 2 columns"),
    ("X-empty", lambda p: shallow.forward(np.zeros((0, 2)), p), ValueError, r"X must have at least one row"),
    ("X-nan", lambda p: shallow.forward(np.array([[np.nan, 0.0]]), p), ValueError, r"X must be finite"),
    ("X-strings", lambda p: shallow.forward(np.array([["a", "b"]]), p), TypeError, r"X must hold numbers"),
    (
        "X-float32-params-float64",
        lambda p: shallow.forward(np.zeros((3, 2), np.float32), p),
        TypeError,
        r"X must have dtype float64 like the parameters, got float32",
    ),
    (
        "X-float16",
        lambda p: shallow.forward(np.zeros((3, 2), np.float16), p),
        TypeError,
        r"X.dtype must be float32 or float64",
    ),
    ("params-not-dict", lambda p: shallow.forward(np.zeros((3, 2)), [1]), TypeError, r"params must be a dict"),
    (
        "params-missing",
        lambda p: shallow.forward(np.zeros((3, 2)), {"W1": p["W1"]}),
        ValueError,
        r"params is missing \['b1', 'W2', 'b2'\]",
    ),
    (
        "params-W2-shape",
        lambda p: shallow.forward(np.zeros((3, 2)), {**p, "W2": np.zeros((4, 2))}),
        ValueError,
        r"params\['W2'\] must have shape \(4, 1\), got \(4, 2\)",
    ),
    (
        "params-mixed-dtype",
        lambda p: shallow.forward(np.zeros((3, 2)), {**p, "b2": np.zeros((1, 1), np.float32)}),
        TypeError,
        r"params must share one dtype",
    ),
    (
        "Y-wrong-m",
        lambda p: shallow.backward(np.zeros((3, 2)), np.zeros((4, 1)), p, shallow.forward(np.zeros((3, 2)), p)[1]),
        ValueError,
        r"Y must have shape \(3, 1\) or \(3,\), got",
    ),
    (
        "Y-out-of-range",
        lambda p: shallow.loss(np.full((3, 1), 0.5), np.array([0, 1, 2])),
        ValueError,
        r"Y must lie in \[0, 1\]",
    ),
    (
        "Y-not-one-hot",
        lambda p: deep.loss(np.full((2, 3), 1 / 3), np.array([[1, 1, 0], [0, 0, 1]]), output="softmax"),
        ValueError,
        r"Y must be one-hot",
    ),
    (
        "lr-zero",
        lambda p: gradient_descent(shallow, np.zeros((3, 2)), np.zeros((3, 1)), p, lr=0, steps=1),
        ValueError,
        r"lr must be finite and > 0, got 0",
    ),
    (
        "lr-nan",
        lambda p: gradient_descent(shallow, np.zeros((3, 2)), np.zeros((3, 1)), p, lr=float("nan"), steps=1),
        ValueError,
        r"lr must be finite and > 0",
    ),
    (
        "steps-zero",
        lambda p: gradient_descent(shallow, np.zeros((3, 2)), np.zeros((3, 1)), p, lr=0.1, steps=0),
        ValueError,
        r"steps must be a positive integer",
    ),
    ("hidden-zero", lambda p: shallow.init_params(2, 0), ValueError, r"h must be a positive integer, got 0"),
    (
        "deep-hidden-float",
        lambda p: deep.init_params(2, [3, 2.5]),
        ValueError,
        r"hidden\[1\] must be a positive integer",
    ),
    (
        "deep-activation",
        lambda p: deep.model("gelu"),
        ValueError,
        r"activation must be one of \['relu', 'sigmoid', 'tanh'\]",
    ),
    ("deep-output", lambda p: deep.model("tanh", "linear"), ValueError, r"output must be one of"),
    (
        "deep-no-layers",
        lambda p: deep.forward(np.zeros((3, 2)), {"b1": p["b1"]}),
        ValueError,
        r"params must hold W1, b1",
    ),
    (
        "deep-chain-broken",
        lambda p: deep.forward(np.zeros((3, 2)), {**p, "W2": np.zeros((3, 1))}),
        ValueError,
        r"params\['W2'\] must have shape \(4, 1\), got \(3, 1\)",
    ),
    (
        "dtype-int",
        lambda p: logistic.init_params(2, dtype=np.int64),
        TypeError,
        r"dtype must be float32 or float64, got int64",
    ),
    # losses
    (
        "bce-A-out-of-range",
        lambda p: losses.bce(np.array([[1.5]]), np.array([[1.0]])),
        ValueError,
        r"A must lie in \[0, 1\]",
    ),
    ("bce-A-nan", lambda p: losses.bce(np.array([[np.nan]]), np.array([[1.0]])), ValueError, r"A must be finite"),
    (
        "bce-Y-shape",
        lambda p: losses.bce(np.full((3, 1), 0.5), np.ones((2, 1))),
        ValueError,
        r"Y must have the shape of the prediction",
    ),
    (
        "bce-no-columns",
        lambda p: losses.bce(np.zeros((1, 0)), np.zeros((1, 0))),
        ValueError,
        r"A must have at least one column",
    ),
    (
        "bce-empty",
        lambda p: losses.bce(np.zeros((0, 1)), np.zeros((0, 1))),
        ValueError,
        r"A must have at least one row",
    ),
    (
        "bce-logits-inf",
        lambda p: losses.bce_with_logits(np.array([[np.inf]]), np.array([[1.0]])),
        ValueError,
        r"Z must be finite",
    ),
    (
        "ce-Y-out-of-range",
        lambda p: losses.cross_entropy_with_logits(np.zeros((1, 3)), np.array([[2.0, 0, 0]])),
        ValueError,
        r"Y must lie in \[0, 1\]",
    ),
    # other models
    (
        "logistic-W-shape",
        lambda p: logistic.forward(np.zeros((3, 2)), {"W": np.zeros((2, 2)), "b": np.zeros((1, 1))}),
        ValueError,
        r"params\['W'\] must have shape \(2, 1\), got \(2, 2\)",
    ),
    (
        "logistic-b-list",
        lambda p: logistic.forward(np.zeros((3, 2)), {"W": np.zeros((2, 1)), "b": [[0.0]]}),
        TypeError,
        r"params\['b'\] must be a NumPy array, got list",
    ),
    (
        "perceptron-Y-range",
        lambda p: perceptron.loss(np.zeros((2, 1)), np.array([[0], [3]])),
        ValueError,
        r"Y must lie in \[0, 1\]",
    ),
    ("perceptron-n-zero", lambda p: perceptron.init_params(0), ValueError, r"n must be a positive integer, got 0"),
    (
        "deep-Y-wrong-k",
        lambda p: deep.backward(
            np.zeros((2, 2)),
            np.zeros((2, 1)),
            deep.init_params(2, [3], k=3),
            deep.forward(np.zeros((2, 2)), deep.init_params(2, [3], k=3), output="softmax")[1],
            output="softmax",
        ),
        ValueError,
        r"Y must have shape \(2, 3\)",
    ),
    ("deep-k-zero", lambda p: deep.init_params(2, [3], k=0), ValueError, r"k must be a positive integer, got 0"),
    ("mp-Y-not-binary", lambda p: mp_neuron.search([[0, 1], [1, 1]], [0.5, 1]), ValueError, r"Y must be 0/1"),
    (
        "mp-too-many-inputs",
        lambda p: mp_neuron.search(np.zeros((1, 13)), [0]),
        ValueError,
        r"X has 13 inputs; the mask search handles at most 12",
    ),
    ("minmax-X-1d", lambda p: MinMax.fit(np.arange(3.0)), ValueError, r"X must be a 2-D array"),
    (
        "minmax-dtype",
        lambda p: MinMax.fit(np.array([[0.0], [1.0]])).transform(np.array([[0.5]], np.float32)),
        TypeError,
        r"X must have dtype float64",
    ),
    # checkpoints
    (
        "checkpoint-missing",
        lambda p: checkpoint.load("/nonexistent/ckpt.npz"),
        checkpoint.CheckpointError,
        r"does not exist",
    ),
    (
        "checkpoint-model-name",
        lambda p: checkpoint.save("x.npz", p, model=""),
        ValueError,
        r"model must be a non-empty name",
    ),
    (
        "checkpoint-params-int",
        lambda p: checkpoint.save("x.npz", {"W1": np.zeros(2, int)}, model="shallow"),
        TypeError,
        r"params\['W1'\].dtype must be float32 or float64",
    ),
    # the Python API of the sweeps: no vacuous pass, no silent default
    ("verify-zero-cases", lambda p: verify(cases=0), ValueError, r"cases must be a positive integer, got 0"),
    ("verify-unknown-model", lambda p: verify(["nope"]), ValueError, r"models must be registry names"),
    ("verify-float16", lambda p: verify(dtypes=("float16",)), ValueError, r"dtypes must be a non-empty selection"),
    (
        "check-zero-cases",
        lambda p: torchref.check("f.py", "shallow", cases=0),
        ValueError,
        r"cases must be a positive integer, got 0",
    ),
    ("check-timeout", lambda p: torchref.check("f.py", "shallow", timeout=0), ValueError, r"timeout must be a finite"),
    (
        "check-unknown-model",
        lambda p: torchref.check("f.py", "nope"),
        ValueError,
        r"model must be one of logistic, shallow, .*got 'nope'",
    ),
    (
        "check-option-typo",
        lambda p: torchref.check("f.py", "shallow", case=2),
        TypeError,
        r"unknown option case=2 \(did you mean cases\?\); the options: cases, seed, ",
    ),
    (
        "check-import-timeout-nan",
        lambda p: torchref.check("f.py", "shallow", import_timeout=float("nan")),
        ValueError,
        r"import_timeout must be a finite number of seconds > 0, got nan",
    ),
    (
        "check-timeout-bool",
        lambda p: torchref.check("f.py", "shallow", timeout=True),
        ValueError,
        r"timeout must be a finite number of seconds > 0, got True",
    ),
    (
        "compare-steps-zero",
        lambda p: side_by_side("shallow", "xor", steps=0),
        ValueError,
        r"steps must be a positive integer",
    ),
    (
        "compare-lr-negative",
        lambda p: side_by_side("shallow", "xor", lr=-1.0),
        ValueError,
        r"lr must be finite and > 0",
    ),
    ("compare-hidden-zero", lambda p: side_by_side("shallow", "xor", hidden=[0]), ValueError, r"hidden\[0\] must be"),
    ("compare-unknown-data", lambda p: side_by_side("shallow", "mnist"), ValueError, r"data must be one of"),
    ("check-path-int", lambda p: torchref.check(123, model="shallow"), TypeError, r"path must be .* got int"),
    (
        "checkpoint-params-key",
        lambda p: checkpoint.save("x.npz", {"__model__": p["W1"]}, model="shallow"),
        ValueError,
        r"params keys must be names",
    ),
]


@pytest.mark.parametrize("call, error, message", [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS])
def test_bad_input_is_refused_with_a_named_argument(call, error, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = shallow.init_params(2, 4, rng=0)
    with pytest.raises(error, match=message):
        call(params)


def test_the_catalogue_is_large_enough():
    assert len(BAD_INPUTS) + len(CLI_BAD) >= 40


CLI_BAD = [
    (["verify", "--models", "nope"], "unknown model(s) ['nope']"),
    (["verify", "--cases", "-3"], "expected a positive integer, got -3"),
    (["verify", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["check", "f.py"], "the following arguments are required: --model"),
    (["check", "f.py", "--model", "nope"], "unknown model 'nope'"),
    (["check", "f.py", "--model", "shallow", "--memory-mb", "0"], "expected a positive integer, got 0"),
    (["explain", "shallow", "--m", "0"], "expected a positive integer, got 0"),
    (["explain", "perceptron", "--m", "3"], "perceptron samples need m a power of two"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    # an output that cannot be written is refused before the work (minutes of bench or verify), not after it
    (["bench", "--json", "/nonexistent/b.json"], "--json /nonexistent/b.json: the folder /nonexistent does not exist"),
    (["verify", "--json", "/nonexistent/v.json"], "--json /nonexistent/v.json: the folder /nonexistent does not exist"),
    (["verify", "--json", "/"], "--json /: it is a folder, not a file"),
]


@pytest.mark.parametrize("argv, message", CLI_BAD, ids=[" ".join(a) for a, _ in CLI_BAD])
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    try:
        status = cli.main(argv)
    except SystemExit as exc:
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# ---------------------------------------------------------------- fuzzing

ANY_ARRAY = hnp.arrays(
    dtype=st.one_of(
        hnp.floating_dtypes(),
        hnp.integer_dtypes(),
        hnp.boolean_dtypes(),
        hnp.complex_number_dtypes(),
        st.just(np.dtype("U3")),
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
DOCUMENTED = (ValueError, TypeError)


def _only_documented_errors(call, *args):
    with contextlib.suppress(DOCUMENTED):
        call(*args)


@given(X=ANY_ARRAY, Y=ANY_ARRAY)
def test_fuzz_models_raise_only_documented_errors(X, Y):
    params = shallow.init_params(2, 3, rng=0)
    _only_documented_errors(lambda: shallow.backward(X, Y, params, shallow.forward(X, params)[1]))
    lp = logistic.init_params(2, rng=0)
    _only_documented_errors(lambda: logistic.loss(logistic.forward(X, lp)[0], Y))
    _only_documented_errors(lambda: perceptron.forward(X, perceptron.init_params(2)))
    _only_documented_errors(lambda: deep.forward(X, deep.init_params(2, [2], k=2), "relu", "softmax"))


@given(A=ANY_ARRAY, Y=ANY_ARRAY)
def test_fuzz_losses_raise_only_documented_errors_and_never_return_nan(A, Y):
    for loss in (losses.bce, losses.bce_with_logits, losses.cross_entropy_with_logits):
        try:
            J = loss(A, Y)
        except DOCUMENTED:
            continue
        assert np.isfinite(J), f"{loss.__name__} returned {J}"


@given(X=ANY_ARRAY)
def test_fuzz_minmax_and_mp_neuron(X):
    _only_documented_errors(lambda: MinMax.fit(X).transform(X))
    _only_documented_errors(lambda: mp_neuron.forward(X, 1))


# ---------------------------------------------------------------- checkpoints


def _params(dtype="float64"):
    return shallow.init_params(3, 4, rng=7, dtype=dtype, scale=1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_handmade_torch_handmade_is_bit_exact(tmp_path, dtype):
    params = _params(dtype)
    checkpoint.save(tmp_path / "a.npz", params, model="shallow")
    loaded = checkpoint.load(tmp_path / "a.npz", model="shallow", shapes=shallow.param_shapes(3, 4))
    twin = models.ShallowNet(3, 4, getattr(torch, dtype))
    load_params(twin.layers, loaded)
    save_state_dict(tmp_path / "a.pt", twin, model="shallow")
    other = models.ShallowNet(3, 4, getattr(torch, dtype))
    load_state_dict(tmp_path / "a.pt", other, model="shallow")
    back = read_params(other.layers)
    assert back.keys() == params.keys()
    assert all(back[k].dtype == params[k].dtype and back[k].tobytes() == params[k].tobytes() for k in params)


def test_an_interrupted_save_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    old = _params()
    checkpoint.save(path, old, model="shallow")
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed between write and rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, {k: v + 1 for k, v in old.items()}, model="shallow")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"], "the temporary file was removed"


def test_a_killed_writer_leaves_the_previous_checkpoint_whole(tmp_path):
    """A real process killed in the middle of save(): the old file survives, bit for bit."""
    path = tmp_path / "ckpt.npz"
    checkpoint.save(path, _params(), model="shallow")
    before = path.read_bytes()
    code = (
        "import os, numpy as np\n"
        "from torchref_handmade import checkpoint\n"
        "real = np.savez\n"
        "def dying(fh, **arrays):\n"
        "    real(fh, **arrays); fh.flush(); os._exit(9)\n"  # killed after writing, before the rename
        "np.savez = dying\n"
        f"checkpoint.save({str(path)!r}, {{'W1': np.ones((3, 4))}}, model='shallow')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 9
    assert path.read_bytes() == before
    assert checkpoint.load(path, model="shallow")["W1"].shape == (3, 4)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b[: len(b) // 2], "truncated or corrupted"),
        (lambda b: b"not a zip file at all", "truncated or corrupted"),
        (lambda b: b[:40] + bytes(100) + b[140:], "truncated or corrupted"),
    ],
)
def test_damaged_npz_is_refused(tmp_path, damage, message):
    path = tmp_path / "ckpt.npz"
    checkpoint.save(path, _params(), model="shallow")
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(checkpoint.CheckpointError, match=message):
        checkpoint.load(path, model="shallow")


def test_wrong_model_wrong_shape_and_foreign_npz_are_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    checkpoint.save(path, _params(), model="shallow")
    with pytest.raises(checkpoint.CheckpointError, match="holds model 'shallow', expected 'logistic'"):
        checkpoint.load(path, model="logistic")
    with pytest.raises(checkpoint.CheckpointError, match=r"W1 has shape \(3, 4\), expected \(3, 5\)"):
        checkpoint.load(path, shapes=shallow.param_shapes(3, 5))
    with pytest.raises(checkpoint.CheckpointError, match=r"holds \['W1', 'W2', 'b1', 'b2'\], expected \['W', 'b'\]"):
        checkpoint.load(path, shapes=logistic.param_shapes(3))
    np.savez(tmp_path / "foreign.npz", W1=np.zeros(2))
    with pytest.raises(checkpoint.CheckpointError, match="has no model name"):
        checkpoint.load(tmp_path / "foreign.npz")


def test_bad_state_dict_files_leave_the_twin_unchanged(tmp_path):
    twin = models.ShallowNet(3, 4, torch.float64)
    load_params(twin.layers, _params())
    before = {k: v.clone() for k, v in twin.state_dict().items()}
    small = models.ShallowNet(3, 5, torch.float64)
    save_state_dict(tmp_path / "small.pt", small, model="shallow")
    save_state_dict(tmp_path / "logistic.pt", models.LogisticRegression(3, torch.float64), model="logistic")
    save_state_dict(tmp_path / "f32.pt", models.ShallowNet(3, 4, torch.float32), model="shallow")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    torch.save({"model": "shallow", "state_dict": {"x": 1}}, tmp_path / "odd.pt")
    (tmp_path / "half.pt").write_bytes((tmp_path / "small.pt").read_bytes()[:300])
    cases = {
        "small.pt": r"layer1.weight is \(5, 3\)",
        "logistic.pt": "holds model 'logistic'",
        "f32.pt": "torch.float32, expected",
        "junk.pt": "truncated, corrupted",
        "odd.pt": r"holds \['x'\]",
        "half.pt": "truncated, corrupted",
        "missing.pt": "does not exist",
    }
    for name, message in cases.items():
        with pytest.raises(checkpoint.CheckpointError, match=message):
            load_state_dict(tmp_path / name, twin, model="shallow")
    assert all(torch.equal(before[k], v) for k, v in twin.state_dict().items())


# ---------------------------------------------------------------- determinism


def test_training_is_bitwise_deterministic():
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((50, 3)), (rng.random((50, 1)) > 0.5).astype(float)
    runs = [gradient_descent(shallow, X, Y, shallow.init_params(3, 5, rng=11), lr=0.5, steps=40) for _ in range(2)]
    assert runs[0][1].tobytes() == runs[1][1].tobytes()
    assert all(runs[0][0][k].tobytes() == runs[1][0][k].tobytes() for k in runs[0][0])


def test_verify_reports_are_identical_across_processes(tmp_path):
    """A fresh process and this one (which has run other tests: cached twins, warm allocator) write the same bytes."""
    from torchref import cli

    args = ["verify", "--models", "shallow,deep_relu_softmax", "--cases", "2", "--seed", "5", "--json"]
    proc = subprocess.run(
        [sys.executable, "-m", "torchref", *args, str(tmp_path / "fresh.json")], capture_output=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert cli.main([*args, str(tmp_path / "here.json")]) == 0
    assert (tmp_path / "fresh.json").read_bytes() == (tmp_path / "here.json").read_bytes()
