"""The cases a contract's pieces are judged on: drawn so that the notes' mistakes show, on the notes' data too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import torchref
from torchref.checker.pieces.cases import draw
from torchref.registry import REGISTRY

COURSE = Path(__file__).parents[2] / "catalogues" / "course"

SINGLE_NEURONS = [name for name, pair in REGISTRY.items() if pair.contract is not None and pair.shapes
                  and not pair.one_hot and not any(s.hidden for s in pair.shapes) and pair.model is not None
                  and hasattr(pair.model, "update")]  # fmt: skip


def test_the_single_neurons_are_the_sigmoid_neuron_and_the_perceptron():
    assert sorted(SINGLE_NEURONS) == ["logistic", "perceptron"]


@pytest.mark.parametrize("model", SINGLE_NEURONS)
def test_a_single_neuron_is_judged_on_rainfall_and_rent_as_the_notes_scale_them(model):
    """Besides random data: rainfall 0–20 mm and rent 500–3000, min–max scaled to [0, 1] per column, y = 1 on a
    rainy day, for the forward, the loss and the update (and the step they make)."""
    course = [c for c in draw(REGISTRY[model], 1) if c.label.startswith("rain (mm) and rent")]
    assert {c.piece for c in course} >= {"forward", "loss", "update", "step"}, [c.piece for c in course]
    X = next(c for c in course if c.piece == "forward").args["X"]
    Y = next(c for c in course if c.piece == "loss").args["Y"]
    assert X.shape == (8, 2) and X.min(axis=0).min() >= 0 and X.max(axis=0).max() <= 1
    assert set(np.unique(X * 4)) <= {0, 1, 2, 3, 4}  # quarters of each range: exact in binary
    assert set(np.unique(Y)) == {0.0, 1.0}


def test_a_loop_that_calls_a_wrong_backward_is_not_passed():
    """db1 summed over both axes is invisible with one hidden unit: the loops run on a network with more."""
    report = torchref.check(str(COURSE / "train_shallow_db1_summed_all.py"), model="shallow", seed=1)
    judged = {p["name"]: p["verdict"] for p in report.pieces}
    assert report.first_wrong == "db1" and judged["backward"] == "wrong", report.reason
    assert judged["train"] == "wrong", report.pieces
