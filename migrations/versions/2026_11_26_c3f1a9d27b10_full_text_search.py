"""Full-text search: FTS5 indexes over paragraph text and article titles, and two views.

Revision ID: c3f1a9d27b10
Revises: a85c57580e0c
Create Date: 2026-11-26 22:57:00

The FTS tables follow the sqlite-utils/Datasette convention (external content,
``content="paragraphs"`` in double quotes, triggers named ``<table>_ai/_ad/_au``)
so Datasette offers search on these tables with no configuration. They are
filled for the rows already there. Autogenerate ignores them (migrations/env.py).
SQLite only: other databases get their own full-text revision.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3f1a9d27b10"
down_revision: str | Sequence[str] | None = "a85c57580e0c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (FTS table, content table, indexed column)
INDEXES = (("paragraphs_fts", "paragraphs", "text"), ("articles_fts", "articles", "title"))

VIEWS = {
    # One row per article with its source and its body text, paragraphs joined by blank lines.
    "article_texts": """
        CREATE VIEW article_texts AS
        SELECT a.id AS article_id, a.title, s.name AS source, s.category,
               a.published_at, a.page_date, d.origin,
               (SELECT group_concat(text, char(10) || char(10)) FROM (
                    SELECT p.text FROM paragraphs p
                    WHERE p.article_id = a.id AND p.kind = 'body' ORDER BY p.position)
               ) AS body
        FROM articles a
        JOIN documents d ON d.id = a.document_id
        LEFT JOIN sources s ON s.id = a.source_id
    """,
    # One row per article and place it names, with the place's details.
    "place_mentions": """
        CREATE VIEW place_mentions AS
        SELECT al.article_id, a.title, a.published_at, s.name AS source,
               l.id AS location_id, l.name AS place, l.kind, l.country_code,
               l.latitude, l.longitude, al.mentions
        FROM article_locations al
        JOIN articles a ON a.id = al.article_id
        JOIN locations l ON l.id = al.location_id
        LEFT JOIN sources s ON s.id = a.source_id
        WHERE al.role = 'mention'
    """,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts, table, column in INDEXES:
        op.execute(
            f'CREATE VIRTUAL TABLE "{fts}" USING fts5("{column}", content="{table}", '
            f'content_rowid="id", tokenize="unicode61 remove_diacritics 2")'
        )
        op.execute(
            f'CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" BEGIN '
            f'INSERT INTO "{fts}" (rowid, "{column}") VALUES (new.id, new."{column}"); END'
        )
        op.execute(
            f'CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" BEGIN '
            f'INSERT INTO "{fts}" ("{fts}", rowid, "{column}") '
            f'VALUES (\'delete\', old.id, old."{column}"); END'
        )
        op.execute(
            f'CREATE TRIGGER "{table}_au" AFTER UPDATE OF "{column}" ON "{table}" BEGIN '
            f'INSERT INTO "{fts}" ("{fts}", rowid, "{column}") '
            f'VALUES (\'delete\', old.id, old."{column}"); '
            f'INSERT INTO "{fts}" (rowid, "{column}") VALUES (new.id, new."{column}"); END'
        )
        op.execute(f"INSERT INTO \"{fts}\" (\"{fts}\") VALUES ('rebuild')")
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in VIEWS:
        op.execute(f'DROP VIEW IF EXISTS "{name}"')
    for fts, table, _column in INDEXES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_{suffix}"')
        op.execute(f'DROP TABLE IF EXISTS "{fts}"')
