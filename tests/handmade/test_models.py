"""Behaviour of the handmade models on their own: the notes' examples and bad input."""

import numpy as np
import pytest

from torchref_handmade import datasets, deep, logistic, mp_neuron, perceptron, shallow, shallow_fast
from torchref_handmade.normalise import MinMax
from torchref_handmade.shallow_fast import ShallowTrainer
from torchref_handmade.train import DivergenceError, gradient_descent

TABLE2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
TABLE3 = np.array(list(np.ndindex(2, 2, 2)))
GATES = {
    "AND": (TABLE2, [0, 0, 0, 1]),
    "OR": (TABLE2, [0, 1, 1, 1]),
    "NAND": (TABLE2, [1, 1, 1, 0]),
    "NOR": (TABLE2, [1, 0, 0, 0]),
    "XOR": (TABLE2, [0, 1, 1, 0]),
    "MAJORITY3": (TABLE3, (TABLE3.sum(axis=1) >= 2).astype(int)),
}


@pytest.mark.parametrize(
    "gate, theta, inhibitory",
    [
        ("AND", 2, [0, 0]),
        ("OR", 1, [0, 0]),
        ("NOR", 0, [1, 1]),
        ("MAJORITY3", 2, [0, 0, 0]),
    ],
)
def test_mp_neuron_fits_gates_by_threshold(gate, theta, inhibitory):
    X, Y = GATES[gate]
    fitted_theta, mask = mp_neuron.fit(X, Y)
    assert (fitted_theta, mask.astype(int).tolist()) == (theta, inhibitory)
    np.testing.assert_array_equal(mp_neuron.forward(X, fitted_theta, mask).ravel(), Y)


def test_mp_neuron_cannot_fit_xor():
    with pytest.raises(ValueError, match="no threshold"):
        mp_neuron.fit(*GATES["XOR"])


def test_mp_neuron_refuses_non_boolean_inputs():
    with pytest.raises(ValueError, match=r"X must be boolean"):
        mp_neuron.forward([[0, 2]], 1)
    with pytest.raises(ValueError, match=r"inhibitory must be a 0/1 mask of shape \(2,\)"):
        mp_neuron.forward(TABLE2, 1, [1, 0, 0])
    with pytest.raises(TypeError, match="theta must be an integer"):
        mp_neuron.forward(TABLE2, 1.5)


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_perceptron_learns_linearly_separable_gates(gate):
    X, Y = GATES[gate]
    params, errors = gradient_descent(
        perceptron, X, np.reshape(Y, (-1, 1)), perceptron.init_params(2), lr=0.5, steps=50
    )
    assert errors[-1] == 0
    A, _ = perceptron.forward(X, params)
    np.testing.assert_array_equal(A.ravel(), Y)


def test_perceptron_cannot_learn_xor():
    X, Y = GATES["XOR"]
    _, errors = gradient_descent(perceptron, X, np.reshape(Y, (-1, 1)), perceptron.init_params(2), lr=0.5, steps=200)
    assert errors.min() > 0


def test_perceptron_on_the_notes_rainfall_and_rent_example():
    """Rainfall 0–20 mm and rent 500–3000, min–max scaled, then a separable rule is learnt."""
    rng = np.random.default_rng(0)
    raw = np.column_stack([rng.uniform(0, 20, 200), rng.uniform(500, 3000, 200)])  # (m, 2)
    scaler = MinMax.fit(raw)
    X = scaler.transform(raw)
    assert X.min() == 0 and X.max() == 1
    np.testing.assert_allclose(scaler.inverse(X), raw, rtol=1e-12)
    Y = (X[:, :1] + X[:, 1:] > 1).astype(float)  # (m, 1)
    _, errors = gradient_descent(perceptron, X, Y, perceptron.init_params(2), lr=0.1, steps=300)
    assert errors[-1] < errors[0] and errors[-1] <= 0.05


def test_min_max_refuses_constant_columns_and_wrong_width():
    with pytest.raises(ValueError, match=r"constant columns \[1\]"):
        MinMax.fit([[0.0, 3.0], [1.0, 3.0]])
    with pytest.raises(ValueError, match="X must have 2 columns"):
        MinMax.fit([[0.0, 1.0], [1.0, 3.0]]).transform([[1.0, 2.0, 3.0]])


