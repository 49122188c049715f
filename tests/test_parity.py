"""Parity of every registry entry: handmade against torch, and against finite differences.

Parametrised over registry × named shapes × dtypes × seeds; the test id names all four,
e.g. `test_step_parity[shallow-m3-n2-h4-float32-seed0]`.
"""

import json

import numpy as np
import pytest

from torchref import cli
from torchref.registry import DTYPES, REGISTRY, Shape
from torchref_handmade import perceptron, shallow
from torchref_handmade.activations import sigmoid

SEEDS = (0, 1)


def _cases(dtypes_of=lambda pair: DTYPES, shapes_of=lambda pair: pair.shapes, seeds=SEEDS, pairs=None):
    for pair in pairs or REGISTRY.values():
        for shape in shapes_of(pair):
            for dtype in dtypes_of(pair):
                for seed in seeds:
                    yield pytest.param(pair, shape, dtype, seed, id=f"{pair.name}-{shape.id}-{dtype}-seed{seed}")


def _assert_all_close(results):
    failures = [r.message for r in results if not r.ok]
    assert not failures, "\n".join(failures)
    assert results, "nothing was compared"


@pytest.mark.parametrize("pair, shape, dtype, seed", list(_cases()))
def test_step_parity(pair, shape, dtype, seed):
    """Forward output, loss, every parameter gradient and every intermediate gradient."""
    sample = pair.sample(shape, dtype, seed)
    results = pair.parity(sample)
    assert [r.name for r in results] == pair.names(shape)
    _assert_all_close(results)


@pytest.mark.parametrize("name", [n for n, p in REGISTRY.items() if p.differentiable])
def test_a_reused_twin_gives_what_a_fresh_one_gives(name):
    """The twin serving every shape of a depth carries nothing from one case into the next."""
    from torchref.parity import torch_step

    pair, rng = REGISTRY[name], np.random.default_rng(3)
    for seed in range(6):
        sample = pair.sample(pair.random_shape(rng), DTYPES[seed % 2], seed)
        reused, fresh = pair.torch(sample), torch_step(pair.twin(sample, fresh=True), sample.X, sample.Y)
        assert reused.keys() == fresh.keys()
        for key in fresh:
            assert np.array_equal(reused[key], fresh[key]), f"{key} differs at {sample.id}"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_checking_cases_phase_by_phase_gives_each_case_its_own_results(name):
    """parity_many (every torch side, then every handmade side, then the comparisons) is parity, case by case."""
    pair, rng = REGISTRY[name], np.random.default_rng(5)
    samples = [pair.sample(pair.random_shape(rng), DTYPES[seed % 2], seed) for seed in range(5)]
    together = pair.parity_many(samples)
    assert len(together) == len(samples)
    for sample, results in zip(samples, together):
        alone = pair.parity(sample)
        assert [r.name for r in results] == pair.names(sample.shape) and results == alone, sample.id


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", [n for n, p in REGISTRY.items() if p.differentiable])
def test_the_batched_torch_side_is_each_case_on_its_own(name, dtype):
    """torch_many (torch.func.vmap of the twin over cases of one shape) gives what torch gives, case by case."""
    pair, rng = REGISTRY[name], np.random.default_rng(11)
    shape = pair.random_shape(rng)
    samples = [pair.sample(shape, dtype, seed) for seed in range(4)]
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    for sample, batched in zip(samples, pair.torch_many(samples), strict=True):
        alone = pair.torch(sample)
        assert batched.keys() == alone.keys()
        for key in alone:
            assert batched[key].dtype == alone[key].dtype and batched[key].shape == alone[key].shape, key
            np.testing.assert_allclose(batched[key], alone[key], **tol, err_msg=f"{key} at {sample.id}")


