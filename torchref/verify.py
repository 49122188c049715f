"""`torchref verify`: every registry entry over N cases, both dtypes, one table.

Per model and dtype, the first cases are the entry's named shapes (a degenerate one, the
largest, then the others: `sweep.named_order`), the rest are random shapes (in long runs up
to CHUNK cases in a row share one, so that their torch sides run as one batch). The first two
cases and every `train_every`-th are also trained for TRAIN_STEPS steps on both sides, and
those with at most FD_MAX_PARAMS parameters of a differentiable model are held to central
finite differences. Each (model, dtype, check, tensor) becomes one row of the report.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

from torchref.interrupt import Interrupted
from torchref.registry import DTYPES, REGISTRY, TRAIN_STEPS, ModelPair
from torchref.sweep import CHUNK, cases_for, check_sweep, gets_finite_differences
from torchref_handmade import _checks

SCHEMA = "torchref.verify/1"


@dataclass
class Row:
    model: str
    dtype: str
    tensor: str  # "dW1", or "train.W1" for a trajectory
    cases: int = 0
    failed: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    rtol: float = 0.0
    atol: float = 0.0
    first_failure: str = ""  # case id and message of the first failing case

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass
class Report:
    seed: int
    cases: int
    dtypes: tuple
    rows: list = field(default_factory=list)
    complete: bool = True  # False: interrupted, the rows of the models and dtypes finished so far

    @property
    def ok(self) -> bool:
        return self.complete and all(row.ok for row in self.rows)

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "passed": self.ok,
            "complete": self.complete,
            "seed": self.seed,
            "cases": self.cases,
            "dtypes": list(self.dtypes),
            "rows": [{**asdict(row), "passed": row.ok} for row in self.rows],
        }

    def table(self, failures_only: bool = False) -> str:
        head = (
            f"{'model':<22} {'dtype':<8} {'tensor':<17} {'cases':>5} {'max abs err':>11} {'max rel err':>11} "
            f"{'rtol':>7} {'atol':>7}  verdict"
        )
        lines = [head, "-" * len(head)]
        for r in self.rows:
            if failures_only and r.ok:
                continue
            verdict = "PASS" if r.ok else f"FAIL ({r.failed}/{r.cases})"
            lines.append(
                f"{r.model:<22} {r.dtype:<8} {r.tensor:<17} {r.cases:>5} {r.max_abs:>11.2e} {r.max_rel:>11.2e} "
                f"{r.rtol:>7.1e} {r.atol:>7.1e}  {verdict}"
            )
        for r in self.rows:
            if not r.ok:
                lines.append(f"\nFIRST FAILURE {r.model} {r.dtype} {r.tensor}: {r.first_failure}")
        passed = sum(r.ok for r in self.rows)
        lines.append(f"\nverify: {passed} rows passed, {len(self.rows) - passed} rows failed")
        if not self.complete:
            lines.append("verify: interrupted; the rows above are those of the models and dtypes finished")
        return "\n".join(lines)


def _record(rows: dict, pair: ModelPair, dtype: str, prefix: str, case_id: str, results) -> None:
    for res in results:
        key = prefix + res.name
        row = rows.setdefault(key, Row(pair.name, dtype, key, rtol=res.rtol, atol=res.atol))
        row.cases += 1
        row.max_abs, row.max_rel = max(row.max_abs, res.max_abs), max(row.max_rel, res.max_rel)
        if not res.ok:
            row.failed += 1
            if not row.first_failure:
                row.first_failure = f"case {case_id}: {res.message}"


def verify(models=None, cases: int = 20, dtypes=DTYPES, seed: int = 0, train_every: int = 5, progress=None) -> Report:
    """Run the sweep. `train_every`: the first two cases and every k-th are also trained TRAIN_STEPS steps on both
    sides (and differenced, when small enough).

    Ctrl-C raises `Interrupted` whose `partial` is the report of the rows finished so far, `complete` False.
    """
    check_sweep(models, cases, dtypes)
    train_every = _checks.positive_int("train_every", train_every)
    report = Report(seed, cases, tuple(dtypes))
    try:
        _sweep(report, models, cases, dtypes, seed, train_every, progress)
    except KeyboardInterrupt:
        report.complete = False
        raise Interrupted(report) from None
    return report


def _sweep(report: Report, models, cases: int, dtypes, seed: int, train_every: int, progress) -> None:
    for name in models or REGISTRY:
        pair = REGISTRY[name]
        for dtype in dtypes:
            rows: dict[str, Row] = {}
            numbered = enumerate(cases_for(pair, dtype, cases, seed))
            while chunk := list(itertools.islice(numbered, CHUNK)):
                for (i, sample), results in zip(chunk, pair.parity_many(sample for _, sample in chunk)):
                    _record(rows, pair, dtype, "", sample.id, results)
                    trained = i < 2 or i % train_every == 0
                    if trained and dtype in pair.train_dtypes:
                        _record(rows, pair, dtype, "train.", sample.id, pair.parity_training(sample, TRAIN_STEPS))
                    if trained and gets_finite_differences(pair, sample):
                        _record(rows, pair, dtype, "fd.", sample.id, pair.check_finite_differences(sample))
                    if progress:
                        progress()
            report.rows.extend(rows.values())
