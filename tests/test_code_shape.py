"""The shape of the code itself: the rules issue 17 set, checked so that they stay true.

- ``db/`` is a library: it imports neither typer nor rich (the CLI is ``ingest.cli``).
- No function over 80 lines and no class over 300, docstrings included: past that, a
  reader cannot hold one idea at a time.
- No import circles between our modules, counting the imports inside functions too
  (an import put there to hide a circle still ties the two modules together), but not
  those under ``if TYPE_CHECKING:``, which never run.
- An import inside a function is there for start-up time, and says so in a comment on
  its line or just above it.

Read from the source with ``ast``, but for the first rule, which imports ``db`` in a
child process and looks at what it loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("db", "ingest")
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 300


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _imports(tree: ast.AST, *, top_level: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports of a module made when it is imported (``top_level``), or the others."""

    def visit(node: ast.AST, at_top: bool) -> Iterator[ast.Import | ast.ImportFrom]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                if at_top == top_level:
                    yield child
            elif _is_type_checking(child):
                continue  # never run
            else:
                inside = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                yield from visit(child, at_top and not inside)

    return visit(tree, True)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """Our modules that an import statement names (``from pkg import sub`` names ``pkg.sub``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if not str(MODULES[module]).endswith("__init__.py"):
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([node.module] if node.module else [])])
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    for name in names:
        while name and name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            yield name


def _graph() -> dict[str, set[str]]:
    """Which of our modules each imports, at import time or later (inside a function)."""
    return {
        module: {
            target
            for top_level in (True, False)
            for node in _imports(tree, top_level=top_level)
            for target in _targets(module, node)
        }
        for module, tree in TREES.items()
    }


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_there_are_no_import_circles() -> None:
    assert _circles(_graph()) == []


def test_the_data_layer_loads_no_cli_library() -> None:
    """Importing every module of ``db`` loads neither typer nor rich (nor ``ingest``)."""
    names = sorted(m for m in MODULES if m.split(".")[0] == "db")
    script = f"import json, sys; import {', '.join(names)}; print(json.dumps(list(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert "sqlalchemy" in loaded  # the script did import db
    assert not loaded & {"typer", "rich", "click", "ingest"}


def _too_long() -> Iterator[str]:
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            if lines > limit:
                yield f"{module}.{node.name}: {lines} lines"


def test_no_function_or_class_is_too_long() -> None:
    assert list(_too_long()) == []


def _silent_inner_imports() -> Iterator[str]:
    """Imports inside functions with no comment on their line or above their group."""
    for module, tree in TREES.items():
        lines = MODULES[module].read_text(encoding="utf-8").splitlines()
        for node in _imports(tree, top_level=False):
            last = (node.end_lineno or node.lineno) - 1
            said = "#" in lines[last]
            above = node.lineno - 2  # up over the imports just above it, to a comment
            while not said and above >= 0:
                line = lines[above].strip()
                said = line.startswith("#")
                if not line.startswith(("import ", "from ")):
                    break
                above -= 1
            if not said:
                yield f"{module}:{node.lineno}: {ast.unparse(node)}"


def test_imports_inside_functions_say_why() -> None:
    assert list(_silent_inner_imports()) == []
