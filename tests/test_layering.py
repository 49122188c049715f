"""The import graph keeps its layers: no cycle, the checker never reaches grading, nothing imports the CLI.

Every import statement counts, at the top of a module or inside a function (a deferred
import is still a dependency). `from a.b import c` is an edge to the module `a.b.c` when
it is one, else to the package `a.b`.
"""

import ast
from pathlib import Path

import torchref

ROOT = Path(torchref.__file__).resolve().parent


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = ["torchref", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """{module: the torchref modules it imports}, read from the source of every module under `root`."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py")) if "examples" not in p.parts}
    edges = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
                for alias in node.names:
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base)
        edges[name] = {m for m in found if m in paths and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_the_checker_never_imports_grading_or_the_command_line():
    edges = graph()
    reaching = {
        f"{m} -> {t}"
        for m, targets in edges.items()
        if m.startswith("torchref.checker")
        for t in targets
        if t.startswith(("torchref.grading", "torchref.cli"))
    }
    assert not reaching


def test_nothing_imports_the_command_line():
    edges = graph()
    assert {m for m, targets in edges.items() if "torchref.cli" in targets} <= {"torchref.__main__"}


def test_the_graph_reader_sees_a_cycle_and_a_deferred_import(tmp_path):
    """The reader itself, on a small package: a cycle through a function's import is found."""
    package = tmp_path / "torchref"
    (package / "checker").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "checker" / "__init__.py").write_text("from torchref.checker import a\n")
    (package / "checker" / "a.py").write_text("def f():\n    from torchref.checker.b import g\n")
    (package / "checker" / "b.py").write_text("from torchref.checker import a\nimport torchref.cli\n")
    (package / "cli.py").write_text("")
    edges = graph(package)
    assert edges["torchref.checker.a"] == {"torchref.checker.b"}
    assert ["torchref.checker.a", "torchref.checker.b"] in cycles(edges)
    assert "torchref.cli" in edges["torchref.checker.b"]
