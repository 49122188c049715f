"""PrairieLearn, Coursera and CodeRunner documents from one report, validated against each platform's documented
format (JSON Schemas written here from their documentation), escaped, within their limits, values hidden on demand."""

import copy
import json

import pytest
from classroom import INJECTION, TANH, derivation
from platform_formats import markup, valid_coderunner, valid_coursera, valid_prairielearn

import torchref
from torchref.checker.report import FileReport, TensorVerdict
from torchref.grading import platforms
from torchref.grading.platforms import coderunner, coursera, prairielearn
from torchref.grading.rubric import grade, graded, hide_values

WRITERS = [(prairielearn, valid_prairielearn), (coursera, valid_coursera), (coderunner, valid_coderunner)]


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """A right file and one with tanh′ written as 1 − A, judged for real, graded under the rubric."""
    root = tmp_path_factory.mktemp("submission")
    out = {}
    for name, text in (("right", derivation()), ("wrong", derivation(TANH))):
        (root / f"{name}.py").write_text(text)
        out[name] = grade(torchref.check(root / f"{name}.py", model="shallow", seed=3, cases=3))
    return root, out


def test_a_right_file_earns_the_whole_score_everywhere(judged):
    root, reports = judged
    right = [reports["right"]]
    pl = valid_prairielearn(prairielearn(right, root))
    assert pl["gradable"] is True and pl["score"] == 1.0
    assert [t["name"] for t in pl["tests"]] == ["dW2 (∂J/∂W2)", "db2 (∂J/∂b2)", "dW1 (∂J/∂W1)", "db1 (∂J/∂b1)"]
    assert pl["message"] == "right.py: PASS (14 cases: forward 8, backward 6)"
    assert valid_coursera(coursera(right, root))["fractionalScore"] == 1.0
    cr = valid_coderunner(coderunner(right, root))
    assert cr["fraction"] == 1.0
    links = [row[1] for row in cr["testresults"][1:]]
    assert links == [t.name for t in reports["right"].tensors] and "dZ1" in links  # one row per link of the chain
    assert all(row[0] == 1 for row in cr["testresults"][1:])


def test_a_wrong_file_scores_its_gradients_and_says_the_first_wrong_link(judged):
    root, reports = judged
    wrong = [reports["wrong"]]
    pl = valid_prairielearn(prairielearn(wrong, root))
    assert pl["score"] == 0.5  # dW2 and db2 right; dW1 and db1 follow from the wrong dZ1
    assert [t["points"] for t in pl["tests"]] == [1.0, 1.0, 0.0, 0.0]
    assert pl["message"].startswith("wrong.py: WRONG: first wrong link dZ1: tanh′ written as 1 − A")
    assert "your line: wrong.py:31  dZ1 = dA1 * (1 - A1)" in pl["output"]
    assert "the smallest failing case" in pl["output"]  # values shown unless hidden
    feedback = valid_coursera(coursera(wrong, root))
    assert feedback["fractionalScore"] == 0.5
    shown = markup(feedback["feedback"])
    assert "first wrong link dZ1" in shown and "dZ1 = dA1 * (1 - A1)" in shown
    cr = valid_coderunner(coderunner(wrong, root))
    assert cr["fraction"] == 0.5
    rows = {row[1]: row for row in cr["testresults"][1:]}
    assert rows["dZ1"][0] == 0 and rows["dZ1"][2] == "wrong" and "tanh′ written as 1 − A" in rows["dZ1"][4]
    assert rows["dW1"][0] == 0 and rows["dW1"][2] == "echo" and rows["dA1"][0] == 1


def test_hide_values_leaves_the_numbers_of_the_expected_values_out_of_every_document(judged):
    root, reports = judged
    wrong = reports["wrong"]
    first = next(t for t in wrong.tensors if t.name == "dZ1")
    expected = f"{first.small_case['first_difference']['expected']:.6g}"  # as the small case prints it
    for writer, valid in WRITERS:
        shown = json.dumps(valid(writer([wrong], root)), ensure_ascii=False)
        hidden = json.dumps(valid(writer([wrong], root, hide=True)), ensure_ascii=False)
        assert expected in shown and "smallest failing case" in shown, writer.__name__
        assert expected not in hidden and "smallest failing case" not in hidden, writer.__name__
        assert "Greatest absolute difference" not in hidden, writer.__name__
    assert first.small_case, "the writers hide a copy: the report itself keeps its values"


def test_hide_values_clears_the_small_case_of_the_report_too():
    report = FileReport("x.py", "shallow", "wrong", tensors=[TensorVerdict("dZ1", "wrong", small_case={"X": [[1.5]]})])
    assert hide_values(report).tensors[0].small_case == {}


