"""The distribution: `python -m build` makes a wheel and an sdist holding every file the package reads, and the
wheel installed into a fresh virtual environment runs the learner's, the teacher's and the notebook's quick
starts from outside the source tree (slow: marked `wheel`; CI runs it)."""

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from wheel_env import ROOT, environ, fresh_venv, run

import torchref

pytestmark = pytest.mark.wheel
SHIPPED = ("torchref", "handmade")  # folders of the repository that the wheel installs (handmade as torchref_handmade)


def _package_files():
    """Every file of the repository's packages that git tracks, as the wheel names it."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *SHIPPED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    names = {line for line in listed.stdout.splitlines() if not line.endswith(".png")}  # the README's pictures
    assert any(name.endswith(".ipynb") for name in names)
    return names


def test_the_wheel_and_the_sdist_hold_every_file_of_the_packages(wheel):
    assert wheel.name == f"handmade_torchref-{torchref.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        metadata = archive.read(f"handmade_torchref-{torchref.__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"handmade_torchref-{torchref.__version__}.dist-info/entry_points.txt").decode()
    files = _package_files()
    missing = {name for name in files if name.replace("handmade/", "torchref_handmade/", 1) not in in_wheel}
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert "Name: handmade-torchref" in metadata and f"Version: {torchref.__version__}" in metadata
    assert "Provides-Extra: notebook" in metadata and "ipykernel" in metadata
    assert "torchref = torchref.cli:main" in entry_points
    (sdist,) = wheel.parent.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        prefix = f"handmade_torchref-{torchref.__version__}/"
        in_sdist = {name.removeprefix(prefix) for name in archive.getnames()}
    assert not files - in_sdist, f"not in the sdist: {sorted(files - in_sdist)}"
    assert not [name for name in in_sdist if name.startswith("tests/")]  # a part of the suite would not run there


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel and its notebook extra installed, and a folder outside the tree."""
    bin = fresh_venv(tmp_path_factory.mktemp("venv"), f"{wheel}[notebook]")
    return bin, tmp_path_factory.mktemp("outside")


def _in(venv, *argv, status=0, cwd=None):
    bin, outside = venv
    env = environ(PATH=f"{bin}:{environ()['PATH']}")
    done = run(argv, cwd=cwd or outside, env=env, check=False, timeout=600)
    assert done.returncode == status, f"{argv} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _shipped(venv, name):
    """A file shipped in torchref/examples, found as a user finds it: through the installed package."""
    code = f"import pathlib, torchref.examples as e; print(pathlib.Path(e.__file__).parent / {name!r})"
    return Path(_in(venv, "python", "-c", code).strip())


def test_the_installed_wheel_is_what_runs_and_names_its_version(venv):
    bin, _ = venv
    assert _in(venv, "torchref", "--version").strip() == f"torchref {torchref.__version__}"
    where = _in(venv, "python", "-c", "import torchref, torchref_handmade; print(torchref.__file__)")
    assert Path(where).resolve().is_relative_to(bin.parent.resolve()), where  # not this source tree
    assert _in(venv, "python", "-c", "import importlib.metadata as m; print(m.version('handmade-torchref'))").strip()


def test_verify_check_and_template_from_the_wheel(venv, tmp_path):
    out = _in(venv, "torchref", "verify", "--cases", "2", "--models", "logistic")
    assert "0 rows failed" in out
    example = _shipped(venv, "shallow_derivation.py")
    assert "PASS" in _in(venv, "torchref", "check", example, "--model", "shallow", "--cases", "2")
    out = _in(venv, "torchref", "template", "shallow", cwd=tmp_path)
    assert "wrote my_shallow.py" in out and "def backward" in (tmp_path / "my_shallow.py").read_text()


def test_the_notebook_api_from_the_wheel(venv):
    example = _shipped(venv, "shallow_derivation.py")
    code = (
        "import torchref\n"
        f"report = torchref.check({str(example)!r}, model='shallow', cases=2, seed=1)\n"
        "print(report.verdict, '<table' in report._repr_html_())\n"
        f"source = open({str(example)!r}).read().replace('1 - A1**2', '1 - A1')\n"
        "print(torchref.check(source=source, model='shallow', cases=2, seed=1).to_json()['first_wrong'])\n"
    )
    assert _in(venv, "python", "-c", code).split() == ["pass", "True", "dZ1"]


def test_a_class_run_and_its_report_from_the_wheel(venv, tmp_path):
    right = _shipped(venv, "shallow_derivation.py").read_text()
    for student, text in (("ann", right), ("bob", right.replace("1 - A1**2", "1 - A1"))):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "hw3.py").write_text(text)
    argv = ["torchref", "check", "class", "--recursive", "--model", "shallow", "--cases", "2", "--quiet"]
    out = _in(venv, *argv, "--html", "report", "--csv", "grades.csv", status=1, cwd=tmp_path)
    assert "1 passed, 1 wrong" in out
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["counts"] == {"pass": 1, "wrong": 1} and report["model"] == "shallow", report
    assert [row["verdict"] for row in sorted(report["files"], key=lambda row: row["name"])] == ["pass", "wrong"]
    assert "bob" in (tmp_path / "report" / "index.html").read_text()
    assert (tmp_path / "grades.csv").read_text().splitlines()[0].startswith("student,file,score")


def test_the_shipped_notebook_runs_in_the_kernel_registered_as_documented(venv, tmp_path, monkeypatch):
    """`python -m ipykernel install --user --name torchref` from the environment, then Jupyter picks that kernel."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))  # where --user installs kernels
    _in(venv, "python", "-m", "ipykernel", "install", "--user", "--name", "torchref", "--display-name", "torchref")
    nb = nbformat.read(_shipped(venv, "check_in_notebook.ipynb"), as_version=4)
    example = _shipped(venv, "shallow_derivation.py").read_text()
    nb.cells += [
        nbformat.v4.new_code_cell("%load_ext torchref"),
        nbformat.v4.new_code_cell(f"%%check shallow\n{example}"),
    ]
    client = NotebookClient(nb, timeout=300, kernel_name="torchref", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=environ())
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"], outputs
    where = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == 2 and ">WRONG<" in html[0] and "PASS" in where, (html, where)
    assert ">PASS<" in html[1]  # the cell magic
    assert sys.executable not in where


def test_the_gradescope_bundle_ships_the_wheel_this_install_came_from(venv, wheel, tmp_path):
    out = tmp_path / "bundle"
    _in(venv, "torchref", "autograder", "gradescope", "--model", "shallow", "--out", out)
    assert (out / wheel.name).read_bytes() == wheel.read_bytes()
