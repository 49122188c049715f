"""The class report: pages read with an HTML parser, then index.html in a real headless browser."""

import json
from html.parser import HTMLParser

import pytest
from classroom import CRASH, INJECTION, SIGN, TANH, chromium, derivation, notebook

import torchref
from torchref import cli
from torchref.checker.report import FileReport
from torchref.checker.submission import Submission
from torchref.grading import classreport as html_report

CHECK = ["--model", "shallow", "--cases", "3", "--seed", "4", "--quiet"]


class Page(HTMLParser):
    """Tags with their attributes, the text of each element with an id, rows of tables, every script."""

    def __init__(self, text: str):
        super().__init__()
        self.tags, self.text, self.rows, self.scripts, self._ids, self._row, self._script = (
            [],
            [],
            [],
            [],
            [],
            None,
            False,
        )
        self.by_id: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self._ids.append([attrs["id"], tag, ""])
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")
        self._script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if self._ids and self._ids[-1][1] == tag:
            ident, _, text = self._ids.pop()
            self.by_id[ident] = text
        self._script = False

    def handle_data(self, data):
        self.text.append(data)
        if self._script:
            self.scripts.append(data)
        for item in self._ids:
            item[2] += data
        if self._row:
            self._row[-1] += data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A folder of mixed submissions, flat: .py and .ipynb, right, wrong, crashing, broken, not a submission."""
    root = tmp_path_factory.mktemp("class")
    (root / "alice.py").write_text(derivation())
    (root / "bob.ipynb").write_text(notebook(derivation(TANH)))
    (root / "carol.py").write_text(derivation(CRASH))
    (root / "dan.py").write_text(derivation(SIGN))
    (root / "erin.py").write_text(derivation(TANH))
    (root / f"{INJECTION}.py").write_text(derivation(TANH))
    (root / "frank.ipynb").write_text("{ this is not a notebook")
    (root / "photo.png").write_bytes(b"\x89PNG\r\n")
    out = root.parent / "report"
    status = cli.main(["check", str(root), *CHECK, "--html", str(out)])
    assert status == 2
    return root, out


def test_every_submission_has_a_row_and_a_page(built):
    root, out = built
    index = Page((out / "index.html").read_text())
    table = [r for r in index.rows if len(r) == 9][1:]  # the submissions table, without its header
    assert sorted(r[1] for r in table) == sorted(p.name for p in root.iterdir())
    links = [a["href"] for tag, a in index.tags if tag == "a" and a.get("href", "").startswith("s/")]
    pages = sorted(set(links))
    assert len(pages) == 8 and all((out / p).is_file() for p in pages)
    assert index.by_id["count-pass"].startswith("1") and index.by_id["count-wrong"].startswith("5")
    assert index.by_id["count-unusable"].startswith("1") and index.by_id["count-skipped"].startswith("1")
    doc = json.loads((out / "report.json").read_text())
    assert len(doc["files"]) == 8 and doc["counts"] == {"pass": 1, "wrong": 5, "unusable": 1, "skipped": 1}
    assert {f["name"]: f["score"] for f in doc["files"]}["erin.py"] == 2.0


def test_the_mistakes_are_ranked_and_their_counts_add_up(built):
    _, out = built
    index = Page((out / "index.html").read_text())
    counts = [int(a["data-count"]) for tag, a in index.tags if tag == "li" and "mistake" in a.get("class", "")]
    assert counts == sorted(counts, reverse=True) and sum(counts) == 5  # every wrong submission, once
    doc = json.loads((out / "report.json").read_text())
    top = doc["mistakes"][0]
    assert top["count"] == 3 and sorted(top["files"]) == sorted(["bob.ipynb", "erin.py", f"{INJECTION}.py"])
    assert "tanh′ written as 1 − A instead of 1 − A²" in top["cause"]
    assert [m["count"] for m in doc["mistakes"]] == counts
    assert {"figure-scores", "figure-mistakes"} <= {a.get("id") for tag, a in index.tags if tag == "img"}


def test_a_learners_html_stays_text(built):
    _, out = built
    for page in [out / "index.html", *sorted((out / "s").iterdir())]:
        parsed = Page(page.read_text())
        imgs = [a for tag, a in parsed.tags if tag == "img"]
        assert all("onerror" not in a for a in imgs), page  # the file name never became a tag
        assert all("alert" not in script for script in parsed.scripts)
    index = Page((out / "index.html").read_text())
    assert f"{INJECTION}.py" in "".join(index.text)


def test_a_submission_page_marks_the_learners_line_and_shows_their_code(built):
    _, out = built
    doc = json.loads((out / "report.json").read_text())
    carol = next(f for f in doc["files"] if f["name"] == "carol.py")
    page = Page((out / carol["page"]).read_text())
    marked = [a for tag, a in page.tags if tag == "tr" and a.get("class") == "mark"]
    assert len(marked) == 1 and page.by_id["marked"].startswith("26")
    assert "assert m == 1, 'only one example'" in page.by_id["marked"]
    dW1 = next(row for row in page.rows if row[0] == "dW1")
    assert dW1[1:4] == ["ok", "2/6", "0/2"]  # returned where m = 1 (2 of the 6 cases): it raised in the others
    bob = next(f for f in doc["files"] if f["name"] == "bob.ipynb")
    text = "".join(Page((out / bob["page"]).read_text()).text)
    assert "cell 4, line 7" in text and "dZ1 = dA1 * (1 - A1)" in text and "SystemExit" not in text


def test_the_small_case_and_the_printed_output_are_shown_and_hide_values_leaves_the_values_out(tmp_path):
    path = tmp_path / "amy.py"
    path.write_text(derivation(TANH) + "print('debug: <b>dZ1</b>')\n")
    report = torchref.check(path, "shallow", cases=3, seed=4)  # judged, not built by hand
    entry = Submission.from_bytes(path, path.read_bytes(), "shallow", "amy")
    html_report.write(tmp_path / "shown", [entry], [report], tmp_path, "shallow")
    page = Page((tmp_path / "shown" / "s" / "0001.html").read_text())
    small = page.by_id["small-case"]
    assert "the reference's dZ1 =" in small and "your dZ1 =" in small and "first difference at dZ1[" in small
    expected = next(t for t in report.tensors if t.name == "dZ1").small_case["expected"]["dZ1"]
    assert f"{expected[0][0]:.5f}"[:6] in small  # the reference's own number
    assert "debug: <b>dZ1</b>" in page.by_id["stdout"]
    html_report.write(tmp_path / "hidden", [entry], [report], tmp_path, "shallow", hide=True)
    text = (tmp_path / "hidden" / "s" / "0001.html").read_text()
    assert "small-case" not in text and "the reference's dZ1" not in text


def test_index_html_in_a_headless_browser_shows_the_summary_and_sorts_by_a_column(built):
    from selenium.webdriver.common.by import By

    _, out = built
    browser = chromium()
    try:
        browser.get((out / "index.html").as_uri())
        assert browser.find_element(By.ID, "count-pass").text.split() == ["1", "passed"]
        assert browser.find_element(By.ID, "count-wrong").text.split() == ["5", "wrong"]
        assert browser.find_element(By.ID, "mistakes").is_displayed()

        def column(n):
            return [
                r.find_elements(By.TAG_NAME, "td")[n].text
                for r in browser.find_elements(By.CSS_SELECTOR, "#submissions tbody tr")
            ]

        files = column(1)
        assert files == sorted(files)  # the folder's order
        score = browser.find_element(By.XPATH, "//table[@id='submissions']//th[text()='score']")
        score.click()
        ascending = column(2)
        assert ascending[0] == "" and ascending[-1] == "4 / 4" and column(1) != files
        score.click()
        assert column(2)[0] == "4 / 4" and column(1)[0] == "alice.py"
        browser.find_element(By.XPATH, "//table[@id='submissions']//th[text()='file']").click()
        assert column(1) == files
        browser.get((out / "s" / "0001.html").as_uri())
        assert browser.find_element(By.TAG_NAME, "h1").text == f"{INJECTION}.py"  # text, not an image
        erin = next(f for f in json.loads((out / "report.json").read_text())["files"] if f["name"] == "erin.py")
        browser.get((out / erin["page"]).as_uri())
        small = browser.find_element(By.ID, "small-case")
        assert small.is_displayed()
        assert "the reference's dZ1 =" in small.text and "your dZ1 =" in small.text
        assert "first difference at dZ1[" in small.text
    finally:
        browser.quit()


def test_mistakes_group_by_their_catalogue_name_before_their_text():
    def wrong(name, cause, mistake=""):
        return FileReport(name, "shallow", verdict="wrong", first_wrong="dZ1", cause=cause, mistake=mistake)

    reports = [
        wrong("a.py", "σ′ used for tanh′ (in dZ1)", "sigma-prime-for-tanh-prime"),
        wrong("b.py", "σ′ used for tanh′", "sigma-prime-for-tanh-prime"),
        wrong("c.py", "you computed dZ1 = dA1"),
        wrong("d.py", "you computed dZ1 = dA1"),
        wrong("e.py", "you computed dZ1 = dA1 ⊙ A1"),
        FileReport("f.py", "shallow"),
    ]
    ranked = html_report.mistakes(reports)
    assert [(key, members) for key, _, members in ranked] == [
        ("sigma-prime-for-tanh-prime", [0, 1]),
        ("you computed dZ1 = dA1", [2, 3]),
        ("you computed dZ1 = dA1 ⊙ A1", [4]),
    ]
    assert ranked[0][1] == "at dZ1: σ′ used for tanh′ (in dZ1)"


def test_a_mistake_group_names_each_members_own_link_and_cause(tmp_path):
    """The same catalogue mistake at two links: the group does not say the first file's link for both."""
    causes = {"dW1": "dW1 lacks the 1/m of the mean loss", "dW2": "dW2 lacks the 1/m of the mean loss"}
    reports, entries = [], []
    for who, link in (("amy", "dW1"), ("ben", "dW2")):
        path = tmp_path / f"{who}.py"
        path.write_text(derivation())
        entries.append(Submission.from_bytes(path, path.read_bytes(), "shallow", who))
        backward = {"name": "backward", "status": "judged", "verdict": "wrong", "cases": 4}
        said = {"first_wrong": link, "cause": causes[link], "mistake": "no-1/m"}
        reports.append(
            FileReport(str(path), "shallow", verdict="wrong", pieces=[backward], first_wrong_piece="backward", **said)
        )
    (_, text, members), *_ = html_report.mistakes(reports)
    assert members == [0, 1] and "at dW1:" not in text and "dW1" in text and "dW2" in text
    html_report.write(tmp_path / "out", entries, reports, tmp_path, "shallow")
    index = Page((tmp_path / "out" / "index.html").read_text())
    group = index.by_id["mistakes"]
    assert f"amy.py at dW1: {causes['dW1']}" in group and f"ben.py at dW2: {causes['dW2']}" in group
    # the functions' table groups them the same way: neither is listed under the other's link
    pieces = index.by_id["pieces"]
    assert "2: no-1/m (at dW1, dW2)" in pieces and f"2: {causes['dW1']}" not in pieces
    assert f"amy.py at dW1: {causes['dW1']}" in pieces and f"ben.py at dW2: {causes['dW2']}" in pieces
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    own = [f"at {k}: {v}" for k, v in causes.items()]
    assert [m["cause"] for m in doc["mistakes"][0]["members"]] == own
    (piece,) = doc["pieces"][0]["mistakes"]
    assert piece["cause"] == "no-1/m (at dW1, dW2)" and [m["cause"] for m in piece["members"]] == own


