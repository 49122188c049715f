"""The Gradescope bundle: what it installs, and its run_autograder against a copy of /autograder."""

import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest
from classroom import TANH, derivation, notebook

from torchref import cli


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    assert cli.main(["autograder", "gradescope", "--model", "shallow", "--out", str(out), "--cases", "3"]) == 0
    return out


def run_autograder(bundle, root, python=sys.executable):
    """Gradescope's harness: the submission in root/submission, run_autograder run from root."""
    env = {**os.environ, "TORCHREF_AUTOGRADER_ROOT": str(root), "TORCHREF_AUTOGRADER_PYTHON": python}
    done = subprocess.run([bundle / "run_autograder"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # a wrong derivation is a grade, not a failed autograder
    return json.loads((root / "results" / "results.json").read_text())


def test_the_bundle_installs_this_version_and_zips_both_scripts_at_its_root(bundle, capsys):
    setup = (bundle / "setup.sh").read_text()
    assert f"'torchref[notebook]=={metadata.version('torchref')}'" in setup
    assert f"torch=={metadata.version('torch').split('+')[0]}" in setup and "whl/cpu" in setup
    run = (bundle / "run_autograder").read_text()
    assert "--model shallow --cases 3" in run and "--hide-values" not in run
    with zipfile.ZipFile(bundle / "autograder.zip") as archive:
        assert sorted(archive.namelist()) == ["run_autograder", "setup.sh"]
        assert all((info.external_attr >> 16) & 0o111 for info in archive.infolist())  # executable
    for name in ("setup.sh", "run_autograder"):
        assert os.access(bundle / name, os.X_OK)
        assert subprocess.run(["bash", "-n", bundle / name]).returncode == 0


def test_a_wheel_is_shipped_inside_the_bundle(tmp_path):
    wheel = tmp_path / "torchref-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    out = tmp_path / "bundle"
    argv = ["autograder", "gradescope", "--model", "logistic", "--out", str(out), "--requirement", str(wheel)]
    assert cli.main([*argv, "--hide-values"]) == 0
    assert "'/autograder/source/torchref-0.1.0-py3-none-any.whl[notebook]'" in (out / "setup.sh").read_text()
    assert "--model logistic" in (out / "run_autograder").read_text()
    assert "--hide-values" in (out / "run_autograder").read_text()
    with zipfile.ZipFile(out / "autograder.zip") as archive:
        assert wheel.name in archive.namelist()


def test_run_autograder_grades_a_submission_into_results_json(bundle, tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "hw3.ipynb").write_text(notebook(derivation(TANH)))
    doc = run_autograder(bundle, root)
    assert doc["score"] == 2.0 and sum(t["max_score"] for t in doc["tests"]) == 4.0
    assert doc["output"].startswith("hw3.ipynb: WRONG: first wrong link dZ1")
    (root / "submission" / "hw3.ipynb").unlink()
    (root / "submission" / "hw3.py").write_text(derivation())
    doc = run_autograder(bundle, root)
    assert doc["score"] == 4.0 and all(t["status"] == "passed" for t in doc["tests"])


def test_run_autograder_grades_a_submission_uploaded_as_folders(bundle, tmp_path):
    """A zip made on a Mac: the derivation in a folder, AppleDouble copies in __MACOSX/, a helper in another folder."""
    sub = tmp_path / "autograder" / "submission"
    for name, data in {
        "hw3/derivation.py": derivation(TANH).encode(),
        "__MACOSX/hw3/._derivation.py": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X",
        "extra/plots.py": b"import numpy as np\n",
    }.items():
        (sub / name).parent.mkdir(parents=True, exist_ok=True)
        (sub / name).write_bytes(data)
    doc = run_autograder(bundle, tmp_path / "autograder")
    assert doc["score"] == 2.0 and doc["output"].startswith("hw3/derivation.py: WRONG: first wrong link dZ1")


def test_run_autograder_leaves_results_when_the_check_cannot_run(bundle, tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    doc = run_autograder(bundle, root, python=str(tmp_path / "no-python"))
    assert doc["score"] == 0 and doc["tests"] == [] and "exit status 127" in doc["output"]


def test_an_unwritable_bundle_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert cli.main(["autograder", "gradescope", "--model", "shallow", "--out", str(tmp_path / "file" / "x")]) == 2
    assert "torchref: cannot write --out" in capsys.readouterr().err
