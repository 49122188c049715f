"""The registry of model pairs: the spine that tests, the command line and reports walk.

Each entry (OpInfo-style) knows how to draw a sample for a shape, dtype and seed, how to
run its handmade side and its torch twin on that sample, which named tensors to compare
(in the notes' order: forward, loss, then the backward chain), and its tolerances per
dtype. Adding an entry adds all of its tests and its rows in `torchref verify`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import torch

from torchref import models
from torchref.convert import bind_params, load_params, read_params
from torchref.parity import DEFAULT_TOLERANCES, Tolerance, compare, finite_differences, torch_step, torch_steps
from torchref_handmade import deep, logistic, mp_neuron, perceptron, shallow
from torchref_handmade.shallow_fast import ShallowTrainer
from torchref_handmade.train import descend

DTYPES = ("float32", "float64")
TRAIN_STEPS = 50
FD_TOLERANCE = Tolerance(1e-5, 1e-7, "central differences in float64, ε = 1e-6: error O(ε²) + O(1e-16/ε)")


@dataclass(frozen=True)
class Shape:
    """m examples, n inputs, hidden widths, k outputs."""

    m: int
    n: int
    hidden: tuple[int, ...] = ()
    k: int = 1

    @property
    def id(self) -> str:
        parts = [f"m{self.m}", f"n{self.n}"]
        if self.hidden:
            parts.append("h" + "x".join(map(str, self.hidden)))
        if self.k != 1:
            parts.append(f"k{self.k}")
        return "-".join(parts)


@dataclass
class Sample:
    shape: Shape
    dtype: str
    seed: int
    X: np.ndarray
    Y: np.ndarray
    params: dict
    lr: float = 0.1  # the top of the notes' range [0.1 → 0.001]
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.shape.id}-{self.dtype}-seed{self.seed}"


def _normal(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


class ModelPair:
    """Base entry: subclasses fill in sampling, the two sides, and what to compare."""

    name: str
    description: str
    shapes: tuple[Shape, ...]
    tolerances = DEFAULT_TOLERANCES
    differentiable = True
    train_dtypes = DTYPES  # the dtypes whose whole training trajectories are compared
    output = None  # the last layer's activation, where it is σ or softmax

    def tolerance(self, dtype: str) -> Tolerance:
        return self.tolerances[dtype]

    def handmade(self, s: Sample) -> dict:
        """One forward, loss and backward of the handmade model: its cache, J and its grads."""
        A, cache = self.model.forward(s.X, s.params)
        J = self.model.loss(A, s.Y)
        return {**cache, "J": np.asarray(J), **self.model.backward(s.X, s.Y, s.params, cache)}

    def handmade_train(self, s: Sample, steps: int) -> dict:
        """The loss and parameters at steps 0..K of the handmade gradient descent."""
        return _stack([item for _, item in itertools.islice(descend(self.model, s.X, s.Y, s.params, s.lr), steps + 1)])

    def check(self, sample: Sample):
        """Forward, loss and every gradient: handmade against torch."""
        return self.check_many([sample])[0]

    def torch_many(self, samples) -> list[dict]:
        """`torch` of each sample (AutogradPair runs samples of one shape and dtype in one batched pass)."""
        return [self.torch(s) for s in samples]

    def check_many(self, samples) -> list:
        """`check` of each sample, run phase by phase: every torch side, every handmade side, then every comparison.

        Running each phase's code back to back keeps it hot in the CPU's caches (measured at
        the notes' scale: ~10 % less time per case than alternating); consecutive samples of
        one shape and dtype go to `torch_many` together. The results are `check`'s (up to the
        last bits of a batched torch side). A sweep passes a few cases at a time: all of a
        case's arrays are kept until its comparison.
        """
        samples = list(samples)
        expected = []
        for _, group in itertools.groupby(samples, key=lambda s: (s.shape, s.dtype)):
            expected += self.torch_many(list(group))
        actual = [self.handmade(s) for s in samples]
        return [
            compare(a, e, self.tolerance(s.dtype), self.names(s.shape)) for a, e, s in zip(actual, expected, samples)
        ]

    def check_training(self, sample: Sample, steps: int = TRAIN_STEPS):
        """The whole trajectory: loss and parameters at every step, handmade against torch."""
        return compare(
            self.handmade_train(sample, steps), self.torch_train(sample, steps), self.tolerance(sample.dtype)
        )

    def __repr__(self):
        return f"<ModelPair {self.name}>"


class AutogradPair(ModelPair):
    """A differentiable model: handmade forward/loss/backward against a torch.nn twin and autograd."""

    def __init__(
        self,
        name,
        description,
        model,
        make_twin,
        param_shapes,
        shapes,
        random_shape,
        one_hot=False,
        train_dtypes=DTYPES,
        activation=None,
        output="sigmoid",
    ):
        self.name, self.description, self.model = name, description, model
        self.output = output  # the last layer's activation: sigmoid or softmax
        self.activation = activation  # the hidden layers' g (None: no hidden layer)
        self.train_dtypes = train_dtypes
        self.make_twin, self.param_shapes, self.shapes = make_twin, param_shapes, tuple(shapes)
        self.random_shape, self.one_hot = random_shape, one_hot
        self._twins = {}  # depth -> a module reused for every shape (see twin)

    def suffixes(self, shape: Shape) -> list[str]:
        return [key[1:] for key in self.param_shapes(shape) if key.startswith("W")]

    def chain(self, shape: Shape):
        """The notes' chain of this model at this shape's depth: links, formulas, shapes (torchref.chain)."""
        from torchref.chain import build

        return build(self.activation, self.output, self.suffixes(shape))

    def names(self, shape: Shape) -> list[str]:
        """Forward (Z, A per layer), J, then the backward chain in the notes' order."""
        s = self.suffixes(shape)
        names = [f"{v}{l}" for l in s for v in ("Z", "A")] + ["J"]
        for i in range(len(s) - 1, -1, -1):
            names += [f"dZ{s[i]}", f"dW{s[i]}", f"db{s[i]}"]
            if i > 0:
                names.append(f"dA{s[i - 1]}")
        return names

    def sample(self, shape: Shape, dtype: str, seed: int) -> Sample:
        rng = np.random.default_rng(seed)
        X = _normal(rng, (shape.m, shape.n), dtype)
        if self.one_hot:
            Y = np.eye(shape.k, dtype=dtype)[rng.integers(0, shape.k, shape.m)]
        else:
            Y = rng.integers(0, 2, (shape.m, shape.k)).astype(dtype)
        params = {}
        for key, (rows, cols) in self.param_shapes(shape).items():
            scale = 1 / np.sqrt(rows) if key.startswith("W") else 0.5  # no zero bias: it would hide db bugs
            params[key] = _normal(rng, (rows, cols), dtype, scale)
        return Sample(shape, dtype, seed, X, Y, params)

    def twin(self, s: Sample, fresh: bool = False):
        """The torch twin holding the sample's parameters.

        One module per depth serves every shape and dtype, its parameters replaced by
        `bind_params` (building a module costs more than a whole forward and backward at
        small sizes); `fresh=True` builds a new one, for callers that keep it (training).
        """
        if fresh:
            twin = self.make_twin(s.shape, getattr(torch, s.dtype))
            load_params(twin.layers, s.params)
            return twin
        depth = len(s.shape.hidden)
        if depth not in self._twins:
            self._twins[depth] = self.make_twin(s.shape, getattr(torch, s.dtype))
        bind_params(self._twins[depth].layers, s.params)
        return self._twins[depth]

    def torch(self, s: Sample) -> dict:
        return torch_step(self.twin(s), s.X, s.Y)

    def torch_many(self, samples) -> list[dict]:
        """`torch` of samples of one shape and dtype in one pass: torch.func.vmap of the twin (parity.torch_steps)."""
        samples = list(samples)
        kinds = {(s.shape, s.dtype) for s in samples}
        if len(kinds) > 1:
            raise ValueError(
                f"torch_many batches samples of one shape and dtype, got {len(kinds)}: "
                f"{sorted(f'{shape.id} {dtype}' for shape, dtype in kinds)}"
            )
        if len(samples) < 2:
            return [self.torch(s) for s in samples]
        return torch_steps(
            self.twin(samples[0]), [s.params for s in samples], [s.X for s in samples], [s.Y for s in samples]
        )

    def torch_train(self, s: Sample, steps: int) -> dict:
        twin = self.twin(s, fresh=True)
        optimiser = torch.optim.SGD(twin.parameters(), lr=s.lr)
        X, Y = torch.from_numpy(s.X), torch.from_numpy(s.Y)
        trajectory = []
        for t in range(steps + 1):
            J = twin.loss(twin.trace(X), Y)
            trajectory.append((J.detach().numpy(), read_params(twin.layers)))
            if t == steps:
                break
            optimiser.zero_grad()
            J.backward()
            optimiser.step()
        return _stack(trajectory)

    def loss_of_params(self, s: Sample):
        """J as a function of the parameters, in float64: what finite differences walk."""
        X, Y = s.X.astype(np.float64), s.Y.astype(np.float64)
        return lambda params: float(self.model.loss(self.model.forward(X, params)[0], Y))

    def check_finite_differences(self, s: Sample, grads: dict | None = None):
        """Parameter gradients against central differences of the handmade loss, in float64.

        The gradients are the handmade model's, or `grads` (a learner's, from `torchref
        check`); of those, only the ones given are compared (missing keys are the caller's
        to report).
        """
        s64 = Sample(
            s.shape,
            "float64",
            s.seed,
            s.X.astype(np.float64),
            s.Y.astype(np.float64),
            {key: value.astype(np.float64) for key, value in s.params.items()},
            s.lr,
        )
        numeric = finite_differences(self.loss_of_params(s64), s64.params)
        if grads is None:
            grads = self.handmade(s64)
        else:
            numeric = {key: value for key, value in numeric.items() if key in grads}
        return compare(grads, numeric, FD_TOLERANCE)


