"""Full-text indexing in bulk: insert triggers can be deferred while a batch is written.

Revision ID: d41e7c2a9f03
Revises: 6815ae1990d3
Create Date: 2026-11-26 23:20:00

FTS5 flushes its pending index data at the end of every statement, so a
trigger per inserted paragraph makes bulk loads 2-3 times slower than filling
the index with one INSERT ... SELECT per batch. The insert triggers now fire
only while ``fts_control.deferred`` is 0; ``newsstore ingest`` sets it to 1
inside its batch transaction, fills the index for the batch itself, and sets
it back before committing, so no other connection ever sees it set. Single
writes (a user's INSERT, UPDATE or DELETE) are indexed by the triggers as
before. SQLite only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d41e7c2a9f03"
down_revision: str | Sequence[str] | None = "6815ae1990d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (("paragraphs_fts", "paragraphs", "text"), ("articles_fts", "articles", "title"))


def _insert_trigger(fts: str, table: str, column: str, when: str) -> str:
    return (
        f'CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" {when}BEGIN '
        f'INSERT INTO "{fts}" (rowid, "{column}") VALUES (new.id, new."{column}"); END'
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE fts_control (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "deferred INTEGER NOT NULL DEFAULT 0)"
    )
    op.execute("INSERT INTO fts_control (id, deferred) VALUES (1, 0)")
    for fts, table, column in INDEXES:
        op.execute(f'DROP TRIGGER "{table}_ai"')
        when = "WHEN (SELECT deferred FROM fts_control) = 0 "
        op.execute(_insert_trigger(fts, table, column, when))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts, table, column in INDEXES:
        op.execute(f'DROP TRIGGER "{table}_ai"')
        op.execute(_insert_trigger(fts, table, column, ""))
    op.execute("DROP TABLE fts_control")
