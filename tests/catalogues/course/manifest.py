"""The course catalogue: learner files for every piece of the course, and what `torchref check` must say.

Every other file in this folder is a learner's file, written from the course notes (the
McCulloch–Pitts neuron, the perceptron rule, min–max normalisation, the A02 loss, the update
W ← W − α dW and the loop that repeats forward, loss, backward and update, A02's row[-1] loop
over the rows among them) before the checker judged these pieces. Each mistake file holds the
one mistake it is named for; each `*_ok` file is right in a style of its own and must pass.

An entry states, from the notes and the contract's decisions (never from what the tool prints):
- `model`: the registry entry the file is checked against;
- `verdict`: "wrong" or "pass";
- `piece` and `first_wrong`: the contract function where the first wrong value appears, and
  the names that value may have (the first is the likeliest; more than one where the contract
  leaves the order open, e.g. the parameters or the losses of a training loop);
- `cause`: a regular expression every TRUE cause matches (a stated cause that does not match
  it is a false statement); None when no cause can honestly be known;
- `line`: the 1-based line of the mistake, (cell, line) in a notebook, None when the mistake
  is not one line; `code`: a piece of that line's text, so that `line` cannot drift;
- `repair`: whether a one-line change on a line of the file removes the first wrong value;
- `notes`: regular expressions, each matched by one of the report's notes (a convention
  accepted, a learner's name recognised, a saturated case);
- `missing_minus`: a loss without its minus sign, which must never pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    file: str
    model: str
    verdict: str
    description: str
    piece: str = ""
    first_wrong: tuple[str, ...] = ()
    cause: str | None = None
    line: int | tuple[int, int] | None = None
    code: str = ""
    repair: bool = False
    notes: tuple[str, ...] = ()
    missing_minus: bool = False

    @property
    def id(self) -> str:
        return self.file.rsplit(".", 1)[0]


# What a true cause of each mistake must mention (case-insensitive).
STRICT = r"(?i)≥|>=|strict|greater than or equal|at least|equal to (the )?(threshold|θ|theta)|z\s*==\s*(θ|theta)"
INHIBITORY = r"(?i)inhibit"
FLAT_SHAPE = r"(?i)shape|\(m,\)|\(m, ?1\)|1-?d\b|one.dimensional|keepdims|column"
THETA_ONE_LOW = r"(?i)off.by.one|one (too )?(small|low)|too (small|low)|\+ ?1|(θ|theta)\s*[-+]\s*1|smallest"
SMALLEST_THETA = r"(?i)smallest|largest|first|last|lowest|highest|break"
NO_THETA = r"(?i)none|no (threshold|θ|theta)|separable|xor|reproduc"
THETA_ZERO = r"(?i)(θ|theta)\s*=\s*0|zero|never tri|range|start"
PLUS_FOR_MINUS = r"(?i)\bsign\b|plus|\+\s*(α|alpha|lr|learning)|\+=|ascent|opposite|uphill|minus|[-−]\s*(α|alpha|lr)"
ONE_OVER_M = r"(?i)1\s*/\s*m|divid\w* by m|\bmean\b|average|\bsum\b|\bm\b"
ONE_OVER_M_TWICE = (
    r"(?i)twice|both|again|m²|m\s*\*\*\s*2|m\^2|(1\s*/\s*m|\bm\b)[^.]*(too small|extra|update)"
    r"|(extra|too small)[^.]*(1\s*/\s*m|\bm\b)"
)
B_WITH_X = r"(?i)(\bdb\b|\bb\b|bias|w0|w₀)[^.]*(\bx\b|\bX\b|input)|(\bx\b|\bX\b|input)[^.]*(\bdb\b|\bb\b|bias|w0|w₀)"
Z_FOR_A = r"(?i)\bZ\b|pre.?activation|\bstep\b"
STALE_ROWS = r"(?i)1\s*/\s*m|stale|once|before the (row|loop)|per.epoch|\bsum\b|batch|neither|recomput"
PER_COLUMN = r"(?i)column|global|whole|all (the )?(values|entries|columns)|axis|overall|entire"
MIN_MISSING = r"(?i)\bmin\b|minimum|subtract|max(imum)? only|only[^.]*max|range|max\s*[-−]\s*min|high\s*[-−]\s*low"
Z_SCORE = r"(?i)z.?score|standardi|\bmean\b|\bstd\b|standard deviation|variance"
AXIS = r"(?i)axis|\brows?\b|column"
INTEGER = r"(?i)integer|\bint\b|floor|//|truncat|dtype|float|round"
OWN_STATS = r"(?i)\blow\b|\bhigh\b|training|given|argument|passed|statistic|X_scaled"
HIGH_NOT_RANGE = r"(?i)high\s*[-−]\s*low|range|max\s*[-−]\s*min|\blow\b"
FIXED_RANGES = r"(?i)fixed|hard.?coded|constant|\bdata\b|column|20|500|3000|broadcast|shape"
MINUS = r"(?i)minus|\bsign\b|negat|opposite"
SUM_FOR_MEAN = r"(?i)\bmean\b|average|1\s*/\s*m|divid\w* by m|\bsum\b|\bm\b"
Y_LOG_A_ONLY = r"(?i)1\s*[-−]\s*y|1\s*[-−]\s*a|second term|one term|only|categorical|y\s*[·*]?\s*log\s*\(?\s*a"
SECOND_TERM_SIGN = r"(?i)minus|\bsign\b|bracket|parenthes|second term|1\s*[-−]\s*y|negat"
LOG_OF_Z = r"(?i)\bZ\b|logit|pre.?activation"
ALPHA_TWICE = (
    r"(?i)(α|alpha|\blr\b|learning.rate)[^.]*(twice|two|squared|²|\*\*\s*2|again|double)"
    r"|(twice|squared|double)[^.]*(α|alpha|\blr\b|learning.rate)"
)
LEFT_OUT = r"(?i)not updated|left out|never updated|unchanged|skip|last layer|\bW2\b|\bb2\b|range"
GRADS_CHANGED = (
    r"(?i)(grad|\bd[WbZ]\d?\b)[^.]*(in.place|alias|chang|modif|overwr|mutat|scal)"
    r"|(in.place|alias|chang|modif|overwr|mutat)[^.]*(grad|\bd[WbZ]\d?\b)"
)
AFTER_UPDATE = r"(?i)after[^.]*update|before[^.]*update|one step late|shift|late|J0|first loss|initial"
STALE_GRADS = r"(?i)stale|once|outside|same grad|recomput|first step|never updated|not updated"
SHUFFLED_APART = r"(?i)shuffl[^.]*(separ|label|pair|together|independ|own|apart)|(separ|label|pair|independ)[^.]*shuffl"
STEPS_OFF_BY_ONE = (
    r"(?i)off.by.one|one (update|step) (too )?(few|many|less|more)|(fewer|more|extra|missing|last)"
    r" (steps?|updates?)|steps?\s*[-+]\s*1|range|number of (steps|updates)"
)
SCHEDULE = r"(?i)learning.rate|\bα\b|alpha|\blr\b|schedul|decay"
SGD_OVER_M = r"(?i)1\s*/\s*m|/\s*m\b|divid|per.example|per.row|m\s*=\s*1|single row|\bm\b"

# What a note of an accepted convention must say.
DISCARDED = r"(?i)never change|not assigned|thrown away|discard|unchanged|never updated|result of update"
IN_PLACE = r"(?i)in.place"
CONVENTION_1_OVER_M = r"(?i)1\s*/\s*m"
SHUFFLED = r"(?i)shuffl"
CLIPPING = r"(?i)clip"
PER_EXAMPLE = r"(?i)per.example|per.row|stochastic|\bSGD\b|one row at a time|row by row|each row"
COUNT = r"(?i)count|misclassified|number of"
FLOAT32_TO_64 = r"(?i)float32[^.]*float64"
CONSTANT_COLUMN = r"(?i)constant column.*(NaN|0\s*/\s*0)"


def _name(learner: str) -> str:
    return rf"(?i)\b{learner}\b"


MISTAKES = [
    # McCulloch–Pitts neuron: z = Σ x_i, ŷ = 1 if z ≥ θ, an inhibitory input forces 0
    Entry("mp_strict_greater.py", "mp_neuron", "wrong", "fires on z > θ instead of z ≥ θ",
          "forward", ("A",), STRICT, 18, "fires = z > theta", True),
    Entry("mp_strict_greater_inline.py", "mp_neuron", "wrong",
          "z > θ inside the returned expression, grouped by parentheses with the inhibitory veto",
          "forward", ("A",), STRICT, 10, "return ((z > theta) & ~off)", True),
    Entry("mp_inhibitory_ignored.py", "mp_neuron", "wrong", "sums every input; the inhibitory mask is never read",
          "forward", ("A",), INHIBITORY, 9, "z = np.sum(X, axis=1, keepdims=True)"),
    Entry("mp_inhibitory_subtracted.py", "mp_neuron", "wrong",
          "an inhibitory input counts −1 in the sum instead of forcing the output to 0",
          "forward", ("A",), INHIBITORY, 13, "z = excitatory - inhibiting"),
    Entry("mp_shape_flat.py", "mp_neuron", "wrong", "forward returns an (m,) array, not (m, 1)",
          "forward", ("A",), FLAT_SHAPE, 11, "z = X[:, ~inhibitory].sum(axis=1)"),
    Entry("mp_fit_theta_one_low.py", "mp_neuron", "wrong",
          "fit reads θ off the table as the largest sum that must stay 0, one too small",
          "fit", ("theta",), THETA_ONE_LOW, 30, "theta = int(quiet.max()) if quiet.size else 0", True),
    Entry("mp_fit_largest_theta.py", "mp_neuron", "wrong",
          "the search keeps the last θ that reproduces Y, the largest, not the smallest",
          "fit", ("theta",), SMALLEST_THETA, 19, "best = theta", True),
    Entry("mp_fit_never_none.py", "mp_neuron", "wrong",
          "fit returns the θ with the fewest errors, never None (XOR gets a θ)",
          "fit", ("theta",), NO_THETA, 21, "return best_theta", True),
    Entry("mp_fit_ignores_inhibitory.py", "mp_neuron", "wrong",
          "fit calls forward without the inhibitory mask it was given",
          "fit", ("theta",), INHIBITORY, 17, "out = forward(X, theta)", True),
    Entry("mp_fit_range_from_one.py", "mp_neuron", "wrong",
          "the search starts at θ = 1, so a neuron that needs θ = 0 is never found",
          "fit", ("theta",), THETA_ZERO, 18, "for theta in range(1, n + 2):", True),
    Entry("mp_inhibitory_all_on.py", "mp_neuron", "wrong",
          "the veto only when every inhibitory input is on (np.all), where any one of them forces 0",
          "forward", ("A",), INHIBITORY, 10, "vetoed = np.all(X[:, inhibitory] == 1"),
    # the perceptron: ∂z = a − y, ∂w = x ∘ ∂z, w ← w − (α/m) Σ ∂w
    Entry("perc_step_strict_helper.py", "perceptron", "wrong",
          "the step helper fires on z > 0 where a = 1 if z ≥ 0: only a row with z exactly 0 shows it",
          "forward", ("A",), STRICT, 5, "return (z > 0).astype(z.dtype)", True),
    Entry("perc_step_strict_inline.py", "perceptron", "wrong",
          "the step written inline as Z > 0 (an unused helper beside it): z = 0 gives 0 where the rule gives 1",
          "forward", ("A",), STRICT, 10, "A = (Z > 0).astype(X.dtype)", True),
    Entry("perc_update_plus.py", "perceptron", "wrong", "update adds α dW instead of subtracting it",
          "update", ("W",), PLUS_FOR_MINUS, 34, 'W = params["W"] + lr * grads["dW"]', True),
    Entry("perc_missing_1_over_m.py", "perceptron", "wrong", "dW and db summed over the rows, 1/m in neither",
          "backward", ("dW",), ONE_OVER_M, 18, "dW = np.dot(X.T, dZ)", True),
    Entry("perc_b_with_x.py", "perceptron", "wrong", "db multiplied by the inputs like a weight (∂w0 = x ∘ ∂z)",
          "backward", ("db",), B_WITH_X, 16, "db = (1 / m) * np.sum(X * dZ, axis=0, keepdims=True)", True),
    Entry("perc_z_for_a.py", "perceptron", "wrong", "dZ = Z − Y: the pre-activation z where the step output a belongs",
          "backward", ("dZ", "dW"), Z_FOR_A, 18, "dZ = Z - Y", True),
    Entry("perc_1_over_m_twice.py", "perceptron", "wrong", "1/m in backward and again in update",
          "update", ("W",), ONE_OVER_M_TWICE, 22, 'W = params["W"] - (1 / m) * (lr * grads["dW"])', True),
    Entry("perc_rows_stale_a.py", "perceptron", "wrong",
          "a row-by-row loop that takes every row's a from the start of the epoch: a summed batch step, neither rule",
          "train", ("W", "b", "losses"), STALE_ROWS, 24, "dz = A[i, 0] - Y[i, 0]"),
    # min–max normalisation per column: x' = (x − min) / (max − min); x = x' (high − low) + low
    Entry("norm_global_minmax.py", "normalise", "wrong", "min and max of the whole array instead of each column",
          "normalise", ("X_scaled",), PER_COLUMN, 11, "X_min = np.min(X)"),
    Entry("norm_max_only.py", "normalise", "wrong", "divides each column by its max, never subtracts the min",
          "normalise", ("X_scaled",), MIN_MISSING, 7, "return X / col_max", True),
    Entry("norm_zscore.py", "normalise", "wrong", "z-scores (x − mean) / std instead of min–max",
          "normalise", ("X_scaled",), Z_SCORE, 9, "X_scaled = (X - mu) / sigma", True),
    Entry("norm_axis_rows.py", "normalise", "wrong", "min and max over each row (axis=1) instead of each column",
          "normalise", ("X_scaled",), AXIS, 6, "lo = X.min(axis=1, keepdims=True)"),
    Entry("norm_floor_division.py", "normalise", "wrong", "// floors every scaled value to 0 (1 at the max)",
          "normalise", ("X_scaled",), INTEGER, 9, "X_scaled = (X - low) // (high - low)", True),
    Entry("norm_zeros_like.py", "normalise", "wrong",
          "fills np.zeros_like(X): integer data (rent in whole units) is truncated to 0 and 1",
          "normalise", ("X_scaled",), INTEGER, 7, "X_scaled = np.zeros_like(X)", True),
    Entry("norm_denorm_own_stats.py", "normalise", "wrong",
          "denormalise takes min and max of the scaled data, not the low and high it is given",
          "denormalise", ("X",), OWN_STATS, 17, "low, high = min_max(X_scaled)", True),
    Entry("norm_denorm_high_only.py", "normalise", "wrong", "denormalise multiplies by high instead of high − low",
          "denormalise", ("X",), HIGH_NOT_RANGE, 12, "X = X_scaled * high + low", True),
    Entry("norm_notes_ranges.py", "normalise", "wrong",
          "scales by the lecture's ranges (rain 0–20, rent 500–3000) instead of the data's columns",
          "normalise", ("X_scaled",), FIXED_RANGES, 10, "low = np.array([[RAIN[0], RENT[0]]])"),
    # the loss J = −(1/m) Σ [y log a + (1 − y) log(1 − a)]
    Entry("loss_missing_minus.py", "logistic", "wrong", "A02 file whose compute_cost has lost its minus sign",
          "loss", ("J",), MINUS, 22, "cost = (1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))", True,
          missing_minus=True),
    Entry("loss_missing_minus_dot.py", "shallow", "wrong", "the dot-product cost without its minus sign",
          "loss", ("J",), MINUS, 10, "cost = logprobs / m", True, missing_minus=True),
    Entry("loss_sum_not_mean.py", "logistic", "wrong", "the per-row losses added up, not averaged",
          "loss", ("J",), SUM_FOR_MEAN, 7, "J = np.sum(L)", True),
    Entry("loss_only_y_log_a.py", "logistic", "wrong", "only the y log a term (the notes' categorical line)",
          "loss", ("J",), Y_LOG_A_ONLY, 12, "J = -(1 / m) * np.sum(Y * np.log(A))", True),
    Entry("loss_minus_first_term.py", "logistic", "wrong", "−y log a + (1 − y) log(1 − a): the minus covers one term",
          "loss", ("J",), SECOND_TERM_SIGN, 10, "return np.mean(-Y * np.log(A) + (1 - Y) * np.log(1 - A))", True),
    Entry("loss_log_z_in_train.py", "logistic", "wrong", "the loop's cost takes log Z where log A belongs",
          "train", ("losses",), LOG_OF_Z, 17, "J = -np.mean(Y * np.log(Z) + (1 - Y) * np.log(1 - Z))", True),
    # the update W ← W − α dW for every parameter
    Entry("update_plus.py", "shallow", "wrong", "update_parameters adds the gradients",
          "update", ("W1",), PLUS_FOR_MINUS, 7, 'new_params[key] = params[key] + learning_rate * grads["d" + key]',
          True),
    Entry("update_grads_keyed_like_params.py", "shallow", "wrong",
          "grads[key] for each key of params: the gradient of W1 is grads['dW1'], so the update raises KeyError",
          "update", ("W1", "b1", "W2", "b2"), None, 5, "grads[key]", True),
    Entry("update_alpha_twice.py", "logistic", "wrong", "α applied to the gradient and again in the step",
          "update", ("W",), ALPHA_TWICE, 12, 'W = params["W"] - lr * dW', True),
    Entry("update_last_layer_left_out.py", "shallow", "wrong", "range(1, L) leaves the last layer's W2 and b2 out",
          "update", ("W2",), LEFT_OUT, 7, "for l in range(1, L):", True),
    Entry("update_alias_grads.py", "logistic", "wrong", "step = grads aliases the caller's dict, then scales it",
          "update", ("dW", "db", "dZ", "grads"), GRADS_CHANGED, 7, "step[key] = lr * step[key]", True),
    Entry("update_scales_grads_in_place.py", "shallow", "wrong", "g *= learning_rate scales the caller's arrays",
          "update", ("dW1", "db1", "dW2", "db2", "grads"), GRADS_CHANGED, 10, "g *= learning_rate"),
    # the training loop: the loss before each update, then the final one (steps + 1 values)
    Entry("train_cost_after_update.py", "logistic", "wrong", "the cost is logged after each update: J0 is never logged",
          "train", ("losses",), AFTER_UPDATE, 36, "losses.append(loss(forward(X, params)[0], Y))"),
    Entry("train_shallow_db1_summed_all.py", "shallow", "wrong",
          "db1 = np.sum(dZ1) / m, a scalar for every hidden unit; the loop that calls this backward is wrong too",
          "backward", ("db1",), AXIS, 25, "db1 = np.sum(dZ1) / m", True),
    Entry("train_update_result_discarded.py", "shallow", "wrong",
          "update(params, grads, lr) called for its result but the result dropped: the parameters never change",
          "train", ("losses", "W1", "b1", "W2", "b2"), DISCARDED, 43, "        update(params, grads, lr)", True),
    Entry("train_stale_grads.py", "logistic", "wrong", "the gradients are computed once, before the loop",
          "train", ("W", "b", "losses"), STALE_GRADS, 38, "grads = backward(X, Y, params, cache)"),
    Entry("train_range_from_one.py", "logistic", "wrong", "range(1, steps): one update and one loss too few",
          "train", ("losses", "W", "b"), STEPS_OFF_BY_ONE, 37, "for i in range(1, steps):", True),
    Entry("train_one_update_too_many.py", "logistic", "wrong",
          "range(steps + 1) with the update in every pass: the losses are right, the parameters one update too far",
          "train", ("W", "b"), STEPS_OFF_BY_ONE, 37, "for i in range(steps + 1):"),
    Entry("train_lr_decay.py", "logistic", "wrong", "α decays by 0.95 every step, a schedule nobody asked for",
          "train", ("W", "b", "losses"), SCHEDULE, 42, "lr = lr * 0.95", True),
    Entry("train_sgd_shuffle_separately.py", "logistic", "wrong", "per-row SGD that shuffles X and Y separately",
          "train", ("W", "b", "losses"), SHUFFLED_APART, None),
    Entry("train_sgd_one_over_m.py", "logistic", "wrong", "A02 row[-1] loop whose per-row step carries the batch's 1/m",
          "train", ("W", "b", "losses"), SGD_OVER_M, 27, "W = W - (1 / m) * (lr * x.T @ dz)", True),
    Entry("train_sgd_loss_y_log_a.py", "logistic", "wrong",
          "A02 row[-1] loop logging Loss = −row[-1] log a, without the (1 − y) term",
          "train", ("losses",), Y_LOG_A_ONLY, 18, "total += -row[-1] * np.log(a)", True),
    Entry("train_sgd_plus_sign.py", "logistic", "wrong",
          "A02 row[-1] loop that moves W and b with + alpha times the gradient (uphill)",
          "train", ("losses", "W", "b"), PLUS_FOR_MINUS, 27, "W = W + lr * x.T @ dz"),
    Entry("train_cost_after_update_padded.py", "logistic", "wrong",
          "the cost is logged after each update and the first logged cost repeated to make steps + 1 values",
          "train", ("losses",), AFTER_UPDATE, 24, "costs.append(compute_cost(sigmoid(X @ W + b), Y))",
          notes=(_name("compute_cost"),)),
    Entry("train_cost_missing_minus.py", "logistic", "wrong", "the loop logs J without its minus sign",
          "train", ("losses",), MINUS, 15, "J = (1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))", True),
]

VARIANTS = [
    Entry("mp_bruteforce_ok.py", "mp_neuron", "pass", "forward with keepdims; fit tries θ = 0 … n + 1, None for XOR"),
    Entry("mp_analytic_ok.py", "mp_neuron", "pass", "z > θ − 1 on whole numbers; θ read off the table as max + 1"),
    Entry("perc_one_over_m_in_update_ok.py", "perceptron", "pass",
          "the notes' rule: summed gradients in backward, (1/m)(α ∘ ∂w) in update, composing right",
          notes=(CONVENTION_1_OVER_M,)),
    Entry("perc_class_ok.py", "perceptron", "pass", "a Perceptron class whose bound methods are the module's names"),
    Entry("perc_train_rows_ok.py", "perceptron", "pass",
          "Rosenblatt's rule one row at a time in data order, losses as counts of misclassified rows",
          notes=(PER_EXAMPLE, COUNT)),
    Entry("perc_notes_weights_ok.py", "perceptron", "pass", "dw_i = x_i ∘ dz weight by weight, as the notes write it"),
    Entry("perc_train_batch_ok.py", "perceptron", "pass", "batch rule, heaviside step, an array of error rates"),
    Entry("norm_keepdims_ok.py", "normalise", "pass", "min and max with keepdims; denormalise with low and high"),
    Entry("norm_as_float_ok.py", "normalise", "pass",
          "per column, after np.array(X, dtype=float): float32 comes back float64, a constant column 0/0",
          notes=(FLOAT32_TO_64, CONSTANT_COLUMN)),
    Entry("norm_class_ok.py", "normalise", "pass", "a MinMaxScaler class; a bound method and a staticmethod exposed"),
    Entry("norm_columns_normalize_ok.py", "normalise", "pass", "normalize (US spelling), one column at a time with ptp",
          notes=(_name("normalize"),)),
    Entry("loss_unclipped_ok.py", "logistic", "pass",
          "the notes' loss unclipped: right on ordinary cases, inf where a saturates",
          notes=(CLIPPING,)),
    Entry("loss_clipped_ok.py", "logistic", "pass", "a clipped to [1e-7, 1 − 1e-7] before the logs"),
    Entry("loss_dot_column_ok.py", "logistic", "pass", "compute_cost with dot products: J is a (1, 1) array",
          notes=(_name("compute_cost"),)),
    Entry("update_in_place_ok.py", "shallow", "pass", "update_parameters changes params in place and returns them",
          notes=(IN_PLACE, _name("update_parameters"))),
    Entry("update_comprehension_ok.py", "logistic", "pass", "one dict comprehension over the parameters"),
    Entry("train_losses_array_ok.py", "logistic", "pass", "batch gradient descent, losses in a preallocated array"),
    Entry("train_sgd_rows_ok.py", "logistic", "pass", "A02's row[-1] loop: one update per row, in data order",
          notes=(PER_EXAMPLE,)),
    Entry("train_sgd_shuffled_together_ok.py", "logistic", "pass",
          "per-row SGD over a fresh permutation of X and Y together each epoch (recognised and reported)",
          notes=(SHUFFLED,)),
    Entry("train_shallow_backprop_ok.py", "shallow", "pass",
          "the whole network with compute_cost, backprop and update_parameters, and the loop",
          notes=(_name("backprop"),)),
]

# The same kinds of mistake handed in as notebooks: (cell, line) counts every cell, markdown too, from 1.
NOTEBOOKS = [
    Entry("nb_perc_update_plus.ipynb", "perceptron", "wrong", "a notebook whose update cell adds α dW",
          "update", ("W",), PLUS_FOR_MINUS, (5, 2), 'W = params["W"] + lr * grads["dW"]', True),
    Entry("nb_loss_missing_minus.ipynb", "logistic", "wrong", "A02 notebook: compute_cost without the minus",
          "loss", ("J",), MINUS, (5, 3), "J = np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))", True,
          missing_minus=True),
    Entry("nb_norm_global.ipynb", "normalise", "wrong", "rain/rent notebook: min and max of the whole array",
          "normalise", ("X_scaled",), PER_COLUMN, (4, 3), "return (X - X.min()) / (X.max() - X.min())", True),
    Entry("nb_train_cost_after_update.ipynb", "logistic", "wrong", "a loop logging the cost after the update",
          "train", ("losses",), AFTER_UPDATE, (6, 7), "losses.append(loss(A, Y))"),
]

ENTRIES = MISTAKES + VARIANTS + NOTEBOOKS
