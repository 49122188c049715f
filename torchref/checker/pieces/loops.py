"""Training loops as learners write them: which kind a loop is, and the mistakes of a loop.

Two kinds are right: batch gradient descent (the notes' 1/m rule) and per-example SGD over
the rows in data order (A02's `row[-1]` loop), one update per row with that row's gradient;
either way `losses` holds J over all rows before each update (each epoch), then the final
one. A per-example loop that visits the rows in a fresh order of X and Y together each
epoch is right too: the order is searched (small m) and reported. The perceptron's losses
may be its error rates or counts of misclassified rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from torchref.checker.pieces import where
from torchref.checker.pieces.cases import Case, Values, batch_trajectory, sgd_trajectory
from torchref.checker.pieces.mistakes import Mistake
from torchref.checker.pieces.values import same

if TYPE_CHECKING:
    from torchref.checker.pieces.mistakes import Reproduce
    from torchref.checker.sandbox.protocol import Array

    Loss = Callable[["Array", "Array"], float | np.floating[Any]]  # (Z, Y) -> the logged J

KINDS = {"batch": "batch gradient descent", "per-example": "per-example SGD, one row at a time in data order"}
MAX_SEARCH_ROWS = 5  # orders of the rows searched per epoch: m! (120 at m = 5)


def _run(case: Case, kind: str, **options: Any) -> Values:
    a = case.args
    trajectory: Callable[..., Values] = sgd_trajectory if kind == "per-example" else batch_trajectory
    return trajectory(case.extra["model"], a["X"], a["Y"], a["params"], a["lr"], a["steps"], **options)


def agrees(case: Case, values: Values, expected: Values) -> bool:
    return all(k in values and same(values[k], expected[k], case.dtype) for k in expected if not k.startswith("_"))


def counted(case: Case, values: Values) -> Values | None:
    """The values with losses given as counts of misclassified rows read as error rates (the perceptron's)."""
    losses = np.asarray(values.get("losses", []), np.float64)
    if losses.size and np.all(losses == np.round(losses)):
        return {**values, "losses": losses / case.extra["m"]}
    return None


def kind_of(case: Case, values: Values, perceptron: bool) -> tuple[str, bool]:
    """("batch" | "per-example" | "", losses counted): the kind of right loop the values are, if any."""
    readings: list[tuple[Values | None, bool]] = [(values, False)] + (
        [(counted(case, values), True)] if perceptron else []
    )
    for reading, as_counts in readings:
        if reading is None:
            continue
        for kind in KINDS:
            if agrees(case, reading, case.expected if kind == "batch" else _run(case, kind)):
                return kind, as_counts
    return "", False


def shuffled_together(case: Case, values: Values) -> bool:
    """Per-example SGD over some order of the rows (X and Y together) each epoch: searched epoch by epoch."""
    a, m = case.args, case.args["X"].shape[0]
    if m > MAX_SEARCH_ROWS or "losses" not in values:
        return False
    losses = np.asarray(values["losses"], np.float64)
    if losses.shape != (a["steps"] + 1,):
        return False
    model = case.extra["model"]

    def search(params: dict[str, Array], epoch: int) -> bool:
        if epoch == a["steps"]:
            return all(same(values[k], params[k], case.dtype) for k in params if k in values)
        for order in itertools.permutations(range(m)):
            after = sgd_trajectory(model, a["X"][list(order)], a["Y"][list(order)], params, a["lr"], 1)
            if same(losses[epoch + 1], after["losses"][-1], case.dtype) and search(
                {k: after[k] for k in params}, epoch + 1
            ):
                return True
        return False

    return bool(same(losses[0], _run(case, "batch")["losses"][0], case.dtype)) and search(a["params"], 0)


# --- the mistakes of a loop ---------------------------------------------------------------------------


def _alternative_losses(case: Case, path: list[dict[str, Array]], loss: Loss) -> Array | None:
    """The losses `loss` logs along `path`, or None for a model without one W and b (a deeper one)."""
    a = case.args
    with np.errstate(all="ignore"):
        return np.array([loss(a["X"] @ p["W"] + p["b"], a["Y"]) for p in path]) if "W" in path[0] else None


def _after_update(case: Case, values: Values) -> Values:
    guesses = [{**_params(ref), "losses": ref["losses"][1:]} for ref in (_run(case, kind) for kind in KINDS)]
    return next((g for g in guesses if agrees(case, values, g)), guesses[0])


def _after_update_padded(case: Case, values: Values) -> Values | None:
    """The losses logged after each update, the first of them repeated in front to make steps + 1 values."""
    for ref in (_run(case, kind) for kind in KINDS):
        after = ref["losses"][1:]
        guess = {**_params(ref), "losses": np.concatenate([after[:1], after])}
        if agrees(case, values, guess):
            return guess
    return None


def _uphill(case: Case, values: Values) -> Values | None:
    """Either kind of loop with every step added: W ← W + α dW."""
    for kind in KINDS:
        ref = _run(case, kind, scale=-1.0)
        guess = {**_params(ref), "losses": ref["losses"]}
        if agrees(case, values, guess):
            return guess
    return None


def _negated(case: Case, values: Values) -> Values | None:
    """The losses −J of either kind of loop: the logged cost without its minus sign."""
    for ref in (_run(case, kind) for kind in KINDS):
        guess = {**_params(ref), "losses": -np.asarray(ref["losses"])}
        if agrees(case, values, guess):
            return guess
    return None


def _params(ref: Values) -> Values:
    return {k: v for k, v in ref.items() if k not in ("losses", "_path")}


def _steps_off(case: Case, values: Values) -> Values | None:
    s = case.args["steps"]
    for k in (s - 1, s + 1):
        if k < 0:
            continue
        moved = dict(case.args, steps=k)
        ref = batch_trajectory(case.extra["model"], *(moved[x] for x in ("X", "Y", "params", "lr", "steps")))
        for losses in (ref["losses"], case.expected["losses"]):
            guess = {**_params(ref), "losses": losses}
            if agrees(case, values, guess):
                word = "too few" if k < s else "too many"
                return {**guess, "_detail": f"{k} updates for steps = {s}: one update {word}", "_key": word}
    return None


def _schedule(case: Case, values: Values) -> Values | None:
    """α multiplied by r after every step, r fitted to the learner's parameters (grid, then golden section)."""
    if case.args["steps"] < 2:
        return None

    def distance(r: float) -> float:
        ref = _run(case, "batch", schedule=lambda t: r**t)
        return sum(
            float(np.sum((np.asarray(values[k], np.float64) - ref[k]) ** 2)) for k in _params(ref) if k in values
        )

    grid = np.linspace(0.5, 1.5, 101)
    best = grid[int(np.argmin([distance(r) for r in grid]))]
    lo, hi = best - 0.01, best + 0.01
    for _ in range(40):
        a, b = lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo)
        lo, hi = (lo, b) if distance(a) < distance(b) else (a, hi)
    r = round((lo + hi) / 2, 4)
    if abs(r - 1) < 1e-3:
        return None
    ref = _run(case, "batch", schedule=lambda t: r**t)
    return {**_params(ref), "losses": ref["losses"], "_detail": f"× {r:g}", "_key": r}


