"""The torch twins of the handmade models, built from torch.nn.

Every differentiable twin has:
- `build(sizes, activation, output, dtype)`: the twin of layer sizes n, h1, ..., k (how the
  registry makes one for a shape);
- `layers`: the notes' layer suffix -> nn.Linear ('' for one layer, else '1', '2', ...);
- `trace(X)`: the notes' named tensors in forward order (Z1, A1, Z2, A2, ...), live in the
  autograd graph so that their gradients can be kept;
- `loss(cache, Y)`: the torch criterion the handmade loss must equal.
The step models (perceptron, MP neuron) have no useful derivative: their twins write the
notes' rule in torch ops instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Protocol

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}
Tensors = dict[str, torch.Tensor]  # the notes' named tensors: Z1, A1, ... (a cache), dW, db (a rule's)


class Twin(Protocol):
    """What the registry and the parity code use of a twin (the list above): an nn.Module with these."""

    layers: dict[str, nn.Linear]

    def trace(self, X: torch.Tensor) -> Tensors: ...

    def loss(self, cache: Tensors, Y: torch.Tensor) -> torch.Tensor: ...

    def __call__(self, X: torch.Tensor) -> torch.Tensor: ...

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...


class TwinClass(Protocol):
    """A differentiable twin's class, as the registry builds one for a shape."""

    def build(
        self, sizes: Sequence[int], activation: str | None, output: str, dtype: torch.dtype = torch.float64
    ) -> Twin: ...


class LogisticRegression(nn.Module):
    """Z = linear(X), A = σ(Z), J = nn.BCELoss()(A, Y)."""

    def __init__(self, n: int, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.linear = nn.Linear(n, 1, dtype=dtype)
        self.sigmoid = nn.Sigmoid()
        self.criterion = nn.BCELoss()
        self.layers = {"": self.linear}

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        activation: str | None = None,
        output: str = "sigmoid",
        dtype: torch.dtype = torch.float64,
    ) -> LogisticRegression:
        """sizes (n, 1): no hidden layer, a σ head."""
        return cls(sizes[0], dtype)

    def trace(self, X: torch.Tensor) -> Tensors:
        Z = self.linear(X)  # (m, 1)
        A = self.sigmoid(Z)  # (m, 1)
        return {"Z": Z, "A": A}

    def loss(self, cache: Tensors, Y: torch.Tensor) -> torch.Tensor:
        J: torch.Tensor = self.criterion(cache["A"], Y)
        return J

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.trace(X)["A"]


class ShallowNet(nn.Module):
    """Z1 = layer1(X), A1 = tanh(Z1), Z2 = layer2(A1), A2 = σ(Z2), J = nn.BCELoss()(A2, Y)."""

    def __init__(self, n: int, h: int, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.layer1 = nn.Linear(n, h, dtype=dtype)
        self.tanh = nn.Tanh()
        self.layer2 = nn.Linear(h, 1, dtype=dtype)
        self.sigmoid = nn.Sigmoid()
        self.criterion = nn.BCELoss()
        self.layers = {"1": self.layer1, "2": self.layer2}

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        activation: str | None = "tanh",
        output: str = "sigmoid",
        dtype: torch.dtype = torch.float64,
    ) -> ShallowNet:
        """sizes (n, h, 1): one tanh layer, a σ head."""
        return cls(sizes[0], sizes[1], dtype)

    def trace(self, X: torch.Tensor) -> Tensors:
        Z1 = self.layer1(X)  # (m, h)
        A1 = self.tanh(Z1)  # (m, h)
        Z2 = self.layer2(A1)  # (m, 1)
        A2 = self.sigmoid(Z2)  # (m, 1)
        return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

    def loss(self, cache: Tensors, Y: torch.Tensor) -> torch.Tensor:
        J: torch.Tensor = self.criterion(cache["A2"], Y)
        return J

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.trace(X)["A2"]


