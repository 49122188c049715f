"""The one place where the notes' layout meets torch's.

The notes write a layer as Z = X W + b with W of shape (n_in, n_out) and b of shape
(1, n_out). `nn.Linear` computes the same Z as X Wᵀ + b with its `weight` stored as
(n_out, n_in) and `bias` as (n_out,). So W = weightᵀ and b = bias as one row. A transpose
and a reshape copy bits, they never round: both directions are bit-exact.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def notes_to_linear(W: np.ndarray, b: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(W (n_in, n_out), b (1, n_out)) -> (weight (n_out, n_in), bias (n_out,))."""
    if W.ndim != 2 or b.shape != (1, W.shape[1]):
        raise ValueError(f"W must be (n_in, n_out) and b (1, n_out); got W {W.shape}, b {b.shape}")
    return torch.from_numpy(W.T.copy()), torch.from_numpy(b.reshape(-1).copy())  # copies: never aliases W, b


def linear_to_notes(weight: torch.Tensor, bias: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(weight (n_out, n_in), bias (n_out,)) -> (W (n_in, n_out), b (1, n_out)), as NumPy copies."""
    if weight.ndim != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(
            f"weight must be (n_out, n_in) and bias (n_out,); got {tuple(weight.shape)}, {tuple(bias.shape)}"
        )
    W = weight.detach().cpu().numpy().T.copy()  # (n_in, n_out)
    b = bias.detach().cpu().numpy().reshape(1, -1).copy()  # (1, n_out)
    return W, b


def load_params(layers: dict[str, nn.Linear], params: dict[str, np.ndarray]) -> None:
    """Copy notes' parameters W{s}, b{s} into each layer `s` (suffix '' or '1', '2', ...)."""
    with torch.no_grad():
        for s, layer in layers.items():
            weight, bias = notes_to_linear(params[f"W{s}"], params[f"b{s}"])
            if weight.shape != layer.weight.shape or weight.dtype != layer.weight.dtype:
                raise ValueError(
                    f"W{s} gives weight {tuple(weight.shape)} {weight.dtype}, layer {s!r} holds "
                    f"{tuple(layer.weight.shape)} {layer.weight.dtype}"
                )
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)


def bind_params(layers: dict[str, nn.Linear], params: dict[str, np.ndarray]) -> None:
    """Give each layer `s` new parameters made from W{s}, b{s}, whatever shapes and dtype it held.

    One module then serves every shape of its depth: building an nn.Linear (with its
    random initialisation) costs more than a whole forward and backward of a small case.
    The parameters stay the same nn.Parameter objects with new values (`.data`: cheaper than
    registering new ones); the values are
    copies, so optimising them leaves `params` alone; in_features and out_features follow.
    """
    for s, layer in layers.items():
        layer.weight.data, layer.bias.data = notes_to_linear(params[f"W{s}"], params[f"b{s}"])
        layer.out_features, layer.in_features = layer.weight.shape


def read_params(layers: dict[str, nn.Linear]) -> dict[str, np.ndarray]:
    """The layers' parameters in the notes' layout: W{s}, b{s}."""
    out = {}
    for s, layer in layers.items():
        out[f"W{s}"], out[f"b{s}"] = linear_to_notes(layer.weight, layer.bias)
    return out
