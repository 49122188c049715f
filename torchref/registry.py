"""The registry of model pairs: the spine that tests, the command line and reports walk.

An entry pairs a handmade NumPy model with its torch twin. `ModelPair` declares what every
entry provides (sampling, the two sides, the tensors to compare in the notes' order,
training, prediction, the starting parameters and defaults of `torchref compare`); the
differentiable entries are `AutogradPair`s assembled from small declarative pieces: a
`Net` (layers, hidden activation, head), a `Training` (how `compare` trains it, on which
datasets) and the named shapes. Adding an entry adds all of its parity tests, its rows in
`torchref verify`, its runs in `torchref compare --all`, and makes it a `--model` of
`torchref check` and `torchref explain`.

One file of about 900 lines, on purpose: it is the only module that names a model (a test
holds every other module to that), so the entries and the pieces they are declared from
(shapes, nets, training, the three kinds of pair and their hooks) are read together; split,
a new entry would touch several files.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt
import torch

from torchref import contracts, models
from torchref.convert import bind_params, load_params, read_params
from torchref.models import Twin, TwinClass
from torchref.parity import DEFAULT_TOLERANCES, TensorResult, agreement, finite_differences, torch_step, torch_steps
from torchref.tolerances import BOOLEAN, EXACT_GRID, FINITE_DIFFERENCES, SAME_OPERATIONS, Tolerance
from torchref_handmade import deep, logistic, mp_neuron, perceptron, shallow
from torchref_handmade.normalise import MinMax
from torchref_handmade.shallow_fast import ShallowTrainer
from torchref_handmade.train import descend

DTYPES = ("float32", "float64")
TRAIN_STEPS = 50
FD_TOLERANCE = FINITE_DIFFERENCES  # tolerances.py
Arrays = dict[str, np.ndarray]  # the notes' named arrays: X, Y, W1, b1 (params), Z1, A1 (a cache), dW1, db1 (grads)
# a training run, step by step: the loss J and the parameters at that step
Trajectory = Sequence[tuple[npt.ArrayLike, Arrays]]

if TYPE_CHECKING:
    from torchref.chain import Chain


class Trainable(Protocol):
    """A handmade module of a trained model (contracts.TRAINABLE, PERCEPTRON): the notes' three functions."""

    def forward(self, X: np.ndarray, params: Arrays) -> tuple[np.ndarray, Arrays]: ...  # (A, cache)

    def loss(self, A: np.ndarray, Y: np.ndarray) -> float | np.floating: ...  # J

    def backward(self, X: np.ndarray, Y: np.ndarray, params: Arrays, cache: Arrays) -> Arrays: ...  # grads


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


@dataclass(frozen=True)
class TruthTable:
    """What a McCulloch–Pitts sample is fitted to: the neuron drawn (θ, inhibitory mask) and its inputs.

    `rows` (2^n, n) is every boolean input of n; the sample's Y is the drawn neuron's output on them.
    """

    theta: int
    inhibitory: np.ndarray  # (n,) bool
    rows: np.ndarray  # (2^n, n)


@dataclass
class Sample:
    """One case: inputs X (m, n), targets Y (m, k), parameters in the notes' layout, and a step size."""

    shape: Shape
    dtype: str
    seed: int
    X: np.ndarray
    Y: np.ndarray
    params: dict[str, np.ndarray]
    lr: float = 0.1  # the top of the notes' range [0.1 → 0.001]
    truth: TruthTable | None = None  # entries fitted to a truth table (the MP neuron): what was drawn
    number: int | None = None  # its place in a batch drawn from a secret seed: the id names it instead of the seed

    @property
    def id(self) -> str:
        drawn = f"seed{self.seed}" if self.number is None else f"case{self.number}"
        return f"{self.shape.id}-{self.dtype}-{drawn}"