def test_shallow_network_learns_xor_and_logistic_does_not():
    X, Y = GATES["XOR"]
    X, Y = X.astype(float), np.reshape(Y, (-1, 1)).astype(float)
    params, losses = gradient_descent(shallow, X, Y, shallow.init_params(2, 4, rng=1, scale=1.0), lr=1.2, steps=2000)
    A2, _ = shallow.forward(X, params)
    np.testing.assert_array_equal((A2 > 0.5).ravel(), Y.ravel())
    assert losses[-1] < 0.05
    params, losses = gradient_descent(logistic, X, Y, logistic.init_params(2, rng=1), lr=1.2, steps=2000)
    A, _ = logistic.forward(X, params)
    assert (A > 0.5).ravel().tolist() != Y.ravel().astype(bool).tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_descent_keeps_the_dtype_and_the_inputs(dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3)).astype(dtype)
    Y = (X[:, :1] > 0).astype(dtype)
    params = shallow.init_params(3, 5, rng=0, dtype=dtype)
    before = {k: v.copy() for k, v in params.items()}
    trained, losses = gradient_descent(shallow, X, Y, params, lr=0.5, steps=30)
    assert all(v.dtype == np.dtype(dtype) for v in trained.values())
    assert all(np.array_equal(before[k], params[k]) for k in params), "the caller's params were modified"
    assert len(losses) == 31 and losses[-1] < losses[0]


def test_divergence_stops_with_the_step_and_the_last_finite_loss():
    X = np.array([[1e3, -1e3], [2e3, 1e3]])
    Y = np.array([[1.0], [0.0]])
    params = logistic.init_params(2, rng=0)
    with pytest.raises(DivergenceError, match=r"not finite at step 1; last finite loss 0.76") as info:
        gradient_descent(logistic, X, Y, params, lr=1e308, steps=50)  # the first update overflows
    assert info.value.step == 1
    assert all(np.array_equal(info.value.params[k], params[k]) for k in params), "the last good parameters are kept"


def test_a_huge_but_finite_learning_rate_is_not_divergence():
    """BCE clamps at 100 and σ saturates: lr = 1e6 makes the weights large, not NaN."""
    X = np.array([[1.0, -1.0], [2.0, 1.0]])
    params, losses = gradient_descent(
        logistic, X, np.array([[1.0], [0.0]]), logistic.init_params(2, rng=0), lr=1e6, steps=20
    )
    assert np.isfinite(losses).all() and all(np.isfinite(v).all() for v in params.values())


def test_deep_model_softmax_learns_three_blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 3], [3, -2], [-3, -2]])
    labels = rng.integers(0, 3, 150)
    X = centres[labels] + rng.standard_normal((150, 2)) * 0.5
    Y = np.eye(3)[labels]
    model = deep.model("relu", "softmax")
    params, losses = gradient_descent(model, X, Y, deep.init_params(2, [8], k=3, rng=0), lr=0.5, steps=200)
    A, _ = model.forward(X, params)
    assert (A.argmax(axis=1) == labels).mean() > 0.95 and losses[-1] < 0.2


def test_int_and_bool_inputs_are_cast_and_labels_may_be_1d():
    params = shallow.init_params(2, 4, rng=0)
    A_int, cache = shallow.forward(np.array([[0, 1], [1, 1]]), params)
    A_float, _ = shallow.forward(np.array([[0.0, 1.0], [1.0, 1.0]]), params)
    np.testing.assert_array_equal(A_int, A_float)
    grads_1d = shallow.backward(np.array([[0, 1], [1, 1]]), np.array([0, 1]), params, cache)
    grads_2d = shallow.backward(np.array([[0, 1], [1, 1]]), np.array([[0], [1]]), params, cache)
    assert all(np.array_equal(grads_1d[k], grads_2d[k]) for k in grads_1d)


