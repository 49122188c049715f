"""The MP neuron's fit where the answer is not unique: its documented search order decides.

`fit` tries the masks with the fewest inhibitory inputs first (in `itertools.combinations`
order within a size), and for each mask θ = 0, 1, ..., n + 1; the first (θ, mask) that
reproduces Y wins. Full truth tables of the notes' gates have a unique fit, so these use
partial tables and all-zero targets, and hold the torch twin's search to the same answers.
"""

import itertools

import numpy as np
import pytest
import torch

from torchref import models
from torchref_handmade import mp_neuron


def _fit_both(X, Y, inhibitory=None):
    X, Y = np.array(X, float), np.array(Y, float).reshape(-1, 1)
    theta, mask = mp_neuron.fit(X, Y, inhibitory)
    if inhibitory is None:
        t_theta, t_mask = models.mp_fit(torch.from_numpy(X), torch.from_numpy(Y))
        assert (t_theta, t_mask.tolist()) == (theta, mask.tolist()), "the torch twin searches in the same order"
    np.testing.assert_array_equal(mp_neuron.forward(X, theta, mask), Y)
    return theta, mask.tolist()


def _table(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), float)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_all_zero_targets_need_a_threshold_above_n(n):
    """Y = 0 everywhere: no mask is needed, and the smallest such θ is n + 1 (past every count of inputs)."""
    assert _fit_both(_table(n), np.zeros(2**n)) == (n + 1, [False] * n)


def test_all_zero_targets_with_a_given_mask_search_theta_up_to_n_plus_1():
    assert mp_neuron.fit(_table(2), np.zeros(4), inhibitory=[0, 0])[0] == 3
    assert mp_neuron.fit(_table(2), np.zeros(4), inhibitory=[0, 1])[0] == 2  # one excitatory input: θ = 2


def test_all_one_targets_take_theta_zero():
    assert _fit_both(_table(2), np.ones(4)) == (0, [False, False])


def test_fewest_inhibitory_inputs_win_over_a_smaller_theta():
    """One row (1, 0) labelled 0: θ = 2 with no inhibitory input, not θ = 0 with inputs blocked."""
    assert _fit_both([[1, 0]], [0]) == (2, [False, False])


def test_among_masks_of_one_size_the_first_combination_wins():
    """Both single-input masks reproduce Y with θ = 0; input 0 comes first in combinations order."""
    assert _fit_both([[1, 1], [0, 0]], [0, 1]) == (0, [True, False])


def test_a_later_mask_of_the_same_size():
    """Only input 1 inhibitory works: the search goes on past the first mask of the size."""
    assert _fit_both([[1, 0], [0, 1], [0, 0]], [1, 0, 0]) == (1, [False, True])


def test_the_smallest_theta_wins_on_a_partial_table():
    """(1, 1) labelled 1 and nothing else known: θ = 0 already reproduces it."""
    assert _fit_both([[1, 1]], [1]) == (0, [False, False])
    assert _fit_both([[1, 1], [1, 0]], [1, 0]) == (2, [False, False])


def test_partial_tables_of_the_notes_gates():
    """AND seen only on (1, 1) and (0, 1): θ = 2 fits, and also labels (1, 0) as AND does."""
    theta, mask = _fit_both([[1, 1], [0, 1]], [1, 0])
    assert (theta, mask) == (2, [False, False])
    assert mp_neuron.forward(np.array([[1.0, 0.0]]), theta, mask)[0, 0] == 0


def test_no_fit_raises():
    with pytest.raises(ValueError, match="no threshold and inhibitory mask"):
        mp_neuron.fit(_table(2), [0, 1, 1, 0])  # XOR
    with pytest.raises(ValueError, match="no threshold and inhibitory mask"):
        mp_neuron.fit([[1.0, 0.0], [1.0, 0.0]], [0, 1])  # one row, two labels


def test_forward_blocks_on_any_inhibitory_input_and_counts_the_others():
    X = _table(3)
    A = mp_neuron.forward(X, 1, [1, 0, 0])
    expected = ((X[:, 1] + X[:, 2] >= 1) & (X[:, 0] == 0)).astype(np.int8).reshape(-1, 1)
    np.testing.assert_array_equal(A, expected)
    assert A.dtype == np.int8