def _normal(rng: np.random.Generator, shape: tuple[int, int], dtype: str, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype(dtype)


@dataclass(frozen=True)
class Init:
    """Starting parameters for training: each W ~ scale · N(0, 1), each b = 0.

    `scale` may be "fan_in" (1/√n_in: activations stay O(1) at any depth) or 0 (a rule that
    needs no random start); `by_data` overrides it for a dataset (the classic assignment
    starts its network on the flower at 0.01).
    """

    scale: float | Literal["fan_in"] = 0.01
    by_data: dict[str, float] = field(default_factory=dict)

    def params(
        self, param_shapes: dict[str, tuple[int, int]], rng: np.random.Generator, dtype: str, data: str = ""
    ) -> Arrays:
        scale = self.by_data.get(data, self.scale)
        params: Arrays = {}
        for key, shape in param_shapes.items():  # the draws in key order: W1 before W2
            if not key.startswith("W") or scale == 0:
                params[key] = np.zeros(shape, dtype)
            elif scale == "fan_in":
                params[key] = (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(dtype)
            else:
                params[key] = (scale * rng.standard_normal(shape)).astype(dtype)
        return params


@dataclass(frozen=True)
class HiddenSweep:
    """The hidden-size sweep of `torchref compare --all`: training accuracy for each width, both sides."""

    data: str = "flower"
    sizes: tuple[int, ...] = (1, 2, 3, 4, 5, 20, 50)
    steps: int = 5000  # the classic assignment's sweep; at h ≥ 20 σ saturates near step 6,900 on the flower


@dataclass(frozen=True)
class Training:
    """How `torchref compare` trains an entry: its defaults, its start, and the datasets of `compare --all`.

    `steps` = 0 marks an entry that is fitted, not trained (the MP neuron): one "step", the fit.
    """

    lr: float
    steps: int
    hidden: tuple[int, ...] = ()
    init: Init = Init()
    datasets: tuple[str, ...] = ()  # the runs of `compare --all`, in order
    sweep: HiddenSweep | None = None


@dataclass(frozen=True)
class Net:
    """A differentiable architecture: `depth` hidden layers of g = `activation`, then a σ or softmax head.

    Its parameters follow the notes: one layer is W (n, k), b (1, k); L layers are W1..WL,
    b1..bL with sizes n, h1, ..., k. `any_depth`: the shapes may have any number of hidden
    layers (random shapes draw `depth`).
    """

    depth: int = 0
    activation: str | None = None  # the hidden layers' g (None: no hidden layer)
    output: str = "sigmoid"  # the head: sigmoid (BCE) or softmax (cross-entropy on one-hot Y)
    k: int = 1  # outputs: 1 for σ, the number of classes for softmax
    any_depth: bool = False

    def sizes(self, shape: Shape) -> list[int]:
        return [shape.n, *shape.hidden, shape.k]

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, int]]:
        sizes = self.sizes(shape)
        suffixes = [""] if len(sizes) == 2 else [str(l) for l in range(1, len(sizes))]
        shapes = {}
        for s, rows, cols in zip(suffixes, sizes, sizes[1:]):
            shapes[f"W{s}"], shapes[f"b{s}"] = (rows, cols), (1, cols)
        return shapes

    def random_shape(self, rng: np.random.Generator) -> Shape:
        """m ≤ 512, n ≤ 64, `depth` hidden widths ≤ 64."""
        hidden = tuple(int(h) for h in rng.integers(1, 65, self.depth)) if self.depth else ()
        return Shape(int(rng.integers(1, 513)), int(rng.integers(1, 65)), hidden, self.k)

    def hidden_for(self, name: str, hidden: Iterable[int]) -> tuple[int, ...]:
        """The hidden widths a training run asks for, refused when the architecture cannot take them."""
        widths = tuple(hidden)
        if self.any_depth and not widths:
            raise ValueError(f"hidden: {name} takes at least one hidden width, got none")
        if not self.any_depth and len(widths) != self.depth:
            wanted = "has no hidden layer" if self.depth == 0 else f"takes {self.depth} hidden width(s)"
            raise ValueError(f"hidden: {name} {wanted}, got {list(widths)}")
        return widths