@pytest.mark.parametrize("workers", [1, 2, 3], ids=lambda w: f"{w}-workers")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m, n, h", [(3, 2, 4), (301, 3, 20)], ids=["np.tanh", "exp-form-tanh"])
def test_fast_trainer_takes_the_reference_steps_and_leaves_its_inputs_alone(m, n, h, dtype, workers):
    """shallow_fast against shallow: J before each update, the parameters after it, the dtype kept.

    With 3 workers and m = 3 each worker has one row; m = 301 splits unevenly.
    """
    from torchref_handmade.shallow_fast import TANH_EXP_FROM, ShallowTrainer

    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((m, n)).astype(dtype), (rng.random((m, 1)) > 0.5).astype(dtype)
    params = shallow.init_params(n, h, rng, dtype, scale=0.5)
    before = {key: value.copy() for key, value in params.items()}
    X_before = X.copy()
    trainer = ShallowTrainer(X, Y, params, lr=0.5, workers=workers)
    assert trainer.tanh_exp == (m * h >= TANH_EXP_FROM[np.dtype(dtype)]) and trainer.workers == workers
    reference, losses = gradient_descent(shallow, X, Y, params, lr=0.5, steps=5)
    J = [trainer.step() for _ in range(5)]
    assert {np.asarray(j).dtype for j in J} == {np.dtype(dtype)}
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(J, losses[:5], **tol)
    for key in params:
        assert trainer.params[key].dtype == np.dtype(dtype) and trainer.params[key].shape == params[key].shape
        np.testing.assert_allclose(trainer.params[key], reference[key], **tol)
        np.testing.assert_array_equal(params[key], before[key])
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(trainer.X, X)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fast_trainer_splits_rows_from_the_measured_size_and_never_past_m(dtype, monkeypatch):
    from torchref_handmade import shallow_fast

    def workers(m, h, **kwargs):
        rng = np.random.default_rng(0)
        X, Y = rng.standard_normal((m, 2)).astype(dtype), np.ones((m, 1), dtype)
        return shallow_fast.ShallowTrainer(X, Y, shallow.init_params(2, h, rng, dtype), 0.1, **kwargs).workers

    monkeypatch.setitem(shallow_fast.TWO_WORKERS_FROM, np.dtype(dtype), 64)
    monkeypatch.setattr(shallow_fast, "_cpus", lambda: 2)  # whatever this process may use (taskset -c 0: one)
    assert (workers(7, 9), workers(8, 8), workers(1, 64), workers(5, 1, workers=8)) == (1, 2, 1, 5)
    monkeypatch.setattr(shallow_fast, "_cpus", lambda: 1)
    assert workers(8, 8) == 1  # one CPU: no second worker
    with pytest.raises(ValueError, match="workers must be a positive integer, got 0"):
        workers(8, 8, workers=0)


def test_fast_trainer_gives_the_blas_threads_back_and_passes_a_workers_error_on(blas_threads):
    """While two workers run, BLAS runs one thread per call; afterwards, even after a worker failed, its own count."""
    from threadpoolctl import threadpool_limits

    from torchref_handmade import shallow_fast

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((64, 3)), np.ones((64, 1))
    trainer = shallow_fast.ShallowTrainer(X, Y, shallow.init_params(3, 5, rng), 0.1, workers=2)
    seen = []
    with threadpool_limits(limits=2, user_api="blas"):  # conftest runs the tests on one BLAS thread
        assert blas_threads() == {2}
        trainer._each(lambda rows: seen.append(blas_threads()))
        assert seen == [{1}, {1}] and blas_threads() == {2}
        trainer.rows[1].Y = None  # the second worker's backward fails
        with pytest.raises(TypeError):
            trainer.step()
        assert blas_threads() == {2}


def _python(code: str, cwd, env_path=None, *argv):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(env_path)} if env_path else dict(os.environ)
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_handmade_package_never_imports_torch(tmp_path):
    code = (
        "import pkgutil, importlib, sys, torchref_handmade\n"
        "names = [m.name for m in pkgutil.iter_modules(torchref_handmade.__path__)]\n"
        "for name in names: importlib.import_module('torchref_handmade.' + name)\n"
        "print(len(names), 'torch' in sys.modules)\n"
    )
    proc = _python(code, tmp_path)
    count, torch_loaded = proc.stdout.split()
    assert proc.returncode == 0 and int(count) >= 10 and torch_loaded == "False", proc.stderr


