"""`torchref compare`: the twins trained side by side, the known results as sanity bars,
and the report with every figure."""

import numpy as np
import pytest
from matplotlib.image import imread

from torchref import cli
from torchref.compare import ALL, DEFAULTS, HIDDEN_SWEEP, DriftError, compare
from torchref_handmade import datasets, shallow


def test_flower_the_classic_result_shallow_beats_logistic():
    """The assignment: 4 tanh units, lr 1.2, 10,000 steps reach ~90 %; logistic regression ~47 %.

    The defaults are the assignment's; the bar is run at 1,000 of its steps (92 % there,
    94.8 % at 10,000), a tenth of the time; `torchref compare --all` runs all of them.
    """
    assert DEFAULTS["shallow"] == dict(lr=1.2, steps=10_000, hidden=(4,))
    net = compare("shallow", "flower", steps=1000)  # lr and hidden from the defaults
    assert (net.hidden, net.lr, net.steps) == ((4,), 1.2, 1000)
    assert net.accuracy["handmade"][-1] >= 0.85 and net.accuracy["torch"][-1] >= 0.85
    lin = compare("logistic", "flower")
    assert lin.accuracy["handmade"][-1] <= 0.60 and lin.accuracy["torch"][-1] <= 0.60


@pytest.mark.parametrize("gate, learns", [("and", True), ("or", True), ("nand", True), ("xor", False)])
def test_perceptron_learns_and_or_nand_but_not_xor(gate, learns):
    run = compare("perceptron", gate)
    assert bool(run.accuracy["handmade"][-1] == 1.0) is learns
    assert run.accuracy["torch"][-1] == run.accuracy["handmade"][-1]
    assert run.drift.max() == 0.0  # 0/1 inputs, α = 1/4: exact on both sides


@pytest.mark.parametrize("gate", ["and", "or", "nor"])
def test_mp_neuron_fits_gates_by_threshold(gate):
    run = compare("mp_neuron", gate)
    assert run.accuracy["handmade"][-1] == run.accuracy["torch"][-1] == 1.0
    assert run.params["handmade"]["theta"] == run.params["torch"]["theta"]


def test_mp_neuron_cannot_fit_xor():
    with pytest.raises(ValueError, match="no threshold"):
        compare("mp_neuron", "xor")


def test_shallow_network_learns_xor_and_the_accuracy_curve_shows_when():
    run = compare("shallow", "xor", steps=500)  # 100 % from step 91 on (seed 0)
    assert run.accuracy["handmade"][-1] == run.accuracy["torch"][-1] == 1.0
    steps = run.accuracy_steps  # 0, 2 or 3, ..., 500: 201 evenly spaced steps
    assert (steps[0], steps[-1], len(steps)) == (0, 500, 201) and (np.diff(steps) > 0).all()
    for side in ("handmade", "torch"):
        assert run.accuracy[side].shape == (201,)
        assert run.accuracy[side][steps < 80].min() < 1.0 and (run.accuracy[side][steps >= 91] == 1.0).all()
    assert list(compare("perceptron", "and", steps=7).accuracy_steps) == list(range(8))  # short runs: every step


@pytest.mark.parametrize(
    "model, data",
    [
        ("shallow", "moons"),
        ("deep_relu_softmax", "circles"),
        ("perceptron", "rain_rent"),
        ("deep_tanh_sigmoid", "moons"),
    ],
)
def test_trajectories_agree_at_every_step(model, data):
    run = compare(model, data, steps=300)
    assert run.loss["handmade"].shape == run.loss["torch"].shape == (301,)
    np.testing.assert_allclose(run.loss["handmade"], run.loss["torch"], rtol=1e-6, atol=1e-6)
    assert run.drift.shape == (301,) and run.drift.max() < 1e-6
    assert run.loss["handmade"][-1] < run.loss["handmade"][0]


def test_a_wrong_gradient_stops_the_run_at_the_step_and_tensor(monkeypatch):
    original = shallow.backward

    def backward(X, Y, params, cache):
        grads = original(X, Y, params, cache)
        return {**grads, "dW2": grads["dW2"] * X.shape[0]}  # a missing 1/m

    monkeypatch.setattr(shallow, "backward", backward)
    with pytest.raises(
        DriftError, match=r"shallow\[4\] on moons: the twins drift apart at step 1: W2 differs by"
    ) as info:
        compare("shallow", "moons", steps=20)
    assert (info.value.step, info.value.tensor) == (1, "W2")


