"""The cases each piece of a contract is judged on, and what the reference computes on them.

Cases are drawn from the batch's seed so that the mistakes the notes' learners make show:
m ≥ 2 with both labels present (a shuffle or a sum for a mean changes the values), several
steps of a loop (an off-by-one step, stale gradients), a full truth table (z = θ occurs),
the course's kind of data (rainfall in mm and rent, rent in whole units) beside random
data. Edge cases (a saturated σ, a constant column, a single row) are judged on their own:
what the learner's function does there is a note, never the verdict on ordinary cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from torchref import contracts
from torchref.registry import ModelPair, Sample, Shape, Trainable
from torchref_handmade import mp_neuron
from torchref_handmade.normalise import MinMax

TRAIN_STEPS = (1, 2, 3)  # a loop is run for 1, 2 and 3 steps: the step where it parts is seen
LR = 0.1  # the top of the notes' range 0.1 → 0.001
PERCEPTRON_LR = 0.25  # the perceptron's α: its updates and its loops
LOOP_LR = 0.5  # the other loops' α: big enough that every step shows
EDGE = ("saturated", "constant column", "single row")

if TYPE_CHECKING:
    from torchref.checker.sandbox.protocol import Array

# a case's arguments and values: arrays, dicts of arrays, numbers, None (a θ that does not exist)
Values = dict[str, Any]
Schedule = Callable[[int], float]


@dataclass
class Case:
    """One call of one contract function: its arguments, in the contract's order, and what the reference gives."""

    id: str  # "loss3": the call's key in the plan
    piece: str  # the contract function
    args: Values  # argument name -> value (arrays, dicts of arrays, numbers, None)
    expected: Values  # value name -> the reference's value ("J", "W", "losses", "theta", ...)
    dtype: str = "float64"
    kind: str = "ordinary"  # or one of EDGE
    label: str = ""  # the case in words: "m=4 n=2 float32"
    extra: Values = field(default_factory=dict)  # what a mistake's reproduction needs besides the arguments

    @property
    def m(self) -> int:
        X = self.args.get("X", self.args.get("A", self.args.get("X_scaled")))
        return int(np.shape(X)[0]) if X is not None else 0


def draw(pair: ModelPair, seed: int, hidden: int | tuple[int, ...] | None = None) -> list[Case]:
    """Every case of the pair's contract, drawn from `seed` alone. A model with parameters is drawn at its usual
    depth, or at `hidden`: the batch's depth (a number of hidden layers) or its widths (a tuple)."""
    if pair.contract is contracts.MP_NEURON:
        return _mp_cases(seed)
    if pair.contract is contracts.NORMALISE:
        return _normalise_cases(seed)
    return _trainable_cases(pair, seed, hidden)


# --- forward, loss, update, train of a model with parameters ------------------------------------------


def _both_labels(Y: Array) -> Array:
    if Y.shape[0] >= 2 and Y.shape[1] == 1 and np.all(Y[0] == Y):
        Y = Y.copy()
        Y[0] = 1 - Y[0]
    return Y


def _samples(pair: ModelPair, seed: int, hidden: int | tuple[int, ...] | None = None) -> list[Sample]:
    """A few small samples (m ≥ 2) of the pair at its usual depth or at `hidden` (`draw`), float64 and float32."""
    shapes = [s for s in pair.shapes if s.m >= 2 and s.m * s.n * max(s.hidden or (1,)) <= 4096]
    depths = [len(s.hidden) for s in shapes]
    depth = max(set(depths), key=depths.count)
    shapes = [s for s in shapes if len(s.hidden) == depth][:4]
    if isinstance(hidden, int) and hidden != depth:  # the usual widths, repeated or cut to that many layers
        shapes = [replace(s, hidden=(s.hidden * hidden)[:hidden]) for s in shapes]
    elif isinstance(hidden, tuple):
        shapes = [replace(s, hidden=hidden) for s in shapes]
    out = []
    for i, (shape, dtype) in enumerate(itertools.product(shapes, ("float64", "float32"))):
        s = pair.sample(shape, dtype, seed * 1009 + i)
        s.Y = _both_labels(s.Y) if not pair.one_hot else s.Y
        out.append(s)
    return out