def _unusable(sub, reason: str, **fields) -> FileReport:
    return grade(FileReport(str(sub / "hw.py"), "shallow", verdict="unusable", reason=reason, **fields))


def test_a_file_that_could_not_be_judged_is_not_gradable_on_prairielearn_and_scores_zero_elsewhere(tmp_path):
    error = "SyntaxError at hw.py:3: `def f(:`"
    report = _unusable(tmp_path, "SyntaxError at hw.py:3: invalid syntax", errors=[error])
    pl = valid_prairielearn(prairielearn([report], tmp_path))
    assert pl["gradable"] is False and "score" not in pl  # no attempt spent, nothing awarded
    assert pl["format_errors"] == ["hw.py: COULD NOT JUDGE: SyntaxError at hw.py:3: invalid syntax", error]
    feedback = valid_coursera(coursera([report], tmp_path))
    assert feedback["fractionalScore"] == 0 and "SyntaxError at hw.py:3" in markup(feedback["feedback"])
    cr = valid_coderunner(coderunner([report], tmp_path))
    assert cr["fraction"] == 0 and "testresults" not in cr and "invalid syntax" in markup(cr["prologuehtml"])


def test_a_submission_without_a_derivation_says_what_was_found(tmp_path):
    note = grade(FileReport(str(tmp_path / "notes.txt"), "shallow", verdict="skipped", reason="not a .py file"))
    pl = valid_prairielearn(prairielearn([note], tmp_path))
    assert pl["gradable"] is False and "(found: notes.txt)" in pl["format_errors"][0]
    assert valid_coursera(coursera([], tmp_path))["fractionalScore"] == 0
    assert "found: nothing" in markup(valid_coderunner(coderunner([], tmp_path))["prologuehtml"])


def test_several_files_the_best_counts_and_the_others_are_named(judged):
    root, reports = judged
    crashed = _unusable(root, "it timed out after 60 s")
    crashed.file = str(root / "scratch.py")
    both = [crashed, reports["wrong"], reports["right"]]
    pl = valid_prairielearn(prairielearn(both, root))
    assert pl["gradable"] is True and pl["score"] == 1.0 and pl["message"].startswith("right.py: PASS")
    assert "also found (not graded): scratch.py (COULD NOT JUDGE), wrong.py (2 of 4)" in pl["output"]
    # at one score, a wrong file's feedback counts before one that could not be judged
    zero = copy.deepcopy(reports["wrong"])
    zero.score = 0.0
    assert graded([crashed, zero]) is zero
    assert graded([crashed]) is crashed and graded([]) is None


def _hostile(sub) -> FileReport:
    """A wrong report whose every learner text carries markup (the file's name, its error, its output)."""
    tensors = [TensorVerdict("dZ1", "wrong", cases=2, failed=2, diagnosis=INJECTION)]
    return grade(
        FileReport(
            str(sub / f"{INJECTION}.py"),
            "shallow",
            verdict="wrong",
            first_wrong="dZ1",
            cause=f"you computed {INJECTION}",
            line=f"x.py:3  dZ1 = '{INJECTION}'",
            cases=2,
            tensors=tensors,
            errors=[f"case c1: ValueError: </pre><script>alert(1)</script>{INJECTION}"],
            stdout=f"</pre>{INJECTION}",
        )
    )


def test_learner_text_is_escaped_where_the_platform_reads_html_and_left_as_text_where_it_escapes(tmp_path):
    report = _hostile(tmp_path)
    feedback = markup(valid_coursera(coursera([report], tmp_path))["feedback"])  # no <img>, <script>, attribute
    assert feedback.count(INJECTION) >= 4 and "</pre><script>alert(1)</script>" in feedback
    cr = valid_coderunner(coderunner([report], tmp_path))
    assert INJECTION in markup(cr["prologuehtml"]) and "<script>alert(1)" in markup(cr["epiloguehtml"])
    assert cr["testresults"][1][4] == f"you computed {INJECTION}"  # a %s cell: CodeRunner escapes it itself
    pl = valid_prairielearn(prairielearn([report], tmp_path))
    assert INJECTION in pl["output"] and "&lt;" not in json.dumps(pl)  # PrairieLearn escapes: not escaped twice
    unusable = _unusable(tmp_path, INJECTION)
    assert INJECTION in markup(valid_coderunner(coderunner([unusable], tmp_path))["prologuehtml"])
    assert INJECTION in markup(valid_coursera(coursera([unusable], tmp_path))["feedback"])


