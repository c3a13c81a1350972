"""Keeping the full-text indexes in step with bulk writes (SQLite FTS5).

Triggers index single writes. A bulk writer instead wraps its inserts in
``bulk_indexing``: inside its transaction the two insert triggers are
dropped, and the batch's rows are indexed with one INSERT ... SELECT per
index at the end, which FTS5 does several times faster; then the triggers
are created again from their own stored SQL. All of it happens in the
writer's transaction, so no other connection ever sees the database without
them, and a batch that fails is rolled back with it. (Dropping them beats the
``fts_control.deferred`` switch their WHEN clause reads: even a trigger that
does nothing costs a subquery per row, which made inserting a paragraph
nearly twice as slow.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.in_lists import chunks

_INSERT_TRIGGERS = ("paragraphs_ai", "articles_ai")


@contextmanager
def bulk_indexing(session: Session) -> Iterator[Callable[[list[int]], None]]:
    """Drop the insert triggers; yields a function to register the article ids written."""
    if session.get_bind().dialect.name != "sqlite":
        yield lambda ids: None
        return
    written: list[int] = []
    triggers = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (:a, :b)"),
        dict(zip(("a", "b"), _INSERT_TRIGGERS, strict=True)),
    ).all()
    for name, _ in triggers:
        session.execute(text(f'DROP TRIGGER "{name}"'))
    yield written.extend
    for chunk in chunks(written):
        ids = ", ".join(str(int(i)) for i in chunk)
        session.execute(
            text(
                "INSERT INTO articles_fts (rowid, title) SELECT id, title FROM articles "
                f"WHERE id IN ({ids})"
            )
        )
        session.execute(
            text(
                "INSERT INTO paragraphs_fts (rowid, text) SELECT id, text FROM paragraphs "
                f"WHERE article_id IN ({ids})"
            )
        )
    for _, sql in triggers:
        session.execute(text(sql))
