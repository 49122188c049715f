"""Every argument check of the models names its own argument, and the dtype of X is held to the parameters'.

Mutation testing found checks whose argument name could be changed, or whose dtype= could be
dropped, with no test noticing: one bad value per argument of every public function, and its
message must start with the argument's name.
"""

import numpy as np
import pytest

from torchref_handmade import datasets, deep, logistic, perceptron, shallow, shallow_fast
from torchref_handmade.shallow_fast import ShallowTrainer

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
