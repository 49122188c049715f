"""The one conversion between the notes' layout and nn.Linear's, both directions, bit-exact."""

import numpy as np
import pytest
import torch
from torch import nn

from torchref.convert import bind_params, linear_to_notes, load_params, notes_to_linear, read_params


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n_in, n_out", [(1, 1), (2, 4), (4, 4), (5, 3)], ids=lambda v: str(v))
def test_round_trip_is_bit_exact(n_in, n_out, dtype):
    rng = np.random.default_rng(n_in * 10 + n_out)
    W = rng.standard_normal((n_in, n_out)).astype(dtype)
    b = rng.standard_normal((1, n_out)).astype(dtype)
    weight, bias = notes_to_linear(W, b)
    assert weight.shape == (n_out, n_in) and bias.shape == (n_out,)
    W2, b2 = linear_to_notes(weight, bias)
    assert W2.dtype == W.dtype and W2.tobytes() == W.tobytes() and b2.tobytes() == b.tobytes()


def test_linear_computes_the_notes_layer():
    """nn.Linear(X) with weight = Wᵀ, bias = b is the notes' X W + b."""
    rng = np.random.default_rng(0)
    X, W, b = rng.standard_normal((5, 2)), rng.standard_normal((2, 4)), rng.standard_normal((1, 4))
    layer = nn.Linear(2, 4, dtype=torch.float64)
    load_params({"1": layer}, {"W1": W, "b1": b})
    torch.testing.assert_close(layer(torch.from_numpy(X)), torch.from_numpy(X @ W + b))
    back = read_params({"1": layer})
    assert back["W1"].tobytes() == W.tobytes() and back["b1"].tobytes() == b.tobytes()


def test_conversion_refuses_mismatched_layouts():
    with pytest.raises(ValueError, match=r"W must be \(n_in, n_out\) and b \(1, n_out\)"):
        notes_to_linear(np.zeros((2, 4)), np.zeros((4,)))
    with pytest.raises(ValueError, match="weight must be"):
        linear_to_notes(torch.zeros(4, 2), torch.zeros(2))
    with pytest.raises(ValueError, match=r"W1 gives weight \(3, 2\)"):
        load_params({"1": nn.Linear(2, 4, dtype=torch.float64)}, {"W1": np.zeros((2, 3)), "b1": np.zeros((1, 3))})


def test_bind_params_reshapes_a_layer_and_copies_the_values():
    """One nn.Linear serves any shape and dtype: the notes' layer, in_features/out_features updated, no aliasing."""
    layer = nn.Linear(2, 4, dtype=torch.float64)
    weight = layer.weight
    rng = np.random.default_rng(1)
    for n_in, n_out, dtype in [(5, 3, "float32"), (1, 1, "float64"), (7, 2, "float64")]:
        X = rng.standard_normal((4, n_in)).astype(dtype)
        W, b = rng.standard_normal((n_in, n_out)).astype(dtype), rng.standard_normal((1, n_out)).astype(dtype)
        bind_params({"": layer}, {"W": W, "b": b})
        assert layer.weight is weight and layer.weight.requires_grad
        assert (layer.in_features, layer.out_features) == (n_in, n_out) and layer.weight.dtype == getattr(torch, dtype)
        torch.testing.assert_close(layer(torch.from_numpy(X)), torch.from_numpy(X @ W + b))
        with torch.no_grad():
            layer.weight.add_(1.0)
        assert np.array_equal(read_params({"": layer})["W"], W + 1) and not np.array_equal(W, W + 1)