def _bce(Z: Array, Y: Array) -> np.floating[Any]:
    J: np.floating[Any] = -np.mean(Y * np.log(Z) + (1 - Y) * np.log(1 - Z))
    return J


def _log_z(case: Case, values: Values) -> Values | None:
    for kind in KINDS:
        ref = _run(case, kind)
        losses = _alternative_losses(case, ref["_path"], _bce)
        if losses is not None and agrees(case, values, {**_params(ref), "losses": losses}):
            return {**_params(ref), "losses": losses}
    return None


def _y_log_a(case: Case, values: Values) -> Values | None:
    def only_first(Z: Array, Y: Array) -> np.floating[Any]:
        J: np.floating[Any] = -np.mean(Y * np.log(1 / (1 + np.exp(-Z))))
        return J

    for kind in KINDS:
        ref = _run(case, kind)
        losses = _alternative_losses(case, ref["_path"], only_first)
        if losses is not None and agrees(case, values, {**_params(ref), "losses": losses}):
            return {**_params(ref), "losses": losses}
    return None


def _kinded(kind: str, **options: Any) -> Reproduce:
    def reproduce(case: Case, values: Values) -> Values:
        ref = _run(case, kind, **options)
        return {**_params(ref), "losses": ref["losses"]}

    return reproduce


