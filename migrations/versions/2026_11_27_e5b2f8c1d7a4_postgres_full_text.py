"""Full-text search on PostgreSQL: tsvector columns with GIN indexes over paragraphs and titles.

Revision ID: e5b2f8c1d7a4
Revises: d41e7c2a9f03
Create Date: 2026-11-27 00:05:00

What FTS5 does on SQLite (revisions c3f1a9d27b10 and d41e7c2a9f03), PostgreSQL
does with generated ``tsvector`` columns, kept up to date by the server itself,
and GIN indexes. The 'simple' configuration (lower-casing, no stemming) matches
how FTS5's unicode61 tokenizer treats words. Autogenerate ignores these
columns (db.migrate.include_object). PostgreSQL only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e5b2f8c1d7a4"
down_revision: str | Sequence[str] | None = "d41e7c2a9f03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column searched, tsvector column)
INDEXED = (("paragraphs", "text", "text_tsv"), ("articles", "title", "title_tsv"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, tsv in INDEXED:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {tsv} tsvector "
            f"GENERATED ALWAYS AS (to_tsvector('simple', {column})) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_{tsv} ON {table} USING gin ({tsv})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _column, tsv in INDEXED:
        op.execute(f"DROP INDEX ix_{table}_{tsv}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {tsv}")
