"""Handed in as colorsys.py in a class's flat folder: a module the judge itself imports while it diagnoses a wrong
file (sympy's mpmath imports colorsys). Run as `python -m torchref check .` from the class's folder, the judge puts
that folder first on its own import path: this runs in the judge, as the judge's user, outside every sandbox."""

import importlib.util
import os
import sys
import sysconfig

if "torchref" in sys.modules:  # inside the judge: a line of our own in its output
    print("friend.py: PASS (40 cases)  (printed by a learner's module inside the judge)", flush=True)

# the standard library's colorsys under this name, so that nothing else looks wrong
_spec = importlib.util.spec_from_file_location("colorsys", os.path.join(sysconfig.get_paths()["stdlib"], "colorsys.py"))
_real = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_real)
globals().update({k: v for k, v in vars(_real).items() if not k.startswith("__")})