def _label(s: Sample) -> str:
    return f"{s.shape.id} {s.dtype}"


COURSE_LABEL = "rain (mm) and rent, min–max scaled, y = 1 on a rainy day (m8-n2 float64)"


def _course_sample(pair: ModelPair, seed: int) -> Sample | None:
    """A single neuron (no hidden layer, one output) on the notes' kind of data: rainfall 0–20 mm and rent 500–3000
    in steps of a quarter of their range, min–max scaled (exact in binary, as the perceptron's grid is), y = 1 on a
    day of at least 10 mm; the entry's own parameters. None for a model with hidden layers or classes."""
    if pair.one_hot or any(s.hidden for s in pair.shapes):
        return None
    rng = np.random.default_rng([seed, 17])
    rain, rent = rng.integers(0, 5, 8) * 5.0, 500 + rng.integers(0, 5, 8) * 625.0  # (m,) mm, (m,) rent
    X = np.column_stack([rain / 20, (rent - 500) / 2500])  # (m, 2): the notes' min–max, [0, 1] per column
    Y = _both_labels((rain >= 10).astype(np.float64)[:, None])  # (m, 1)
    return replace(pair.sample(Shape(8, 2), "float64", seed * 1009 + 97), X=X, Y=Y)


def trainable(pair: ModelPair) -> Trainable:
    """The pair's handmade module as the notes' forward, loss and backward (a trained model's: not the MP neuron's
    nor normalisation's)."""
    if pair.model is None:
        raise ValueError(f"{pair.name} has no handmade module")
    # a module, declared `Trainable | ModuleType`: which contract it follows is the pair's, not a type mypy can test
    return cast("Trainable", pair.model)


def _trainable_cases(pair: ModelPair, seed: int, hidden: int | tuple[int, ...] | None = None) -> list[Case]:
    model, cases = trainable(pair), []
    samples = _samples(pair, seed, hidden)
    course = _course_sample(pair, seed)
    labels = {id(s): _label(s) for s in samples} | ({id(course): COURSE_LABEL} if course is not None else {})
    for i, s in enumerate([*samples, *([course] if course is not None else [])]):
        A, cache = model.forward(s.X, s.params)
        cases.append(Case(f"forward{i}", "forward", {"X": s.X, "params": s.params}, {"A": A, **cache}, s.dtype,
                          label=labels[id(s)]))  # fmt: skip
        J = np.asarray(model.loss(A, s.Y))
        cases.append(Case(f"loss{i}", "loss", {"A": A, "Y": s.Y}, {"J": J}, s.dtype, label=labels[id(s)]))
        grads = model.backward(s.X, s.Y, s.params, cache)
        if not pair.differentiable:  # a rule, not a gradient: judged here, not by the chain's judge
            args = {"X": s.X, "Y": s.Y, "params": s.params, "cache": cache}
            cases.append(Case(f"backward{i}", "backward", args, grads, s.dtype, label=labels[id(s)],
                              extra={"m": s.X.shape[0]}))  # fmt: skip
        lr = PERCEPTRON_LR if pair.contract is contracts.PERCEPTRON else LR
        new = {k: v - np.asarray(lr, v.dtype) * grads["d" + k] for k, v in s.params.items()}
        cases.append(Case(f"update{i}", "update", {"params": s.params, "grads": grads, "lr": lr}, new, s.dtype,
                          label=labels[id(s)], extra={"m": s.X.shape[0]}))  # fmt: skip
        # the backward's gradients handed to update: their composition is the step, wherever 1/m is written
        args = {"X": s.X, "Y": s.Y, "params": s.params, "cache": cache, "lr": lr}
        cases.append(Case(f"step{i}", "step", args, new, s.dtype, label=labels[id(s)], extra={"m": s.X.shape[0]}))
    if pair.contract is contracts.PERCEPTRON:  # the rule's usual start, w = 0 and b = 0: z = 0 on every row
        cases += _perceptron_start(model, next(s for s in samples if s.dtype == "float64"))
    saturated = [s for s in samples if s.dtype == "float32" and not pair.one_hot][:1]
    if pair.contract is not contracts.PERCEPTRON:
        for s in saturated:  # σ rounds to exactly 0 and 1 in float32: log(0) unless a is clipped
            A = model.forward(s.X, s.params)[0].copy()
            A[0, 0], A[-1, 0] = 1.0, 0.0
            Y = s.Y.copy()
            Y[0, 0], Y[-1, 0] = 0.0, 1.0
            J = np.asarray(model.loss(A, Y))
            cases.append(Case("loss_saturated", "loss", {"A": A, "Y": Y}, {"J": J}, s.dtype, "saturated",
                              label=f"{_label(s)}, a = 1 where y = 0 and a = 0 where y = 1"))  # fmt: skip
    # the loops: two float64 samples, the perceptron's the largest (a row's update must change a later row's a);
    # for the others the first and the one with the widest hidden layers (a mistake across a layer's units, a
    # db1 summed over both axes, does not show with one unit)
    looped = [x for x in samples if x.dtype == "float64"]
    if pair.contract is contracts.PERCEPTRON:
        looped = looped[-2:]
    else:
        widest = max(range(len(looped)), key=lambda i: (min(looped[i].shape.hidden or (1,)), -i))
        looped = [looped[0]] + ([looped[widest or 1]] if len(looped) > 1 else [])
    lr = PERCEPTRON_LR if pair.contract is contracts.PERCEPTRON else LOOP_LR
    for i, s in enumerate(looped):
        cases += [_train_case(model, s, s.params, lr, steps, f"train{i}_{steps}", _label(s)) for steps in TRAIN_STEPS]
    return cases


