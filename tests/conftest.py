import os

# Before NumPy loads: one BLAS thread per worker. With two xdist workers on two cores,
# OpenBLAS's default of a thread per core had each worker's idle BLAS thread spinning on
# the other's core (the command line's small shapes run single-threaded too).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_info

from torchref import _process

_process.setup()  # as the command line runs: one thread of torch and of the BLAS, freed memory kept

settings.register_profile("default", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.register_profile(
    "thorough", parent=settings.get_profile("default"), max_examples=400
)  # --hypothesis-profile=thorough
settings.load_profile("ci" if os.environ.get("CI") else "default")

pytest_plugins = ["pytester", "torchref.pytest_plugin", "bwrap_guard"]  # bwrap_guard: no silent sandbox skips

# the tests mirror the package (tests/checker/, tests/grading/, tests/handmade/): the shared helpers of
# this folder (classroom.py) are imported by name from any of them
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def blas_threads():
    """A function giving the thread counts of the loaded BLAS libraries (a set: usually one library)."""
    return lambda: {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture
def shipped_example():
    """The path of the shipped example derivation (torchref/examples/shallow_derivation.py): a right file."""
    from classroom import EXAMPLE_PATH

    return EXAMPLE_PATH


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """This project's wheel, built by `python -m build` once per session (the sdist beside it)."""
    from wheel_env import shared_wheel

    return shared_wheel(tmp_path_factory)


@pytest.fixture(autouse=True)
def _kept_sessions_closed():
    """Each test starts without the sessions `torchref.check` keeps per process (a notebook's): none carries a
    sandbox, cases or patched state from one test into the next."""
    yield
    batch = sys.modules.get("torchref.checker.batch")
    if batch is not None:
        batch.close_kept()