def test_sizes_stay_within_each_platforms_limit(tmp_path):
    huge = _hostile(tmp_path)
    huge.stdout = "x" * 3_000_000
    huge.errors = ["e" * 400_000 for _ in range(3)]
    huge.tensors = [TensorVerdict(f"t{i}", "wrong", cases=2, failed=2, diagnosis="d" * 50_000) for i in range(40)]
    pl = valid_prairielearn(prairielearn([huge], tmp_path))
    assert "more characters cut" in pl["output"]
    limit = platforms.FEEDBACK_BYTES
    assert platforms.size(valid_coursera(coursera([huge], tmp_path))) <= limit
    cr = valid_coderunner(coderunner([huge], tmp_path))
    assert platforms.size(cr) <= limit and len(cr["testresults"]) == 41  # cut, but every link keeps its row


def _documents(reports, root):
    """Each writer's document for `reports`, validated (HTML well formed, in order), with its size limit."""
    limit = platforms.FEEDBACK_BYTES
    yield valid_prairielearn(prairielearn(reports, root)), platforms.PRAIRIELEARN_BYTES
    yield valid_coursera(coursera(reports, root)), limit
    yield valid_coderunner(coderunner(reports, root)), limit


def test_a_submission_that_could_not_be_judged_stays_within_each_platforms_limit(tmp_path):
    """The could-not-be-judged page has no table to drop: its lines are cut, and the verdict stays."""
    errors = [f"{tag}{'<' * 300_000}{tag * 100_000}" for tag in ("a", "b", "c")]  # 400k each, escaped ×4
    unusable = _unusable(tmp_path, "it raised" + "!" * 400_000, errors=errors)
    folder = [
        grade(FileReport(str(tmp_path / f"{i:04d}-{'long name ' * 20}.txt"), "shallow", "skipped", reason="not .py"))
        for i in range(3_000)
    ]
    for reports in ([unusable], folder, []):
        for document, limit in _documents(reports, tmp_path):
            assert platforms.size(document) <= limit
            shown = json.dumps(document, ensure_ascii=False)
            assert "COULD NOT JUDGE" in shown or "No .py or .ipynb file" in shown
    coursera_page = markup(coursera(folder, tmp_path)["feedback"])
    assert "0000-long name" in coursera_page and "more characters cut" in coursera_page
    assert "it raised!" in markup(coderunner([unusable], tmp_path)["prologuehtml"])


def test_the_details_give_way_whole_when_even_cut_lines_are_too_long(tmp_path):
    """Four lines cut to a rubric item's length can still pass the limit once escaped: then the verdict and one
    sentence, never an element cut in half."""
    unusable = _unusable(tmp_path, '"' * 400_000, errors=['"' * 400_000] * 3)  # each " is 6 bytes as &quot;
    for document, limit in _documents([unusable], tmp_path):
        assert platforms.size(document) <= limit
    page = markup(coursera([unusable], tmp_path)["feedback"])
    assert page.startswith("COULD NOT JUDGE") and "too long to show here" in page
    assert "too long to show here" in markup(coderunner([unusable], tmp_path)["prologuehtml"])


def test_fit_halves_the_longest_text_until_the_document_fits():
    doc = {"a": "a" * 5000, "b": ["b" * 3000, {"c": "c" * 100}]}
    platforms.fit(doc, 4000)
    assert platforms.size(doc) <= 4000 and doc["b"][1]["c"] == "c" * 100
    assert doc["a"].endswith("more characters cut)") and len(doc["a"]) < 5000
    with pytest.raises(ValueError, match="cannot be cut to 10 bytes"):
        platforms.fit({"k": "short"}, 10)
    html = {"prologuehtml": "<p>" + "p" * 5000 + "</p>", "cell": "c" * 3000}  # HTML is kept whole, text is cut
    platforms.fit(html, 6000, keep=("prologuehtml",))
    assert html["prologuehtml"].endswith("p</p>") and html["cell"].endswith("more characters cut)")


def test_no_platforms_document_names_the_student_who_handed_in_the_same_file(judged, tmp_path):
    """A learner reads these: that bob handed in the same file is the teacher's to read, not alice's."""
    from torchref.grading.writers import gradescope

    root, reports = judged
    for report in reports.values():
        alice = copy.deepcopy(report)
        alice.student = "alice"
        alice.same_source_as = [{"student": "bobby", "file": "bobby/hw3.py", "same": "file"}]
        assert "bobby" in alice.table()  # the report itself says it
        for writer in (prairielearn, coursera, coderunner, lambda r, root, hide=False: gradescope(r, root)):
            assert "bobby" not in json.dumps(writer([alice], root)), writer