def test_a_batch_of_one_shape_still_catches_a_wrong_gradient(monkeypatch):
    from torchref.registry import Shape

    pair = REGISTRY["shallow"]
    samples = [pair.sample(Shape(6, 3, (4,)), "float64", seed) for seed in range(5)]
    real = pair.handmade

    def one_percent_off(sample):  # dW1 1 % too large: the right shape, wrong values
        out = real(sample)
        return {**out, "dW1": out["dW1"] * 1.01}

    monkeypatch.setattr(pair, "handmade", one_percent_off)
    monkeypatch.setattr(pair, "torch", lambda sample: pytest.fail("the one-case torch path ran"))
    for results in pair.parity_many(samples):
        assert [r.name for r in results if not r.ok] == ["dW1"]
    with pytest.raises(ValueError, match="one shape and dtype, got 2"):
        pair.torch_many([samples[0], pair.sample(Shape(6, 3, (5,)), "float64", 0)])


def _train_shapes(pair):
    return pair.shapes[::2]


@pytest.mark.parametrize(
    "pair, shape, dtype, seed", list(_cases(lambda pair: pair.train_dtypes, _train_shapes, seeds=(0,)))
)
def test_training_parity(pair, shape, dtype, seed):
    """The same initial parameters, 50 steps on each side: loss and parameters agree at every step."""
    sample = pair.sample(shape, dtype, seed)
    results = pair.parity_training(sample, steps=50)
    _assert_all_close(results)
    assert {r.name for r in results} == {"J", *sample.params}
    assert all(r.shape[0] == 51 for r in results)


def _small(pair):
    """Named shapes with at most 1,000 parameters (finite differences cost two forwards each)."""
    return [s for s in pair.shapes if sum(np.prod(v) for v in pair.param_shapes(s).values()) <= 1000]


@pytest.mark.parametrize(
    "pair, shape, dtype, seed",
    list(
        _cases(lambda pair: ("float64",), _small, seeds=(0,), pairs=[p for p in REGISTRY.values() if p.differentiable])
    ),
)
def test_finite_differences(pair, shape, dtype, seed):
    """A third, independent reference: central differences of the handmade loss."""
    sample = pair.sample(shape, dtype, seed)
    results = pair.check_finite_differences(sample)
    assert {r.name for r in results} == {"d" + key for key in sample.params}
    _assert_all_close(results)


@pytest.mark.parametrize("name", [n for n, p in REGISTRY.items() if not p.train_dtypes])
def test_an_entry_with_no_trajectory_is_fitted_and_its_fit_is_in_its_parity(name):
    """No dtype of trajectories: the entry is fitted, not trained (`compare` fits it once), and what it fits is
    compared by `parity` (the MP neuron's θ and mask, min–max normalisation's low and high)."""
    pair = REGISTRY[name]
    assert pair.training.steps == 0, name
    sample = pair.sample(pair.shapes[-1], "float64", 0)
    assert pair.parity_training(sample) == []
    fitted = {"mp_neuron": {"fit.theta", "fit.inhibitory"}, "normalise": {"low", "high"}}[name]
    assert fitted <= {r.name for r in pair.parity(sample)}


def test_every_trained_entry_claims_its_trajectories_and_the_fitted_ones_none():
    trained = {n for n, p in REGISTRY.items() if p.training.steps > 0}
    assert trained == {n for n, p in REGISTRY.items() if p.train_dtypes}
    assert {"mp_neuron", "normalise"}.isdisjoint(trained) and "shallow" in trained


def test_deep_with_one_tanh_layer_is_the_shallow_network():
    """Two handmade implementations of the same network agree with each other exactly."""
    from torchref_handmade import deep, shallow

    pair = REGISTRY["shallow"]
    sample = pair.sample(pair.shapes[4], "float64", 0)
    A_shallow, cache_shallow = shallow.forward(sample.X, sample.params)
    A_deep, cache_deep = deep.forward(sample.X, sample.params)
    np.testing.assert_array_equal(A_shallow, A_deep)
    grads_shallow = shallow.backward(sample.X, sample.Y, sample.params, cache_shallow)
    grads_deep = deep.backward(sample.X, sample.Y, sample.params, cache_deep)
    assert grads_shallow.keys() == grads_deep.keys()
    for key in grads_shallow:
        np.testing.assert_allclose(grads_deep[key], grads_shallow[key], rtol=1e-15, atol=0, err_msg=key)


