"""`python -m torchref`: the command line, with the working folder taken off the import path first.

`python -m` puts the folder it is started in first on `sys.path`. A teacher who runs the
judge from a class's folder (`python -m torchref check .`) would then have the judge itself
(the teacher's uid, no sandbox) import a learner's `colorsys.py` or `pkgutil.py` the first
time it imports a module of that name. The entry is removed before the command line (and
anything it imports) is imported; this package itself is already loaded by then.
"""

import os
import sys

if sys.path and not sys.flags.safe_path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from torchref.cli import main  # after the working folder left the import path

sys.exit(main())