def test_the_index_and_the_page_say_which_files_another_student_handed_in_too(tmp_path):
    """A fact for the teacher beside the verdict (which the maths decides): listed, in the table, on the page."""
    entries, reports = [], []
    for who, other in (("amy", "ben"), ("ben", "amy"), ("cat", "")):
        path = tmp_path / who / "hw3.py"
        path.parent.mkdir()
        path.write_text(derivation(TANH) if who == "cat" else derivation())
        entries.append(Submission.from_bytes(path, path.read_bytes(), "shallow", who))
        same = [{"student": other, "file": f"{other}/hw3.py", "same": "bytes"}] if other else []
        reports.append(FileReport(str(path), "shallow", student=who, same_source_as=same))
    html_report.write(tmp_path / "out", entries, reports, tmp_path, "shallow")
    index = Page((tmp_path / "out" / "index.html").read_text())
    said = index.by_id["same-source"]
    assert "amy/hw3.py: the same bytes as ben/hw3.py" in said and "ben/hw3.py: the same bytes as amy/hw3.py" in said
    assert "cat" not in said
    head, *rows = [row for row in index.rows if row and row[0] in ("student", "amy", "ben", "cat")]
    column = {row[0]: row[head.index("same source")] for row in rows}
    assert column == {"amy": "the same bytes as ben/hw3.py", "ben": "the same bytes as amy/hw3.py", "cat": ""}
    page = Page((tmp_path / "out" / "s" / "0001.html").read_text())
    assert ["same source", "the same bytes as ben/hw3.py"] in page.rows
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert doc["files"][0]["same_source_as"] == [{"student": "ben", "file": "ben/hw3.py", "same": "bytes"}]