class ModelPair(abc.ABC):
    """One registry entry: a handmade model, its torch twin, and how to hold them to each other.

    Declared data: `name`, `description`, `shapes` (the named shapes, degenerate first),
    `tolerances` per dtype, `train_dtypes` (whose whole trajectories are compared: none for an
    entry that is fitted, not trained, whose `training.steps` is 0),
    `training` (how `torchref compare` trains it), and the capabilities callers ask about
    instead of testing classes: `differentiable` (an autograd side: finite differences,
    `torchref check`, the notes' chain in `torchref explain`), `boolean_inputs` (inputs are
    0/1: a figure draws the four corners, not a plane), `one_hot` (Y is one-hot (m, k)).

    The hooks below are what tests, commands and reports call; an entry implements the
    abstract ones. Parity (`parity`, `parity_many`, `parity_training`) is built from them.
    """

    name: str
    description: str
    # the salt of the entry's random cases, declared once and never changed: renaming an entry keeps its
    # cases (the entries of the first release were seeded from the letters of their names: those sums)
    salt: int
    shapes: tuple[Shape, ...]
    training: Training
    tolerances: dict[str, Tolerance] = DEFAULT_TOLERANCES
    train_dtypes: tuple[str, ...] = DTYPES
    differentiable = False
    boolean_inputs = False
    # the handmade module, with its contract's functions: a trained model's are forward(X, params) -> (A, cache),
    # loss(A, Y), backward(X, Y, params, cache) (Trainable); the MP neuron's and normalisation's their own
    model: Trainable | ModuleType | None = None
    contract: contracts.Contract | None = None  # the functions a learner's file may define (torchref check)

    @property
    def one_hot(self) -> bool:
        """Y is one-hot (m, k)."""
        return False

    @property
    def output(self) -> str | None:
        """The last layer's activation, where it is σ or softmax."""
        return None

    # --- depth ----------------------------------------------------------------------------

    @property
    def usual_depth(self) -> int:
        """Hidden layers of the model's usual shape: the most common depth of its named shapes. The one place a
        model's depth is decided where a file does not say (the checker's cases, the rubric, explain, template)."""
        depths = [len(s.hidden) for s in self.shapes]
        return max(sorted(set(depths)), key=depths.count)

    @property
    def one_depth(self) -> bool:
        """Every named shape has the same number of hidden layers (a deep model's do not)."""
        return len({len(s.hidden) for s in self.shapes}) == 1

    # --- sampling -------------------------------------------------------------------------

    @abc.abstractmethod
    def random_shape(self, rng: np.random.Generator) -> Shape:
        """A random shape this entry takes (what `verify` draws after the named shapes)."""

    @abc.abstractmethod
    def sample(self, shape: Shape, dtype: str, seed: int) -> Sample:
        """The case of (shape, dtype, seed): data and parameters drawn from the seed alone."""

    @abc.abstractmethod
    def names(self, shape: Shape) -> list[str]:
        """The tensors compared, in the notes' order: forward, loss, then the backward chain."""

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, int]]:
        """Each parameter's shape in the notes' layout (W (n_in, n_out), b (1, n_out)); none by default."""
        return {}

    # --- the two sides --------------------------------------------------------------------

    @abc.abstractmethod
    def handmade(self, s: Sample) -> dict[str, np.ndarray]:
        """One forward, loss and backward (or rule) of the handmade side: every name of `names`."""

    @abc.abstractmethod
    def torch(self, s: Sample) -> dict[str, np.ndarray]:
        """The same on the torch side, in the notes' names and layout."""

    def torch_many(self, samples: Iterable[Sample]) -> list[Arrays]:
        """`torch` of each sample (a differentiable entry runs samples of one shape and dtype in one pass)."""
        return [self.torch(s) for s in samples]

    def twin(self, s: Sample, fresh: bool = False) -> Twin:
        """The torch twin (an nn.Module) holding the sample's parameters; `fresh`: one the caller may keep."""
        raise TypeError(f"{self.name} has no nn.Module twin: its torch side is plain torch functions")

    # --- training ------------------------------------------------------------------------

    @abc.abstractmethod
    def handmade_train(self, s: Sample, steps: int) -> dict[str, np.ndarray]:
        """The handmade trajectory: {"J": (steps+1,), P: (steps+1, *P.shape) for each parameter P}."""

    @abc.abstractmethod
    def torch_train(self, s: Sample, steps: int) -> dict[str, np.ndarray]:
        """The torch trajectory, in the same form."""

    def start(
        self, X: np.ndarray, Y: np.ndarray, hidden: Iterable[int], data: str, seed: int, dtype: str, lr: float
    ) -> Sample:
        """What `torchref compare` trains from: the data (Y one-hot if the entry wants it) and initial parameters."""
        widths = self.hidden_for(hidden)
        if self.one_hot:
            Y = np.eye(int(Y.max()) + 1)[Y[:, 0].astype(int)]  # (m, k) from class indices
        X, Y = X.astype(dtype), Y.astype(dtype)
        shape = Shape(X.shape[0], X.shape[1], widths, Y.shape[1])
        params = self.training.init.params(self.param_shapes(shape), np.random.default_rng(seed), dtype, data)
        return Sample(shape, dtype, seed, X, Y, params, lr=lr)

    def hidden_for(self, hidden: Iterable[int]) -> tuple[int, ...]:
        """The hidden widths of a training run, refused when the entry cannot take them (by default it has none)."""
        widths = tuple(hidden)
        if widths:
            raise ValueError(f"hidden: {self.name} has no hidden layer, got {list(widths)}")
        return ()

    # --- prediction ----------------------------------------------------------------------

    def outputs(self, side: str, params: Arrays, X: np.ndarray, shape: Shape) -> np.ndarray:
        """A (m, k): one side's output on X with `params`, by that side's own forward (its nn.Module for torch)."""
        if side == "handmade":
            if self.model is None:
                raise TypeError(f"{self.name} has no handmade forward")
            A: np.ndarray = self.model.forward(X, params)[0]
            return A
        m_shape = replace(shape, m=X.shape[0])
        s = Sample(m_shape, X.dtype.name, 0, X, np.zeros((X.shape[0], shape.k), X.dtype), params)
        with torch.no_grad():
            return self.twin(s)(torch.from_numpy(X)).numpy()

    def predict(self, side: str, params: Arrays, X: np.ndarray, shape: Shape) -> np.ndarray:
        """Class predictions (m,): argmax of a softmax head, else output ≥ 0.5."""
        A = self.outputs(side, params, X, shape)
        return A.argmax(axis=1) if A.shape[1] > 1 else (A[:, 0] >= 0.5).astype(int)

    # --- parity, built from the hooks above -----------------------------------------------

    def tolerance(self, dtype: str) -> Tolerance:
        return self.tolerances[dtype]

    def parity(self, sample: Sample) -> list[TensorResult]:
        """Forward, loss and every gradient of one sample: handmade against torch."""
        return self.parity_many([sample])[0]

    def parity_many(self, samples: Iterable[Sample]) -> list[list[TensorResult]]:
        """`parity` of each sample, run phase by phase: every torch side, every handmade side, then every comparison.

        Running each phase's code back to back keeps it hot in the CPU's caches;
        consecutive samples of one shape and dtype go to `torch_many` together. The results
        are `parity`'s (up to the last bits of a batched torch side). A sweep passes a few
        cases at a time: all of a case's arrays are kept until its comparison.
        """
        samples = list(samples)
        expected: list[Arrays] = []
        for _, group in itertools.groupby(samples, key=lambda s: (s.shape, s.dtype)):
            expected += self.torch_many(list(group))
        actual = [self.handmade(s) for s in samples]
        return [
            agreement(a, e, self.tolerance(s.dtype), self.names(s.shape)) for a, e, s in zip(actual, expected, samples)
        ]

    def parity_training(self, sample: Sample, steps: int = TRAIN_STEPS) -> list[TensorResult]:
        """The whole trajectory: loss and parameters at every step, handmade against torch."""
        return agreement(
            self.handmade_train(sample, steps), self.torch_train(sample, steps), self.tolerance(sample.dtype)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _stack(trajectory: Trajectory) -> Arrays:
    """[(J, params), ...] per step -> {"J": (K+1,), "W1": (K+1, n, h), ...}."""
    out = {"J": np.stack([np.asarray(J) for J, _ in trajectory])}
    for key in trajectory[0][1]:
        out[key] = np.stack([params[key] for _, params in trajectory])
    return out


class AutogradPair(ModelPair):
    """A differentiable model: handmade forward/loss/backward against a torch.nn twin and autograd.

    Built from declarative pieces: `model` the handmade module, `twin` a class of
    `torchref.models` (built by `twin.build(sizes, activation, output, dtype)`), `net` the
    architecture, `shapes` the named shapes, `training` how `compare` trains it.
    """

    differentiable = True
    contract = contracts.TRAINABLE
    model: Trainable

    def __init__(
        self,
        name: str,
        description: str,
        model: Trainable,
        twin: TwinClass,
        net: Net,
        shapes: tuple[Shape, ...],
        training: Training,
        train_dtypes: tuple[str, ...] = DTYPES,
        *,
        salt: int,
    ) -> None:
        self.name, self.description, self.model, self.salt = name, description, model, salt
        self.twin_class, self.net, self.shapes, self.training = twin, net, tuple(shapes), training
        self.train_dtypes = train_dtypes
        self._twins: dict[int, Twin] = {}  # depth -> a module reused for every shape (see twin)

    @property
    def activation(self) -> str | None:
        """The hidden layers' g (None: no hidden layer)."""
        return self.net.activation

    @property
    def output(self) -> str:
        """The head: sigmoid or softmax."""
        return self.net.output

    @property
    def one_hot(self) -> bool:
        return self.net.output == "softmax"

    def random_shape(self, rng: np.random.Generator) -> Shape:
        return self.net.random_shape(rng)

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, int]]:
        return self.net.param_shapes(shape)

    def hidden_for(self, hidden: Iterable[int]) -> tuple[int, ...]:
        return self.net.hidden_for(self.name, hidden)

    def suffixes(self, shape: Shape) -> list[str]:
        """The layers' suffixes in the notes: '' for one layer, else '1', '2', ..."""
        return [key[1:] for key in self.param_shapes(shape) if key.startswith("W")]

    def chain(self, shape: Shape) -> Chain:
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
        params: Arrays = {}
        for key, (rows, cols) in self.param_shapes(shape).items():
            scale = 1 / np.sqrt(rows) if key.startswith("W") else 0.5  # no zero bias: it would hide db bugs
            params[key] = _normal(rng, (rows, cols), dtype, scale)
        return Sample(shape, dtype, seed, X, Y, params)

    def _build_twin(self, s: Sample) -> Twin:
        return self.twin_class.build(
            self.net.sizes(s.shape), self.net.activation, self.net.output, getattr(torch, s.dtype)
        )

    def twin(self, s: Sample, fresh: bool = False) -> Twin:
        """The torch twin holding the sample's parameters.

        One module per depth serves every shape and dtype, its parameters replaced by
        `bind_params` (building a module costs more than a whole forward and backward at
        small sizes); `fresh=True` builds a new one, for callers that keep it (training).
        """
        if fresh:
            twin = self._build_twin(s)
            load_params(twin.layers, s.params)
            return twin
        depth = len(s.shape.hidden)
        if depth not in self._twins:
            self._twins[depth] = self._build_twin(s)
        bind_params(self._twins[depth].layers, s.params)
        return self._twins[depth]

    def handmade(self, s: Sample) -> Arrays:
        A, cache = self.model.forward(s.X, s.params)
        J = self.model.loss(A, s.Y)
        return {**cache, "J": np.asarray(J), **self.model.backward(s.X, s.Y, s.params, cache)}

    def torch(self, s: Sample) -> Arrays:
        return torch_step(self.twin(s), s.X, s.Y)

    def torch_many(self, samples: Iterable[Sample]) -> list[Arrays]:
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

    def handmade_train(self, s: Sample, steps: int) -> Arrays:
        return _descent(self.model, s, steps)

    def torch_train(self, s: Sample, steps: int) -> Arrays:
        twin = self.twin(s, fresh=True)
        optimiser = torch.optim.SGD(twin.parameters(), lr=s.lr)
        X, Y = torch.from_numpy(s.X), torch.from_numpy(s.Y)
        trajectory: list[tuple[npt.ArrayLike, Arrays]] = []
        for t in range(steps + 1):
            J = twin.loss(twin.trace(X), Y)
            trajectory.append((J.detach().numpy(), read_params(twin.layers)))
            if t == steps:
                break
            optimiser.zero_grad()
            J.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
            optimiser.step()
        return _stack(trajectory)

    def loss_of_params(self, s: Sample) -> Callable[[Arrays], float]:
        """J as a function of the parameters, in float64: what finite differences walk."""
        X, Y = s.X.astype(np.float64), s.Y.astype(np.float64)
        return lambda params: float(self.model.loss(self.model.forward(X, params)[0], Y))

    def check_finite_differences(self, s: Sample, grads: Arrays | None = None) -> list[TensorResult]:
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
        return agreement(grads, numeric, FD_TOLERANCE)


