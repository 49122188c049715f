"""The course's gate, as the course's repository ships it."""


def test_backprop(torchref_check):
    torchref_check("derivation.py", model="shallow")