TRAIN = [
    Mistake("train-cost-after-update", "train",
            "the cost is logged after each update: losses holds J after steps 1, 2, …, and J before the first "
            "update (of the starting parameters) is missing; log J before each update, then the final one",
            _after_update, where.append_in_loop, only=("backward",)),
    Mistake("train-cost-after-update-padded", "train",
            "the cost is logged after each update and the first logged J repeated in front to make steps + 1 "
            "values: losses[0] is a copy of J after the first update, not J of the starting parameters; log J "
            "before each update, then the final one",
            _after_update_padded, where.append_in_loop, only=("backward",)),
    Mistake("train-cost-missing-minus", "train",
            "the logged cost has lost its minus sign: losses holds −J, where J = −(1/m) Σ [y log a + (1 − y) "
            "log(1 − a)] is positive and falls as the loop learns",
            _negated, where.first_log, only=("backward",)),
    Mistake("train-plus-for-minus", "train",
            "the step has the wrong sign: the parameters move by + α times the gradient, uphill, where the rule is "
            "W ← W − α dW",
            _uphill, where.plus_step, only=("backward",)),
    Mistake("train-stale-gradients", "train",
            "the gradients are computed once, before the loop: every step reuses the first step's gradients "
            "(stale); backward must run on the current parameters in every step",
            _kinded("batch", grads_at=0), where.call_before_loop, only=("backward",)),
    Mistake("train-update-discarded", "train",
            "the parameters never change: the update's new parameters are dropped (its result is not assigned), so "
            "every step starts again from the same parameters; assign it: params = update(params, grads, lr)",
            _kinded("batch", scale=0.0), where.result_dropped, mechanism=True, only=("backward",)),
    Mistake("train-steps-off-by-one", "train", "the loop makes {detail}", _steps_off, where.loop_range,
            only=("backward",)),
    Mistake("train-learning-rate-schedule", "train",
            "the learning rate changes from step to step (α {detail} after every step): a learning-rate schedule "
            "the contract does not ask for; α stays fixed",
            _schedule, lambda code: where.rebinds_argument(code, 3), only=("backward",)),
    Mistake("train-sgd-one-over-m", "train",
            "each per-row step is divided by m: one row's gradient (a batch of m = 1) takes the full step α x dz; "
            "the 1/m belongs to the batch rule's average",
            lambda c, v: _kinded("per-example", scale=1 / c.extra["m"])(c, v),
            lambda code: where.innermost(code, divides_by_m=True),
            only=("backward",)),
    Mistake("train-rows-stale-output", "train",
            "every row's output a is taken from the start of the epoch (stale): the updates add up to one batch "
            "step with the gradients summed, without 1/m, which is neither the per-row rule (recompute a before "
            "each row's update) nor the batch rule",
            _kinded("per-example", stale=True), where.innermost, only=("backward",)),
    Mistake("train-log-of-z", "train",
            "the loop's cost takes log Z, the pre-activation, where the notes take log A = log σ(Z)",
            _log_z, where.log_of_preactivation, only=("backward",)),
    Mistake("train-loss-y-log-a-only", "train",
            "the logged loss keeps only the y log a term: the (1 − y) log(1 − a) term of the rows with y = 0 is "
            "missing",
            _y_log_a, where.one_log_term, only=("backward",)),
]  # fmt: skip