def _descent(model: Trainable, s: Sample, steps: int) -> Arrays:
    """The loss and parameters at steps 0..K of the handmade gradient descent (handmade.train.descend)."""
    return _stack([item for _, item in itertools.islice(descend(model, s.X, s.Y, s.params, s.lr), steps + 1)])


class FastShallowPair(AutogradPair):
    """handmade.shallow_fast (reused buffers, in-place updates) against the shallow network's torch twin.

    It runs with two workers (threads sharing the rows; one where m = 1), so every shape
    also checks the split of the rows and the sum of the workers' gradients; one worker
    runs the same code on all rows (tests/handmade/test_models.py holds both to the reference).
    Its buffers are overwritten as the step goes (A1 becomes 1 − A1², A2 becomes dZ2), so
    it is compared on what it keeps: the output A2, J, and the parameter gradients; its
    trajectory is its own in-place loop, not `descend`.
    """

    workers = 2

    def names(self, shape: Shape) -> list[str]:
        return ["A2", "J", "dW2", "db2", "dW1", "db1"]

    def handmade(self, s: Sample) -> Arrays:
        trainer = ShallowTrainer(s.X, s.Y, s.params, s.lr, workers=self.workers)
        out = {"A2": trainer.forward().copy(), "J": np.asarray(trainer.loss())}
        trainer.backward()
        return {**out, "dW1": trainer.dW1, "db1": trainer.db1, "dW2": trainer.dW2, "db2": trainer.db2}

    def handmade_train(self, s: Sample, steps: int) -> Arrays:
        trainer = ShallowTrainer(s.X, s.Y, s.params, s.lr, workers=self.workers)
        trajectory: list[tuple[npt.ArrayLike, Arrays]] = []
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
    salt = 1090
    model: Trainable = perceptron
    contract = contracts.PERCEPTRON
    description = "perceptron: step activation, the notes' batch rule dZ = A − Y"
    tolerances = dict.fromkeys(DTYPES, EXACT_GRID)
    shapes = tuple(Shape(m, n) for m, n in [(1, 1), (2, 1), (4, 2), (8, 3), (16, 5), (32, 8), (64, 16)])
    # 0/1 inputs and α = 1/4 keep the gates exact on both sides; no random start is needed
    training = Training(lr=0.25, steps=100, init=Init(scale=0), datasets=("and", "or", "nand", "xor", "rain_rent"))

    def random_shape(self, rng: np.random.Generator) -> Shape:
        return Shape(int(2 ** rng.integers(0, 7)), int(rng.integers(1, 17)))

    def names(self, shape: Shape) -> list[str]:
        return ["Z", "A", "J", "dZ", "dW", "db"]

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, int]]:
        return {"W": (shape.n, 1), "b": (1, 1)}

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

    def twin(self, s: Sample, fresh: bool = False) -> models.Perceptron:
        """A new twin each time (cheap: one nn.Linear), so every twin is fresh."""
        twin = models.Perceptron(s.shape.n, getattr(torch, s.dtype))
        load_params(twin.layers, s.params)
        return twin

    def handmade(self, s: Sample) -> Arrays:
        A, cache = self.model.forward(s.X, s.params)
        J = self.model.loss(A, s.Y)
        return {**cache, "J": np.asarray(J), **self.model.backward(s.X, s.Y, s.params, cache)}

    def torch(self, s: Sample) -> Arrays:
        twin = self.twin(s)
        X, Y = torch.from_numpy(s.X), torch.from_numpy(s.Y)
        cache = twin.trace(X)
        out = {**cache, "J": twin.loss(cache, Y), **twin.rule(X, Y, cache)}
        return {key: value.numpy() for key, value in out.items()}

    def handmade_train(self, s: Sample, steps: int) -> Arrays:
        return _descent(self.model, s, steps)

    def torch_train(self, s: Sample, steps: int) -> Arrays:
        twin = self.twin(s)
        X, Y = torch.from_numpy(s.X), torch.from_numpy(s.Y)
        trajectory: list[tuple[npt.ArrayLike, Arrays]] = []
        for t in range(steps + 1):
            cache = twin.trace(X)
            trajectory.append((twin.loss(cache, Y).numpy(), read_params(twin.layers)))
            if t == steps:
                break
            grads = twin.rule(X, Y, cache)
            twin.update(grads["dW"], grads["db"], s.lr)
        return _stack(trajectory)


