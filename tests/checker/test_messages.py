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


def test_a_syntax_error_is_placed_by_its_line_without_a_function():
    """A file that does not parse has no function to name: no `in ?` (the sandbox's placeholder)."""
    error = {"type": "SyntaxError", "message": "invalid syntax", "file": "bad.py", "line": 1, "function": "?"}
    error["code"] = "def backward(:"
    assert messages.where(error) == "SyntaxError at bad.py:1: `def backward(:`: invalid syntax"


# a learner's template with one line left as the template wrote it; `dW1`'s line reads it and raises
PARTLY = """def backward(X, Y, params, cache):
    m = X.shape[0]
    dZ1 = ...
    dW1 = (X.T @ dZ1) / m
    db1 = dZ1.sum(axis=0, keepdims=True)
    return {"dW1": dW1, "db1": db1}
"""
RAISED = {
    "type": "ValueError",
    "message": "matmul: Input operand 1 does not have enough dimensions",
    "file": "mine.py",
    "line": 4,
    "function": "backward",
    "code": "dW1 = (X.T @ dZ1) / m",
    "shapes": {"X": [3, 2]},
}


def test_a_raise_that_reads_a_template_line_left_unfilled_names_that_line_first():
    text = messages.where(RAISED, {"m": 3, "n": 2}, PARTLY)
    assert text.startswith("line 3: `dZ1 = ...` is not filled in yet: ValueError at mine.py:4 in backward"), text


def test_the_unfilled_line_is_named_only_when_the_source_shows_it():
    """Each of these: the value the raising line reads is not (or not surely) the template's `...`."""
    refilled = PARTLY.replace("    dZ1 = ...\n", "    dZ1 = ...\n    dZ1 = X @ params['W1']\n")
    branched = PARTLY.replace("    dZ1 = ...\n", "    if m > 1:\n        dZ1 = ...\n    else:\n        dZ1 = X\n")
    indexed = PARTLY.replace("    dZ1 = ...\n", "    dZ1 = X[..., :1]\n")  # NumPy's own Ellipsis, in an index
    for source, error in [
        (refilled, {**RAISED, "line": 5}),
        (branched, {**RAISED, "line": 7}),
        (indexed, RAISED),
        (PARTLY, {**RAISED, "shapes": {"X": [3, 2], "dZ1": [3, 4]}}),  # the frame held an array dZ1
        (PARTLY, {**RAISED, "function": "forward"}),  # no such function around that line
    ]:
        assert messages.unfilled(source, error) == "", source
        assert "not filled in" not in messages.where(error, {"m": 3}, source)
    raising = PARTLY.replace("(X.T @ dZ1) / m", "(X.T @ ...) / m")  # the raising line holds the `...` itself
    assert messages.unfilled(raising, {**RAISED, "code": ""}) == "line 4: `dW1 = (X.T @ ...) / m` is not filled in yet"


def test_a_returned_value_that_is_a_template_line_left_unfilled_names_that_line():
    said = messages.problems(["0/grads/db1: dtype object is not numeric"], PARTLY)
    assert said == "0/grads/db1: dtype object is not numeric"  # db1 is computed, not the `...`: nothing added
    left = PARTLY.replace("    db1 = dZ1.sum(axis=0, keepdims=True)\n", "    db1 = ...\n")
    said = messages.problems(["0/grads/db1: dtype object is not numeric"], left)
    assert said == "line 5: `db1 = ...` is not filled in yet: 0/grads/db1: dtype object is not numeric"
    direct = PARTLY.replace('"db1": db1', '"db1": ...')
    said = messages.problems(["0/grads/db1: dtype object is not numeric"], direct)
    assert said.startswith("line 6: `return {") and "is not filled in yet: 0/grads/db1" in said
