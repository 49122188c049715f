"""The Gradescope bundle: what it ships and installs, and its run_autograder against a copy of /autograder.

Every results.json is validated against the fields of Gradescope's autograder specification
(top level: score, execution_time, output, visibility, stdout_visibility, tests, ...; each test:
score, max_score, status, name, output, visibility, ...)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from classroom import TANH, derivation, notebook
from wheel_env import environ, torch_pin

import torchref
from torchref import cli
from torchref.grading.autograder import finish, main

WHEEL = f"handmade_torchref-{torchref.__version__}-py3-none-any.whl"
# Gradescope's autograder specification: the fields of results.json and of each test, and the visibilities
TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format"}
TOP |= {"visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags"}
TEST |= {"visibility", "extra_data"}
VISIBLE = {"hidden", "after_due_date", "after_published", "visible"}


def gradescope_valid(doc: dict) -> dict:
    """Assert that `doc` is a results.json Gradescope accepts; return it."""
    number = (int, float)
    assert isinstance(doc, dict) and set(doc) <= TOP, set(doc) - TOP
    tests = doc.get("tests", [])
    assert isinstance(tests, list)
    assert "score" in doc or (tests and all("score" in t for t in tests)), "a score at the top or on every test"
    if "score" in doc:
        assert isinstance(doc["score"], number) and not isinstance(doc["score"], bool) and doc["score"] >= 0
    assert isinstance(doc.get("execution_time", 0), number) and doc.get("execution_time", 0) >= 0
    assert isinstance(doc.get("output", ""), str)
    assert doc.get("visibility", "visible") in VISIBLE and doc.get("stdout_visibility", "hidden") in VISIBLE
    for test in tests:
        assert isinstance(test, dict) and set(test) <= TEST, set(test) - TEST
        assert isinstance(test.get("name", ""), str) and isinstance(test.get("output", ""), str)
        assert test.get("status", "passed") in {"passed", "failed"} and test.get("visibility", "visible") in VISIBLE
        if "max_score" in test:
            assert isinstance(test["max_score"], number) and 0 <= test.get("score", 0) <= test["max_score"]
    return doc


def _bundle(out, *options):
    """The bundle with a stand-in wheel of the right name (an empty zip: the bundle only copies it)."""
    fake = Path(os.environ.get("TMPDIR", "/tmp")) / f"stand-in-{os.getpid()}" / WHEEL
    fake.parent.mkdir(exist_ok=True)
    fake.write_bytes(b"PK\x05\x06" + bytes(18))
    argv = ["autograder", "gradescope", "--model", "shallow", "--out", str(out), "--wheel", str(fake)]
    return cli.main([*argv, *options])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "bundle"
    options = ["--cases", "3", "--timeout", "20", "--hidden", "4", "--allow-import", "scipy"]
    assert _bundle(out, *options, "--hide-values", "--visibility", "after_due_date") == 0
    return out


def test_the_bundle_ships_the_wheel_and_the_pins_all_at_the_root_of_the_zip(bundle):
    with zipfile.ZipFile(bundle / "autograder.zip") as archive:
        assert sorted(archive.namelist()) == sorted(["setup.sh", "run_autograder", WHEEL, "constraints.txt"])
        modes = {info.filename: (info.external_attr >> 16) & 0o111 for info in archive.infolist()}
    assert modes["setup.sh"] and modes["run_autograder"] and not modes[WHEEL]
    setup = (bundle / "setup.sh").read_text()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "Ubuntu 22.04" in setup and "Python 3.10" in setup and f"python{python} -m venv" in setup
    lines = setup.splitlines()
    torch = next(i for i, line in enumerate(lines) if line.endswith(torch_pin()))
    wheel = next(i for i, line in enumerate(lines) if WHEEL in line)
    assert torch < wheel and '--constraint "$here/constraints.txt"' in setup  # torch at its pin first
    pins = (bundle / "constraints.txt").read_text()
    assert f"numpy=={metadata.version('numpy')}\n" in pins and torch_pin() + "\n" in pins
    assert "handmade" not in pins.lower()  # the project is the wheel
    for name in ("setup.sh", "run_autograder"):
        assert os.access(bundle / name, os.X_OK)
        assert subprocess.run(["bash", "-n", bundle / name]).returncode == 0


def test_the_checkers_options_are_fixed_in_run_autograder(bundle):
    run = (bundle / "run_autograder").read_text()
    assert "--model shallow --cases 3 --timeout 20.0 --hidden 4 --allow-import scipy --hide-values" in run
    assert '--status "$status" \\\n    --visibility after_due_date --deadline 540\n' in run  # one command, two lines


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--wheel", "handmade_torchref-0.0.1-py3-none-any.whl"], f"--wheel must be {WHEEL}"),
        (["--visibility", "sometimes"], "argument --visibility: invalid choice: 'sometimes'"),
        (["--timeout", "0"], "argument --timeout: expected a finite number of seconds > 0, got 0"),
    ],
)
def test_a_refused_option_is_one_line(tmp_path, capsys, options, says):
    try:
        status = _bundle(tmp_path / "b", *options)
    except SystemExit as exc:  # the parser's refusals end the program, as on the command line
        status = exc.code
    assert status == 2 and not (tmp_path / "b").exists()
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
def test_a_bundle_is_written_only_from_a_python_the_base_image_has(tmp_path, monkeypatch, capsys, python):
    """setup.sh installs the Python the bundle is written from; Gradescope's Ubuntu 22.04 has 3.10 and 3.11 alone."""
    from torchref.grading import autograder

    monkeypatch.setattr(autograder, "python_version", lambda: python)
    status = _bundle(tmp_path / "b")
    out, err = capsys.readouterr()
    if python in ("3.10", "3.11"):
        setup = (tmp_path / "b" / "setup.sh").read_text()
        assert status == 0 and "Ubuntu 22.04" in setup and f"python{python} python{python}-venv" in setup
        assert f"with the base image Ubuntu 22.04 (the bundle installs Python {python}," in out
    else:  # the image's build would fail at apt-get: refused before anything is written
        assert status == 2 and not (tmp_path / "b").exists()
        assert len(err.strip().splitlines()) == 1 and f"here Python {python}" in err, err
        assert "Ubuntu 22.04 has only Python 3.10 and 3.11: write it from a Python 3.10 or 3.11 environment" in err


