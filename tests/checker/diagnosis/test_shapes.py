"""Why a learner's line raised, read from its operands' shapes: the sentence said, or nothing.

Each case is a line a learner writes, run here with NumPy on arrays of the frame's shapes to get
NumPy's own message; the explanation must name the operation and the shapes that message names,
and say nothing when the shapes do not show the cause.
"""

import numpy as np
import pytest

from torchref.checker.diagnosis import shapes

SIZES = {"m": 3, "n": 2, "h": 4}
FRAME = {"X": [3, 2], "W1": [2, 4], "b1": [1, 4], "Z1": [3, 4], "dZ1": [3, 4], "dW1": [2, 4], "W2": [4, 1]}


def _raised(code: str, frame: dict = FRAME) -> dict:
    """The error the sandbox sends back when `code` raises on arrays of `frame`'s shapes."""
    arrays = {name: np.ones(shape) for name, shape in frame.items()}
    with pytest.raises(ValueError) as raised:
        exec(code, {"np": np, "ax": 1, "f": lambda a: a}, arrays)
    return {"code": code, "shapes": frame, "message": str(raised.value)}


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        # a reduction along the wrong axis, positional: a row of m against a row of h
        (
            "db1 = np.sum(dZ1, 1) + b1",
            "`np.sum(dZ1, 1)` is (3,) = (m,) and `b1` is (1, 4) = (1, h): `+` cannot broadcast them together",
        ),
        # a mean over everything is a number: the product that follows is the mistake
        (
            "Z1 = X.mean() * W1 @ X",
            "`X.mean() * W1` is (2, 4) = (n, h) and `X` is (3, 2) = (m, n): their product needs 4 = 3",
        ),
        # tanh keeps its argument's shape
        (
            "A1 = np.tanh(X @ W1) + b1.T",
            "`np.tanh(X @ W1)` is (3, 4) = (m, h) and `b1.T` is (4, 1) = (h, 1): `+` cannot broadcast",
        ),
        # ReLU by np.maximum keeps Z1's shape
        (
            "A2 = np.maximum(0, Z1) @ W1",
            "`np.maximum(0, Z1)` is (3, 4) = (m, h) and `W1` is (2, 4) = (n, h): their product needs 4 = 2",
        ),
        # a minus sign keeps the shape
        ("Z1 = -X @ W1.T", "`-X` is (3, 2) = (m, n) and `W1.T` is (4, 2) = (h, n): their product needs 2 = 4"),
        # one column kept as a column by i:i + 1
        (
            "Z1 = X[:, 0:0 + 1] @ W1",
            "`X[:, 0:0 + 1]` is (3, 1) = (m, 1) and `W1` is (2, 4) = (n, h): their product needs 1 = 2",
        ),
        # an integer index takes the row's axis away; a full slice keeps the other
        (
            "z = X[0, :] @ W1.T",
            "`X[0, :]` is (2,) = (n,) and `W1.T` is (4, 2) = (h, n): their product needs 2 = 4",
        ),
        # an update that grows the parameter does not fit in it
        (
            "b1 -= dZ1",
            "`dZ1` is (3, 4) = (m, h): combined with `b1`, which is (1, 4) = (1, h), it broadcasts to (3, 4) = (m, h), "
            "which does not fit in `b1`",
        ),
    ],
)
def test_a_raising_line_is_explained_by_the_operation_whose_shapes_numpy_names(code, sentence):
    assert sentence in shapes.explain(_raised(code), SIZES)


@pytest.mark.parametrize(
    "code",
    [
        "Z1 = X[:, 1:] @ W1.T",  # a slice of a width the reading cannot know
        "Z1 = X[f(X)] @ W1.T",  # an index by an expression
        "Z1 = X.shape @ W1.T",  # an attribute other than .T
        "Z1 = np.sum(f(X), axis=0) @ W1.T",  # a reduction of a call it cannot size
        "Z1 = np.sum(X, axis=ax) @ W1.T",  # an axis held in a name
        "Z1 = X % 2 @ W1.T",  # an operation outside the notes
        "Z1 = f(X)[0] @ W1.T",  # an index into a call
        "Z1 = X[0, 0, 0] @ W1.T",  # more indices than axes
    ],
)
def test_a_line_whose_shapes_the_reading_cannot_know_gets_no_explanation(code):
    error = {"code": code, "shapes": FRAME, "message": "matmul: size 4 is different from 2 (3,2) (4,2)"}
    assert shapes.explain(error, SIZES) == ""


@pytest.mark.parametrize(
    "error",
    [
        {"code": "", "shapes": FRAME, "message": "(3,2) (4,2)"},  # no statement sent
        {"code": "Z1 = X @ W1.T", "shapes": {}, "message": "(3,2) (4,2)"},  # no arrays in the frame
        {"code": "Z1 = (X @", "shapes": FRAME, "message": "(3,2) (4,2)"},  # the first line of a longer statement
        {"code": "Z1 = X @ W1.T; A1 = Z1", "shapes": FRAME, "message": "(3,2) (4,2)"},  # two statements
        {"code": "params['b1'] -= dZ1", "shapes": FRAME, "message": "(1,4) (3,4)"},  # a target it cannot size
        {"code": "W1 -= 0.1 * dW1", "shapes": FRAME, "message": "(2,4) (2,4)"},  # an update that fits
        {"code": "Z1 = X + b1", "shapes": {"X": ["a", "b"], "b1": [1, 4]}, "message": "(3,2) (1,4)"},  # not sizes
    ],
)
def test_an_error_the_shapes_cannot_explain_gets_no_explanation(error):
    assert shapes.explain(error, SIZES) == ""