def _truth(s: Sample) -> TruthTable:
    """The truth table an MP neuron's sample was drawn from (MPNeuronPair.sample); refused when it has none."""
    if s.truth is None:
        raise ValueError(f"an MP neuron's sample carries the truth table it was drawn from; {s.id} has none")
    return s.truth


class MPNeuronPair(ModelPair):
    """The McCulloch–Pitts neuron: forward on random boolean rows, and the fit on a truth table.

    A random neuron (θ, inhibitory mask) labels the full truth table of its n inputs; both
    sides must fit the same (θ, mask) back and give the same outputs. Integer arithmetic:
    the comparison is exact. It is fitted, not trained: its "trajectory" is the fit to
    (X, Y), one step holding the error rate J, θ and the mask.
    """

    name = "mp_neuron"
    salt = 979
    model = mp_neuron
    contract = contracts.MP_NEURON
    description = "McCulloch–Pitts neuron: threshold θ, excitatory and inhibitory inputs, fit by search"
    boolean_inputs = True
    tolerances = dict.fromkeys(DTYPES, BOOLEAN)
    shapes = tuple(Shape(m, n) for m, n in [(1, 1), (3, 1), (4, 2), (8, 3), (5, 4), (16, 5)])
    training = Training(lr=0.0, steps=0, datasets=("and", "or", "nor"))
    train_dtypes = ()  # fitted, not trained: no trajectory to compare

    def random_shape(self, rng: np.random.Generator) -> Shape:
        return Shape(int(rng.integers(1, 65)), int(rng.integers(1, 7)))

    def names(self, shape: Shape) -> list[str]:
        return ["A", "fit.A", "fit.theta", "fit.inhibitory"]

    def sample(self, shape: Shape, dtype: str, seed: int) -> Sample:
        rng = np.random.default_rng(seed)
        X = rng.integers(0, 2, (shape.m, shape.n)).astype(dtype)
        inhibitory = rng.random(shape.n) < 0.3
        theta = int(rng.integers(0, shape.n - inhibitory.sum() + 1))
        rows = np.array(list(np.ndindex(*(2,) * shape.n)), dtype=dtype).reshape(-1, shape.n)  # (2^n, n)
        Y = mp_neuron.forward(rows, theta, inhibitory).astype(dtype)
        return Sample(shape, dtype, seed, X, Y, {}, truth=TruthTable(theta, inhibitory, rows))

    def handmade(self, s: Sample) -> Arrays:
        truth = _truth(s)
        theta, mask = mp_neuron.search(truth.rows, s.Y)
        return {
            "A": mp_neuron.forward(s.X, truth.theta, truth.inhibitory),
            "fit.A": mp_neuron.forward(truth.rows, theta, mask),
            "fit.theta": np.asarray(theta),
            "fit.inhibitory": mask,
        }

    def torch(self, s: Sample) -> Arrays:
        truth = _truth(s)
        rows, inhibitory = torch.from_numpy(truth.rows), torch.from_numpy(truth.inhibitory)
        theta, mask = models.mp_fit(rows, torch.from_numpy(s.Y))
        return {
            "A": models.mp_forward(torch.from_numpy(s.X), truth.theta, inhibitory).numpy(),
            "fit.A": models.mp_forward(rows, theta, mask).numpy(),
            "fit.theta": np.asarray(theta),
            "fit.inhibitory": mask.numpy(),
        }

    def _fitted(self, side: str, theta: int, mask: np.ndarray, s: Sample) -> Arrays:
        params = {"theta": np.asarray(theta), "inhibitory": np.asarray(mask, dtype=np.int8)}
        A = self.outputs(side, params, s.X, s.shape)
        return _stack([(np.abs(A - s.Y).mean(), params)])  # J: the error rate

    def handmade_train(self, s: Sample, steps: int) -> Arrays:
        theta, mask = mp_neuron.search(s.X, s.Y)
        return self._fitted("handmade", theta, mask, s)

    def torch_train(self, s: Sample, steps: int) -> Arrays:
        theta, mask = models.mp_fit(torch.from_numpy(s.X), torch.from_numpy(s.Y))
        return self._fitted("torch", theta, mask.numpy(), s)

    def parity_training(self, sample: Sample, steps: int = TRAIN_STEPS) -> list[TensorResult]:
        """The MP neuron is fitted, not trained: its fit is part of `parity`."""
        return []

    def outputs(self, side: str, params: Arrays, X: np.ndarray, shape: Shape) -> np.ndarray:
        theta, mask = int(params["theta"]), np.asarray(params["inhibitory"]).astype(bool)
        if side == "handmade":
            A: np.ndarray = mp_neuron.forward(X, theta, mask)
            return A
        return models.mp_forward(torch.from_numpy(X), theta, torch.from_numpy(mask)).numpy()