def _train_case(
    model: Trainable, s: Sample, params: dict[str, Array], lr: float, steps: int, case_id: str, label: str
) -> Case:
    """The loop from `params` on the sample's X and Y: the reference is batch gradient descent."""
    args = {"X": s.X, "Y": s.Y, "params": params, "lr": lr, "steps": steps}
    expected = batch_trajectory(model, s.X, s.Y, params, lr, steps)
    expected.pop("_path")
    return Case(case_id, "train", args, expected, s.dtype, label=f"{label} steps={steps}",
                extra={"model": model, "m": s.X.shape[0]})  # fmt: skip


def _perceptron_start(model: Trainable, s: Sample) -> list[Case]:
    """From w = 0, b = 0 every z is exactly 0, where the step's a = 1 if z ≥ 0 (not z > 0) decides the output: a
    forward case, and the loop from there (its first step moves every parameter)."""
    zero = {k: np.zeros_like(v) for k, v in s.params.items()}
    A, cache = model.forward(s.X, zero)
    label = f"{_label(s)}, w = 0 and b = 0: z = 0 on every row"
    forward = Case("forward_start", "forward", {"X": s.X, "params": zero}, {"A": A, **cache}, s.dtype, label=label)
    loops = [_train_case(model, s, zero, PERCEPTRON_LR, k, f"train_start_{k}", f"{label},") for k in TRAIN_STEPS[:2]]
    return [forward, *loops]