class DeepNet(nn.Module):
    """L linear layers, a hidden activation between them, and a sigmoid or softmax head.

    The sigmoid head is scored by nn.BCELoss on AL; the softmax head by
    nn.CrossEntropyLoss on the logits ZL with the class indices of the one-hot Y.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "tanh",
        output: str = "sigmoid",
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        linears = [nn.Linear(a, b, dtype=dtype) for a, b in itertools.pairwise(sizes)]
        self.linears = nn.ModuleList(linears)
        self.g = ACTIVATIONS[activation]()
        self.output = output
        self.head: nn.Module = nn.Sigmoid() if output == "sigmoid" else nn.Softmax(dim=1)
        self.criterion: nn.Module = nn.BCELoss() if output == "sigmoid" else nn.CrossEntropyLoss()
        self.layers = {str(l): layer for l, layer in enumerate(linears, start=1)}

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        activation: str | None = "tanh",
        output: str = "sigmoid",
        dtype: torch.dtype = torch.float64,
    ) -> DeepNet:
        """sizes (n, h1, ..., hL−1, k)."""
        if activation is None:
            raise ValueError("activation: a deep network needs one for its hidden layers, got None")
        return cls(sizes, activation, output, dtype)

    def trace(self, X: torch.Tensor) -> Tensors:
        cache: Tensors = {}
        A, L = X, len(self.linears)
        for l, layer in enumerate(self.linears, start=1):
            Z = layer(A)  # (m, n_l)
            A = self.g(Z) if l < L else self.head(Z)  # (m, n_l)
            cache[f"Z{l}"], cache[f"A{l}"] = Z, A
        return cache

    def loss(self, cache: Tensors, Y: torch.Tensor) -> torch.Tensor:
        L = len(self.linears)
        J: torch.Tensor
        if self.output == "sigmoid":
            J = self.criterion(cache[f"A{L}"], Y)
        else:
            J = self.criterion(cache[f"Z{L}"], Y.argmax(dim=1))
        return J

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.trace(X)[f"A{len(self.linears)}"]


class Perceptron(nn.Module):
    """Z = linear(X), A = step(Z), and the notes' rule (not autograd) in torch ops."""

    def __init__(self, n: int, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.linear = nn.Linear(n, 1, dtype=dtype)
        self.layers = {"": self.linear}

    @torch.no_grad()
    def trace(self, X: torch.Tensor) -> Tensors:
        Z = self.linear(X)  # (m, 1)
        A = (Z >= 0).to(Z.dtype)  # (m, 1)
        return {"Z": Z, "A": A}

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.trace(X)["A"]

    @staticmethod
    def loss(cache: Tensors, Y: torch.Tensor) -> torch.Tensor:
        return (cache["A"] - Y).abs().mean()  # error rate

    @torch.no_grad()
    def rule(self, X: torch.Tensor, Y: torch.Tensor, cache: Tensors) -> Tensors:
        """dZ = A − Y, dW = (1/m) Xᵀ dZ, db = (1/m) Σ dZ, as torch tensors in the notes' layout."""
        m = X.shape[0]
        dZ = cache["A"] - Y  # (m, 1)
        dW = (1 / m) * (X.T @ dZ)  # (n, 1)
        db = (1 / m) * dZ.sum(dim=0, keepdim=True)  # (1, 1)
        return {"dZ": dZ, "dW": dW, "db": db}

    @torch.no_grad()
    def update(self, dW: torch.Tensor, db: torch.Tensor, lr: float) -> None:
        """W ← W − α dW, b ← b − α db (weight is Wᵀ)."""
        self.linear.weight.sub_(lr * dW.T)
        self.linear.bias.sub_(lr * db.reshape(-1))


def mp_forward(X: torch.Tensor, theta: int, inhibitory: torch.Tensor) -> torch.Tensor:
    """MP neuron in torch ops: 1 if Σ excitatory x ≥ θ and no inhibitory x is on."""
    X = X.bool()  # (m, n)
    z = X[:, ~inhibitory].sum(dim=1, keepdim=True)  # (m, 1)
    blocked = X[:, inhibitory].any(dim=1, keepdim=True)  # (m, 1)
    return ((z >= theta) & ~blocked).to(torch.int8)  # (m, 1)


def mp_fit(X: torch.Tensor, Y: torch.Tensor) -> tuple[int, torch.Tensor]:
    """The handmade exhaustive search, in the same order, in torch ops: the first (θ, mask) that reproduces Y."""
    m, n = X.shape
    masks = [
        torch.isin(torch.arange(n), torch.tensor(c, dtype=torch.long))
        for r in range(n + 1)
        for c in itertools.combinations(range(n), r)
    ]
    Y = Y.to(torch.int8)
    for mask in masks:
        for theta in range(n + 2):
            if torch.equal(mp_forward(X, theta, mask), Y):
                return theta, mask
    raise ValueError("no threshold and inhibitory mask of an MP neuron reproduce Y")
