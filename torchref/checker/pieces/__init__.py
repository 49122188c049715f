"""The contract's pieces besides the backward, judged like it: forward, loss, update, the training loop, the
McCulloch–Pitts neuron's forward and fit, min–max normalisation and its inverse.

- `cases`: the cases of every piece and the reference's values on them;
- `plan`: the calls the runner makes in the learner's process, and what comes back;
- `values`: a return value read as the contract's named values, and compared;
- `mistakes`, `loops`: the known mistakes, each a verified transform of the reference;
- `where`: the learner's line of a mistake;
- `judge`: each piece's verdict, cause, line and smallest failing case;
- `session`: the batch's cases and plan, and a file's pieces merged into its report;
- `edits`, `repair`: the one-change edits of a wrong piece's line, and the one verified by judging it again.
"""