SHUFFLED_APART = (
    "X and Y are shuffled separately (two shuffles): the rows lose their labels; shuffle them together with one "
    "permutation (order = rng.permutation(m); X[order], Y[order]), or keep the data order"
)


# --- a wrong loop, compared with the reference of its own kind ---------------------------------------------


def compared_kind(case: Case, values: Values, loops_over_rows: bool | None) -> tuple[str, str]:
    """(kind, why): the kind of loop a wrong loop is compared with. Per-example SGD when its code loops over the
    rows; batch gradient descent when its code has no such loop; without code to read (`None`), the kind whose
    trajectory its values are nearer (a wrong batch loop can be nearer SGD's: its code decides when it can)."""
    if loops_over_rows is not None:
        return ("per-example", "its code loops over the rows") if loops_over_rows else ("batch", "")
    sgd = _run(case, "per-example")
    if _distance(values, _params(sgd) | {"losses": sgd["losses"]}) < _distance(values, case.expected):
        return "per-example", "its values are nearer that trajectory"
    return "batch", ""


def trajectory(case: Case, kind: str) -> Values:
    """The reference values of `case` for a loop of `kind` (the case's own for batch)."""
    if kind == "batch":
        return case.expected
    ref = _run(case, kind)
    return {k: ref[k] for k in case.expected}


def _distance(values: Values, expected: Values) -> float:
    total = 0.0
    for k, e in expected.items():
        if k.startswith("_") or k not in values:
            continue
        g, r = np.asarray(values[k], np.float64).ravel(), np.asarray(e, np.float64).ravel()
        n = min(g.size, r.size)
        with np.errstate(all="ignore"):
            d = float(np.sum((g[:n] - r[:n]) ** 2))
        total += d if np.isfinite(d) else np.inf
    return total


def parting(case: Case, values: Values, expected: Values) -> tuple[int, str, str, str] | None:
    """(t, the value, what differs, the reference's number) at the first step t (t updates done) where the learner's
    trajectory parts from `expected`: losses[t] (J after t updates), or the parameters after the case's steps; None
    if nothing differs. `what differs` holds the learner's number only (a report may be shown with the expected
    values hidden); the reference's number is apart, for explain, which shows the reference anyway."""
    steps = case.args["steps"]
    found: list[tuple[int, str, str, str]] = []
    if "losses" in values and "losses" in expected:
        got = np.asarray(values["losses"], np.float64).ravel()
        ref = np.asarray(expected["losses"], np.float64).ravel()
        n = min(got.size, ref.size)
        t = next((t for t in range(n) if not same(got[t], ref[t], case.dtype)), n)
        if t < n:
            found.append(
                (t, f"losses[{t}]", f"losses[{t}] = {got[t]:.6g} differs from the reference's", f"{ref[t]:.6g}")
            )
        elif got.size != ref.size:
            count = f"losses has {got.size} value{'s' * (got.size != 1)}, the reference's {ref.size} (steps + 1)"
            said = f"losses[{t}] is missing: {count}" if got.size < ref.size else f"{count}: losses[{t}] is extra"
            found.append((t, "losses", said, ""))
    for k, e in expected.items():
        if k != "losses" and not k.startswith("_") and k in values and not same(values[k], e, case.dtype):
            found.append((steps, k, f"{k} after {steps} update{'s' * (steps != 1)} differs from the reference's", ""))
            break
    return min(found, key=lambda f: f[0]) if found else None


def parting_said(kind: str, why: str, t: int, what: str) -> str:
    """The sentence of the report: the kind compared with, the step where the loop parts from it and the value."""
    compared = f"{KINDS[kind]}{f' ({why})' if why else ''}"
    when = "before any update" if t == 0 else f"after {t} update{'s' * (t != 1)}"
    return f"compared with {compared}, train parts from it at step {t} ({when}): {what}"
