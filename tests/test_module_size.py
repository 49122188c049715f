"""No module of the packages over 400 lines without the reason in its docstring (why it stays one module)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400


def test_every_long_module_says_why_it_is_one_module():
    unexplained = []
    for path in sorted([*(ROOT / "torchref").rglob("*.py"), *(ROOT / "handmade").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LIMIT:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not re.search(r"\b\d[\d,]* lines\b", doc):  # the paragraph that gives its length and why
            unexplained.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert not unexplained, f"over {LIMIT} lines, no reason in the module docstring: {unexplained}"
