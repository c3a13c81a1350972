"""Re-derive articles from the stored raw documents with the current parsers.

Nothing is lost: raw bytes are never touched. An article whose parse did not
change is not written at all; one that changed is rewritten under the same id;
a document that failed before and parses now gains its articles. A document
that fails to reparse, in whatever way, keeps what is stored for it, and the
others go on (each is rewritten in a savepoint of its own).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from db.models import Article, Document, Location, LocationMention, Paragraph, Source
from ingest.prepare import prepare
from ingest.records import ArticleRecord, PreparedDocument, RawDocument
from ingest.store import (
    BOILERPLATE,
    Store,
    article_values,
    recount_boilerplate,
    whole_database,
)


@dataclass(frozen=True)
class ReparseResult:
    documents: int
    changed: int
    added: int
    unchanged: int
    failed: int


def reparse(engine: Engine) -> ReparseResult:
    """Reparse every stored document in one transaction (all or nothing)."""
    tally: Counter[str] = Counter()
    with Session(engine) as session, session.begin():
        store = Store(session)
        rows = session.execute(
            select(Document.id, Document.origin, Document.raw, Document.sha256, Document.status)
            .where(Document.status != "duplicate")
            .order_by(Document.id)
        ).all()
        for row in rows:
            tally["documents"] += 1
            prepared = prepare(RawDocument(origin=row.origin, raw=row.raw, sha256=row.sha256))
            if prepared.error is not None:
                tally["failed"] += 1  # articles already stored are kept: nothing is lost
                continue
            try:
                with session.begin_nested():
                    tally += _rewrite(session, store, row.id, row.status, prepared)
            except Exception as exc:
                if whole_database(exc):
                    raise  # no document's fault: see ingest.store
                store.forget()
                session.expunge_all()
                tally["failed"] += 1
        if tally["changed"] or tally["added"]:
            recount_boilerplate(session)
    return ReparseResult(
        *(tally[key] for key in ("documents", "changed", "added", "unchanged", "failed"))
    )


def _rewrite(
    session: Session, store: Store, document_id: int, status: str, prepared: PreparedDocument
) -> Counter[str]:
    """Bring one document's stored articles to what ``prepared`` holds; how many changed, ..."""
    counts: Counter[str] = Counter()
    existing = session.scalars(
        select(Article).where(Article.document_id == document_id).order_by(Article.id)
    ).all()
    for index, record in enumerate(prepared.articles):
        if index < len(existing):
            article = existing[index]
            if _same(session, article, record):
                counts["unchanged"] += 1
                continue
            article_id = article.id
            session.execute(delete(Article).where(Article.id == article_id))
            session.expunge(article)
            store.insert_articles([(document_id, record, article_id)])
            counts["changed"] += 1
        else:
            store.insert_articles([(document_id, record, None)])
            counts["added"] += 1
        _recategorise(session, record)
    if status == "failed":
        session.execute(
            update(Document).where(Document.id == document_id).values(status="ingested", error=None)
        )
    return counts


def _recategorise(session: Session, record: ArticleRecord) -> None:
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


def _same(session: Session, article: Article, record: ArticleRecord) -> bool:
    """Whether storing ``record`` would give ``article`` as it is."""
    parsed = record.article
    if article.content_hash != record.content_hash or any(
        getattr(article, column) != value for column, value in article_values(parsed).items()
    ):
        return False
    source = session.get(Source, article.source_id) if article.source_id else None
    if (source.name if source else None) != parsed.source_name:
        return False
    if source is not None and parsed.source_category not in (None, source.category):
        return False
    place = session.get(Location, article.page_location_id) if article.page_location_id else None
    if _place_key(place) != _new_place_key(record):
        return False
    if sorted(t.language for t in article.translations) != sorted(set(parsed.translations)):
        return False
    stored = session.execute(
        select(Paragraph.kind, Paragraph.text)
        .where(Paragraph.article_id == article.id)
        .order_by(Paragraph.position)
    ).all()
    if len(stored) != len(record.paragraphs):
        return False
    relabelled = set()
    for (kind, text), new in zip(stored, record.paragraphs, strict=True):
        if text != new.text:
            return False
        # Learned boilerplate is relabelled after parsing; a parser's 'body' may be stored as it.
        if kind == BOILERPLATE and new.kind == "body":
            relabelled.add(new.position)
        elif kind != new.kind:
            return False
    stored_mentions = session.execute(
        select(
            LocationMention.paragraph_position,
            LocationMention.start_offset,
            LocationMention.end_offset,
            Location.gazetteer_id,
        )
        .join(Location, Location.id == LocationMention.location_id)
        .where(LocationMention.article_id == article.id)
        .order_by(LocationMention.paragraph_position, LocationMention.start_offset)
    ).all()
    new_mentions = [
        (m.position, m.start, m.end, m.place.gazetteer_id)
        for m in record.mentions
        if m.position not in relabelled
    ]
    return [tuple(row) for row in stored_mentions] == new_mentions


def _place_key(place: Location | None) -> str | None:
    if place is None:
        return None
    return place.gazetteer_id or place.name


def _new_place_key(record: ArticleRecord) -> str | None:
    if record.page_place is not None:
        return record.page_place.gazetteer_id or record.page_place.name
    return record.article.page_location
