"""`torchref compare`: train the handmade model and its torch twin side by side on real data.

Both start from the same parameters and take the same gradient-descent steps (the
perceptron its rule; an entry fitted rather than trained, the MP neuron, its fit). Per
step we record each side's loss and the largest parameter difference between them, and
each side's training accuracy at up to ACCURACY_POINTS evenly spaced steps; if the two
drift apart beyond the tolerance, DriftError names the step and the tensor. What to train,
from where, and with which defaults is each registry entry's (`ModelPair.training`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from torchref.parity import Tolerance
from torchref.registry import REGISTRY, ModelPair, Shape, get
from torchref.tolerances import SATURATED, TRAINING
from torchref_handmade import _checks, datasets


class DriftError(AssertionError):
    """The two twins parted beyond tolerance during training."""

    def __init__(self, model, data, step, tensor, diff, tol, hint=""):
        super().__init__(
            f"{model} on {data}: the twins drift apart at step {step}: {tensor} differs by {diff:.3g} "
            f"(allowed atol {tol.atol:g} + rtol {tol.rtol:g}·|torch|){hint}"
        )
        self.step, self.tensor, self.diff = step, tensor, diff


# Training runs are thousands of steps, not the 50 of the parity tests: rounding-level
# differences (1e-16 per operation) are amplified by the dynamics and grow with the steps.
# These bounds are still far below anything a plot can show, while a real bug (a wrong
# gradient, a missing 1/m) parts the runs by more than 1e-3 within a few steps.
COMPARE_TOLERANCES = {
    "float64": TRAINING["float64"],  # tolerances.py
    "float32": TRAINING["float32"],
}
ACCURACY_POINTS = 201  # a curve's worth of points: a forward at every one of 10,000 steps would cost more than the run


@dataclass
class Run:
    model: str
    data: str
    steps: int
    lr: float
    hidden: tuple
    dtype: str
    shape: Shape | None = None  # the training data's shape (m, n, hidden, k)
    loss: dict = field(default_factory=dict)  # side -> (K+1,) losses ("handmade", "torch")
    accuracy: dict = field(default_factory=dict)  # side -> training accuracy at each of accuracy_steps
    accuracy_steps: np.ndarray | None = None  # up to ACCURACY_POINTS steps from 0 to K, the last one K
    drift: np.ndarray | None = None  # (K+1,) max |handmade − torch| over all parameters
    tolerance: Tolerance | None = None  # what the drift was held to
    params: dict = field(default_factory=dict)  # side -> final parameters
    X: np.ndarray | None = None
    Y: np.ndarray | None = None
    seconds: float = 0.0

    @property
    def pair(self) -> ModelPair:
        return get(self.model)

    def predict(self, side: str, X: np.ndarray) -> np.ndarray:
        """Class predictions (m,) of one side's final parameters, by that side's own forward."""
        return self.pair.predict(side, self.params[side], X, self.shape)

    def summary(self) -> dict:
        return {
            "model": self.model,
            "data": self.data,
            "steps": self.steps,
            "lr": self.lr,
            "hidden": list(self.hidden),
            "dtype": self.dtype,
            "loss_handmade": float(self.loss["handmade"][-1]),
            "loss_torch": float(self.loss["torch"][-1]),
            "accuracy_handmade": float(self.accuracy["handmade"][-1]),
            "accuracy_torch": float(self.accuracy["torch"][-1]),
            "max_drift": float(self.drift.max()),
            "seconds": round(self.seconds, 2),
        }


def all_runs() -> list[tuple[str, str]]:
    """(model, dataset) of `torchref compare --all`: every entry on its datasets, in registry order."""
    return [(name, data) for name, pair in REGISTRY.items() for data in pair.training.datasets]


def _accuracy_steps(steps: int) -> np.ndarray:
    """Up to ACCURACY_POINTS steps, evenly spaced from 0 to `steps`, both ends included."""
    return np.unique(np.linspace(0, steps, min(steps + 1, ACCURACY_POINTS)).round().astype(int))


def _labels(Y: np.ndarray) -> np.ndarray:
    return Y.argmax(axis=1) if Y.shape[1] > 1 else (Y[:, 0] >= 0.5).astype(int)


def side_by_side(
    model: str,
    data: str,
    steps: int | None = None,
    lr: float | None = None,
    hidden=None,
    seed: int = 0,
    dtype: str = "float64",
) -> Run:
    """Train both twins of `model` on dataset `data`; raise DriftError if they part."""
    start = time.perf_counter()
    pair = get(model)
    defaults = pair.training
    if steps is not None:
        steps = _checks.positive_int("steps", steps)
    if lr is not None:
        lr = _checks.learning_rate("lr", lr)
    if hidden is not None:
        hidden = [_checks.positive_int(f"hidden[{i}]", h) for i, h in enumerate(hidden)]
    if dtype not in COMPARE_TOLERANCES:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    fitted = defaults.steps == 0  # one fit, whatever `steps` says
    steps = 0 if fitted else steps or defaults.steps
    lr = defaults.lr if fitted else lr or defaults.lr
    X, Y = datasets.load(data, seed=seed)
    sample = pair.start(X, Y, hidden or defaults.hidden, data, seed, dtype, lr)
    X, Y = sample.X, sample.Y
    sides = {"handmade": pair.handmade_train(sample, steps), "torch": pair.torch_train(sample, steps)}
    tol = COMPARE_TOLERANCES[dtype]
    run = Run(model, data, steps, lr, sample.shape.hidden, dtype, sample.shape, X=X, Y=Y, tolerance=tol)
    run.drift = np.zeros(steps + 1)
    first = None  # (step, is the loss, tensor, difference): the earliest step, a parameter before J
    for key, h in sides["handmade"].items():
        t = sides["torch"][key]
        diff = np.abs(h.astype(np.float64) - t.astype(np.float64)).reshape(steps + 1, -1)
        allowed = (tol.atol + tol.rtol * np.abs(t)).reshape(steps + 1, -1)
        if key != "J":
            run.drift = np.maximum(run.drift, diff.max(axis=1))
        bad = np.flatnonzero((diff > allowed).any(axis=1))
        if bad.size and (first is None or (int(bad[0]), key == "J") < first[:2]):
            first = (int(bad[0]), key == "J", key, float(diff[bad[0]].max()))
    if first is not None:
        step = first[0]
        hint = ""
        if pair.output == "sigmoid":
            before = {key: value[max(step - 1, 0)] for key, value in sides["handmade"].items() if key != "J"}
            A = pair.outputs("handmade", before, X, sample.shape)
            if (A * (1 - A) < SATURATED).any():
                hint = (
                    "; σ is saturated there (a(1 − a) < 1e-12), where nn.BCELoss's gradient departs from the notes' "
                    "A − Y (README: saturated sigmoid)"
                )
        if not hint and step > 100:  # a wrong gradient parts the runs at once; a late parting is amplified rounding
            hint = (
                "; after agreeing for this long, the likely cause is rounding amplified by a step size near the "
                "edge of stability: try a smaller --lr or fewer --steps"
            )
        raise DriftError(f"{model}{list(run.hidden) if run.hidden else ''}", data, step, first[2], first[3], tol, hint)
    run.accuracy_steps = _accuracy_steps(steps)
    labels = _labels(Y)
    for side, trajectory in sides.items():  # accuracy along the way: the handmade forward on each side's parameters
        run.loss[side] = trajectory["J"].astype(np.float64)
        params = [{key: value[t] for key, value in trajectory.items() if key != "J"} for t in run.accuracy_steps]
        run.accuracy[side] = np.array(
            [float((pair.predict("handmade", p, X, sample.shape) == labels).mean()) for p in params]
        )
        run.params[side] = params[-1]
    run.seconds = time.perf_counter() - start
    return run


def hidden_sweep(pair: ModelPair, steps: int | None = None, seed: int = 0, dtype: str = "float64", progress=iter):
    """The entry's hidden-size sweep (`Training.sweep`): one run per width, both twins, on its dataset."""
    sweep = pair.training.sweep
    if sweep is None:
        raise ValueError(f"{pair.name} has no hidden-size sweep")
    return [
        side_by_side(pair.name, sweep.data, steps=steps or sweep.steps, hidden=(h,), seed=seed, dtype=dtype)
        for h in progress(sweep.sizes)
    ]


def sweeps(steps: int | None = None, seed: int = 0, dtype: str = "float64", progress=iter) -> list[list[Run]]:
    """Every entry's hidden-size sweep (`compare --all`), in registry order."""
    return [
        hidden_sweep(pair, steps, seed, dtype, progress)
        for pair in REGISTRY.values()
        if pair.training.sweep is not None
    ]