def _stack(trajectory) -> dict:
    """[(J, params), ...] per step -> {"J": (K+1,), "W1": (K+1, n, h), ...}."""
    out = {"J": np.stack([np.asarray(J) for J, _ in trajectory])}
    for key in trajectory[0][1]:
        out[key] = np.stack([params[key] for _, params in trajectory])
    return out


class FastShallowPair(AutogradPair):
    """handmade.shallow_fast (reused buffers, in-place updates) against the same torch twin.

    It runs with two workers (threads sharing the rows; one where m = 1), so every shape
    also checks the split of the rows and the sum of the workers' gradients; one worker
    runs the same code on all rows (tests/test_handmade.py holds both to the reference).
    Its buffers are overwritten as the step goes (A1 becomes 1 − A1², A2 becomes dZ2), so
    it is compared on what it keeps: the output A2, J, and the parameter gradients; its
    trajectory is its own in-place loop, not `descend`.
    """

    workers = 2

    def __init__(self):
        base = REGISTRY["shallow"]
        super().__init__(
            "shallow_fast",
            "one hidden layer, the fast step (handmade.shallow_fast, two workers)",
            shallow,
            base.make_twin,
            base.param_shapes,
            base.shapes,
            base.random_shape,
            activation="tanh",
        )

    def names(self, shape: Shape) -> list[str]:
        return ["A2", "J", "dW2", "db2", "dW1", "db1"]

    def handmade(self, s: Sample) -> dict:
        trainer = ShallowTrainer(s.X, s.Y, s.params, s.lr, workers=self.workers)
        out = {"A2": trainer.forward().copy(), "J": np.asarray(trainer.loss())}
        trainer.backward()
        return {**out, "dW1": trainer.dW1, "db1": trainer.db1, "dW2": trainer.dW2, "db2": trainer.db2}

    def handmade_train(self, s: Sample, steps: int) -> dict:
        trainer = ShallowTrainer(s.X, s.Y, s.params, s.lr, workers=self.workers)
        trajectory = []
        for _ in range(steps):
            params = {key: value.copy() for key, value in trainer.params.items()}
            trajectory.append((trainer.step(), params))
        trainer.forward()
        trajectory.append((trainer.loss(), trainer.params))
        return _stack(trajectory)