def test_installs_beside_a_course_repository_with_its_own_handmade_package(tmp_path):
    """A `handmade` package earlier on the path (one without `_checks`) must not be what torchref imports."""
    theirs = tmp_path / "course" / "handmade"
    theirs.mkdir(parents=True)
    (theirs / "__init__.py").write_text("COURSE = 'theirs'\n")
    code = "import handmade, torchref.registry\nprint(handmade.COURSE, len(torchref.registry.REGISTRY) > 0)\n"
    proc = _python(code, tmp_path, theirs.parent)
    assert proc.returncode == 0 and proc.stdout.split() == ["theirs", "True"], proc.stderr
    proc = _python("", tmp_path, theirs.parent, "-m", "torchref", "verify", "--models", "logistic", "--cases", "1")
    assert proc.returncode == 0 and "rows passed, 0 rows failed" in proc.stdout, proc.stderr


# ----------------------------------------------------------------------------------------
# Every argument check of the models names its own argument, and the dtype of X is held to the parameters'.
#
# Mutation testing found checks whose argument name could be changed, or whose dtype= could be
# dropped, with no test noticing: one bad value per argument of every public function, and its
# message must start with the argument's name.


RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((4, 3))
Y4 = np.array([[0.0], [1.0], [1.0], [0.0]])
P_LOG = logistic.init_params(3, rng=0)
P_PER = perceptron.init_params(3)
P_SHA = shallow.init_params(3, 5, rng=0)
P_DEEP = deep.init_params(3, [5, 2], rng=0)
BAD_Y = np.array([[0.0], [2.0], [1.0], [0.0]])  # a label outside [0, 1]


def _cache(model, params):
    return model.forward(X3, params)[1]


CATALOGUE = [
    ("logistic.init_params n", lambda: logistic.init_params(0), ValueError, "n "),
    ("logistic.init_params dtype", lambda: logistic.init_params(3, dtype=np.int32), TypeError, "dtype "),
    ("perceptron.init_params n", lambda: perceptron.init_params(-1), ValueError, "n "),
    ("perceptron.init_params dtype", lambda: perceptron.init_params(2, dtype=np.float16), TypeError, "dtype "),
    ("shallow.init_params n", lambda: shallow.init_params(0, 3), ValueError, "n "),
    ("shallow.init_params h", lambda: shallow.init_params(3, 0), ValueError, "h "),
    ("shallow.init_params dtype", lambda: shallow.init_params(3, 3, dtype="int8"), TypeError, "dtype "),
    ("deep.init_params n", lambda: deep.init_params(0, [3]), ValueError, "n "),
    ("deep.init_params k", lambda: deep.init_params(3, [3], k=0), ValueError, "k "),
    ("deep.init_params hidden", lambda: deep.init_params(3, [3, 0]), ValueError, r"hidden\[1\] "),
    ("deep.init_params dtype", lambda: deep.init_params(3, [3], dtype=np.int64), TypeError, "dtype "),
    ("logistic.backward Y", lambda: logistic.backward(X3, BAD_Y, P_LOG, _cache(logistic, P_LOG)), ValueError, "Y "),
    ("logistic.loss Y", lambda: logistic.loss(np.full((4, 1), 0.5), BAD_Y), ValueError, "Y "),
    (
        "perceptron.backward Y",
        lambda: perceptron.backward(X3, BAD_Y, P_PER, _cache(perceptron, P_PER)),
        ValueError,
        "Y ",
    ),
    ("perceptron.loss Y", lambda: perceptron.loss(np.ones((4, 1)), BAD_Y), ValueError, "Y "),
    ("shallow.backward Y", lambda: shallow.backward(X3, BAD_Y, P_SHA, _cache(shallow, P_SHA)), ValueError, "Y "),
    ("shallow.loss Y", lambda: shallow.loss(np.full((4, 1), 0.5), BAD_Y), ValueError, "Y "),
    ("deep.backward Y", lambda: deep.backward(X3, BAD_Y, P_DEEP, _cache(deep, P_DEEP)), ValueError, "Y "),
    ("deep.loss Y", lambda: deep.loss(np.full((4, 1), 0.5), BAD_Y), ValueError, "Y "),
    ("deep.loss softmax Y", lambda: deep.loss(np.full((4, 2), 0.5), np.ones((4, 2)), "softmax"), ValueError, "Y "),
    ("ShallowTrainer Y", lambda: ShallowTrainer(X3, BAD_Y, P_SHA, 0.1), ValueError, "Y "),
    ("ShallowTrainer lr", lambda: ShallowTrainer(X3, Y4, P_SHA, 0.0), ValueError, "lr "),
    ("ShallowTrainer workers", lambda: ShallowTrainer(X3, Y4, P_SHA, 0.1, workers=0), ValueError, "workers "),
    ("datasets.rain_rent m", lambda: datasets.rain_rent(0), ValueError, "m "),
    ("datasets.flower m", lambda: datasets.flower(0), ValueError, "m "),
    ("datasets.moons m", lambda: datasets.moons(0), ValueError, "m "),
    ("datasets.circles m", lambda: datasets.circles(0), ValueError, "m "),
]