def test_an_unwritable_bundle_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert _bundle(tmp_path / "file" / "x") == 2
    assert "torchref: cannot write --out" in capsys.readouterr().err


def run_autograder(bundle, root, python=sys.executable):
    """Gradescope's harness: run_autograder copied to root, the submission in root/submission, run from root."""
    shutil.copy(bundle / "run_autograder", root / "run_autograder")
    env = environ(TORCHREF_AUTOGRADER_ROOT=str(root), TORCHREF_AUTOGRADER_PYTHON=python)
    done = subprocess.run([root / "run_autograder"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr  # a wrong derivation is a grade, not a failed autograder
    return gradescope_valid(json.loads((root / "results" / "results.json").read_text()))


class _Installed:
    """A distribution whose direct_url.json says where pip installed it from."""

    def __init__(self, origin: dict):
        self.origin, self.metadata = origin, {"Name": "handmade-torchref"}

    def read_text(self, name):
        return json.dumps(self.origin) if name == "direct_url.json" else None


@pytest.mark.parametrize(
    "origin, built_from",
    [
        (
            {"url": "file://{tmp}/handmade_torchref-0.1.0.tar.gz", "archive_info": {}},
            "{tmp}/handmade_torchref-0.1.0.tar.gz",
        ),
        (
            {"url": "https://example.org/course/torchref.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
            "git+https://example.org/course/torchref.git@abc123",
        ),
    ],
    ids=["sdist", "git-url"],
)
def test_the_bundles_wheel_is_built_from_the_sdist_or_git_url_torchref_was_installed_from(
    tmp_path, monkeypatch, origin, built_from
):
    """README's installs: a git URL, or an sdist; neither leaves a wheel to copy, and none is on PyPI yet."""
    from torchref.grading import autograder

    (tmp_path / "handmade_torchref-0.1.0.tar.gz").write_bytes(b"an sdist")
    origin = json.loads(json.dumps(origin).replace("{tmp}", str(tmp_path)))
    monkeypatch.setattr(autograder, "_distribution", lambda: _Installed(origin))
    asked = []

    def pip(argv, **kwargs):  # pip wheel writes the wheel into --wheel-dir
        asked.append(argv)
        if "wheel" in argv:
            Path(argv[argv.index("--wheel-dir") + 1], WHEEL).write_bytes(b"the wheel")
        return subprocess.CompletedProcess(argv, 0 if "wheel" in argv else 1, "", "ERROR: no such version")

    monkeypatch.setattr(autograder.subprocess, "run", pip)
    (tmp_path / "out").mkdir()
    wheel = autograder.running_wheel(tmp_path / "out")
    assert wheel.read_bytes() == b"the wheel" and asked[-1][-1] == built_from.replace("{tmp}", str(tmp_path))


def test_run_autograder_grades_a_submission_with_the_bundles_visibility(bundle, tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "hw3.ipynb").write_text(notebook(derivation(TANH)))
    doc = run_autograder(bundle, root)
    assert doc["score"] == 2.0 and sum(t["max_score"] for t in doc["tests"]) == 4.0
    assert doc["output"].startswith("hw3.ipynb: WRONG: first wrong link dZ1")
    assert {doc["visibility"]} | {t["visibility"] for t in doc["tests"]} == {"after_due_date"}


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
    assert doc["visibility"] == "after_due_date"


def test_finish_says_when_the_check_ran_out_of_time_or_stopped(tmp_path):
    results = tmp_path / "results.json"
    assert main(["finish", str(results), "--status", "124", "--visibility", "hidden", "--deadline", "300"]) == 0
    doc = gradescope_valid(json.loads(results.read_text()))
    assert doc["score"] == 0 and "did not finish within 300 s" in doc["output"] and doc["visibility"] == "hidden"
    results.write_text("{not json")
    assert "stopped with exit status 1" in finish(results, 1, "visible", 300)["output"]
    assert json.loads(results.read_text())["visibility"] == "visible"


ENDLESS = ("m = X.shape[0]", "m = X.shape[0]\n    while True:\n        pass")


@pytest.mark.wheel
def test_the_bundle_installs_in_a_fresh_environment_and_grades_five_kinds_of_submission(tmp_path):
    """setup.sh (less its apt lines) then run_autograder, in a Gradescope-shaped folder; the bundle's wheel
    built from this source tree, as `torchref autograder gradescope` does without --wheel."""
    out = tmp_path / "bundle"
    argv = ["autograder", "gradescope", "--model", "shallow", "--out", str(out), "--cases", "2", "--timeout", "5"]
    assert cli.main([*argv, "--visibility", "after_published"]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(out / "autograder.zip") as archive:  # as Gradescope unpacks it
        archive.extractall(root / "source")
    setup = root / "source" / "setup.sh"
    setup.write_text("".join(line for line in setup.read_text().splitlines(True) if not line.startswith("apt-get")))
    env = environ(TORCHREF_AUTOGRADER_ROOT=str(root), TORCHREF_TORCH_INDEX="")  # the CPU torch from the default index
    del env["PIP_CONSTRAINT"]  # the bundle's own constraints.txt alone, as on Gradescope
    done = subprocess.run(["bash", setup], env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == f"torchref {torchref.__version__}"
    python = str(root / "venv" / "bin" / "python")
    freeze = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True, env=env).stdout
    pins = set((out / "constraints.txt").read_text().splitlines())
    assert {line.split("+")[0] for line in freeze.splitlines() if "==" in line} <= pins  # everything pinned
    submissions = {
        "right": {"hw3.py": derivation()},
        "wrong": {"hw3.ipynb": notebook(derivation(TANH))},
        "empty": {},
        "crashing": {"hw3.py": "raise RuntimeError('my code is not finished')\n" + derivation()},
        "endless": {"hw3.py": derivation(ENDLESS)},
    }
    results = {}
    for kind, files in submissions.items():
        shutil.rmtree(root / "submission", ignore_errors=True)
        (root / "submission").mkdir()
        for name, text in files.items():
            (root / "submission" / name).write_text(text)
        results[kind] = doc = run_autograder(out, root, python=python)
        assert {doc["visibility"]} | {t["visibility"] for t in doc["tests"]} == {"after_published"}, kind
    assert results["right"]["score"] == 4.0 and all(t["status"] == "passed" for t in results["right"]["tests"])
    assert results["wrong"]["score"] == 2.0 and "first wrong link dZ1" in results["wrong"]["output"]
    assert results["empty"]["score"] == 0 and "No .py or .ipynb file" in results["empty"]["output"]
    assert results["crashing"]["score"] == 0 and "my code is not finished" in results["crashing"]["output"]
    assert results["endless"]["score"] == 0 and "time limit of 5 s" in results["endless"]["output"]


def test_the_bundles_wheel_is_the_wheel_torchref_was_installed_from_or_the_published_one(tmp_path, monkeypatch):
    from torchref.grading import autograder

    asked = []

    def pip(argv, **kwargs):  # no such version on the index: nothing downloaded
        asked.append(argv)
        return subprocess.CompletedProcess(argv, 1, "", "ERROR: No matching distribution found\n")

    monkeypatch.setattr(autograder.subprocess, "run", pip)
    (tmp_path / "out").mkdir()
    (tmp_path / WHEEL).write_bytes(b"the installed wheel")
    origin = {"url": f"file://{tmp_path}/{WHEEL}", "archive_info": {}}
    monkeypatch.setattr(autograder, "_distribution", lambda: _Installed(origin))
    assert autograder.running_wheel(tmp_path / "out").read_bytes() == b"the installed wheel" and asked == []
    monkeypatch.setattr(autograder, "_distribution", lambda: _Installed({}))  # from an index: no direct_url.json
    with pytest.raises(autograder.BundleError) as refused:
        autograder.running_wheel(tmp_path / "out")
    version = torchref.__version__
    assert asked[-1][-1] == f"handmade-torchref=={version}" and "download" in asked[-1]
    assert str(refused.value) == (
        f"cannot download handmade-torchref {version} (ERROR: No matching distribution found); "
        "pass the wheel with --wheel"
    )


def test_a_bundle_without_an_installed_torchref_or_with_a_missing_wheel_is_refused_in_one_line(tmp_path, monkeypatch):
    from torchref.grading import autograder

    missing = tmp_path / WHEEL
    with pytest.raises(autograder.BundleError, match=f"^--wheel must be an existing file, got {missing}$"):
        autograder.bundle(tmp_path / "b", "shallow", wheel=missing)
    with pytest.raises(autograder.BundleError, match="^--visibility must be one of visible, hidden, after_due_date"):
        autograder.bundle(tmp_path / "b", "shallow", visibility="sometimes")
    assert not (tmp_path / "b").exists()  # refused before anything is written
    monkeypatch.setattr(autograder.metadata, "packages_distributions", lambda: {})
    with pytest.raises(autograder.BundleError, match=r"^torchref is not installed as a distribution \(pip install it"):
        autograder.wheel_name()


def test_finish_puts_the_bundles_visibility_on_every_test_and_refuses_results_that_are_not_an_object(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"score": 2.0, "tests": [{"name": "dW1", "score": 1}, {"name": "db1", "score": 1}]}))
    doc = gradescope_valid(finish(results, 0, "after_published", 300))
    assert [t["visibility"] for t in doc["tests"]] == ["after_published", "after_published"] and doc["score"] == 2.0
    results.write_text("[]")  # JSON, but not Gradescope's object
    doc = gradescope_valid(finish(results, 0, "hidden", 300))
    assert doc["score"] == 0 and doc["tests"] == [] and "stopped with exit status 0" in doc["output"]
