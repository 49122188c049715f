"""The plan of calls the runner makes in the learner's process, and what comes back, read as values.

The runner knows no model: the judge sends, per case, the contract function to call, its
arguments in the contract's order (an input array, a dict of them, a number, or what an
earlier call returned), and the runner calls it on fresh copies and sends back every array
it returned (keyed by its place in the value: "" for the value itself, "0" and "1.W" inside
a tuple and a dict), the type of every part, and which of its arguments it changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from torchref.checker.pieces.cases import Case
from torchref.checker.sandbox import protocol
from torchref.contracts import Contract

if TYPE_CHECKING:
    from torchref.checker.pieces.cases import Values
    from torchref.checker.sandbox.protocol import ArgSpec, Array, Plan, PlannedCall

PREFIX = "p."  # the keys of the plan's inputs: "p.loss3/A", beside the backward's "3/X"


def build(contract: Contract, cases: list[Case]) -> tuple[dict[str, Array], Plan]:
    """(inputs, plan): the arrays every call reads, loaded once per batch, and the calls themselves."""
    inputs: dict[str, Array] = {}
    calls: list[PlannedCall] = []
    for case in cases:
        key = PREFIX + case.id
        if case.piece == "step":  # the learner's backward, then their update on its gradients
            calls.append(
                {"id": key + "_bw", "fn": "backward", "args": _args(key, inputs, case.args, "X Y params cache")}
            )
            args = _args(key, inputs, case.args, "params") + [("grads", {"ret": key + "_bw"})]
            calls.append({"id": key, "fn": "update", "args": args + _args(key, inputs, case.args, "lr")})
            continue
        function = contract[case.piece]
        calls.append(
            {"id": key, "fn": case.piece, "args": _args(key, inputs, case.args, function.args + function.optional)}
        )
    names = {name: contract.spellings(name) for name in contract.names}
    return inputs, {"names": names, "calls": calls}


def _args(key: str, inputs: dict[str, Array], values: Values, names: str | Sequence[str]) -> list[tuple[str, ArgSpec]]:
    out: list[tuple[str, ArgSpec]] = []
    for name in names.split() if isinstance(names, str) else names:
        value = values.get(name)
        if isinstance(value, np.ndarray):
            inputs[protocol.key(key, name)] = value
            out.append((name, {"in": protocol.key(key, name)}))
        elif isinstance(value, dict):
            inputs.update({protocol.key(key, name, k): v for k, v in value.items()})
            out.append((name, {"dict": [key, name]}))
        else:
            out.append((name, {"value": value}))
    return out


def returned(outputs: Mapping[str, Array], call_id: str) -> dict[str, Array]:
    """{place: array} of what one call returned."""
    return protocol.take(outputs, PREFIX + call_id, "ret")


def expected_bytes(cases: list[Case]) -> int:
    """The bytes a right file sends back for the plan (the judge caps what it reads at a multiple)."""
    total = 0
    for case in cases:
        for value in case.expected.values():
            total += np.asarray(value).nbytes if value is not None else 8
    return 2 * total
