"""Derivation files that pass `torchref check`: templates for learners, fixtures for tests."""
