"""db/ as a library: no command-line packages, no import circles, imports at the top.

A Python user imports ``db`` without typer or rich. Its modules import each
other one way only, so that none has to hide an import inside a function;
the only imports left inside functions are Alembic's, which takes a third of
a second to import and is needed only to change a schema.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

DB = Path(__file__).resolve().parent.parent / "db"


def _modules() -> dict[str, ast.Module]:
    """Every module of db/, by dotted name, parsed."""
    found = {}
    for path in sorted(DB.rglob("*.py")):
        parts = path.relative_to(DB.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imported_at_the_top(module: ast.Module, known: set[str]) -> set[str]:
    """The modules of db/ that ``module`` imports when it is imported (not TYPE_CHECKING)."""
    imported = set()
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                imported.add(submodule if submodule in known else node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return imported & known


def test_db_imports_neither_typer_nor_rich() -> None:
    names = sorted(_modules())
    script = f"import json, sys; import {', '.join(names)}; print(json.dumps(list(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=DB.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert "sqlalchemy" in loaded  # the script did import db
    assert not loaded & {"typer", "rich", "click", "ingest"}


def test_no_import_circle_in_db() -> None:
    modules = _modules()
    graph = {
        name: _imported_at_the_top(tree, set(modules)) - {name} for name, tree in modules.items()
    }
    assert "db.search.fts5" in graph["db.search"]  # the graph is read, not empty

    def circle_from(start: str, path: list[str]) -> list[str] | None:
        for imported in sorted(graph[start]):
            if imported in path:
                return [*path[path.index(imported) :], imported]
            found = circle_from(imported, [*path, imported])
            if found:
                return found
        return None

    circles = [c for name in graph if (c := circle_from(name, [name]))]
    assert circles == []


def test_imports_inside_functions_are_alembic_only() -> None:
    inside = set()
    for name, tree in _modules().items():
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom) and node.module:
                        inside.add((name, node.module.split(".")[0]))
                    elif isinstance(node, ast.Import):
                        inside.update((name, a.name.split(".")[0]) for a in node.names)
    assert inside  # db.migrate imports Alembic where it needs it
    assert {package for _, package in inside} == {"alembic"}, sorted(inside)