def test_a_wrong_perceptron_rule_is_a_drift_error_too(monkeypatch):
    from torchref_handmade import perceptron

    original = perceptron.backward
    monkeypatch.setattr(perceptron, "backward", lambda X, Y, p, c: {**original(X, Y, p, c), "db": 0 * p["b"]})
    with pytest.raises(DriftError, match=r"perceptron on rain_rent: the twins drift apart at step 1: b differs"):
        compare("perceptron", "rain_rent", steps=20)


def test_datasets_are_seeded_and_shaped():
    X, Y = datasets.flower(seed=3)
    assert X.shape == (400, 2) and Y.shape == (400, 1) and Y.mean() == 0.5
    assert np.abs(X).max() <= 4.9  # petals of radius 4, plus noise
    np.testing.assert_array_equal(datasets.flower(seed=3)[0], X)
    assert not np.array_equal(datasets.flower(seed=4)[0], X)
    X, Y, scaler = datasets.rain_rent(seed=0)
    raw = scaler.inverse(X)
    assert raw[:, 0].min() >= 0 and raw[:, 0].max() <= 20 and raw[:, 1].min() >= 500 and raw[:, 1].max() <= 3000
    with pytest.raises(ValueError, match="data must be one of"):
        datasets.load("mnist")
    with pytest.raises(ValueError, match="gate must be one of"):
        datasets.gate("xnor")


def _is_picture(path):
    image = imread(path)  # decodes the PNG
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05, f"{path.name} is blank"


def test_compare_all_trains_every_model_and_the_sweep(tmp_path, capsys, monkeypatch):
    """--all walks ALL and the hidden sweep and hands every run to the report (drawn in the next test)."""
    from torchref import plots

    handed = {}

    def report(runs, sweep, out):
        handed.update(runs=runs, sweep=sweep, out=out)
        return "report.md"

    monkeypatch.setattr(plots, "report", report)
    assert cli.main(["compare", "--all", "--steps", "30", "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert [(r.model, r.data) for r in handed["runs"]] == ALL and handed["out"] == str(tmp_path)
    assert [r.hidden for r in handed["sweep"]] == [(h,) for h in HIDDEN_SWEEP]
    assert all(r.steps == 30 for r in handed["runs"] + handed["sweep"] if r.model != "mp_neuron")
    for model, data in ALL:
        assert f"{model:<22} {data:<10}" in printed


# one run of each kind of prediction and figure: boolean inputs, the step rule, σ heads, a softmax head
DRAWN = [
    ("mp_neuron", "or"),
    ("perceptron", "rain_rent"),
    ("logistic", "flower"),
    ("shallow", "moons"),
    ("deep_relu_softmax", "circles"),
]


def test_report_draws_every_figure(tmp_path):
    from torchref.compare import hidden_sweep
    from torchref.plots import report

    runs = [compare(model, data, steps=30) for model, data in DRAWN]
    path = report(runs, hidden_sweep("flower", sizes=(1, 4), steps=30), tmp_path / "report")
    text = path.read_text()
    for model, data in DRAWN:
        assert f"| {model} | {data} |" in text
        figures = [f"{model}-{data}-boundary.png"] + (
            [] if model == "mp_neuron" else [f"{model}-{data}-loss.png", f"{model}-{data}-drift.png"]
        )
        for name in figures:
            assert f"![{name}]({name})" in text
            _is_picture(path.parent / name)
    assert "| 1 |" in text and "| 4 |" in text
    _is_picture(path.parent / "shallow-hidden-sweep.png")


@pytest.mark.parametrize(
    "argv, status, message",
    [
        (["compare", "shallow"], 2, "give MODEL --data NAME, or --all"),
        (["compare", "shallow", "--data", "flower", "--all"], 2, "give MODEL --data NAME, or --all"),
        (["compare", "shallow", "--data", "flower", "--lr", "-1"], 2, "--lr must be finite and > 0"),
        (["compare", "mp_neuron", "--data", "xor"], 2, "no threshold"),
    ],
)
def test_compare_cli_errors(argv, status, message, tmp_path, capsys):
    assert cli.main([*argv, "--out", str(tmp_path)]) == status
    assert message in capsys.readouterr().err


def test_compare_cli_drift_exits_1(monkeypatch, tmp_path, capsys):
    original = shallow.backward
    monkeypatch.setattr(
        shallow, "backward", lambda X, Y, p, c: {**original(X, Y, p, c), "db1": -original(X, Y, p, c)["db1"]}
    )
    # step 1 is the first with different parameters: b1 is named, not the loss it moves
    assert cli.main(["compare", "shallow", "--data", "xor", "--steps", "5", "--out", str(tmp_path), "--quiet"]) == 1
    assert "drift apart at step 1: b1" in capsys.readouterr().err
