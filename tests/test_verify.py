"""What `verify` runs: every kind of row for every model in every dtype it claims, and a case plan that
reaches m > 1 trajectories and both sides of the fast trainer's switches from --cases 3 on."""

import numpy as np
import pytest

from torchref.registry import DTYPES, FD_TOLERANCE, REGISTRY
from torchref.sweep import FD_MAX_PARAMS, cases_for, named_order
from torchref.verify import verify
from torchref_handmade.shallow_fast import TANH_EXP_FROM, ShallowTrainer


@pytest.fixture(scope="module")
def report():
    return verify(cases=3, seed=0)


def _rows(report, model, dtype, prefix=""):
    return {
        r.tensor[len(prefix) :]: r
        for r in report.rows
        if r.model == model and r.dtype == dtype and r.tensor.startswith(prefix) and "." not in r.tensor[len(prefix) :]
    }


def test_every_model_has_forward_loss_and_gradient_rows_in_both_dtypes(report):
    for name, pair in REGISTRY.items():
        for dtype in DTYPES:
            rows = _rows(report, name, dtype)
            shapes = [s.shape for s in cases_for(pair, dtype, 3, 0)]
            expected = set().union(*(pair.names(shape) for shape in shapes)) - {"fit.A", "fit.theta", "fit.inhibitory"}
            assert expected <= set(rows), f"{name} {dtype}: missing rows {sorted(expected - set(rows))}"
            assert all(r.cases > 0 for r in rows.values())
            if pair.differentiable:
                assert "J" in rows and any(k.startswith("dW") for k in rows) and any(k[0] in "ZA" for k in rows)
                tol = pair.tolerance(dtype)
                assert all((r.rtol, r.atol) == (tol.rtol, tol.atol) for r in rows.values())


def test_every_differentiable_model_has_finite_difference_rows_in_both_dtypes(report):
    for name, pair in REGISTRY.items():
        for dtype in DTYPES:
            fd = _rows(report, name, dtype, "fd.")
            if not pair.differentiable:
                assert not fd, name
                continue
            params = pair.param_shapes(cases_for(pair, dtype, 1, 0).__next__().shape)
            assert set(fd) == {"d" + key for key in params}, f"{name} {dtype}: fd rows {sorted(fd)}"
            assert all((r.rtol, r.atol) == (FD_TOLERANCE.rtol, FD_TOLERANCE.atol) for r in fd.values())


def test_every_trained_model_has_training_rows_in_every_dtype_it_claims(report):
    for name, pair in REGISTRY.items():
        if not pair.train_dtypes:  # fitted, not trained (the MP neuron, normalisation): its fit is in the forward rows
            assert not any(r.tensor.startswith("train.") for r in report.rows if r.model == name)
            continue
        # the claim: both dtypes, but for ReLU nets whose float32 trajectories part at z = 0 (README)
        claimed = ("float64",) if getattr(pair, "activation", None) == "relu" else DTYPES
        assert tuple(pair.train_dtypes) == claimed, name
        for dtype in DTYPES:
            train = _rows(report, name, dtype, "train.")
            if dtype in claimed:
                assert "J" in train and len(train) >= 2, f"{name} {dtype}: no training rows"
                assert all(r.cases >= 2 for r in train.values()), f"{name} {dtype}: one trajectory only"
            else:
                assert not train, f"{name} {dtype}"


def test_the_json_report_lists_the_same_rows(report):
    doc = report.to_json()
    assert doc["passed"] is True and doc["cases"] == 3 and doc["dtypes"] == list(DTYPES)
    assert len(doc["rows"]) == len(report.rows) and all(row["passed"] for row in doc["rows"])


def _spy(monkeypatch, method):
    """Record the samples every registry entry's `method` is called with, per model."""
    seen = {name: [] for name in REGISTRY}
    for name, pair in REGISTRY.items():
        real = getattr(pair, method, None)
        if real is None:
            continue

        def record(samples, *args, _real=real, _name=name):
            samples = list(samples) if method == "parity_many" else samples
            seen[_name] += samples if method == "parity_many" else [samples]
            return _real(samples, *args)

        monkeypatch.setattr(pair, method, record)
    return seen


@pytest.mark.parametrize("cases", [3, 4, 5, 6])
def test_from_three_cases_on_a_trajectory_with_m_above_1_is_trained(monkeypatch, cases):
    trained = _spy(monkeypatch, "parity_training")
    models = [name for name, pair in REGISTRY.items() if "float64" in pair.train_dtypes]
    verify(models=models, cases=cases, dtypes=("float64",))
    assert len(models) > 1
    for name in models:
        samples = trained[name]
        assert any(s.shape.m > 1 for s in samples), f"{name}: trained only on m = 1 ({[s.id for s in samples]})"
        assert any(s.shape.m == 1 for s in samples), f"{name}: no trajectory of one example"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cases", [3, 20])