class NormalisePair(ModelPair):
    """Min–max normalisation per column (handmade.normalise.MinMax) against the same in torch ops.

    Not a model: it has no parameters and is not trained. Its samples are the notes' kind of
    data (rainfall in mm, rent) and random columns; a constant column is never drawn here
    (min–max divides by max − min = 0: `torchref check` reports it on its own). Both sides run
    the same correctly rounded operations in the same order, so they must agree bit for bit.
    """

    name = "normalise"
    salt = 970  # the sum of its name's letters, as the others' were
    description = "min–max normalisation per column and its inverse (rain 0–20 mm, rent 500–3000 → [0, 1])"
    contract = contracts.NORMALISE
    tolerances = dict.fromkeys(DTYPES, SAME_OPERATIONS)  # both sides: min, max, −, ÷ (and ×, + back), in one order
    shapes = tuple(Shape(m, n) for m, n in [(2, 1), (3, 2), (6, 2), (5, 3), (64, 8)])
    training = Training(lr=0.0, steps=0)  # nothing to train: `torchref compare` has no run of it
    train_dtypes = ()  # fitted, not trained: no trajectory to compare

    def random_shape(self, rng: np.random.Generator) -> Shape:
        return Shape(int(rng.integers(2, 65)), int(rng.integers(1, 9)))

    def names(self, shape: Shape) -> list[str]:
        return ["low", "high", "X_scaled", "X"]

    def sample(self, shape: Shape, dtype: str, seed: int) -> Sample:
        rng = np.random.default_rng(seed)
        X = rng.uniform(0, 20, (shape.m, shape.n)) * rng.uniform(1, 150, (1, shape.n)) + rng.uniform(
            0, 500, (1, shape.n)
        )
        X[0], X[-1] = X.min(axis=0) - 1, X.max(axis=0) + 1  # no constant column, even at m = 2
        return Sample(shape, dtype, seed, X.astype(dtype), np.zeros((shape.m, 1), dtype), {})

    def handmade(self, s: Sample) -> Arrays:
        scaler = MinMax.fit(s.X)
        X_scaled = scaler.transform(s.X)
        return {"low": scaler.low, "high": scaler.high, "X_scaled": X_scaled, "X": scaler.inverse(X_scaled)}

    def torch(self, s: Sample) -> Arrays:
        X = torch.from_numpy(s.X)
        low, high = X.amin(dim=0, keepdim=True), X.amax(dim=0, keepdim=True)
        X_scaled = (X - low) / (high - low)
        out = {"low": low, "high": high, "X_scaled": X_scaled, "X": X_scaled * (high - low) + low}
        return {key: value.numpy() for key, value in out.items()}

    def _fitted(self, out: Arrays) -> Arrays:
        return _stack([(np.zeros((), out["X"].dtype), {"low": out["low"], "high": out["high"]})])

    def handmade_train(self, s: Sample, steps: int) -> Arrays:
        return self._fitted(self.handmade(s))

    def torch_train(self, s: Sample, steps: int) -> Arrays:
        return self._fitted(self.torch(s))

    def parity_training(self, sample: Sample, steps: int = TRAIN_STEPS) -> list[TensorResult]:
        """Normalisation is fitted, not trained: its fit is part of `parity`."""
        return []


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