class PerceptronPair(ModelPair):
    """The perceptron rule, handmade in NumPy and in torch ops.

    The step makes a trajectory discontinuous in rounding: a z of ±1e-9 that rounds to the
    other sign on one side sends the two runs apart. So samples are drawn where every
    operation is exact in both dtypes — X on a grid of quarters in [0, 1], W and b on a
    grid of sixteenths in [−1, 1], α = 1/4, m a power of two ≤ 64, n ≤ 16 (all sums stay
    below 2^24 units of the finest grid for 50 steps) — and must then agree bit for bit.
    """

    name = "perceptron"
    model = perceptron
    description = "perceptron: step activation, the notes' batch rule dZ = A − Y"
    differentiable = False
    tolerances = {dtype: Tolerance(0.0, 0.0, "exact grid: every operation is exact") for dtype in DTYPES}
    shapes = tuple(Shape(m, n) for m, n in [(1, 1), (2, 1), (4, 2), (8, 3), (16, 5), (32, 8), (64, 16)])

    @staticmethod
    def random_shape(rng) -> Shape:
        return Shape(int(2 ** rng.integers(0, 7)), int(rng.integers(1, 17)))

    def names(self, shape: Shape) -> list[str]:
        return ["Z", "A", "J", "dZ", "dW", "db"]

    def sample(self, shape: Shape, dtype: str, seed: int) -> Sample:
        if shape.m & (shape.m - 1) or shape.m > 64 or shape.n > 16:
            raise ValueError(f"perceptron samples need m a power of two <= 64 and n <= 16 (exact grid), got {shape}")
        rng = np.random.default_rng(seed)
        X = (rng.integers(0, 5, (shape.m, shape.n)) / 4).astype(dtype)
        Y = rng.integers(0, 2, (shape.m, 1)).astype(dtype)
        params = {
            "W": (rng.integers(-16, 17, (shape.n, 1)) / 16).astype(dtype),
            "b": (rng.integers(-16, 17, (1, 1)) / 16).astype(dtype),
        }
        return Sample(shape, dtype, seed, X, Y, params, lr=0.25)

    def twin(self, s: Sample):
        twin = models.Perceptron(s.shape.n, getattr(torch, s.dtype))
        load_params(twin.layers, s.params)
        return twin

    def torch(self, s: Sample) -> dict:
        twin = self.twin(s)
        X, Y = torch.from_numpy(s.X), torch.from_numpy(s.Y)
        cache = twin.trace(X)
        out = {**cache, "J": twin.loss(cache, Y), **twin.rule(X, Y, cache)}
        return {key: value.numpy() for key, value in out.items()}

    def torch_train(self, s: Sample, steps: int) -> dict:
        twin = self.twin(s)
        X, Y = torch.from_numpy(s.X), torch.from_numpy(s.Y)
        trajectory = []
        for t in range(steps + 1):
            cache = twin.trace(X)
            trajectory.append((twin.loss(cache, Y).numpy(), read_params(twin.layers)))
            if t == steps:
                break
            grads = twin.rule(X, Y, cache)
            twin.update(grads["dW"], grads["db"], s.lr)
        return _stack(trajectory)


