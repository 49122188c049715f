"""Homework 3 without the calculus: a small reverse-mode automatic differentiation (a tape of array operations)
records the forward pass and plays it backwards. No line of the notes' backward is written."""

import numpy as np


class Tensor:
    def __init__(self, value, parents=()):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = parents  # (parent, function from this node's gradient to the parent's)
        self.grad = np.zeros_like(self.value)

    @staticmethod
    def lift(x):
        return x if isinstance(x, Tensor) else Tensor(x)

    def __add__(self, other):
        other = Tensor.lift(other)
        return Tensor(self.value + other.value, ((self, lambda g: g), (other, lambda g: g)))

    __radd__ = __add__

    def __neg__(self):
        return Tensor(-self.value, ((self, lambda g: -g),))

    def __sub__(self, other):
        return self + -Tensor.lift(other)

    def __rsub__(self, other):
        return Tensor.lift(other) + -self

    def __mul__(self, other):
        other = Tensor.lift(other)
        return Tensor(self.value * other.value, ((self, lambda g: g * other.value), (other, lambda g: g * self.value)))

    __rmul__ = __mul__

    def __matmul__(self, other):
        return Tensor(self.value @ other.value, ((self, lambda g: g @ other.value.T), (other, lambda g: self.value.T @ g)))

    def tanh(self):
        t = np.tanh(self.value)
        return Tensor(t, ((self, lambda g: g * (1 - t * t)),))

    def sigmoid(self):
        s = 1 / (1 + np.exp(-self.value))
        return Tensor(s, ((self, lambda g: g * s * (1 - s)),))

    def log(self):
        return Tensor(np.log(self.value), ((self, lambda g: g / self.value),))

    def mean(self):
        n = self.value.size
        return Tensor(self.value.mean(), ((self, lambda g: np.full_like(self.value, g / n)),))

    def backprop(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent, _ in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = np.ones_like(self.value)
        for node in reversed(order):
            for parent, local in node.parents:
                g = local(node.grad)
                while g.ndim > parent.value.ndim:
                    g = g.sum(axis=0)
                for axis, size in enumerate(parent.value.shape):
                    if size == 1 and g.shape[axis] != 1:
                        g = g.sum(axis=axis, keepdims=True)
                parent.grad = parent.grad + g


def forward(X, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z1 = X @ W1 + b1
    A1 = np.tanh(Z1)
    Z2 = A1 @ W2 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X, Y, params, cache):
    P = {k: Tensor(v) for k, v in params.items()}
    A2 = ((Tensor(X) @ P["W1"] + P["b1"]).tanh() @ P["W2"] + P["b2"]).sigmoid()
    J = -(Tensor(Y) * A2.log() + (1 - Tensor(Y)) * (1 - A2).log()).mean()
    J.backprop()
    return {"d" + k: P[k].grad.astype(X.dtype) for k in params}