def test_the_fast_trainer_runs_on_both_sides_of_each_switch(monkeypatch, dtype, cases):
    """tanh by np.tanh and by exp (TANH_EXP_FROM elements of m·h), and one worker (m = 1) and two."""
    checked = _spy(monkeypatch, "parity_many")
    verify(models=["shallow_fast"], cases=cases, dtypes=(dtype,))
    trainers = [ShallowTrainer(s.X, s.Y, s.params, s.lr, workers=2) for s in checked["shallow_fast"]]
    assert {t.tanh_exp for t in trainers} == {False, True}
    assert {t.workers for t in trainers} == {1, 2}
    sizes = [s.shape.m * s.shape.hidden[0] for s in checked["shallow_fast"]]
    assert min(sizes) < TANH_EXP_FROM[np.dtype(dtype)] <= max(sizes)


def test_named_order_starts_with_the_degenerate_shape_and_the_largest():
    """Degenerate: the fewest examples the entry takes (one; two for min–max normalisation, whose column of one
    example is constant)."""
    for pair in REGISTRY.values():
        order = named_order(pair)
        assert sorted(order, key=repr) == sorted(pair.shapes, key=repr), "every named shape, once"
        assert order[0] == pair.shapes[0] and order[0].m == min(s.m for s in pair.shapes), pair.name
        assert order[0].m * order[0].n == min(s.m * s.n for s in pair.shapes), pair.name
        assert order[1].m * order[1].n == max(s.m * s.n for s in pair.shapes)


def test_finite_differences_stay_on_small_cases(monkeypatch):
    differenced = _spy(monkeypatch, "check_finite_differences")
    verify(models=["shallow", "deep_tanh_sigmoid"], cases=12, dtypes=("float64",))
    for name in ("shallow", "deep_tanh_sigmoid"):
        sizes = [sum(p.size for p in s.params.values()) for s in differenced[name]]
        assert sizes and max(sizes) <= FD_MAX_PARAMS


def test_the_table_has_the_documented_header_and_a_failing_row_says_so(report):
    lines = report.table().splitlines()
    assert lines[0] == (
        "model                  dtype    tensor            cases max abs err max rel err    rtol    atol  verdict"
    )
    assert lines[1] == "-" * len(lines[0])
    assert all(line.endswith("  PASS") for line in lines[2 : 2 + len(report.rows)])
    assert lines[-1] == f"verify: {len(report.rows)} rows passed, 0 rows failed"
    row = report.rows[0]
    row.failed, row.first_failure = 1, "case m1-n1: planted"
    try:
        text = report.table(failures_only=True).splitlines()
        assert len(text) == 2 + 1 + 2 + 2  # header, rule, the row, blank + first failure, blank + total
        assert text[2].startswith(f"{row.model:<22} {row.dtype:<8} {row.tensor:<17}") and "FAIL (1/" in text[2]
        assert f"FIRST FAILURE {row.model} {row.dtype} {row.tensor}: case m1-n1: planted" in text
        assert text[-1] == f"verify: {len(report.rows) - 1} rows passed, 1 rows failed"
    finally:
        row.failed, row.first_failure = 0, ""


def test_one_first_failure_per_model_and_kind_of_check_not_per_tensor(report):
    """One wrong line fails many rows (its tensor, those after it, both dtypes): one block names the first."""
    model = next(r.model for r in report.rows if r.tensor.startswith("train."))
    planted = [r for r in report.rows if r.model == model and not r.tensor.startswith(("train.", "fd."))][:4]
    trained = [r for r in report.rows if r.model == model and r.tensor.startswith("train.")][:2]
    assert len(planted) == 4 and len(trained) == 2
    for row in planted + trained:
        row.failed, row.first_failure = 1, f"case m1-n1: planted in {row.tensor}"
    try:
        text = report.table()
        blocks = [line for line in text.splitlines() if line.startswith("FIRST FAILURE")]
        assert blocks == [
            f"FIRST FAILURE {model} {planted[0].dtype} {planted[0].tensor}: case m1-n1: planted in {planted[0].tensor}",
            f"FIRST FAILURE {model} {trained[0].dtype} {trained[0].tensor}: case m1-n1: planted in {trained[0].tensor}",
        ]
        assert f"also failing: {planted[1].tensor} ({planted[1].dtype})" in text
    finally:
        for row in planted + trained:
            row.failed, row.first_failure = 0, ""