def batch_trajectory(
    model: Trainable,
    X: Array,
    Y: Array,
    params: dict[str, Array],
    lr: float,
    steps: int,
    scale: float = 1.0,
    grads_at: int | None = None,
    schedule: Schedule | None = None,
) -> Values:
    """Batch gradient descent: {"losses": (steps + 1,), each P: the parameters after `steps` updates}.

    `scale` multiplies every step (a mistake's reproduction), `grads_at` fixes the step at which the
    gradients are taken (0: computed once, before the loop), `schedule(t)` the factor of α at step t.
    """
    params = {k: v.copy() for k, v in params.items()}
    losses: list[float] = []
    fixed: dict[str, Array] | None = None
    path: list[dict[str, Array]] = []
    for t in range(steps + 1):
        path.append(params)
        A, cache = model.forward(X, params)
        losses.append(float(model.loss(A, Y)))
        if t == steps:
            break
        grads = model.backward(X, Y, params, cache) if grads_at is None or fixed is None else fixed
        if grads_at is not None:
            fixed = grads
        a = lr * scale * (schedule(t) if schedule else 1.0)
        params = {k: v - np.asarray(a, v.dtype) * grads["d" + k] for k, v in params.items()}
    return {"losses": np.array(losses), **params, "_path": path}


def sgd_trajectory(
    model: Trainable,
    X: Array,
    Y: Array,
    params: dict[str, Array],
    lr: float,
    steps: int,
    order: Callable[[int], Iterable[int]] | None = None,
    scale: float = 1.0,
    stale: bool = False,
) -> Values:
    """Per-example SGD over the rows in data order (or `order(epoch)`), one update per row with that row's
    gradient; losses: J over all rows before each epoch, then the final one. `stale`: every row's a from
    the start of the epoch (a mistake's reproduction)."""
    params = {k: v.copy() for k, v in params.items()}
    losses: list[float] = []
    path: list[dict[str, Array]] = []
    for epoch in range(steps + 1):
        path.append(params)
        A, cache = model.forward(X, params)
        losses.append(float(model.loss(A, Y)))
        if epoch == steps:
            break
        rows = order(epoch) if order is not None else range(X.shape[0])
        for i in rows:
            x, y = X[i : i + 1], Y[i : i + 1]
            if stale:
                c = {k: v[i : i + 1] for k, v in cache.items()}
            else:
                c = model.forward(x, params)[1]
            grads = model.backward(x, y, params, c)
            params = {k: v - np.asarray(lr * scale, v.dtype) * grads["d" + k] for k, v in params.items()}
    return {"losses": np.array(losses), **params, "_path": path}


# --- the McCulloch–Pitts neuron ----------------------------------------------------------------------


def table(n: int) -> Array:
    """Every 0/1 input of n: (2^n, n) integers."""
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64).reshape(-1, n)


def mp_forward(X: Array, theta: int, inhibitory: Array | None = None) -> Array:
    A: Array = mp_neuron.forward(X, int(theta), inhibitory)  # (m, 1)
    return A.astype(np.int64)


MPForward = Callable[["Array", int, "Array | None"], "Array"]


def mp_fit(
    X: Array, Y: Array, inhibitory: Array | None = None, start: int = 0, forward: MPForward = mp_forward
) -> int | None:
    """The smallest θ ≥ `start` whose neuron reproduces Y on X, or None."""
    n = X.shape[1]
    for theta in range(start, n + 2):
        if np.array_equal(forward(X, theta, inhibitory), np.asarray(Y).reshape(-1, 1)):
            return theta
    return None


def _mask(n: int, *on: int) -> Array:
    mask = np.zeros(n, dtype=np.int64)
    mask[list(on)] = 1
    return mask