# ----------------------------------------------------------------------------------------
# The gate itself: plant a wrong line in a handmade model and the parity check must say which tensor.
#
# Each bug is a one-line mistake a learner makes; the test asserts that the check fails,
# that the failing tensors are exactly the ones downstream of the bug, and that the
# message names the first of them.


def _shallow_backward(bug):
    def backward(X, Y, params, cache):
        m = X.shape[0]
        A1, A2, W2 = cache["A1"], cache["A2"], params["W2"]
        dZ2 = A2 - Y
        if bug == "sign-dZ2":
            dZ2 = Y - A2
        dW2 = (1 / m) * (A1.T @ dZ2)
        db2 = (1 / m) * np.sum(dZ2, axis=0, keepdims=True)
        dA1 = dZ2 @ W2.T
        dZ1 = dA1 * (1 - A1) if bug == "tanh-prime-1-minus-A" else dA1 * (1 - A1**2)
        dW1 = (1 / m) * (X.T @ dZ1)
        if bug == "missing-1/m-dW1":
            dW1 = X.T @ dZ1
        if bug == "transposed-dW1":
            dW1 = ((1 / m) * (X.T @ dZ1)).T.copy()
        db1 = (1 / m) * np.sum(dZ1, axis=0, keepdims=True)
        if bug == "db1-sum-over-columns":
            db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)[:1].repeat(dZ1.shape[1], axis=1)
        return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}

    return backward