SHALLOW_NET = Net(depth=1, activation="tanh")
# The classic assignment's run: lr 1.2, 10,000 steps, W ~ 0.01·N(0, 1) on the flower
# (elsewhere 0.5: XOR escapes its plateau sooner).
SHALLOW_TRAINING = Training(
    lr=1.2,
    steps=10_000,
    hidden=(4,),
    init=Init(0.5, by_data={"flower": 0.01}),
    datasets=("flower", "xor", "moons", "circles"),
    sweep=HiddenSweep(),
)


def _deep_entry(activation: str, output: str, k: int, data: str, salt: int) -> AutogradPair:
    head = "σ + BCE" if output == "sigmoid" else f"softmax over {k} classes + cross-entropy"
    return AutogradPair(
        f"deep_{activation}_{output}",
        f"deep network: {activation} hidden layers, {head}",
        deep.model(activation, output),
        models.DeepNet,
        Net(depth=2, activation=activation, output=output, k=k, any_depth=True),
        tuple(Shape(s.m, s.n, s.hidden, k) for s in DEEP_SHAPES),
        # lr 0.2: a tanh net on moons at 0.5 has a loss spike that parts the twins
        Training(lr=0.2, steps=3000, hidden=(8, 8), init=Init("fan_in"), datasets=(data,)),
        # ReLU′ jumps at z = 0. In float32 a z within rounding of 0 takes the other branch on
        # one side now and then, and after such a flip the runs part by α·x·dA/m and keep
        # drifting. Both are right (any value in [0, 1] is a subgradient). One-step float32
        # parity and finite differences still cover ReLU; whole trajectories are compared in float64.
        train_dtypes=("float64",) if activation == "relu" else DTYPES,
        salt=salt,
    )


