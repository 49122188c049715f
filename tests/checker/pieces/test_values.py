"""A piece's return value read as the contract's named values: what may be left out, what may not."""

from __future__ import annotations

import textwrap

import torchref

PERCEPTRON = textwrap.dedent(
    """
    import numpy as np


    def forward(X, params):
        Z = X @ params["W"] + params["b"]  # (m, 1)
        A = (Z >= 0).astype(X.dtype)  # the step
        return A, {"Z": Z, "A": A}


    def backward(X, Y, params, cache):
        m = X.shape[0]
        dZ = cache["A"] - Y  # (m, 1)
        dW = (1 / m) * X.T @ dZ  # (n, 1)
        db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)  # (1, 1)
        return GRADS


    def update(params, grads, lr):
        return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}
    """
)


def _check(grads: str):
    return torchref.check(source=PERCEPTRON.replace("GRADS", grads), model="perceptron", seed=3)


def test_a_backward_returning_the_notes_grads_dW_and_db_passes_without_dZ():
    report = _check('{"dW": dW, "db": db}')
    assert report.verdict == "pass", report.reason


def test_a_returned_dZ_is_judged_and_a_missing_dW_is_named():
    wrong_dZ = _check('{"dZ": -dZ, "dW": dW, "db": db}')
    assert (wrong_dZ.verdict, wrong_dZ.first_wrong_piece) == ("wrong", "backward")
    missing = _check('{"db": db}')
    assert missing.verdict == "wrong" and "returned no dW" in missing.reason, missing.reason


def test_the_table_shows_the_wrong_pieces_smallest_case_with_both_values():
    report = _check('{"dW": dW, "db": db}'.replace('"dW": dW', '"dW": 2 * dW'))
    text = report.table()
    assert report.first_wrong_piece == "backward"
    case = text[text.index("the smallest failing case") :]
    assert "backward's arguments:" in case and "the reference's dW = " in case and "your dW = " in case, text


def test_the_table_says_what_became_of_every_function_of_the_contract():
    text = _check('{"dW": dW, "db": db}').table()
    assert "functions: forward pass, loss not in the file, backward pass, update pass, train not in the file" in text


TRAIN = """

def train(X, Y, params, lr, steps):
    losses = []
    for _ in range(steps):
        A, cache = forward(X, params)
        losses.append(float(np.mean(np.abs(A - Y))))  # the error rate before each update
        params = update(params, backward(X, Y, params, cache), lr)
    A, _ = forward(X, params)
    losses.append(float(np.mean(np.abs(A - Y))))
    return RETURNED
"""


def test_a_forward_returning_A_alone_is_told_it_must_return_A_and_the_cache():
    report = torchref.check(
        source=PERCEPTRON.replace("GRADS", '{"dW": dW, "db": db}').replace('return A, {"Z": Z, "A": A}', "return A"),
        model="perceptron",
        seed=3,
    )
    assert (report.verdict, report.reason) == ("wrong", "forward: forward must return (A, cache), got ndarray")


def test_a_train_returning_its_losses_as_a_list_of_floats_passes_and_the_parameters_alone_are_refused():
    source = PERCEPTRON.replace("GRADS", '{"dW": dW, "db": db}') + TRAIN
    listed = torchref.check(source=source.replace("RETURNED", "params, losses"), model="perceptron", seed=3)
    assert listed.verdict == "pass", listed.reason
    alone = torchref.check(source=source.replace("RETURNED", "params"), model="perceptron", seed=3)
    assert (alone.verdict, alone.reason) == ("wrong", "train: train must return (params, losses), got dict")