@pytest.mark.parametrize("name, call, error, starts", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_each_argument_check_names_its_argument(name, call, error, starts):
    with pytest.raises(error, match="^" + starts):
        call()


MODELS = [
    ("logistic", logistic, P_LOG),
    ("perceptron", perceptron, P_PER),
    ("shallow", shallow, P_SHA),
    ("deep", deep, P_DEEP),
]


@pytest.mark.parametrize("name, model, params", MODELS, ids=[m[0] for m in MODELS])
def test_forward_and_backward_refuse_an_X_of_another_dtype_than_the_parameters(name, model, params):
    cache = _cache(model, params)
    X32 = X3.astype(np.float32)
    with pytest.raises(TypeError, match="^X "):
        model.forward(X32, params)
    with pytest.raises(TypeError, match="^X "):
        model.backward(X32, Y4, params, cache)
    with pytest.raises(ValueError, match="^X "):
        model.backward(X3[:, :2], Y4, params, cache)  # one column short


def test_the_fast_trainer_refuses_an_X_of_another_dtype():
    with pytest.raises(TypeError, match="^X "):
        ShallowTrainer(X3.astype(np.float32), Y4, P_SHA, 0.1)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_deep_model_binds_its_activation_and_output_to_all_three_steps(activation, output):
    model = deep.model(activation, output)
    k = 3 if output == "softmax" else 1
    params = deep.init_params(3, [5, 4], k=k, rng=1)
    Y = np.eye(k)[[0, 1, 2, 0]] if output == "softmax" else Y4
    A, cache = model.forward(X3, params)
    A_ref, cache_ref = deep.forward(X3, params, activation, output)
    np.testing.assert_array_equal(A, A_ref)
    assert model.loss(A, Y) == deep.loss(A_ref, Y, output)
    grads, ref = model.backward(X3, Y, params, cache), deep.backward(X3, Y, params, cache_ref, activation, output)
    assert set(grads) == set(ref) and all(np.array_equal(grads[key], ref[key]) for key in ref)
    assert model.name == f"deep[{activation}->{output}]"


def test_cpus_reads_the_affinity_mask_where_there_is_one(monkeypatch):
    """A process pinned to one CPU gets one worker, however many the machine has."""
    monkeypatch.setattr(shallow_fast.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(shallow_fast.os, "cpu_count", lambda: 64)
    assert shallow_fast._cpus() == 1
    assert shallow_fast.default_workers(1 << 20, 64, np.float64) == 1
    monkeypatch.setattr(shallow_fast.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert shallow_fast.default_workers(1 << 20, 64, np.float64) == 2
    assert shallow_fast.default_workers((1 << 20) // 64 - 1, 64, np.float64) == 1


@pytest.mark.parametrize("maker", [datasets.flower, datasets.moons, datasets.circles])
def test_datasets_default_to_seed_0_and_split_the_classes_in_half(maker):
    X, Y = maker()
    X0, Y0 = maker(seed=0)
    np.testing.assert_array_equal(X, X0)
    assert not np.array_equal(X, maker(seed=1)[0])
    assert X.shape == (400, 2) and Y.shape == (400, 1)
    assert (Y == 0).sum() == (Y == 1).sum() == 200
    X, Y = maker(10)
    assert X.shape == (10, 2) and (Y == 1).sum() == 5


def test_circles_put_the_second_class_on_the_inner_circle():
    X, Y = datasets.circles(400, noise=0.0, factor=0.5)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[Y[:, 0] == 0], 1.0)
    np.testing.assert_allclose(radius[Y[:, 0] == 1], 0.5)


def test_rain_rent_defaults_to_seed_0():
    X, Y, _ = datasets.rain_rent()
    np.testing.assert_array_equal(X, datasets.rain_rent(seed=0)[0])
    assert X.shape == (200, 2) and not np.array_equal(X, datasets.rain_rent(seed=1)[0])


@pytest.mark.parametrize("name, model, params", MODELS, ids=[m[0] for m in MODELS])
def test_a_row_of_labels_is_refused_not_reshaped(name, model, params):
    """Y may be (m, 1) or (m,); a (1, m) row is another shape, not the same labels laid flat."""
    A, cache = model.forward(X3, params)
    with pytest.raises(ValueError, match=r"^Y must have shape \(4, 1\) or \(4,\), got"):
        model.backward(X3, Y4.T, params, cache)
    with pytest.raises(ValueError, match=r"^Y must have shape"):
        model.loss(A, Y4.T)
    grads = model.backward(X3, Y4.ravel(), params, cache)  # (m,) is accepted, as documented
    assert all(np.array_equal(grads[k], v) for k, v in model.backward(X3, Y4, params, cache).items())


def test_a_one_dimensional_W1_is_named_with_the_shape_it_should_have():
    params = {"W1": np.ones(3), "b1": np.ones((1, 1)), "W2": np.ones((1, 1)), "b2": np.ones((1, 1))}
    with pytest.raises(ValueError, match=r"^params\['W1'\] must have shape \(1, 1\), got \(3,\)$"):
        shallow.forward(np.ones((2, 1)), params)


def test_datasets_defaults_are_the_documented_ones():
    np.testing.assert_array_equal(datasets.moons()[0], datasets.moons(400, noise=0.15, seed=0)[0])
    np.testing.assert_array_equal(datasets.circles()[0], datasets.circles(400, noise=0.08, factor=0.5, seed=0)[0])
    np.testing.assert_array_equal(datasets.flower()[0], datasets.flower(400, seed=0)[0])
    np.testing.assert_array_equal(datasets.rain_rent()[0], datasets.rain_rent(200, seed=0)[0])


def test_min_max_keeps_one_minimum_and_maximum_per_column():
    from torchref_handmade.normalise import MinMax

    X = np.array([[0.0, 500.0], [20.0, 3000.0], [5.0, 1000.0]])  # the notes' rainfall and rent
    scaler = MinMax.fit(X)
    assert scaler.low.shape == scaler.high.shape == (1, 2)
    np.testing.assert_array_equal(scaler.high, [[20.0, 3000.0]])
    scaled = scaler.transform(X)
    np.testing.assert_array_equal(scaled.min(axis=0), [0, 0])
    np.testing.assert_array_equal(scaled.max(axis=0), [1, 1])
    np.testing.assert_allclose(scaler.inverse(scaled), X)


def test_deep_param_shapes_default_to_one_output():
    assert deep.param_shapes(3, [4]) == {"W1": (3, 4), "b1": (1, 4), "W2": (4, 1), "b2": (1, 1)}


def test_the_fast_trainers_helper_threads_are_named_after_it():
    import threading

    X = RNG.standard_normal((8, 3))
    ShallowTrainer(X, np.ones((8, 1)), P_SHA, 0.1, workers=2).step()
    assert any(t.name.startswith("shallow_fast") for t in threading.enumerate())


def test_one_hot_labels_of_the_wrong_shape_name_only_the_two_dimensional_form():
    with pytest.raises(ValueError, match=r"^Y must have shape \(4, 2\), got") as info:
        deep.loss(np.full((4, 2), 0.5), np.ones((4, 3)), "softmax")
    assert "or (4,)" not in str(info.value)
