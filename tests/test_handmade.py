"""Behaviour of the handmade models on their own: the notes' examples and bad input."""

import numpy as np
import pytest

from torchref_handmade import deep, logistic, mp_neuron, perceptron, shallow
from torchref_handmade.normalise import MinMax
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
    fitted_theta, mask = mp_neuron.search(X, Y)
    assert (fitted_theta, mask.astype(int).tolist()) == (theta, inhibitory)
    np.testing.assert_array_equal(mp_neuron.forward(X, fitted_theta, mask).ravel(), Y)


def test_mp_neuron_cannot_fit_xor():
    with pytest.raises(ValueError, match="no threshold"):
        mp_neuron.search(*GATES["XOR"])


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