REGISTRY: dict[str, ModelPair] = {
    pair.name: pair
    for pair in [
        MPNeuronPair(),
        PerceptronPair(),
        NormalisePair(),
        AutogradPair(
            "logistic",
            "sigmoid neuron / logistic regression (Assignment A02): σ + BCE",
            logistic,
            models.LogisticRegression,
            Net(depth=0),
            LOGISTIC_SHAPES,
            Training(lr=1.2, steps=2000, init=Init(0.01), datasets=("rain_rent", "flower")),
            salt=862,
        ),
        AutogradPair(
            "shallow",
            "one hidden layer: tanh → σ + BCE (the notes' network)",
            shallow,
            models.ShallowNet,
            SHALLOW_NET,
            NET_SHAPES,
            SHALLOW_TRAINING,
            salt=762,
        ),
        _deep_entry("tanh", "sigmoid", 1, "moons", salt=1779),
        _deep_entry("sigmoid", "sigmoid", 1, "moons", salt=2100),
        _deep_entry("relu", "sigmoid", 1, "circles", salt=1792),
        _deep_entry("tanh", "softmax", 3, "flower", salt=1801),
        _deep_entry("relu", "softmax", 4, "circles", salt=1814),
        FastShallowPair(
            "shallow_fast",
            "one hidden layer, the fast step (handmade.shallow_fast, two workers)",
            shallow,
            models.ShallowNet,
            SHALLOW_NET,
            NET_SHAPES,
            replace(SHALLOW_TRAINING, datasets=(), sweep=None),  # compare's runs are the reference's
            salt=1287,
        ),
    ]
}


def get(name: str) -> ModelPair:
    if name not in REGISTRY:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]
