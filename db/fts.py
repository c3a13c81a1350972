"""Keeping the full-text indexes in step with bulk writes (SQLite FTS5).

Triggers index single writes. A bulk writer instead wraps its inserts in
``bulk_indexing``: inside its transaction the insert triggers are paused
(``fts_control.deferred``), and the batch's rows are indexed with one
INSERT ... SELECT per index at the end, which FTS5 does several times faster.
The pause is set and cleared in the same transaction, so no other connection
ever sees it; a batch that fails is rolled back with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

_CHUNK = 900


@contextmanager
def bulk_indexing(session: Session) -> Iterator[Callable[[list[int]], None]]:
    """Pause the insert triggers; yields a function to register the article ids written."""
    if session.get_bind().dialect.name != "sqlite":
        yield lambda ids: None
        return
    written: list[int] = []
    session.execute(text("UPDATE fts_control SET deferred = 1"))
    yield written.extend
    for start in range(0, len(written), _CHUNK):
        ids = ", ".join(str(int(i)) for i in written[start : start + _CHUNK])
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
    session.execute(text("UPDATE fts_control SET deferred = 0"))
