"""db.descriptions: every table, view and column described once, and README written from it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

import db.models  # noqa: F401  (registers the tables)
from db.base import Base
from db.descriptions import (
    DESCRIPTIONS,
    MACHINERY,
    markdown_table,
    readme_with_tables,
    tables_in_readme,
)
from db.migrate import ensure_current
from db.session import make_engine

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_table_of_the_models_and_each_column_is_described() -> None:
    for table in Base.metadata.sorted_tables:
        assert table.name in DESCRIPTIONS, table.name
        assert not DESCRIPTIONS[table.name].view
        assert list(DESCRIPTIONS[table.name].columns) == [c.name for c in table.columns]


def test_every_view_and_table_of_a_new_database_is_described(db_url: str) -> None:
    """What the migrations make, views included, column for column and in order."""
    engine = make_engine(db_url)
    try:
        ensure_current(engine)
        with engine.connect() as connection:
            inspector = inspect(connection)
            views = set(inspector.get_view_names())
            for view in views:
                assert DESCRIPTIONS[view].view, view
                columns = [c["name"] for c in inspector.get_columns(view)]
                assert list(DESCRIPTIONS[view].columns) == columns, view
            tables = set(inspector.get_table_names())
            if connection.dialect.name == "sqlite":
                names = "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
                fts = set(connection.execute(text(names)).scalars())
                tables = {t for t in tables if not any(t.startswith(f) for f in fts)}
    finally:
        engine.dispose()
    described_views = {name for name, d in DESCRIPTIONS.items() if d.view}
    assert views >= {"article_list", "place_counts"}
    if engine.dialect.name == "sqlite":
        assert views == described_views
    assert tables <= set(DESCRIPTIONS) | set(MACHINERY)


def test_readme_tables_are_the_ones_this_module_writes() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_with_tables(readme) == readme, (
        "README's schema tables differ from db/descriptions.py: "
        "run 'python -m db.descriptions README.md'"
    )
    assert sorted(tables_in_readme(readme)) == sorted(DESCRIPTIONS)


def test_a_table_is_its_summary_then_one_row_per_column() -> None:
    lines = markdown_table("article_translations").splitlines()
    assert lines[0] == DESCRIPTIONS["article_translations"].summary
    assert lines[2:] == [
        "| column | meaning |",
        "| --- | --- |",
        "| `article_id` | the article |",
        "| `language` | the language offered |",
    ]


def test_a_changed_table_in_readme_is_written_again() -> None:
    stale = "x\n<!-- columns: sources -->\n| old |\n<!-- /columns -->\ny\n"
    assert readme_with_tables(stale) == (
        f"x\n<!-- columns: sources -->\n{markdown_table('sources')}\n<!-- /columns -->\ny\n"
    )
