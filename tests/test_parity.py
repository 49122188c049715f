"""Parity of every registry entry: handmade against torch, and against finite differences.

Parametrised over registry × named shapes × dtypes × seeds; the test id names all four,
e.g. `test_step_parity[shallow-m3-n2-h4-float32-seed0]`.
"""

import numpy as np
import pytest

from torchref.registry import DTYPES, REGISTRY

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
    "pair, shape, dtype, seed",
    list(
        _cases(
            lambda pair: pair.train_dtypes,
            _train_shapes,
            seeds=(0,),
            pairs=[p for p in REGISTRY.values() if p.name != "mp_neuron"],
        )
    ),
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


def test_mp_neuron_training_is_its_fit():
    pair = REGISTRY["mp_neuron"]
    sample = pair.sample(pair.shapes[2], "float64", 0)
    assert pair.parity_training(sample) == []
    assert "fit.theta" in pair.names(sample.shape)


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
