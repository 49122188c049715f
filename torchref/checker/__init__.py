"""Check a learner's derivation: run it in a child process, compare, name the first wrong link.

A derivation is a Python file defining `backward(X, Y, params, cache) -> grads` (and
optionally `forward(X, params) -> (A, cache)`) for one registry model, with the notes'
names (README, "Checking a derivation"). The package's parts:

- `submission`: the front door: a path, a notebook, a cell's text or function objects made
  into one `Submission` (`intake` turns each into source; `folder` lists a class's folder);
- `options`: `CheckOptions`, every default of a check and its validation;
- `cases`: the seed, the cases drawn once per batch, their depth, the reference cache;
- `policy`: what a file may import and read;
- `batch`: one `Session` (cases, reference, sandbox) per batch, parallel workers, `Interrupted`;
- `judge`: one file's arrays compared along the notes' chain, and the verdict;
- `messages`: the learner's sentences; `escape`: learner text made harmless to print;
- `report`: what is said about a file (per tensor and as a whole), as text and JSON;
- `diagnosis/`: the chain's causes, the catalogue of mistakes, the formula search, the
  learner's source read for their line;
- `sandbox/`: where learners' files run, and what crosses the boundary.

The checker never imports `torchref.grading` nor the command line.
"""

from torchref.checker.batch import check, check_many, judge_submissions
from torchref.checker.options import DEFAULTS, CheckOptions
from torchref.checker.report import SCHEMA, FileReport, TensorVerdict, UnusableInput
from torchref.checker.submission import Submission
from torchref.interrupt import Interrupted

__all__ = [
    "DEFAULTS",
    "SCHEMA",
    "CheckOptions",
    "FileReport",
    "Interrupted",
    "Submission",
    "TensorVerdict",
    "UnusableInput",
    "check",
    "check_many",
    "judge_submissions",
]
