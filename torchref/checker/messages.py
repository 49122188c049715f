"""The learner's sentences: where their code raised, what the file lacks, what it returned instead.

Every learner text in them goes through `clean` (escape.py). The judge and `explain --file`
both speak through these functions, so one message reads the same wherever it is printed.
"""

from __future__ import annotations

from torchref.checker.diagnosis import source as reading
from torchref.checker.escape import clean
from torchref.contracts import Contract
from torchref.registry import REGISTRY, AutogradPair, Shape


def where(error: dict, m: int | None = None) -> str:
    """The learner's exception with file, line and code; a hint when a local has the (m, m) shape of a broadcast."""
    loc = (
        f" at {clean(error['file'])}:{error['line']} in {clean(error.get('function', '?'))}"
        if error.get("line")
        else ""
    )
    code = f": `{clean(error['code'])}`" if error.get("code") else ""
    text = f"{clean(error['type'])}{loc}{code}: {clean(error['message'])}"
    square = [name for name, shape in error.get("shapes", {}).items() if m and m > 1 and shape == [m, m]]
    if square:
        text += (
            f" (hint: {', '.join(clean(n) for n in square)} has shape ({m}, {m}) = (m, m): an (m,) array was broadcast"
            f" against an (m, 1) one)"
        )
    return text


def no_backward(source) -> str:
    """The file has no backward: say what it has instead."""
    found = reading.functions(source)
    similar = [f for f in found if "back" in f.lower() or "grad" in f.lower()]
    if similar:
        return f"found `{similar[0]}()`, expected `backward(X, Y, params, cache)`: the checker calls it by that name"
    return f"the file defines no function backward(X, Y, params, cache){_defines(found)}"


def none_of(contract: Contract, source: bytes | str) -> str:
    """The file defines none of the contract's functions: name them, and what the file defines instead."""
    found = reading.functions(source)
    if "backward" in contract.names and any("back" in f.lower() or "grad" in f.lower() for f in found):
        return no_backward(source)
    names = ", ".join(contract[n].signature for n in contract.names)
    return f"the file defines none of the contract's functions: {names}{_defines(found)}"


def _defines(found: list[str]) -> str:
    return f" (it defines {', '.join(f'`{clean(f)}()`' for f in found)})" if found else ""


def problems(problems: list) -> str:
    """The runner's complaints about what was returned, with the usual cause of each."""
    out = []
    for text in problems:
        if text.endswith("got NoneType"):
            function = "backward" if "grads must" in text else "forward"
            text = f"{function} returned None: a missing `return`?"
        out.append(text)
    unfilled = [text for text in out if text.endswith("dtype object is not numeric")]
    if len(unfilled) > 2:  # the template's `...` everywhere: one line, not one per name
        names = ", ".join(text.split(": ")[0].rsplit("/", 1)[-1] for text in unfilled)
        out = [t for t in out if t not in unfilled]
        out.append(f"{names} are not numbers (a `...` of the template not filled in yet?)")
    return "; ".join(out)


def other_model(pair: AutogradPair, shape: Shape, source) -> str:
    """When no case ran: a file written for another model of the registry ('keys A, dW, db': the logistic one)."""

    def vocabulary(p: AutogradPair, s: Shape) -> set:
        return set(p.param_shapes(s)) | set(p.names(s)) - {"J"}

    keys = reading.string_keys(source)
    ours = len(keys & vocabulary(pair, shape))
    best, best_keys = None, set()
    for name, other in REGISTRY.items():
        if other is pair or not other.differentiable:
            continue
        theirs = keys & vocabulary(other, other.shapes[-1])
        if len(theirs) > max(ours, len(best_keys)):
            best, best_keys = name, theirs
    if best is None:
        return ""
    return f"; this looks like a {best} file (keys {', '.join(sorted(best_keys))}): did you mean `--model {best}`?"
