"""The tutor catalogue: learners' files, and what a true report on each of them says.

Every file under `files/` was written as a learner of the course would write it, from the
notes alone (the derivation in `handmade/`, the shipped examples), before anything of the
checker's diagnosis was read or run on them. Three forms: `.py` files, `.ipynb` notebooks
with a notebook's clutter (data cells, prints, plots commented out, globals), and modules
whose functions are handed to `torchref.check(backward=fn, forward=fn)` as objects.

A `Case` says, for a mistake file:
- `first_wrong`: the first tensor of the notes' chain whose value is wrong (forward first:
  Z1, A1, Z2, A2; then dZ2, dW2, db2, dA1, dZ1, dW1, db1; the deep chains likewise), and
  `wrong`: every tensor that is wrong in its own right, i.e. wrong even when computed from right
  inputs (the others are echoes of these). A wrong intermediate that the file does not return
  is named by the first returned tensor it spoils.
- `cause`: a regular expression (case-insensitive) that any TRUE statement of the cause
  matches; a stated cause that does not match it is a false statement. None: no cause can
  honestly be known, and the only honest report is "I cannot tell" with the line.
- `line`: the learner's statement that made the first wrong value, 1-based: the line in the
  file (`.py` and modules), or (cell, line) in a notebook, cells counted from 1 with the
  markdown ones. For a mistake inside a helper, the helper's line. `code` is that statement.
  `also_lines`: other places a report may name where the place is honestly ambiguous.
- `repair`: the line a human would write in place of `line` ("" deletes the line; a pair
  (line, text) when the repair belongs on another line than the mistake), and
  `repair_result`: "pass" when the repaired file passes, else the tensor wrong next.
`not_cause`: statements known to be false for the file, which a report must not make even beside
a true one (a mechanism the source does not have: an (m,) array where there is none, a sign
flipped in Z when the helper is wrong, a constant factor where the factor changes with m).
For a variant (a correct file written in an unusual way), `verdict` is "pass".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GAP = ".{0,80}?"  # a few words of one sentence

# ---- what a true cause says, by kind (each a regular expression, matched case-insensitively) ----
MISSING_M = (
    r"(missing|without|left out|forg[eo]t|omit|lacks?|dropp?ed|is not (divided|averaged))"
    rf"{GAP}(1\s*/\s*m|\bmean\b|divi|averag)"
    rf"|(1\s*/\s*m|\bmean\b){GAP}(missing|left out|forgotten|dropped|omitted)"
    rf"|not divided by m|\bm times\b|times m\b|factor (of )?m\b|×\s*m\b"
)
EXTRA_M = (
    rf"(extra|twice|second|again|double|too many|one more){GAP}(1\s*/\s*m|\bm\b|divi)"
    rf"|(1\s*/\s*m|divided by m){GAP}(twice|again|two times)|1\s*/\s*m\s*(²|\^\s*2|\*\*\s*2)|\bm\s*(²|\*\*\s*2)"
    r"|/\s*m\)?\s*/\s*m\b"
)
SIGN = (
    r"\bsign\b|negat|flipped|opposite|reversed|\bY\s*[-−]\s*A\d?\b|factor (of )?[-−]\s*1\b|[-−]\s*1 times"
    r"|times [-−]\s*1\b|minus (sign|one)"
)
TRANSPOSED = (
    r"transpos|swapp?ed|rows and columns"
    r"|\((?P<a>\w+), ?(?P<b>(?!(?P=a)\))\w+)\)" + GAP + r"\((?P=b), ?(?P=a)\)"
)
KEEPDIMS = r"keepdims|\b1-?D\b|one-dimensional|\((h|n|k|m|\d+),\)|\bflat|\bndim|\brank\b|a vector"
AXIS = (
    r"axis|over (the )?(rows|columns|examples|units|classes|features)|each (row|column|example)"
    r"|per (row|example|column)|across (the )?(rows|columns|examples|units)"
)
SUM_ALL = (
    AXIS + r"|all (the )?(elements|entries|values|units)|every (element|entry|unit)|whole (array|matrix)"
    r"|\bscalar\b|(a|one) single (number|value)|\(1, ?1\)|\(\)"
)
ZERO = r"zeros?\b|//|integer|floor"
DTYPE = r"float64|float32|dtype|precision|double"
EPS = r"\beps\b|1e-0?6|0\.000001|tiny|numerical|rounding|division by zero|divide by zero"
GPRIME = (
    r"tanh|g′|g'|deriv|1\s*[-−]\s*A1|activation"
    r"|(=|equals|is|same as|copy of|alias of)\s*dA1\b"
)
NO_SQUARE = (
    r"1\s*[-−]\s*A1?\b(?!\s*\)?\s*(\*\*|²))|not squared|without (the )?square"
    rf"|(missing|forg[eo]t|left out){GAP}square|square{GAP}(missing|left out)"
)
SQUARE_OUTSIDE = (
    r"\(1\s*[-−]\s*A1?\)\s*(\*\*\s*2|²)|square[sd]? (is |are )?(outside|after|of the (whole|difference))|outside"
)
WITH_B1 = (
    r"\bb1\b" + GAP + r"(\(1, ?(h|\d+)\)|\((h|\d+), ?1\)|\brows?\b|columns?|transpos|\baxis\b|b1\.T|b1ᵀ|broadcast)"
    r"|(\(1, ?(h|\d+)\)|\brows?\b|columns?|transpos)" + GAP + r"\bb1\b"
)
DB1_COLUMN = TRANSPOSED + r"|\(h, ?1\)|\(([2-9]|\d\d+), ?1\)|column|dZ1(\.T|ᵀ)"
ONE_D_ROW = r"X\[i\]|\((n|\d+),\)|\b1-?D\b|one-dimensional|reshape|broadcast|column"
SOFTMAX = r"softmax|sigmoid|σ|output activation|sum to (1|one)"
SOFTMAX_AXIS = r"axis|over (the )?(examples|rows|batch|columns)|each (column|class)|sum to (1|one)|normali[sz]"
IN_PLACE = r"in[- ]place|-=|changed|modif|updat|overwr|mutat|learning_rate"
UPDATED = r"updat|learning rate|α|alpha|\blr\b|descent step|gradient step|\bW\s*[-−]\s*0?\.1|\bb\s*[-−]\s*0?\.1"
BIAS = (
    r"bias|(without|missing|forg[eo]t|left out|dropp?ed|no)\b" + GAP + r"\bb\b|\bb\b (is )?(missing|left out|forgotten)"
    r"|σ\(X ?W\)|sigmoid\(X ?@ ?W\)"
)
LAYER_INDEX = r"\bA3\b|l\s*[-−]\s*1|off[- ]by[- ]one|A_prev|str\(l\)|wrong layer|next layer|layer above|layer l\b"
NP_MAX = r"np\.max\b|\bmax(imum|ima)?\b|largest"
RELU_PRIME = r"relu|deriv|\bstep\b|indicator|>\s*0|maximum"


# statements the catalogue knows to be false where they are attached (see `not_cause`)
NO_1D_HERE = r"\(m,\) array|\b1-D\b|ravel"  # there is no 1-D array in the learner's line
DEGENERATE = r"σ′\(Y\)|sigmoid_prime\(Y\)|softmax\(W"  # formulas that are zero because Y is 0 or 1


def alpha(name: str, value: str) -> str:
    """A gradient scaled by the learning rate, named as the learner's own name for it with its value: a bare
    number ("off by a constant factor 0.01") does not say where the factor comes from."""
    return rf"(learning rate|α|alpha|\blr\b){GAP}`?{re.escape(name)}`?\s*=\s*{re.escape(value)}\b"


def global_m(value: str) -> str:
    """m read from a global of the notebook or module (the training set's size), not from X."""
    return rf"global|notebook|module|\b{value}\b|X_train|training set"


@dataclass(frozen=True)
class Case:
    id: str
    file: str  # under files/
    model: str
    form: str  # "py" | "ipynb" | "api"
    kind: str  # what the mistake is ("variant" for a correct file)
    description: str
    verdict: str = "wrong"
    first_wrong: str = ""
    wrong: tuple = ()  # every tensor wrong in its own right, first_wrong first
    cause: str | None = None
    line: int | tuple | None = None
    code: str = ""
    repair: str | tuple | None = None
    repair_result: str = ""
    also_lines: tuple = ()
    not_cause: str | None = None  # a statement known to be false for this file (a label its source does not bear)
    api: tuple = (("backward", "backward"), ("forward", "forward"))  # (keyword, function name) for form "api"


def variant(id, file, model, form, description, api=None):
    extra = {"api": api} if api is not None else {}
    return Case(id, file, model, form, "variant", description, verdict="pass", **extra)


BACKWARD_ONLY = (("backward", "backward"),)

MISTAKES = [
    # ---- logistic regression (the sigmoid neuron) ----
    Case("logistic-eps-in-chain-rule", "logistic_eps_chain.py", "logistic", "py", "eps in a derivative",
         "dL/dA with an eps of 1e-6 'to avoid dividing by zero', then times a(1 - a): dZ differs by about 1e-6",
         first_wrong="dZ", wrong=("dZ",), cause=EPS, line=11,
         code="dA = -(Y / (A + eps)) + (1 - Y) / (1 - A + eps)  # dL/da",
         repair="dA = -(Y / A) + (1 - Y) / (1 - A)  # dL/da", repair_result="pass"),
    Case("logistic-floor-division", "logistic_floordiv.py", "logistic", "py", "1 // m",
         "1 // m is 0 for every m > 1: dW and db are all zeros (right only when m = 1)",
         first_wrong="dW", wrong=("dW", "db"), cause=ZERO, line=9, code="dW = 1 // m * (X.T @ dZ)",
         repair="dW = 1 / m * (X.T @ dZ)", repair_result="db",
         not_cause=DEGENERATE),
    Case("logistic-own-sigmoid-sign", "logistic_own_sigmoid.py", "logistic", "py", "own wrong sigmoid helper",
         "the learner's sigmoid helper computes 1 / (1 + e^z), which is σ(-z); Z itself is right",
         first_wrong="A", wrong=("A",),
         cause=r"sigmoid|σ|\bexp\b|helper|1\s*[-−]\s*(σ|sigmoid)|σ\s*\(\s*[-−]\s*Z", line=5,
         code="return 1 / (1 + np.exp(z))", repair="return 1 / (1 + np.exp(-z))", repair_result="pass",
         not_cause=r"\bZ (has|with) its sign|in Z, which"),
    Case("logistic-db-missing-1/m", "logistic_db_missing_m.py", "logistic", "py", "missing 1/m",
         "db sums dZ over the rows but is not divided by m", first_wrong="db", wrong=("db",), cause=MISSING_M,
         line=11, code="db = np.sum(dZ, axis=0, keepdims=True)  # (1, 1)",
         repair="db = np.sum(dZ, axis=0, keepdims=True) / m  # (1, 1)", repair_result="pass"),
    Case("logistic-column-layout-Y.T", "logistic_Y_transposed.py", "logistic", "py", "column layout A - Y.T",
         "dZ = A - Y.T: (m, 1) minus (1, m) broadcasts to an (m, m) table (right only when m = 1)",
         first_wrong="dZ", wrong=("dZ",),
         cause=r"Y\.T|Yᵀ|Y transposed|transpose of Y|\(m, ?m\)|\(1, ?m\)|\((?P<s>[2-9]|\d\d+), ?(?P=s)\)",
         line=8, code="dZ = A - Y.T", repair="dZ = A - Y", repair_result="pass",
         not_cause=NO_1D_HERE),
    Case("logistic-sum-over-everything", "logistic_sum_everything.py", "logistic", "py", "sum over all elements",
         "dW = np.sum(X * dZ) / m sums over rows and columns: one number, not one per feature; db a 0-d scalar",
         first_wrong="dW", wrong=("dW", "db"), cause=SUM_ALL, line=9, code="dW = np.sum(X * dZ) / m",
         repair="dW = X.T @ dZ / m", repair_result="db"),
    Case("logistic-nb-global-m", "logistic_nb_global_m.ipynb", "logistic", "ipynb", "notebook global m",
         "backward reads the notebook's m = X_train.shape[0] (400) instead of the rows of its own X",
         first_wrong="dW", wrong=("dW", "db"), cause=global_m("400"), line=(7, 4),
         code="dW = (1 / m) * np.dot(X.T, dZ)", repair="dW = (1 / X.shape[0]) * np.dot(X.T, dZ)",
         repair_result="db",
         not_cause=r"constant factor"),
    Case("logistic-nb-sign-flipped", "logistic_nb_sign_flip.ipynb", "logistic", "ipynb", "sign flipped",
         "dZ = Y - A in the vectorised backward of an A02 notebook with a per-row SGD cell",
         first_wrong="dZ", wrong=("dZ",), cause=SIGN, line=(8, 4), code="dZ = Y - A", repair="dZ = A - Y",
         repair_result="pass"),
    Case("logistic-nb-row-loop-1d-row", "logistic_nb_row_loop.ipynb", "logistic", "ipynb", "raises: (n,) row",
         "dW += X[i] * dz: X[i] is (n,), broadcast against dW (n, 1) to (n, n): raises whenever n > 1",
         first_wrong="dW", wrong=("dW",), cause=ONE_D_ROW, line=(5, 8), code="dW += X[i] * dz",
         repair="dW += X[i:i + 1].T * dz", repair_result="pass"),
    Case("logistic-api-lambda-helper-db-axis", "api_logistic_lambda_axis.py", "logistic", "api", "wrong axis",
         "forward uses a lambda sigmoid helper (right); db sums dZ over axis 1: (m, 1), not (1, 1)",
         first_wrong="db", wrong=("db",), cause=AXIS, line=17,
         code="db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)",
         repair="db = (1 / m) * np.sum(dZ, axis=0, keepdims=True)", repair_result="pass"),
    Case("logistic-api-alpha-folded", "api_logistic_alpha.py", "logistic", "api", "α folded into the gradient",
         "dW and db are multiplied by the learning rate 0.01 so that the update is W - dW",
         first_wrong="dW", wrong=("dW", "db"), cause=alpha("learning_rate", "0.01"), line=11,
         code="dW = learning_rate * (X.T @ dZ) / m", repair="dW = (X.T @ dZ) / m", repair_result="db",
         api=BACKWARD_ONLY,
         not_cause=r"constant factor"),
    Case("logistic-api-returns-updated-W", "api_logistic_updated.py", "logistic", "api", "W - α dW returned as dW",
         "backward takes the descent step itself and returns W - alpha*dW and b - alpha*db as dW and db",
         first_wrong="dW", wrong=("dW", "db"), cause=UPDATED, line=22, code="dW = W - alpha * dW", repair="",
         repair_result="db"),
    Case("logistic-api-recomputes-A-without-b", "api_logistic_recompute.py", "logistic", "api",
         "wrong intermediate not returned",
         "backward recomputes A = sigmoid(X @ W) and forgets + b; A is not returned, dZ is the first wrong value",
         first_wrong="dZ", wrong=("dZ",), cause=BIAS, line=12, code="A = sigmoid(X @ W)  # recompute the prediction",
         repair="A = sigmoid(X @ W + b)  # recompute the prediction", repair_result="pass", api=BACKWARD_ONLY),
    # ---- one hidden layer (tanh -> σ) ----
    Case("shallow-tanh-prime-of-Z1", "shallow_tanh_prime_Z.py", "shallow", "py", "tanh' as 1 - Z1**2",
         "tanh'(Z1) written 1 - Z1**2 with Z1 from the cache, where the notes have 1 - A1**2",
         first_wrong="dZ1", wrong=("dZ1",), cause=r"\bZ1\b", line=25,
         code="dZ1 = dA1 * (1 - Z1 ** 2)  # derivative of tanh",
         repair="dZ1 = dA1 * (1 - A1 ** 2)  # derivative of tanh", repair_result="pass"),
    Case("shallow-dW1-missing-1/m", "shallow_dW1_missing_m.py", "shallow", "py", "missing 1/m",
         "dW1 = np.dot(X.T, dZ1) without the 1/m every other gradient has", first_wrong="dW1", wrong=("dW1",),
         cause=MISSING_M, line=19, code="dW1 = np.dot(X.T, dZ1)", repair="dW1 = np.dot(X.T, dZ1) / m",
         repair_result="pass"),
    Case("shallow-db1-sum-without-keepdims", "shallow_db1_no_keepdims.py", "shallow", "py", "sum without keepdims",
         "db1 = np.sum(dZ1, axis=0) / m is (h,), the notes keep (1, h)", first_wrong="db1", wrong=("db1",),
         cause=KEEPDIMS, line=13, code="db1 = np.sum(dZ1, axis=0) / m",
         repair="db1 = np.sum(dZ1, axis=0, keepdims=True) / m", repair_result="pass"),
    Case("shallow-dA1-with-W1", "shallow_dA1_with_W1.py", "shallow", "py", "dA1 using W1 (raises mostly)",
         "dA1 = dZ2 @ W1.T: W1 where W2 belongs; raises unless h = 1, then wrong values or shape",
         first_wrong="dA1", wrong=("dA1",), cause=rf"W1{GAP}W2|W2{GAP}W1", line=23,
         code="dA1 = dZ2 @ W1.T                                # (m, h)", repair="dA1 = dZ2 @ W2.T",
         repair_result="pass"),
    Case("shallow-db1-from-dz2", "shallow_db1_from_dz2.py", "shallow", "py", "db from the wrong dZ",
         "lower-case names; db1 sums dz2 (the output layer's) instead of dz1",
         first_wrong="db1", wrong=("db1",),
         cause=rf"(sum|Σ|summed|np\.sum\(|mean){GAP}\bdz2\b|\bdz2\b{GAP}(instead|in place|rather|where)", line=15,
         code="db1 = (1 / m) * np.sum(dz2, axis=0, keepdims=True)",
         repair="db1 = (1 / m) * np.sum(dz1, axis=0, keepdims=True)", repair_result="pass"),
    Case("shallow-class-methods-sign", "shallow_class_sign.py", "shallow", "py", "sign flipped (class method)",
         "forward and backward are methods of a class, exposed as module names; dZ2 = Y - A2",
         first_wrong="dZ2", wrong=("dZ2",), cause=SIGN, line=20, code="dZ2 = Y - A2", repair="dZ2 = A2 - Y",
         repair_result="pass"),
    Case("shallow-dtanh-called-on-A1", "shallow_dtanh_of_A1.py", "shallow", "py", "helper called with A for Z",
         "a right helper dtanh(z) = 1 - tanh(z)**2 called with A1, so tanh is applied twice",
         first_wrong="dZ1", wrong=("dZ1",),
         cause=rf"tanh\s*\(\s*A1|tanh\s*\(\s*tanh|twice|dtanh\s*\(\s*A1|\bA1\b{GAP}\bZ1\b|\bZ1\b{GAP}\bA1\b",
         line=17, code="dZ1 = dA1 * dtanh(A1)", repair="dZ1 = dA1 * dtanh(Z1)", repair_result="pass"),
    Case("shallow-own-tanh-typo", "shallow_own_tanh.py", "shallow", "py", "own wrong tanh helper",
         "the learner's tanh helper has e^z + e^z in the denominator; Z1 is right, A1 is not",
         first_wrong="A1", wrong=("A1",), cause=r"tanh|helper", line=6,
         code="return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(z))",
         repair="return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))", repair_result="pass"),
    Case("shallow-alias-dZ1-is-dA1", "shallow_alias_dZ1.py", "shallow", "py", "alias dZ1 = dA1",
         "dZ1 = dA1: the tanh derivative left out, on a line of its own", first_wrong="dZ1", wrong=("dZ1",),
         cause=GPRIME, line=15, code="dZ1 = dA1", repair="dZ1 = dA1 * (1 - A1 ** 2)", repair_result="pass"),
    Case("shallow-two-independent-links", "shallow_two_wrong_links.py", "shallow", "py",
         "several independent wrong links",
         "db2 without 1/m and, independently, dZ1 with (1 - A1); dW1 and db1 are echoes of dZ1",
         first_wrong="db2", wrong=("db2", "dZ1"), cause=MISSING_M, line=17,
         code="db2 = dZ2.sum(axis=0, keepdims=True)", repair="db2 = dZ2.sum(axis=0, keepdims=True) / m",
         repair_result="dZ1"),
    Case("shallow-dW2-transposed-and-db1-flat", "shallow_dW2_T_and_db1_flat.py", "shallow", "py",
         "several independent wrong links",
         "dW2 = dZ2.T @ A1 is (1, h); db1 has no keepdims; dW1 is right and no echo of anything",
         first_wrong="dW2", wrong=("dW2", "db1"), cause=TRANSPOSED, line=12,
         code="dW2 = (1 / m) * np.dot(dZ2.T, A1)", repair="dW2 = (1 / m) * np.dot(A1.T, dZ2)",
         repair_result="db1"),
    Case("shallow-helper-tanh-prime-no-square", "shallow_helper_tanh_prime.py", "shallow", "py",
         "mistake inside a helper", "tanh_prime(A) returns 1 - A: the square is missing, inside the helper",
         first_wrong="dZ1", wrong=("dZ1",), cause=NO_SQUARE, line=6, code="return 1 - A",
         repair="return 1 - A ** 2", repair_result="pass"),
    Case("shallow-relu-for-tanh", "shallow_relu_hidden.py", "shallow", "py", "wrong hidden activation",
         "ReLU in the hidden layer of the tanh network, and ReLU's derivative in backward",
         first_wrong="A1", wrong=("A1", "dZ1"), cause=r"relu|tanh|maximum|activation", line=14,
         code="A1 = relu(Z1)", repair="A1 = np.tanh(Z1)", repair_result="dZ1"),
    Case("shallow-hidden-dZ2-over-m", "shallow_hidden_dZ2_over_m.py", "shallow", "py",
         "wrong intermediate not returned",
         "dZ2 = (A2 - Y) / m (not returned), then dW2 = (1/m) A1.T dZ2 again: 1/m twice",
         first_wrong="dW2", wrong=("dW2",), cause=EXTRA_M, line=10, code="dZ2 = (A2 - Y) / m",
         repair="dZ2 = A2 - Y", repair_result="pass"),
    Case("shallow-b2-sign-backward-returns-grads-only", "shallow_b2_sign_grads_only.py", "shallow", "py",
         "sign of the bias; backward returns only the gradients",
         "Z2 = A1 @ W2 - b2 in forward; backward is right but returns only dW1, db1, dW2, db2 (no dZ2, dA1, dZ1):"
         " every gradient is wrong only as an echo of Z2",
         first_wrong="Z2", wrong=("Z2",),
         cause=rf"[-−]\s*b2\b|\bb2\b{GAP}(sign|minus|subtract)|(sign|minus|subtract){GAP}\bb2\b", line=12,
         code="Z2 = A1 @ W2 - b2", repair="Z2 = A1 @ W2 + b2", repair_result="pass"),
    Case("shallow-dZ2-Y-ravel", "shallow_dZ2_Y_ravel.py", "shallow", "py", "raises later: (m,) label",
         "dZ2 = A2 - Y.ravel(): (m, 1) minus (m,) is (m, m); right only when m = 1, and dA1 = dZ2 @ W2.T raises"
         " three lines later", first_wrong="dZ2", wrong=("dZ2",),
         cause=r"ravel|\(m,\)|\b1-D\b|\(m, ?m\)|\((?P<s>[2-9]|\d\d+), ?(?P=s)\)", line=21,
         code="dZ2 = A2 - Y.ravel()", repair="dZ2 = A2 - Y", repair_result="pass"),
    Case("shallow-dA1-times-params-W2", "shallow_dA1_times_params_W2.py", "shallow", "py",
         "raises: * for @, with params[...]",
         'dA1 = dZ2 * params["W2"]: an element-wise product where the notes multiply by W2ᵀ; (m, 1) * (h, 1)'
         " raises unless m = h or h = 1", first_wrong="dA1", wrong=("dA1",),
         cause=r"⊙|\*|element|broadcast|W2\.T|W2ᵀ|matrix product|transpos", line=24,
         code='dA1 = dZ2 * params["W2"]', repair="dA1 = dZ2 @ W2.T", repair_result="pass"),
    Case("shallow-loop-accumulator-float64", "shallow_loops_float64.py", "shallow", "py", "float64 accumulator",
         "dW2 accumulated in np.zeros((h, 1)), float64: a float32 case returns float64",
         first_wrong="dW2", wrong=("dW2",), cause=DTYPE, line=11, code="dW2 = np.zeros((h, 1))",
         repair="dW2 = np.zeros((h, 1), dtype=X.dtype)", repair_result="pass", also_lines=(14,)),
    Case("shallow-dA1-transposed-product", "shallow_dA1_column.py", "shallow", "py", "broadcast with a transpose",
         "dA1 = W2 @ dZ2.T is (h, m), the transpose; (m, h) * (h, m) then broadcasts or raises",
         first_wrong="dA1", wrong=("dA1",), cause=TRANSPOSED + r"|\(h, ?m\)|W2\s*@\s*dZ2|column", line=12,
         code="dA1 = W2 @ dZ2.T                          # (m, h)", repair="dA1 = dZ2 @ W2.T",
         repair_result="pass",
         not_cause=NO_1D_HERE),
    Case("shallow-api-A2-from-A1-key", "api_shallow_cache_A1.py", "shallow", "api", "wrong cache key (raises mostly)",
         'A2 = cache["A1"], a copy-paste slip: dZ2 = A1 - Y; raises in dA1 unless h = 1',
         first_wrong="dZ2", wrong=("dZ2",), cause=r"\bA1\b", line=7, code='A2 = cache["A1"]',
         repair='A2 = cache["A2"]', repair_result="pass", api=BACKWARD_ONLY),
    Case("shallow-api-db1-sum-of-everything", "api_shallow_db1_sum_all.py", "shallow", "api",
         "sum without axis", "db1 = np.sum(dZ1, keepdims=True) / m sums every unit into (1, 1)",
         first_wrong="db1", wrong=("db1",), cause=SUM_ALL, line=21, code="db1 = np.sum(dZ1, keepdims=True) / m",
         repair="db1 = np.sum(dZ1, axis=0, keepdims=True) / m", repair_result="pass"),
    Case("shallow-api-helper-mean-rows-axis", "api_shallow_helper_mean_rows.py", "shallow", "api",
         "mistake inside a helper", "a helper mean_rows sums over axis 1; both db2 and db1 go through it",
         first_wrong="db2", wrong=("db2", "db1"), cause=AXIS, line=13,
         code="return np.sum(M, axis=1, keepdims=True) / M.shape[0]",
         repair="return np.sum(M, axis=0, keepdims=True) / M.shape[0]", repair_result="pass"),
    Case("shallow-api-module-global-m", "api_shallow_global_m.py", "shallow", "api", "module global m",
         "m_inv = 1.0 / m with m the module's X_train.shape[0] = 400: every dW, db wrong in its own right",
         first_wrong="dW2", wrong=("dW2", "db2", "dW1", "db1"), cause=global_m("400"), line=20,
         code="m_inv = 1.0 / m", repair="m_inv = 1.0 / X.shape[0]", repair_result="pass",
         not_cause=r"constant factor"),
    Case("shallow-api-lambda-dtanh-sign", "api_shallow_lambda_dtanh.py", "shallow", "api", "mistake in a lambda helper",
         "dtanh = lambda a: a ** 2 - 1: tanh' with its sign flipped, in a lambda",
         first_wrong="dZ1", wrong=("dZ1",), cause=SIGN + r"|A1?\s*(\*\*\s*2|²)\s*[-−]\s*1", line=4,
         code="dtanh = lambda a: a ** 2 - 1", repair="dtanh = lambda a: 1 - a ** 2", repair_result="pass"),
    Case("shallow-api-Z2-plus-b1", "api_shallow_Z2_b1.py", "shallow", "api", "wrong bias in forward",
         "Z2 = A1 @ W2 + b1: b1 (1, h) where b2 belongs; Z2 becomes (m, h)", first_wrong="Z2", wrong=("Z2",),
         cause=rf"\bb1\b{GAP}\bb2\b|\bb2\b{GAP}\bb1\b", line=8, code="Z2 = A1 @ W2 + b1",
         repair="Z2 = A1 @ W2 + b2", repair_result="pass"),
    Case("shallow-nb-rng-cell-Z1-for-A1", "shallow_nb_rng_Z1.ipynb", "shallow", "ipynb", "Z instead of A",
         "dW2 = (1/m) Z1.T @ dZ2 (Z1 where A1 belongs), in a notebook whose data cell is rng = ...; X = ...",
         first_wrong="dW2", wrong=("dW2",), cause=r"\bZ1\b", line=(6, 5), code="dW2 = (1 / m) * Z1.T @ dZ2",
         repair="dW2 = (1 / m) * A1.T @ dZ2", repair_result="pass"),
    Case("shallow-nb-minmax-cell-db1-missing-1/m", "shallow_nb_minmax_db1.ipynb", "shallow", "ipynb", "missing 1/m",
         "db1 not divided by m, in a notebook that min-max scales X_raw in the same cell that defines it",
         first_wrong="db1", wrong=("db1",), cause=MISSING_M, line=(5, 11),
         code="db1 = np.sum(dZ1, axis=0, keepdims=True)", repair="db1 = np.sum(dZ1, axis=0, keepdims=True) / m",
         repair_result="pass"),
    Case("shallow-nb-global-m", "shallow_nb_global_m.ipynb", "shallow", "ipynb", "notebook global m",
         "backward never defines m: it reads the notebook's m = X_train.shape[0] = 400",
         first_wrong="dW2", wrong=("dW2", "db2", "dW1", "db1"), cause=global_m("400"), line=(5, 4),
         code="dW2 = (1 / m) * np.dot(A1.T, dZ2)", repair="dW2 = (1 / X.shape[0]) * np.dot(A1.T, dZ2)",
         repair_result="db2",
         not_cause=r"constant factor"),
    Case("shallow-nb-W2-updated-in-place", "shallow_nb_inplace_update.ipynb", "shallow", "ipynb",
         "parameter changed in place before use",
         'params["W2"] -= learning_rate * dW2 inside backward, before dA1 = dZ2 @ params["W2"].T reads it',
         first_wrong="dA1", wrong=("dA1",), cause=IN_PLACE, line=(5, 8),
         code='params["W2"] -= learning_rate * dW2', repair="", repair_result="pass", also_lines=((5, 10),),
         not_cause=r"constant factor"),
    Case("shallow-nb-helper-square-outside", "shallow_nb_helper_square_outside.ipynb", "shallow", "ipynb",
         "mistake inside a helper (another cell)", "d_tanh(A) returns (1 - A) ** 2, in a helpers cell above the data",
         first_wrong="dZ1", wrong=("dZ1",), cause=SQUARE_OUTSIDE, line=(2, 10), code="return (1 - A) ** 2",
         repair="return 1 - A ** 2", repair_result="pass"),
    Case("shallow-nb-class-dW1-transposed", "shallow_nb_class_dW1_T.ipynb", "shallow", "ipynb",
         "transposed (class method)",
         "methods of a class, exposed in another cell; dW1 = (1/m) dZ1.T @ X is (h, n)",
         first_wrong="dW1", wrong=("dW1",), cause=TRANSPOSED, line=(3, 17), code="dW1 = (1 / m) * dZ1.T @ X",
         repair="dW1 = (1 / m) * X.T @ dZ1", repair_result="pass"),
    Case("shallow-nb-b1-column-layout", "shallow_nb_b1_column.ipynb", "shallow", "ipynb",
         "raises: b1 (1, h) added to (h, m)",
         "examples in columns: Z1 = W1.T @ X.T + b1 adds b1 (1, h) to (h, m); raises unless m = h or h = 1",
         first_wrong="Z1", wrong=("Z1",), cause=WITH_B1, line=(4, 4), code="Z1 = W1.T @ X.T + b1  # (h, m)",
         repair="Z1 = W1.T @ X.T + b1.T  # (h, m)", repair_result="pass"),
    Case("shallow-nb-db1-as-column", "shallow_nb_db1_column.ipynb", "shallow", "ipynb", "transposed bias gradient",
         "db1 = np.sum(dZ1.T, axis=1, keepdims=True) / m is (h, 1), the notes keep (1, h)",
         first_wrong="db1", wrong=("db1",), cause=DB1_COLUMN, line=(4, 18),
         code="db1 = np.sum(dZ1.T, axis=1, keepdims=True) / m  # one bias per hidden unit",
         repair="db1 = np.sum(dZ1, axis=0, keepdims=True) / m  # one bias per hidden unit", repair_result="pass"),
    # ---- deep networks ----
    Case("deep-loop-str-key-missing-1/m", "deep_loop_str_missing_m.py", "deep_tanh_sigmoid", "py",
         'loop keyed "dW" + str(l); missing 1/m',
         'grads["dW" + str(l)] = A_prev.T @ dZ: every layer\'s dW without the 1/m',
         first_wrong="dW3", wrong=("dW3", "dW2", "dW1"), cause=MISSING_M, line=26,
         code='grads["dW" + str(l)] = A_prev.T @ dZ', repair='grads["dW" + str(l)] = A_prev.T @ dZ / m',
         repair_result="pass"),
    Case("deep-loop-percent-key-no-keepdims", "deep_loop_percent_keepdims.py", "deep_tanh_sigmoid", "py",
         'loop keyed "dW%d" % l; sum without keepdims', 'grads["db%d" % l] is (n_l,) in every layer',
         first_wrong="db3", wrong=("db3", "db2", "db1"), cause=KEEPDIMS, line=17,
         code='grads["db%d" % l] = np.sum(dZ, axis=0) / m',
         repair='grads["db%d" % l] = np.sum(dZ, axis=0, keepdims=True) / m', repair_result="pass"),
    Case("deep-W3-where-W2-belongs", "deep_written_W3_for_W2.py", "deep_tanh_sigmoid", "py",
         "raises: W3 where W2 belongs", "written out for two hidden layers; dA1 = dZ2 @ W3.T raises unless h2 = 1",
         first_wrong="dA1", wrong=("dA1",), cause=rf"W3{GAP}W2|W2{GAP}W3", line=32, code="dA1 = dZ2 @ W3.T",
         repair="dA1 = dZ2 @ W2.T", repair_result="pass"),
    Case("deep-relu-np-max", "deep_relu_np_max.py", "deep_relu_sigmoid", "py", "np.max(Z, 0) for ReLU",
         "relu(Z) = np.max(Z, 0): the (n_l,) column maxima, not np.maximum; wrong in both hidden layers",
         first_wrong="A1", wrong=("A1", "A2"), cause=NP_MAX, line=5, code="return np.max(Z, 0)",
         repair="return np.maximum(Z, 0)", repair_result="pass",
         not_cause=r"\(m,\)|ravel"),
    Case("deep-softmax-net-sigmoid-output", "deep_softmax_with_sigmoid.py", "deep_tanh_softmax", "py",
         "wrong output activation",
         "a 3-class net with a sigmoid on the output layer; the cache keeps only A1..A3, no Z",
         first_wrong="A3", wrong=("A3",), cause=SOFTMAX, line=18, code="A = sigmoid(Z)",
         repair="A = np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True)", repair_result="pass",
         not_cause=r"no key .Z\d"),
    Case("deep-nb-floor-division", "deep_nb_floordiv.ipynb", "deep_tanh_sigmoid", "ipynb", "1 // m",
         'grads["dW" + str(l)] = 1 // m * ...: every dW all zeros (m > 1)', first_wrong="dW3",
         wrong=("dW3", "dW2", "dW1"), cause=ZERO, line=(6, 8),
         code='grads["dW" + str(l)] = 1 // m * np.dot(A_prev.T, dZ)',
         repair='grads["dW" + str(l)] = 1 / m * np.dot(A_prev.T, dZ)', repair_result="pass",
         not_cause=DEGENERATE),
    Case("deep-nb-layer-index", "deep_nb_layer_index.ipynb", "deep_tanh_sigmoid", "ipynb",
         "wrong intermediate not returned",
         'dZ = dA * (1 - cache["A" + str(l)] ** 2): layer l\'s A where A(l-1) belongs; dZ is not returned',
         first_wrong="dW2", wrong=("dW2",), cause=LAYER_INDEX, line=(6, 12),
         code='dZ = dA * (1 - cache["A" + str(l)] ** 2)', repair="dZ = dA * (1 - A_prev ** 2)",
         repair_result="pass"),
    Case("deep-nb-softmax-over-examples", "deep_nb_softmax_axis0.ipynb", "deep_tanh_softmax", "ipynb",
         "mistake inside a helper", "the softmax helper normalises over axis 0 (the examples), not over the classes",
         first_wrong="A3", wrong=("A3",), cause=SOFTMAX_AXIS, line=(4, 3),
         code="return e / e.sum(axis=0, keepdims=True)", repair="return e / e.sum(axis=1, keepdims=True)",
         repair_result="pass"),
    Case("deep-api-relu-derivative-is-relu", "api_deep_relu_derivative.py", "deep_relu_sigmoid", "api",
         "mistake inside a helper",
         "relu_derivative(Z) returns np.maximum(Z, 0), ReLU itself; dZ is not returned, dW2 is the first wrong",
         first_wrong="dW2", wrong=("dW2",), cause=RELU_PRIME, line=9, code="return np.maximum(Z, 0)",
         repair="return (Z > 0).astype(Z.dtype)", repair_result="pass"),
    Case("deep-api-alpha-folded", "api_deep_alpha.py", "deep_tanh_sigmoid", "api", "α folded into the gradient",
         "every dW and db of the loop multiplied by the learning rate 0.05", first_wrong="dW3",
         wrong=("dW3", "db3", "dW2", "db2", "dW1", "db1"), cause=alpha("learning_rate", "0.05"), line=13,
         code='grads["dW" + str(l)] = learning_rate * A_prev.T @ dZ / m',
         repair='grads["dW" + str(l)] = A_prev.T @ dZ / m', repair_result="db3", api=BACKWARD_ONLY,
         not_cause=r"constant factor"),
]  # fmt: skip

VARIANTS = [
    variant("shallow-einsum", "shallow_einsum.py", "shallow", "py", "forward and backward written with np.einsum"),
    variant("shallow-explicit-loops-float32-care", "shallow_loops_dtype.py", "shallow", "py",
            "per-example loops with accumulators in X's dtype"),
    variant("shallow-equivalent-algebra", "shallow_equivalent_algebra.py", "shallow", "py",
            "-(Y - A2), (dZ2.T @ A1).T, dZ2 * W2.T, (1 - A1)(1 + A1), means, m from Y"),
    variant("shallow-class-methods-as-module-names", "shallow_class_exposed.py", "shallow", "py",
            "a class with a staticmethod, forward/backward exposed as module-level bound methods"),
    variant("logistic-np-dot-m-from-Y", "logistic_dot_m_from_Y.py", "logistic", "py",
            "np.dot, m = Y.shape[0], db as np.mean"),
    variant("logistic-per-row-loop-float32-care", "logistic_row_loop_ok.py", "logistic", "py",
            "the A02 per-row loop with X[i].reshape(-1, 1) and accumulators like W"),
    variant("deep-loop-str-keys", "deep_loop_str_ok.py", "deep_tanh_sigmoid", "py",
            'loop keyed "dW" + str(l), dA carried from one iteration to the next'),
    variant("deep-written-out-sech-squared", "deep_written_sech.py", "deep_tanh_sigmoid", "py",
            "two hidden layers written out, tanh' as 1 / cosh(Z)**2"),
    variant("shallow-nb-many-cells", "shallow_nb_clutter_ok.ipynb", "shallow", "ipynb",
            "a lab notebook: data cells, a global m it does not use, a wrong first draft redefined later, %time"),
    variant("logistic-nb-A02", "logistic_nb_A02_ok.ipynb", "logistic", "ipynb",
            "A02: label in the last column, per-row SGD cell, helper in another cell, np.dot"),
    variant("deep-nb-relu-global-sum-kwargs", "deep_nb_relu_ok.ipynb", "deep_relu_sigmoid", "ipynb",
            'ReLU net keyed "dW%d" % l, relu\' from Z, a notebook constant SUM_ROWS = dict(axis=0, keepdims=True)'),
    variant("shallow-nb-global-constants", "shallow_nb_constants_ok.ipynb", "shallow", "ipynb",
            "notebook constants EXAMPLES_AXIS = 0 and HIDDEN_ACTIVATION = np.tanh used by the functions"),
    variant("shallow-api-lambda-helpers", "api_shallow_lambda_ok.py", "shallow", "api",
            "sigmoid = lambda z: 1 / (1 + np.exp(-z)) needs the module's numpy; tanh_prime a lambda too"),
    variant("logistic-api-learner-names", "api_logistic_backprop_helpers.py", "logistic", "api",
            "functions named sigmoid_neuron and backprop, a helper mean_over_rows",
            api=(("backward", "backprop"), ("forward", "sigmoid_neuron"))),
    variant("deep-api-loops-float32-care", "api_deep_loops_dtype.py", "deep_tanh_sigmoid", "api",
            "per-example np.outer sums in X's dtype, keys \"dW%d\" % l", api=BACKWARD_ONLY),
    variant("deep-api-softmax-einsum", "api_deep_softmax_einsum.py", "deep_tanh_softmax", "api",
            "a stable softmax helper and np.einsum everywhere"),
]  # fmt: skip

CASES = MISTAKES + VARIANTS

# the kinds a tutor was seen to get wrong: each must be in the catalogue at least once
REQUIRED_KINDS = (
    "broadcast with a transpose",
    "column layout A - Y.T",
    "np.max(Z, 0) for ReLU",
    "1 // m",
    "own wrong sigmoid helper",
    "own wrong tanh helper",
    "parameter changed in place before use",
    "several independent wrong links",
    "wrong output activation",
    'loop keyed "dW" + str(l); missing 1/m',
    'loop keyed "dW%d" % l; sum without keepdims',
    "sign flipped (class method)",
    "mistake inside a helper",
    "alias dZ1 = dA1",
    "wrong intermediate not returned",
    "raises: b1 (1, h) added to (h, m)",
    "raises: W3 where W2 belongs",
    "W - α dW returned as dW",
    "α folded into the gradient",
    "eps in a derivative",
    "notebook global m",
    "missing 1/m",
    "sum without keepdims",
    "wrong axis",
    "sign flipped",
    "tanh' as 1 - Z1**2",
    "Z instead of A",
    "dA1 using W1 (raises mostly)",
    "db from the wrong dZ",
)
