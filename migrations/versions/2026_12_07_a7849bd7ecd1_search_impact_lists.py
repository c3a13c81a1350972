"""Search impact lists: each common word's best articles, so that a search need not score them all.

Revision ID: a7849bd7ecd1
Revises: 9641a9fe9a20
Create Date: 2026-12-07 16:00:00

``search_terms`` (the words of ``paragraphs_fts`` in 10,000 paragraphs or more,
with their counts), ``search_impacts`` (per such word, its best articles and
their exact rank for it) and ``search_index`` (what they were built from) are
derived from the FTS5 indexes by ``db.search.impacts.rebuild`` (``newsstore db
reindex``). They are created empty: until they are built, and whenever an
article or paragraph was added after they were, search ranks exactly as before.
The FTS5 tables themselves are unchanged (their options were measured: see
README, Search). Autogenerate ignores these tables (db.migrate.include_object).
SQLite only: PostgreSQL ranks with its GIN indexes as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7849bd7ecd1"
down_revision: str | Sequence[str] | None = "9641a9fe9a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {
    "search_terms": """
        CREATE TABLE search_terms (
            term TEXT NOT NULL PRIMARY KEY,
            paragraphs INTEGER NOT NULL,
            articles INTEGER NOT NULL
        ) WITHOUT ROWID""",
    "search_impacts": """
        CREATE TABLE search_impacts (
            term TEXT NOT NULL,
            rank REAL NOT NULL,
            article_id INTEGER NOT NULL,
            PRIMARY KEY (term, rank, article_id)
        ) WITHOUT ROWID""",
    "search_index": """
        CREATE TABLE search_index (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            articles INTEGER NOT NULL,
            paragraphs INTEGER NOT NULL,
            built_at DATETIME NOT NULL
        )""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for sql in TABLES.values():
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        op.execute(f'DROP TABLE IF EXISTS "{name}"')
