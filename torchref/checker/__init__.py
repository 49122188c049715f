"""Check a learner's derivation: run it in a child process, compare, name the first wrong link.

A derivation is a Python file defining `backward(X, Y, params, cache) -> grads` (and
optionally `forward(X, params) -> (A, cache)`) for one registry model, with the notes'
names (README, "Checking a derivation"). The package's parts:

- `report`: what is said about a file (per tensor and as a whole), as text and JSON;
- `diagnosis`: the notes' chain, what a link's own line gives, the kinds of mistakes;
- `protocol`: the arrays and case keys that the judge and the learner's process exchange;
- `sandbox`: where learners' files run (bubblewrap, or the basic fallback), one server per
  batch and job, and the limits (`Limits`); `runner.py` is what runs there (the judge never
  imports it);
- `child`: one file through the batch's sandbox, and what comes back read as untrusted;
- `escape`: learner text made harmless before it is printed or written;
- `judge`: the batch's cases and their reference, drawn once; every file's arrays compared
  and walked in order.
"""

from torchref.checker.batch import Interrupted, check, check_many
from torchref.checker.report import SCHEMA, FileReport, TensorVerdict, UnusableInput

__all__ = ["SCHEMA", "FileReport", "Interrupted", "TensorVerdict", "UnusableInput", "check", "check_many"]
