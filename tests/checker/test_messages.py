"""The learner's sentences (torchref/checker/messages.py)."""

from torchref.checker import messages

# bad is (m, m): an (m,) dZ2 broadcast against Y; the learner then gives it a bare annotation before the raising line
SOURCE = """def backward(X, Y, params, cache):
    A2 = cache["A2"]
    dZ2 = (A2 - Y).ravel()
    bad = dZ2 - Y
    bad: object
    return bad @ params["W2"]
"""
ERROR = {
    "type": "ValueError",
    "message": "matmul: Input operand 1 has a mismatch in its core dimension 0",
    "file": "backward.py",
    "line": 6,
    "function": "backward",
    "code": 'return bad @ params["W2"]',
    "shapes": {"bad": [4, 4]},
}


def test_where_takes_a_bare_annotation_for_no_assignment():
    """The last statement naming `bad` is `bad: object`, which has no value: no hint, and no AttributeError."""
    text = messages.where(ERROR, {"m": 4, "n": 3}, SOURCE)
    assert text.startswith("ValueError at backward.py:6 in backward: `return bad @ params"), text
    assert "hint:" not in text, text
