"""Copy a whole newsstore database to another one (SQLite to PostgreSQL and back).

Rows are moved table by table in dependency order, in chunks, through
SQLAlchemy Core, keeping their ids, so links and raw documents arrive intact.
The target is brought to the current schema first and must hold no documents.
The full-text index of a SQLite target is rebuilt once at the end; on
PostgreSQL it is computed by the server, and the id sequences are moved past
the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import URL, func, insert, select, text

from db.base import Base, table_of
from db.counts import recount
from db.engine import make_engine
from db.migrate import ensure_current
from db.models import (
    Article,
    ArticleLocation,
    ArticleTranslation,
    Document,
    Location,
    LocationMention,
    Paragraph,
    RawDictionary,
    Source,
    SourceParagraph,
    Story,
    StoryBand,
    StorySetting,
    StorySignature,
)

# Parents before children; documents by id, so a duplicate follows its original.
ORDER: tuple[type[Base], ...] = (
    RawDictionary,  # before the documents compressed with them
    Document,
    Source,
    Location,
    Story,
    Article,
    StoryBand,
    StorySignature,
    Paragraph,
    ArticleTranslation,
    ArticleLocation,
    LocationMention,
    SourceParagraph,
    StorySetting,
)
CHUNK = 2000


class CopyError(Exception):
    """The copy cannot be made (a target that already holds data)."""


def copy_database(
    source_url: str | URL | None,
    target_url: str | URL,
    *,
    progress: Callable[[str, int, int], None] = lambda table, done, total: None,
) -> dict[str, int]:
    """Copy every row from ``source_url`` to ``target_url``; returns rows copied per table.

    Either may be a file path or a URL (as ``db.urls.resolve`` reads them);
    the source is only read, and never made.
    """
    source = make_engine(source_url, readonly=True)
    try:
        target = make_engine(target_url)
    except BaseException:
        source.dispose()
        raise
    copied: dict[str, int] = {}
    try:
        ensure_current(source, create=False)
        ensure_current(target)
        tables = [table_of(model) for model in ORDER]
        with source.connect() as reading, target.begin() as writing:
            if writing.scalar(select(func.count()).select_from(table_of(Document))):
                raise CopyError("the target database already holds documents")
            sqlite_target = writing.dialect.name == "sqlite"
            if sqlite_target:
                writing.execute(text("UPDATE fts_control SET deferred = 1"))
            for table in tables:
                total = int(reading.scalar(select(func.count()).select_from(table)) or 0)
                done = 0
                rows = reading.execution_options(yield_per=CHUNK).execute(
                    select(table).order_by(*table.primary_key.columns)
                )
                for part in rows.partitions(CHUNK):
                    writing.execute(insert(table), [dict(row._mapping) for row in part])
                    done += len(part)
                    progress(table.name, done, total)
                copied[table.name] = done
            if sqlite_target:
                for fts in ("paragraphs_fts", "articles_fts"):
                    writing.execute(text(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')"))
                writing.execute(text("UPDATE fts_control SET deferred = 0"))
            elif writing.dialect.name == "postgresql":
                for table in tables:
                    if "id" in table.columns:
                        writing.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
                            )
                        )
            recount(writing)  # stats' counts, from the rows copied
    finally:
        source.dispose()
        target.dispose()
    return copied