class MPNeuronPair(ModelPair):
    """The McCulloch–Pitts neuron: forward on random boolean rows, and the fit on a truth table.

    A random neuron (θ, inhibitory mask) labels the full truth table of its n inputs; both
    sides must fit the same (θ, mask) back and give the same outputs. Integer arithmetic:
    the comparison is exact.
    """

    name = "mp_neuron"
    description = "McCulloch–Pitts neuron: threshold θ, excitatory and inhibitory inputs, fit by search"
    differentiable = False
    tolerances = {dtype: Tolerance(0.0, 0.0, "boolean and integer arithmetic") for dtype in DTYPES}
    shapes = tuple(Shape(m, n) for m, n in [(1, 1), (3, 1), (4, 2), (8, 3), (5, 4), (16, 5)])

    @staticmethod
    def random_shape(rng) -> Shape:
        return Shape(int(rng.integers(1, 65)), int(rng.integers(1, 7)))

    def names(self, shape: Shape) -> list[str]:
        return ["A", "fit.A", "fit.theta", "fit.inhibitory"]

    def sample(self, shape: Shape, dtype: str, seed: int) -> Sample:
        rng = np.random.default_rng(seed)
        X = rng.integers(0, 2, (shape.m, shape.n)).astype(dtype)
        inhibitory = rng.random(shape.n) < 0.3
        theta = int(rng.integers(0, shape.n - inhibitory.sum() + 1))
        table = np.array(list(np.ndindex(*(2,) * shape.n)), dtype=dtype).reshape(-1, shape.n)  # (2^n, n)
        Y = mp_neuron.forward(table, theta, inhibitory).astype(dtype)
        return Sample(shape, dtype, seed, X, Y, {}, extra={"theta": theta, "inhibitory": inhibitory, "table": table})

    def handmade(self, s: Sample) -> dict:
        theta, mask = mp_neuron.fit(s.extra["table"], s.Y)
        return {
            "A": mp_neuron.forward(s.X, s.extra["theta"], s.extra["inhibitory"]),
            "fit.A": mp_neuron.forward(s.extra["table"], theta, mask),
            "fit.theta": np.asarray(theta),
            "fit.inhibitory": mask,
        }

    def torch(self, s: Sample) -> dict:
        table, inhibitory = torch.from_numpy(s.extra["table"]), torch.from_numpy(s.extra["inhibitory"])
        theta, mask = models.mp_fit(table, torch.from_numpy(s.Y))
        return {
            "A": models.mp_forward(torch.from_numpy(s.X), s.extra["theta"], inhibitory).numpy(),
            "fit.A": models.mp_forward(table, theta, mask).numpy(),
            "fit.theta": np.asarray(theta),
            "fit.inhibitory": mask.numpy(),
        }

    def check_training(self, sample: Sample, steps: int = TRAIN_STEPS):
        """The MP neuron is fitted, not trained: its fit is part of `check`."""
        return []


