"""The learner's line: a locator finds the construct it names, and reads any other line of the file without failing."""

from __future__ import annotations

import textwrap

import pytest

from torchref.checker.pieces import where

# a learner's normalise with a fixed range, beside ordinary assignments that are not calls at all
FIXED_RANGE = textwrap.dedent(
    """
    import numpy as np


    def normalise(X):
        eps = 0
        low = np.array([0.0, 500.0])  # rainfall, rent
        high = np.array([20.0, 3000.0])
        span = high - low
        return (X - low) / (span + eps)
    """
)


def test_constant_array_finds_the_fixed_range_past_assignments_of_no_call():
    code = where.parse(FIXED_RANGE, "normalise")
    assert code is not None
    assert where.constant_array(code) == 7  # low = np.array([0.0, 500.0])


def test_constant_array_finds_nothing_in_a_file_without_one():
    code = where.parse(FIXED_RANGE.replace("np.array", "np.min"), "normalise")
    assert code is not None
    assert where.constant_array(code) is None


def _line(text: str) -> int:
    """The line of `text` marked `# <-`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("# <-"))


UPDATE = """
def update(params, grads, lr):
    new = {}
    for k in params:
        new[k] = params[k] - lr * grads["d" + k]
    return new
"""


# (locator, its argument, a learner's function with the construct, the function's name, the same without it)
LOCATED = [
    (
        where.subtraction,
        (),
        "def loss(A, Y):\n    diff = A - Y  # <-\n    return diff ** 2\n",
        "loss",
        "def loss(A, Y):\n    diff = A[0] - Y[0]\n    return diff ** 2\n",
    ),
    (
        where.sum_without_keepdims,
        (),
        "def db(dZ):\n    s = dZ.sum(axis=0)  # <-\n    return s\n",
        "db",
        "def db(dZ):\n    s = dZ.sum(axis=0, keepdims=True)\n    return s\n",
    ),
    (
        where.loop_range,
        (),
        "def train(X):\n    for x in X:\n        pass\n    for i in range(9):  # <-\n        pass\n",
        "train",
        "def train(X):\n    for x in X:\n        pass\n",
    ),
    (
        where.writes_into,
        (0,),
        "def update(params, grads):\n    W, b = params, 1\n    W['W'] -= grads['dW']  # <-\n",
        "update",
        "def update(params, grads):\n    W, b = 1, params\n    W -= 1\n    b2 = b\n",
    ),
    (
        where.plus_on_gradient,
        (),
        "def update(params, grads):\n    return params + grads  # <-\n",
        "update",
        "def update(params, grads):\n    return params - 0.1 + 1\n",
    ),
    (
        where.rebinds_argument,
        (2,),
        "def update(params, grads, lr):\n    x = 1\n    lr = lr * 0.95  # <-\n",
        "update",
        UPDATE,
    ),
    (
        where.append_in_loop,
        (),
        "def train(X):\n    losses = []\n    for x in X:\n        losses.append(x)  # <-\n",
        "train",
        "def train(X):\n    losses = []\n    for x in X:\n        print(x)\n    losses.append(0)\n",
    ),
    (
        where.call_before_loop,
        (),
        "def train(X):\n    backward(X)  # <-\n    for x in X:\n        pass\n",
        "train",
        "def train(X):\n    for x in X:\n        backward(x)\n",
    ),
    (
        where.log_of_preactivation,
        (),
        "def loss(X, W):\n    Z = X @ W\n    return np.log(Z)  # <-\n",
        "loss",
        "def loss(X, W):\n    Z = X @ W\n    A = 1 / (1 + np.exp(-Z))\n    return np.log(A)\n",
    ),
    (
        where.min_without_axis,
        (),
        "def normalise(X):\n    lo = X.min(axis=0)\n    hi = X.max()  # <-\n",
        "normalise",
        "def normalise(X):\n    lo = X.min(axis=0)\n    hi = np.max(X, 0)\n",
    ),
    (
        where.axis_one,
        (),
        "def softmax(Z):\n    e = np.exp(Z)\n    return e / e.sum(axis=1)  # <-\n",
        "softmax",
        "def softmax(Z):\n    e = np.exp(Z)\n    return e / e.sum(axis=0, keepdims=True)\n",
    ),
    (
        where.like_input,
        (),
        "def normalise(X):\n    out = np.abs(X)\n    out = np.zeros_like(X)  # <-\n",
        "normalise",
        "def normalise(X):\n    out = np.zeros(X.shape)\n",
    ),
    (
        where.innermost,
        (),
        "def train(X):\n    for x in X:\n        print(x)\n        w = x  # <-\n",
        "train",
        "def train(X):\n    for x in X:\n        print(x)\n    w = 1\n",
    ),
]


@pytest.mark.parametrize(
    ("locator", "args", "found", "name", "missing"), LOCATED, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_locator_names_the_line_of_its_construct_and_no_line_without_it(locator, args, found, name, missing):
    code = where.parse(found, name)
    assert code is not None and locator(code, *args) == _line(found)
    assert locator(where.parse(missing, name), *args) is None  # no construct: no line claimed


def test_locators_of_an_argument_the_function_does_not_take_claim_no_line():
    code = where.parse("def update(params):\n    params['W'] = 0\n", "update")
    assert where.writes_into(code, 0) == 2
    assert where.writes_into(code, 1) is None and where.rebinds_argument(code, 1) is None


def test_a_file_that_does_not_parse_has_no_function_to_read():
    assert where.parse("def forward(X:\n", "forward") is None
    assert where.parse(b"x = 1\0\n", "forward") is None


def test_a_missing_function_reads_as_no_lines_and_a_method_is_found_by_its_name():
    code = where.parse("def other(X):\n    return X\n", "forward")
    assert code is not None and code.bodies == [] and where.last_return(code) is None
    method = "class Net:\n    def forward(self, X):\n        return X  # <-\n"
    code = where.parse(method, "forward")
    assert code.params() == ["X"] and where.last_return(code) == 3


def test_the_defining_line_skips_an_empty_start_the_values_are_filled_into():
    text = "def normalise(X):\n    out = []\n    out = X / 2  # <-\n    return out\n"
    assert where.defining(where.parse(text, "normalise")) == _line(text)
    filled = "def normalise(X):\n    out = []\n    return out\n"
    assert where.defining(where.parse(filled, "normalise")) == 3  # only the empty start: the return itself


LOOPS = {
    "A02's row loop": """
        def train(X, Y, params, lr, steps):
            data = np.hstack([X, Y])
            W, b = params["W"], params["b"]
            for epoch in range(steps):
                for row in data:  # <-
                    dz = sigmoid(row[:-1] @ W + b) - row[-1]
                    W, b = W - lr * row[:-1, None] * dz, b - lr * dz
            return {"W": W, "b": b}, losses
    """,
    "rows by index in a while loop": """
        def train(X, Y, params, lr, steps):
            m = X.shape[0]
            t = 0
            while t < steps:
                for i in rng.permutation(m):  # <-
                    params = step(params, X[i:i + 1], Y[i:i + 1], lr)
                t += 1
            return params, losses
    """,
}
NOT_ROW_LOOPS = {
    "the parameters' dict": """
        def train(X, Y, params, lr, steps):
            for t in range(steps):
                grads = backward(X, Y, params, forward(X, params)[1])
                for key in params:
                    params[key] = params[key] - lr * grads["d" + key]
            return params, losses
    """,
    "the cost added up row by row": """
        def train(X, Y, params, lr, steps):
            for t in range(steps):
                total = 0
                for i in range(X.shape[0]):
                    total += bce(X[i], Y[i], params)
                losses.append(total / X.shape[0])
                params = update(params, grads, lr)
            return params, losses
    """,
}


@pytest.mark.parametrize("text", LOOPS.values(), ids=list(LOOPS))
def test_a_loop_over_the_rows_inside_the_epochs_is_found(text):
    code = where.parse(textwrap.dedent(text), "train")
    assert where.loops_over_rows(code) == _line(textwrap.dedent(text))


@pytest.mark.parametrize("text", NOT_ROW_LOOPS.values(), ids=list(NOT_ROW_LOOPS))
def test_an_inner_loop_that_updates_no_row_at_a_time_is_not_a_row_loop(text):
    assert where.loops_over_rows(where.parse(textwrap.dedent(text), "train")) is None


def test_the_strict_comparison_is_the_one_with_theta_not_an_earlier_one():
    """An inhibitory veto `> 0` before `z > theta`: the line of the mistake is the threshold's comparison."""
    text = textwrap.dedent(
        """
        def forward(X, theta, inhibitory=None):
            mask = np.zeros(X.shape[1], dtype=bool) if inhibitory is None else np.asarray(inhibitory, dtype=bool)
            z = X[:, ~mask].sum(axis=1, keepdims=True)
            veto = X[:, mask].sum(axis=1, keepdims=True) > 0
            return ((z > theta) & ~veto).astype(int)  # <-
        """
    )
    assert where.compare_strict(where.parse(text, "forward")) == _line(text)
