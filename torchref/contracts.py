"""The contracts: which functions a learner's file may define for a registry entry, with the handmade names.

A contract is data on a registry entry (`ModelPair.contract`): its functions in the order
the checker judges them (the first wrong one is the one reported), each with its
signature, what it returns, and the values it is compared on (its links). The learners'
usual names for the same functions (`compute_cost`, `backprop`, ...) are recognised with
a note. `torchref template MODEL` writes every function of an entry's contract, `torchref
check` judges each one the file defines, and every handmade module passes its own check.
The `required` functions are the assignment's core: the rubric scores them in every file,
and the others only in a file that defines them (`torchref.grading.rubric`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    name: str  # "loss"
    args: tuple[str, ...]  # ("A", "Y"), in the order the checker passes them
    returns: str  # "J", in the notes' symbols
    doc: str  # one line: what it computes, as the notes write it
    optional: tuple[str, ...] = ()  # arguments with a default (None)
    required: bool = False  # the rubric scores it even in a file that does not define it (the assignment's core)

    @property
    def signature(self) -> str:
        args = [*self.args, *(f"{a}=None" for a in self.optional)]
        return f"{self.name}({', '.join(args)})"


@dataclass(frozen=True)
class Contract:
    functions: tuple[Function, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.functions]

    def __getitem__(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def spellings(self, name: str) -> list[str]:
        """The names a file may give this function: the contract's first, then the learners' usual ones."""
        return [name, *(alias for alias, meant in LEARNER_NAMES.items() if meant == name)]


# the names learners of the course give the contract's functions (recognised with a note)
LEARNER_NAMES = {
    "compute_cost": "loss",
    "cost": "loss",
    "backprop": "backward",
    "normalize": "normalise",
    "denormalize": "denormalise",
    "update_parameters": "update",
    "sigmoid_neuron": "forward",
}

# the names learners give the notes' activations and their derivatives (lower case, underscores dropped): a
# helper so named that computes its function is right, and the call chose it
HELPER_NAMES = {
    "relu": ("relu",),
    "tanh": ("tanh",),
    "sigmoid": ("sigmoid", "sigma", "logistic"),
    "softmax": ("softmax",),
    "tanh_prime": ("tanhprime", "dtanh", "tanhderivative", "tanhderiv", "tanhgrad", "tanhbackward"),
    "sigmoid_prime": ("sigmoidprime", "dsigmoid", "sigmoidderivative", "sigmoidderiv", "sigmoidgrad"),
    "relu_prime": ("reluprime", "drelu", "reluderivative", "reluderiv", "relugrad"),
}

FORWARD = Function("forward", ("X", "params"), "(A, cache)", "Z = X W + b, A = g(Z) layer by layer; cache holds Z, A")
LOSS = Function("loss", ("A", "Y"), "J", "J = −(1/m) Σ [y log a + (1 − y) log(1 − a)]")
BACKWARD = Function(
    "backward", ("X", "Y", "params", "cache"), "grads", "dZ = A − Y, dW = (1/m) Xᵀ dZ, db = (1/m) Σ dZ", required=True
)
UPDATE = Function("update", ("params", "grads", "lr"), "params", "W ← W − α dW for every parameter")
TRAIN = Function(
    "train",
    ("X", "Y", "params", "lr", "steps"),
    "(params, losses)",
    "steps updates; losses: J before each update, then the final J (steps + 1 values)",
)

TRAINABLE = Contract((FORWARD, LOSS, BACKWARD, UPDATE, TRAIN))
# the perceptron's J is its error rate mean |a − y| (or the count of misclassified rows)
PERCEPTRON = Contract(
    (
        FORWARD,
        Function("loss", ("A", "Y"), "J", "J = mean |a − y|, the error rate"),
        BACKWARD,  # the perceptron's rule: dZ = A − Y, dW = (1/m) Xᵀ dZ, db = (1/m) Σ dZ
        Function("update", ("params", "grads", "lr"), "params", "W ← W − α dW for every parameter", required=True),
        TRAIN,
    )
)
MP_NEURON = Contract(
    (
        Function(
            "forward",
            ("X", "theta"),
            "A",
            "z = Σ excitatory x_i, a = 1 if z ≥ θ and no inhibitory input is on; A (m, 1) of 0/1",
            ("inhibitory",),
            required=True,
        ),
        Function("fit", ("X", "Y"), "theta", "the smallest θ that reproduces Y, or None", ("inhibitory",)),
    )
)
NORMALISE = Contract(
    (
        Function("normalise", ("X",), "X_scaled", "x' = (x − min) / (max − min), per column", required=True),
        Function("denormalise", ("X_scaled", "low", "high"), "X", "x = x' (high − low) + low; low, high (1, n)"),
    )
)
