"""Where learners' files run: the sandbox (bubblewrap, or the basic fallback) and what crosses its boundary.

- `sandbox`: one server per batch and job, and the limits (`Limits`);
- `runner`: what runs inside (the judge never imports it: it is sent as text);
- `protocol`: the arrays and case keys that the judge and the learner's process exchange;
- `child`: one file through the batch's sandbox, and what comes back read as untrusted.
"""
