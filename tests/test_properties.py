"""Hypothesis: random shapes and value scales, shrinking to the smallest failing case."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from torchref.registry import REGISTRY, Shape

dtypes = st.sampled_from(["float32", "float64"])
seeds = st.integers(0, 2**32 - 1)


def _assert_parity(pair, sample):
    failures = [r.message for r in pair.parity(sample) if not r.ok]
    assert not failures, f"{pair.name} {sample.id}\n" + "\n".join(failures)


@given(m=st.integers(1, 64), n=st.integers(1, 16), h=st.integers(1, 16), dtype=dtypes, seed=seeds)
def test_shallow_parity_for_any_shape(m, n, h, dtype, seed):
    pair = REGISTRY["shallow"]
    _assert_parity(pair, pair.sample(Shape(m, n, (h,)), dtype, seed))


# |z| stays well below ~15, where σ saturates in float32 and nn.BCELoss's backward departs
# from a − y (test_numerics.py::test_saturated_sigmoid_gradient pins that difference down).
@given(m=st.integers(1, 64), n=st.integers(1, 16), dtype=dtypes, seed=seeds, scale=st.floats(1e-3, 2))
def test_logistic_parity_for_any_shape_and_input_scale(m, n, dtype, seed, scale):
    pair = REGISTRY["logistic"]
    sample = pair.sample(Shape(m, n), dtype, seed)
    sample.X = (sample.X * scale).astype(dtype)
    _assert_parity(pair, sample)


@given(
    name=st.sampled_from([name for name in REGISTRY if name.startswith("deep_")]),
    m=st.integers(1, 32),
    n=st.integers(1, 8),
    hidden=st.lists(st.integers(1, 8), min_size=1, max_size=3),
    k=st.integers(2, 4),
    dtype=dtypes,
    seed=seeds,
)
def test_deep_parity_for_any_depth_and_width(name, m, n, hidden, k, dtype, seed):
    pair = REGISTRY[name]
    k = k if pair.one_hot else 1
    _assert_parity(pair, pair.sample(Shape(m, n, tuple(hidden), k), dtype, seed))


@given(m_log2=st.integers(0, 6), n=st.integers(1, 16), dtype=dtypes, seed=seeds)
def test_perceptron_trajectories_agree_bit_for_bit(m_log2, n, dtype, seed):
    pair = REGISTRY["perceptron"]
    sample = pair.sample(Shape(2**m_log2, n), dtype, seed)
    failures = [r.message for r in pair.parity_training(sample, steps=50) if not r.ok]
    assert not failures, "\n".join(failures)


@given(n=st.integers(1, 5), seed=seeds)
def test_mp_neuron_fit_recovers_a_neuron_that_computes_the_same_table(n, seed):
    """Both sides fit the same neuron, and it reproduces the truth table of the one drawn."""
    pair = REGISTRY["mp_neuron"]
    sample = pair.sample(Shape(4, n), "float64", seed)
    out = pair.handmade(sample)
    np.testing.assert_array_equal(out["fit.A"], sample.Y)
    assert all(r.ok for r in pair.parity(sample))