def _mp_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng([seed, 11])
    cases = []
    forward = [(table(2), 2, None), (table(3), 2, _mask(3, 2)), (table(3), 1, None), (table(4), 2, _mask(4, 0))]
    X5 = rng.integers(0, 2, (16, 5))
    forward += [(X5, int(rng.integers(1, 4)), _mask(5, 4)), (table(2), 0, _mask(2, 1))]
    forward += [(table(4), 1, _mask(4, 2, 3))]  # two inhibitory inputs: either one on forces 0 (any, not all)
    for i, (X, theta, mask) in enumerate(forward):
        args = {"X": X, "theta": theta, "inhibitory": mask}
        cases.append(Case(f"forward{i}", "forward", args, {"A": mp_forward(X, theta, mask)}, "int64",
                          label=f"m={len(X)} n={X.shape[1]} θ={theta}"))  # fmt: skip
    fits = [
        (table(2), 2, None),  # AND
        (table(2), 1, None),  # OR
        (table(3), 2, _mask(3, 0)),  # an inhibitory input that matters
        (table(3), 0, _mask(3, 2)),  # θ = 0: fires unless inhibited
        (table(4), 1, _mask(4, 1, 3)),  # two inhibitory inputs, each one a veto
        (table(2), 0, None),  # θ = 0 and no inhibitory input: fires on every row
        (table(3)[[0, 7]], 3, None),  # two rows, z ∈ {0, 3}: every θ in 1..3 reproduces Y
        (table(3)[[0, 1, 3]], 3, None),  # θ in 3..4
    ]
    for i, (X, theta, mask) in enumerate(fits):
        Y = mp_forward(X, theta, mask)
        cases.append(Case(f"fit{i}", "fit", {"X": X, "Y": Y, "inhibitory": mask}, {"theta": mp_fit(X, Y, mask)},
                          "int64", label=f"m={len(X)} n={X.shape[1]}"))  # fmt: skip
    xor = np.array([[0], [1], [1], [0]], dtype=np.int64)
    cases.append(Case("fit_xor", "fit", {"X": table(2), "Y": xor, "inhibitory": None}, {"theta": None}, "int64",
                      label="XOR: no θ reproduces it"))  # fmt: skip
    return cases


# --- min–max normalisation --------------------------------------------------------------------------


def scaled(X: Array) -> Array:
    """(X − low) / (high − low) per column; integer X becomes float64, float32 stays float32."""
    X = np.asarray(X)
    X = X.astype(np.float64) if X.dtype.kind in "biu" else X
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = X.min(axis=0, keepdims=True), X.max(axis=0, keepdims=True)
        out: Array = (X - low) / (high - low)
        return out


def _rain_rent(rng: np.random.Generator, m: int, dtype: type[np.number[Any]] = np.float64) -> Array:
    """The notes' data: rainfall 0–20 mm, rent 500–3000 (rent in whole units when dtype is an integer)."""
    if np.dtype(dtype).kind == "i":
        return np.column_stack([rng.integers(0, 21, m), rng.integers(500, 3001, m)]).astype(dtype)
    return np.column_stack([rng.uniform(0, 20, m), rng.uniform(500, 3000, m)]).astype(dtype)


def _normalise_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng([seed, 13])
    data = [
        ("rain (mm) and rent", _rain_rent(rng, 6)),
        ("rent in whole units", _rain_rent(rng, 5, np.int64)),
        ("random m=5 n=3", rng.normal(3.0, 2.0, (5, 3))),
        ("random m=4 n=4 float32", rng.normal(0.0, 5.0, (4, 4)).astype(np.float32)),
        ("rain and rent float32", _rain_rent(rng, 4, np.float32)),
    ]
    cases = []
    for i, (label, X) in enumerate(data):
        X_scaled = scaled(X)
        cases.append(Case(f"normalise{i}", "normalise", {"X": X}, {"X_scaled": X_scaled}, X_scaled.dtype.name,
                          label=label))  # fmt: skip
        fitted = MinMax.fit(X.astype(X_scaled.dtype))
        args = {"X_scaled": X_scaled, "low": fitted.low, "high": fitted.high}
        cases.append(Case(f"denormalise{i}", "denormalise", args, {"X": fitted.inverse(X_scaled)}, X_scaled.dtype.name,
                          label=label))  # fmt: skip
    constant = _rain_rent(rng, 4)
    constant[:, 0] = 7.5
    edges = [("constant column", constant, "a constant column (rain 7.5 mm every day)"),
             ("single row", _rain_rent(rng, 1), "a single row")]  # fmt: skip
    for kind, X, label in edges:
        cases.append(Case(f"normalise_{kind.split()[-1]}", "normalise", {"X": X}, {"X_scaled": scaled(X)}, "float64",
                          kind, label=label))  # fmt: skip
    return cases
