"""The grading platforms' documented formats as JSON Schemas (written here from each platform's documentation) and
the checks their documentation adds beyond a schema: what a test of a platform's document validates it with; and
JSON itself as every language reads it."""

import json
from html.parser import HTMLParser

import jsonschema
import pytest

from torchref.grading import platforms


def strict_json(text: str):
    """`text` read as RFC 8259 JSON: no NaN, Infinity or -Infinity (Python's json writes and reads them, a
    browser's JSON.parse or jq refuses the whole document)."""

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


# PrairieLearn, "External grading", Grading results: score in [0, 1] (not needed when not gradable), gradable,
# format_errors (a string or a list of strings), message, output, images ({url, label} or a URL string), tests.
IMAGES = {
    "type": "array",
    "items": {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "required": ["url"],
                "properties": {"url": {"type": "string"}, "label": {"type": "string"}},
                "additionalProperties": False,
            },
        ]
    },
}
PRAIRIELEARN = {
    "type": "object",
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "format_errors": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "message": {"type": "string"},
        "output": {"type": "string"},
        "images": IMAGES,
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "points", "max_points"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "points": {"type": "number", "minimum": 0},
                    "max_points": {"type": "number", "minimum": 0},
                    "message": {"type": "string"},
                    "output": {"type": "string"},
                    "images": IMAGES,
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
    "if": {"properties": {"gradable": {"const": False}}, "required": ["gradable"]},
    "then": {"required": ["format_errors"]},
    "else": {"required": ["score"]},
}
# Coursera's custom graders: fractionalScore a number (not a boolean) in [0, 1], feedback, feedbackType HTML or TXT
COURSERA = {
    "type": "object",
    "required": ["fractionalScore", "feedback"],
    "properties": {
        "fractionalScore": {"type": "number", "minimum": 0, "maximum": 1},
        "feedback": {"type": "string"},
        "feedbackType": {"enum": ["HTML", "TXT"]},
    },
    "additionalProperties": False,
}
# CodeRunner's combinator template grader (its jobrunner and combinator_grader_outcome): a fraction in [0, 1]
# unless showoutputonly; only the fields of the outcome's `allowedfields` (fraction, prologuehtml, testresults,
# files, epiloguehtml, columnformats, showdifferences, showoutputonly, graderstate, instructorhtml), any other
# refused, bar the legacy feedbackhtml and feedback_html, which it reads as epiloguehtml; testresults a list of
# lists, the first row the headers; columnformats '%s' or '%h'; files maps file names to base64 contents
CODERUNNER = {
    "type": "object",
    "properties": {
        "fraction": {"type": "number", "minimum": 0, "maximum": 1},
        "prologuehtml": {"type": "string"},
        "epiloguehtml": {"type": "string"},
        "instructorhtml": {"type": "string"},
        "testresults": {"type": "array", "minItems": 1, "items": {"type": "array"}},
        "columnformats": {"type": "array", "items": {"enum": ["%s", "%h"]}},
        "showdifferences": {"type": "boolean"},
        "showoutputonly": {"type": "boolean"},
        "graderstate": {"type": "string"},
        "files": {"type": "object", "additionalProperties": {"type": "string"}},
        "feedbackhtml": {"type": "string"},
        "feedback_html": {"type": "string"},
    },
    "additionalProperties": False,
    "if": {"properties": {"showoutputonly": {"const": True}}, "required": ["showoutputonly"]},
    "else": {"required": ["fraction"]},
}
TAGS = {"p", "b", "code", "pre", "table", "tr", "th", "td"}  # all the markup the writers themselves write


def valid_prairielearn(doc: dict) -> dict:
    jsonschema.validate(doc, PRAIRIELEARN)
    assert platforms.size(doc) <= 1_000_000
    if doc.get("gradable", True):  # the score is the tests' points over their maximum
        points, top = sum(t["points"] for t in doc["tests"]), sum(t["max_points"] for t in doc["tests"])
        assert doc["score"] == pytest.approx(points / top)
    return doc


def valid_coursera(doc: dict) -> dict:
    jsonschema.validate(doc, COURSERA)
    assert doc["feedbackType"] == "HTML"
    markup(doc["feedback"])
    return doc


def valid_coderunner(doc: dict) -> dict:
    jsonschema.validate(doc, CODERUNNER)
    for name in ("prologuehtml", "epiloguehtml"):
        markup(doc.get(name, ""))
    table = doc.get("testresults")
    if table:
        head, *rows = table
        shown = [h for h in head if h not in ("iscorrect", "ishidden")]
        assert len(doc["columnformats"]) == len(shown)  # CodeRunner refuses a table whose formats do not match
        assert all(len(row) == len(head) for row in rows)
        at = head.index("iscorrect")
        assert all(row[at] in (0, 1) for row in rows)
    return doc


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.open = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.open.append(tag)
        assert not attrs, f"<{tag}> with attributes {attrs}"

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:] or 'nothing'}"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def markup(text: str) -> str:
    """The text an HTML field shows, after checking that its only markup is the writers' own, every tag closed
    in order (a document cut in the middle of an element would leave the rest of the page inside it)."""
    parser = _Tags()
    parser.feed(text)
    parser.close()
    assert parser.tags <= TAGS, parser.tags - TAGS
    assert not parser.open, f"left open: {parser.open}"
    return "".join(parser.text)
