"""The packages the wheel installs, found rather than listed, so that a new subpackage cannot be left out.

pyproject.toml holds everything else. Its `package-dir` installs the repository's handmade/ folder as
`torchref_handmade`, a name setuptools' discovery cannot give it (discovery names a package after its folder),
so that one is named here and every package of torchref/ is found.
"""

from setuptools import find_packages, setup

setup(packages=["torchref_handmade", *find_packages(include=["torchref", "torchref.*"])])
