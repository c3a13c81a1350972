"""What ``reparse`` reads and writes, besides articles: stored documents, their status, sources.

``reparse`` re-derives articles from the stored bytes with the current
parsers; it writes through the store like ingest does, so there is one write
path. Rewriting an article's rows is ``ingest.store.rows``; what is read here
are the documents to reparse and their articles, and what is written is what
reparse decides that ingest does not: a failed document that now parses is
ingested, and a source takes the category the parsers read now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from db import counts
from db.base import table_of
from db.models import Article, Document, Paragraph, Source
from db.raw import RawCodecError, unpack
from db.raw_dictionaries import lookup
from ingest.records import ArchiveRecord, ArticleRecord, RawDocument
from ingest.store.boilerplate import uncount_article
from ingest.store.plan import RECORD_COLUMNS
from ingest.store.stories import delete_keys


@dataclass(frozen=True)
class StoredDocument:
    """A stored document to parse again: its id, its bytes, and whether it failed before."""

    id: int
    raw: RawDocument
    status: str
    # Why its stored bytes cannot be read back (``db.raw.RawCodecError``); None: they can.
    unreadable: str | None = None


def documents_to_reparse(session: Session) -> Iterator[StoredDocument]:
    """Every stored document but the duplicates (another holds their articles), oldest first.

    Read a few at a time (``REPARSE_CHUNK``), by ids taken first: the bytes of a whole
    store are never in memory at once, and no read stays open while reparse writes.
    """
    ids = list(
        session.scalars(
            select(Document.id).where(Document.status != "duplicate").order_by(Document.id)
        )
    )
    columns = (
        Document.id,
        Document.origin,
        Document.raw,
        Document.raw_codec,
        Document.size,
        Document.sha256,
        Document.status,
        *(getattr(Document, column) for column in RECORD_COLUMNS),
    )
    dictionaries = lookup(session)
    for start in range(0, len(ids), REPARSE_CHUNK):
        chunk = ids[start : start + REPARSE_CHUNK]
        rows = session.execute(
            select(*columns).where(Document.id.in_(chunk)).order_by(Document.id)
        ).all()
        for row in rows:
            unreadable = None
            try:
                raw = unpack(row.raw, row.raw_codec, row.size, dictionaries)
            except RawCodecError as exc:  # one damaged row: that document fails, not reparse
                raw, unreadable = b"", f"document {row.id}: {exc}"
            yield StoredDocument(
                id=row.id,
                raw=RawDocument(
                    origin=row.origin, raw=raw, sha256=row.sha256, record=_archive_record(row)
                ),
                status=row.status,
                unreadable=unreadable,
            )


# Documents read at once by ``documents_to_reparse``: a few, as each may be megabytes.
REPARSE_CHUNK = 16


def _archive_record(row: Any) -> ArchiveRecord | None:
    """What a web archive said of a stored record, as ingest read it (None for a file)."""
    if row.archive is None:
        return None
    return ArchiveRecord(
        archive=row.archive,
        offset=row.record_offset,
        record_id=row.record_id,
        url=row.url,
        fetched_at=row.fetched_at,
        content_type=row.content_type,
        payload_digest=row.payload_digest,
    )


def article_ids(session: Session, document_id: int) -> list[int]:
    """The ids of a document's stored articles, in the order they were written."""
    return list(
        session.scalars(
            select(Article.id).where(Article.document_id == document_id).order_by(Article.id)
        )
    )


def story_of(session: Session, article_id: int) -> int:
    """The story a stored article is in."""
    return int(session.scalars(select(Article.story_id).where(Article.id == article_id)).one())


def delete_article(session: Session, article_id: int) -> None:
    """Delete an article's row; its paragraphs, translations and places go with it (cascade).

    What it counted in (``db.counts``: its source, its month, its paragraphs) is taken away,
    its month read as ``db.counts.MONTH_SQL`` reads it when counting everything again. Its
    band keys go first (``story_bands`` has no index by article to cascade by), and its
    paragraphs leave its source's paragraph counts, which storing it again counts.
    """
    delete_keys(session, [article_id])
    uncount_article(session, article_id)
    articles = table_of(Article)
    row = session.execute(
        select(
            articles.c.source_id,
            text(counts.MONTH_SQL.format(column="articles.published_at")),
            select(func.count())
            .select_from(Paragraph)
            .where(Paragraph.article_id == article_id)
            .scalar_subquery(),
        ).where(articles.c.id == article_id)
    ).first()
    if row is None:
        return
    source_id, month, paragraphs = row
    change = {
        counts.source_key(source_id): -1,
        (counts.MONTH, month or counts.NONE): -1,
        (counts.PARAGRAPHS, counts.NONE): -int(paragraphs),
    }
    session.execute(delete(articles).where(articles.c.id == article_id))
    counts.add(session, change)


def set_ingested(session: Session, document_id: int) -> None:
    """Record a document that failed before as ingested, its error gone."""
    before = session.scalar(select(Document.status).where(Document.id == document_id))
    session.execute(
        update(Document).where(Document.id == document_id).values(status="ingested", error=None)
    )
    if before is not None and before != "ingested":
        counts.add(session, {(counts.STATUS, before): -1, (counts.STATUS, "ingested"): 1})


def recategorise(session: Session, record: ArticleRecord) -> None:
    """Give the article's source the category the parser reads now, when it reads one.

    Ingest keeps a source's first category; reparse is for reading everything
    again with the current parsers, so what they read wins.
    """
    parsed = record.article
    if parsed.source_name and parsed.source_category:
        session.execute(
            update(Source)
            .where(
                Source.name == parsed.source_name,
                Source.category.is_distinct_from(parsed.source_category),
            )
            .values(category=parsed.source_category)
            .execution_options(synchronize_session=False)
        )