# bug -> the tensors that must fail (all downstream of the bug, in chain order)
SHALLOW_BUGS = {
    "sign-dZ2": ["dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"],
    "tanh-prime-1-minus-A": ["dZ1", "dW1", "db1"],
    "missing-1/m-dW1": ["dW1"],
    "transposed-dW1": ["dW1"],  # a square case (n = h = 4): the shapes cannot catch it
    "db1-sum-over-columns": ["db1"],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bug", list(SHALLOW_BUGS))
def test_planted_backward_bug_is_named(monkeypatch, bug, dtype):
    monkeypatch.setattr(shallow, "backward", _shallow_backward(bug))
    pair = REGISTRY["shallow"]
    sample = pair.sample(Shape(4, 4, (4,)), dtype, 0)
    results = pair.parity(sample)
    failed = [r.name for r in results if not r.ok]
    assert failed == SHALLOW_BUGS[bug]
    first = next(r for r in results if not r.ok)
    assert first.message.startswith(f"{SHALLOW_BUGS[bug][0]}: ")
    assert "Mismatched elements" in first.message


def test_the_correct_backward_passes_the_same_case(monkeypatch):
    monkeypatch.setattr(shallow, "backward", _shallow_backward(None))
    pair = REGISTRY["shallow"]
    assert all(r.ok for r in pair.parity(pair.sample(Shape(4, 4, (4,)), "float32", 0)))


def test_planted_forward_bug_is_named(monkeypatch):
    def forward(X, params):
        Z = X @ params["W"] + params["b"]
        A = sigmoid(-Z)  # σ(−z): a sign slip in the forward pass
        return A, {"Z": Z, "A": A}

    from torchref_handmade import logistic

    monkeypatch.setattr(logistic, "forward", forward)
    pair = REGISTRY["logistic"]
    results = pair.parity(pair.sample(Shape(7, 3), "float64", 0))
    assert [r.name for r in results if not r.ok][:2] == ["A", "J"]


def test_perceptron_rule_without_1_over_m_is_caught(monkeypatch):
    original = perceptron.backward

    def backward(X, Y, params, cache):
        grads = original(X, Y, params, cache)
        return {**grads, "dW": grads["dW"] * X.shape[0]}

    monkeypatch.setattr(perceptron, "backward", backward)
    pair = REGISTRY["perceptron"]
    sample = pair.sample(Shape(8, 3), "float64", 0)
    assert [r.name for r in pair.parity(sample) if not r.ok] == ["dW"]
    assert {r.name for r in pair.parity_training(sample) if not r.ok} >= {"W"}


def test_missing_key_and_wrong_shape_are_reported(monkeypatch):
    original = shallow.backward

    def backward(X, Y, params, cache):
        grads = original(X, Y, params, cache)
        del grads["dA1"]
        return {**grads, "db2": grads["db2"].ravel()}

    monkeypatch.setattr(shallow, "backward", backward)
    pair = REGISTRY["shallow"]
    results = {r.name: r for r in pair.parity(pair.sample(Shape(3, 2, (4,)), "float64", 0))}
    assert "missing" in results["dA1"].message
    assert "expected shape (1, 1)" in results["db2"].message and "got (1,)" in results["db2"].message


def test_verify_fails_and_names_the_tensor(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(shallow, "backward", _shallow_backward("missing-1/m-dW1"))
    path = tmp_path / "report.json"
    status = cli.main(["verify", "--models", "shallow,logistic", "--cases", "6", "--json", str(path)])
    out = capsys.readouterr().out
    assert status == 1
    assert "FIRST FAILURE shallow float32 dW1" in out
    assert "logistic" in out and "FAIL" not in "".join(line for line in out.splitlines() if line.startswith("logistic"))
    report = json.loads(path.read_text())
    assert report["passed"] is False
    failing = {(row["model"], row["tensor"]) for row in report["rows"] if not row["passed"]}
    # case 0 is m = 1, where a missing 1/m is invisible; case 5 (m = n = h = 4) is also trained
    assert ("shallow", "dW1") in failing and ("shallow", "train.W1") in failing
    assert all(model == "shallow" for model, _ in failing)


def test_the_comparison_reports_what_assert_close_would():
    """One vectorised pass over many tensors: per tensor its verdict, largest errors and worst element."""
    from torchref.parity import DEFAULT_TOLERANCES, agreement

    tol = DEFAULT_TOLERANCES["float64"]
    rng = np.random.default_rng(0)
    expected = {
        "A": rng.standard_normal((3, 4)),
        "B": rng.standard_normal((5,)),
        "C": rng.standard_normal((2, 3, 2)),
        "D": np.array([[np.inf, -np.inf, np.nan, 0.0]]),
        "E": np.zeros((0, 3)),
        "F": np.ones((1, 1)),
    }
    actual = {key: value.copy() for key, value in expected.items()}
    actual["A"][2, 1] += 1e-3  # one element out, at (2, 1)
    actual["A"][0, 0] += 1e-9  # inside atol + rtol·|e|
    actual["C"][1, 2, 0] *= 1 + 1e-8  # a relative error within rtol
    actual["D"][0, 3] = np.nan  # nan where a number was expected
    actual["F"] = np.ones((1, 1), np.float32)  # wrong dtype
    results = {r.name: r for r in agreement(actual, expected, tol)}
    assert [k for k, r in results.items() if not r.ok] == ["A", "D", "F"]
    assert results["A"].worst_index == (2, 1) and abs(results["A"].max_abs - 1e-3) < 1e-12
    assert "Mismatched elements: 1 / 12" in results["A"].message
    for key in "ABC":  # against the rule written out, one tensor at a time
        a, e = actual[key], expected[key]
        excess = np.abs(a - e) - (tol.atol + tol.rtol * np.abs(e))
        assert results[key].worst_index == np.unravel_index(np.argmax(excess), e.shape)
        assert results[key].max_abs == np.abs(a - e).max() and results[key].max_rel == (np.abs(a - e) / np.abs(e)).max()
    assert results["C"].ok and 0 < results["C"].max_rel <= 1.1e-8
    assert results["D"].worst_index == (0, 3) and results["D"].max_abs == np.inf  # equal infinities and nan == nan pass
    both_nan = agreement({"N": np.array([1.0, np.nan, np.inf])}, {"N": np.array([1.0, np.nan, np.inf])}, tol)[0]
    assert both_nan.ok and both_nan.max_abs == 0.0, both_nan.message  # was a failure: nan's bound was nan
    assert results["E"].ok and results["E"].worst_index is None
    assert "expected shape (1, 1) float64, got (1, 1) float32" in results["F"].message
    missing = agreement({}, {"G": np.zeros(2)}, tol)[0]
    assert not missing.ok and "missing from the handmade result" in missing.message