def _random_net_shape(depth: int, k: int = 1):
    def draw(rng) -> Shape:
        hidden = tuple(int(h) for h in rng.integers(1, 65, depth))
        return Shape(int(rng.integers(1, 513)), int(rng.integers(1, 65)), hidden, k)

    return draw


# Named shapes (JAX-style): degenerate first, then n = h, odd, the notes' example, larger.
NET_SHAPES = tuple(
    Shape(m, n, (h,))
    for m, n, h in [
        (1, 1, 1),  # degenerate: one example, one input, one unit
        (3, 1, 1),
        (1, 2, 4),  # a single example of the notes' network
        (2, 5, 1),  # h = 1: the notes' "single row of perceptrons"
        (3, 2, 4),  # the notes' worked example
        (4, 4, 4),  # square everything: transposition bugs cannot hide behind shapes
        (5, 3, 3),  # n = h
        (7, 3, 5),  # odd sizes
        (64, 10, 32),
        (512, 37, 64),  # the largest
    ]
)
LOGISTIC_SHAPES = tuple(Shape(m, n) for m, n in [(1, 1), (3, 1), (1, 2), (3, 2), (4, 4), (7, 3), (64, 10), (512, 37)])
DEEP_SHAPES = tuple(
    Shape(m, n, hidden)
    for m, n, hidden in [
        (1, 1, (1, 1)),
        (3, 2, (4, 3)),
        (4, 4, (4, 4)),
        (7, 3, (5, 2, 3)),
        (64, 10, (32, 16)),
        (256, 37, (64, 64)),
    ]
)


def _logistic_shapes(shape: Shape):
    return logistic.param_shapes(shape.n)


def _shallow_shapes(shape: Shape):
    return shallow.param_shapes(shape.n, shape.hidden[0])


def _deep_shapes(shape: Shape):
    return deep.param_shapes(shape.n, shape.hidden, shape.k)


def _deep_entry(activation: str, output: str, k: int) -> AutogradPair:
    head = "σ + BCE" if output == "sigmoid" else f"softmax over {k} classes + cross-entropy"
    shapes = tuple(Shape(s.m, s.n, s.hidden, k) for s in DEEP_SHAPES)
    return AutogradPair(
        f"deep_{activation}_{output}",
        f"deep network: {activation} hidden layers, {head}",
        deep.model(activation, output),
        lambda s, dtype: models.DeepNet([s.n, *s.hidden, s.k], activation, output, dtype),
        _deep_shapes,
        shapes,
        _random_net_shape(2, k),
        one_hot=output == "softmax",
        # ReLU′ jumps at z = 0. In float32 a z within rounding of 0 takes the other branch on
        # one side about once in 10^7 elements visited; a 50-step trajectory of a 256 x 64 x 64
        # net visits ~10^6, and after such a flip the runs part by α·x·dA/m and keep drifting.
        # Both are right (any value in [0, 1] is a subgradient). One-step float32 parity and
        # finite differences still cover ReLU; whole trajectories are compared in float64.
        train_dtypes=("float64",) if activation == "relu" else DTYPES,
        activation=activation,
        output=output,
    )


REGISTRY: dict[str, ModelPair] = {
    pair.name: pair
    for pair in [
        MPNeuronPair(),
        PerceptronPair(),
        AutogradPair(
            "logistic",
            "sigmoid neuron / logistic regression (Assignment A02): σ + BCE",
            logistic,
            lambda s, dtype: models.LogisticRegression(s.n, dtype),
            _logistic_shapes,
            LOGISTIC_SHAPES,
            lambda rng: Shape(int(rng.integers(1, 513)), int(rng.integers(1, 65))),
        ),
        AutogradPair(
            "shallow",
            "one hidden layer: tanh → σ + BCE (the notes' network)",
            shallow,
            lambda s, dtype: models.ShallowNet(s.n, s.hidden[0], dtype),
            _shallow_shapes,
            NET_SHAPES,
            _random_net_shape(1),
            activation="tanh",
        ),
        _deep_entry("tanh", "sigmoid", 1),
        _deep_entry("sigmoid", "sigmoid", 1),
        _deep_entry("relu", "sigmoid", 1),
        _deep_entry("tanh", "softmax", 3),
        _deep_entry("relu", "softmax", 4),
    ]
}
REGISTRY["shallow_fast"] = FastShallowPair()  # after "shallow": it borrows its twin and shapes


def get(name: str) -> ModelPair:
    if name not in REGISTRY:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]
