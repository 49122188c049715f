import os

import torch
from hypothesis import HealthCheck, settings

from torchref.parity import keep_freed_memory

torch.set_num_threads(1)  # small shapes: one thread is faster and immune to load (PERFORMANCE.md)
keep_freed_memory()  # as the command line does: random shapes no longer fault in fresh pages at every case

settings.register_profile("default", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=400)  # --hypothesis-profile=thorough
settings.load_profile("ci" if os.environ.get("CI") else "default")

pytest_plugins = ["pytester", "torchref.pytest_plugin"]
