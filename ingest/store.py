"""The one stage that writes: documents, articles, paragraphs, sources, places.

Everything here takes the caller's session and never commits; the pipeline
decides the transaction (a batch of documents) and each document gets a
savepoint of its own, so one failing document rolls back alone. Writes use
Core-style bulk ``insert()`` statements rather than the ORM unit of work,
which is many times slower on large loads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Insert, delete, func, insert, literal, select, tuple_, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from db.models import (
    Article,
    ArticleLocation,
    ArticleTranslation,
    Document,
    Location,
    LocationMention,
    Paragraph,
    Source,
    SourceParagraph,
)
from ingest.fingerprint import CONTENT_KINDS
from ingest.gazetteer import Place
from ingest.records import ArticleRecord, PreparedDocument

# A paragraph found in this many distinct articles of one source is boilerplate.
BOILERPLATE_MIN_ARTICLES = 3
BOILERPLATE = "boilerplate"


@dataclass(frozen=True)
class Outcome:
    """What storing one document did."""

    origin: str
    status: str  # 'ingested', 'duplicate', 'failed', or 'unchanged' (already stored)
    articles: int = 0
    error: str | None = None
    reason: str | None = None
    document_id: int | None = None
    warnings: tuple[str, ...] = ()  # bad records of a file whose other records were stored


class Store:
    """Writes prepared documents into the caller's session, caching sources and places."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._sources: dict[str, int] = {}
        self._locations: dict[str, int] = {}

    def stored(self, origin: str, sha256: str) -> Outcome | None:
        """What became of this very file with these very bytes, if it is already stored.

        A file stored as failed is reported as failed again (it still is), but
        not stored twice.
        """
        row = self.session.execute(
            select(Document.id, Document.status, Document.error)
            .where(Document.origin == origin, Document.sha256 == sha256)
            .limit(1)
        ).first()
        if row is None:
            return None
        if row.status == "failed":
            return Outcome(
                origin, "failed", error=row.error, reason="failed before", document_id=row.id
            )
        return Outcome(origin, "unchanged", document_id=row.id)

    def add(self, prepared: PreparedDocument) -> Outcome:
        """Store one document and its articles in a savepoint of its own."""
        try:
            with self.session.begin_nested():
                return self._add(prepared)
        except (IntegrityError, DataError) as exc:
            # The savepoint is gone, and with it anything cached inside it.
            self._sources.clear()
            self._locations.clear()
            failed = PreparedDocument(
                raw=prepared.raw,
                encoding=prepared.encoding,
                error=f"database refused it: {exc.orig}",
                reason="database error",
            )
            with self.session.begin_nested():
                return self._add(failed)

    def _add(self, prepared: PreparedDocument) -> Outcome:
        raw = prepared.raw
        if prepared.error is not None:
            doc_id = self._insert_document(prepared, "failed", error=prepared.error)
            return Outcome(raw.origin, "failed", 0, prepared.error, prepared.reason, doc_id)

        original = self._same_bytes(raw.sha256)
        new: list[ArticleRecord] = []
        for record in prepared.articles:
            earlier = self._document_with_content(record.content_hash)
            if earlier is None:
                new.append(record)
            elif original is None:
                original = earlier
        if not new:
            doc_id = self._insert_document(
                prepared, "duplicate", error=_bad_records(prepared), duplicate_of=original
            )
            return Outcome(
                raw.origin, "duplicate", 0, document_id=doc_id, warnings=prepared.warnings
            )

        doc_id = self._insert_document(prepared, "ingested", error=_bad_records(prepared))
        for record in new:
            self.insert_article(doc_id, record)
        return Outcome(
            raw.origin, "ingested", len(new), document_id=doc_id, warnings=prepared.warnings
        )

    def _same_bytes(self, sha256: str) -> int | None:
        """The first stored document with these bytes that holds (or repeats) articles."""
        row = self.session.execute(
            select(Document.id, Document.duplicate_of)
            .where(Document.sha256 == sha256, Document.status != "failed")
            .order_by(Document.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return int(row.duplicate_of or row.id)

    def _document_with_content(self, digest: str) -> int | None:
        return self.session.scalar(
            select(Article.document_id).where(Article.content_hash == digest)
        )

    def _insert_document(
        self,
        prepared: PreparedDocument,
        status: str,
        *,
        error: str | None = None,
        duplicate_of: int | None = None,
    ) -> int:
        raw = prepared.raw
        return self._new_id(
            insert(Document).values(
                origin=raw.origin,
                sha256=raw.sha256,
                size=raw.size,
                mtime=raw.mtime,
                encoding=prepared.encoding,
                format=prepared.format,
                raw=raw.raw,
                status=status,
                error=error,
                duplicate_of=duplicate_of,
            )
        )

    def insert_article(
        self, document_id: int, record: ArticleRecord, article_id: int | None = None
    ) -> int:
        """Insert one article with its paragraphs, translations and page place.

        ``article_id`` keeps an existing id (``reparse`` rewrites articles in place).
        """
        parsed = record.article
        source_id = self.source_id(parsed.source_name, parsed.source_category)
        location_id = self._page_place_id(record)
        values = dict(
            document_id=document_id,
            source_id=source_id,
            title=parsed.title,
            published_at=parsed.published_at,
            page_date=parsed.page_date,
            page_location_id=location_id,
            page_temperature_c=parsed.page_temperature_c,
            content_hash=record.content_hash,
            url=parsed.url,
            guid=parsed.guid,
            author=parsed.author,
            language=parsed.language,
            revision=self._next_revision(parsed.url, parsed.guid),
            layout=parsed.layout,
            parser_version=parsed.parser_version,
        )
        if article_id is not None:
            values["id"] = article_id
        article_id = self._new_id(insert(Article).values(**values))

        known = self._known_boilerplate(source_id, record) if source_id is not None else set()
        relabelled = {
            p.position for p in record.paragraphs if p.kind == "body" and p.text_hash in known
        }
        if record.paragraphs:
            self.session.execute(
                insert(Paragraph),
                [
                    dict(
                        article_id=article_id,
                        position=p.position,
                        kind=BOILERPLATE if p.position in relabelled else p.kind,
                        text=p.text,
                        text_hash=p.text_hash,
                    )
                    for p in record.paragraphs
                ],
            )
        if parsed.translations:
            self.session.execute(
                insert(ArticleTranslation),
                [
                    dict(article_id=article_id, language=lang)
                    for lang in dict.fromkeys(parsed.translations)
                ],
            )
        if location_id is not None:
            self.session.execute(
                insert(ArticleLocation).values(
                    article_id=article_id, location_id=location_id, role="page", mentions=1
                )
            )
        self._insert_mentions(article_id, record, skip=relabelled)
        if source_id is not None:
            self._learn_boilerplate(source_id, record)
        return article_id

    def _next_revision(self, url: str | None, guid: str | None) -> int:
        """1 for a URL (or feed guid) not seen before, else one more than its latest revision.

        Only new content reaches here: the same text at the same URL is a duplicate.
        """
        if not url and not guid:
            return 1
        same = Article.url == url if url else Article.guid == guid
        latest = self.session.scalar(select(func.max(Article.revision)).where(same))
        return int(latest or 0) + 1

    def source_id(self, name: str | None, category: str | None) -> int | None:
        """The id of the source called ``name``, created on first sight."""
        if not name:
            return None
        if name in self._sources:
            return self._sources[name]
        row = self.session.execute(
            select(Source.id, Source.category).where(Source.name == name)
        ).first()
        if row is None:
            source_id = self._new_id(insert(Source).values(name=name, category=category))
        else:
            source_id = int(row.id)
            if row.category is None and category:
                self.session.execute(
                    update(Source).where(Source.id == source_id).values(category=category)
                )
        self._sources[name] = source_id
        return source_id

    def place_id(self, place: Place) -> int:
        """The id of a place's ``locations`` row, created on first sight.

        A place is found by its gazetteer id, else by (name, kind, country code);
        a row made before the place could be resolved gains its coordinates.
        """
        key = place.gazetteer_id or f"{place.name}|{place.kind}|{place.country_code}"
        if key in self._locations:
            return self._locations[key]
        found = None
        if place.gazetteer_id:
            found = self.session.scalar(
                select(Location.id).where(Location.gazetteer_id == place.gazetteer_id).limit(1)
            )
        if found is None:
            code_matches = (
                Location.country_code.is_(None)
                if place.country_code is None
                else Location.country_code == place.country_code
            )
            row = self.session.execute(
                select(Location.id, Location.gazetteer_id).where(
                    Location.name == place.name, Location.kind == place.kind, code_matches
                )
            ).first()
            if row is not None:
                found = row.id
                if row.gazetteer_id is None and place.gazetteer_id is not None:
                    self.session.execute(
                        update(Location).where(Location.id == found).values(**_place_values(place))
                    )
        if found is None:
            found = self._new_id(insert(Location).values(**_place_values(place)))
        self._locations[key] = int(found)
        return int(found)

    def _page_place_id(self, record: ArticleRecord) -> int | None:
        """The page's city: resolved by the gazetteer, else kept by name as written."""
        name = record.article.page_location
        if not name:
            return None
        place = record.page_place or Place(
            name=name,
            kind="city",
            country_code=None,
            latitude=None,
            longitude=None,
            approximate=False,
            gazetteer_id=None,
        )
        return self.place_id(place)

    def _insert_mentions(self, article_id: int, record: ArticleRecord, skip: set[int]) -> None:
        """Store where the article names places, and how often it names each."""
        mentions = [m for m in record.mentions if m.position not in skip]
        if not mentions:
            return
        rows = [
            dict(
                article_id=article_id,
                location_id=self.place_id(m.place),
                paragraph_position=m.position,
                start_offset=m.start,
                end_offset=m.end,
                surface=m.surface,
            )
            for m in mentions
        ]
        self.session.execute(insert(LocationMention), rows)
        counts = Counter(row["location_id"] for row in rows)
        self.session.execute(
            insert(ArticleLocation),
            [
                dict(article_id=article_id, location_id=loc, role="mention", mentions=n)
                for loc, n in counts.items()
            ],
        )

    def _new_id(self, statement: Insert) -> int:
        """Run a single-row INSERT and return the new row's id."""
        table = statement.table
        return int(self.session.execute(statement.returning(table.c.id)).scalar_one())

    # --- boilerplate learned from the corpus ---------------------------------------------

    def _known_boilerplate(self, source_id: int, record: ArticleRecord) -> set[str]:
        """Hashes of this article's paragraphs that its source already repeats often enough.

        This article is one more occurrence, so a count of threshold - 1 is enough.
        """
        hashes = _content_hashes(record)
        if not hashes:
            return set()
        rows = self.session.execute(
            select(SourceParagraph.text_hash).where(
                SourceParagraph.source_id == source_id,
                SourceParagraph.text_hash.in_(hashes),
                SourceParagraph.articles >= BOILERPLATE_MIN_ARTICLES - 1,
            )
        )
        return set(rows.scalars())

    def _learn_boilerplate(self, source_id: int, record: ArticleRecord) -> None:
        """Count this article's paragraphs for its source; relabel those crossing the threshold.

        A paragraph that reaches the threshold is relabelled in every earlier
        article of the source too, so the order of ingest does not matter.
        """
        texts = {p.text_hash: p.text for p in record.paragraphs if p.kind in CONTENT_KINDS}
        if not texts:
            return
        rows = self.session.execute(
            select(SourceParagraph.text_hash, SourceParagraph.articles).where(
                SourceParagraph.source_id == source_id, SourceParagraph.text_hash.in_(texts)
            )
        )
        counts: dict[str, int] = {text_hash: n for text_hash, n in rows}
        if counts:
            self.session.execute(
                update(SourceParagraph)
                .where(
                    SourceParagraph.source_id == source_id, SourceParagraph.text_hash.in_(counts)
                )
                .values(articles=SourceParagraph.articles + 1)
            )
        fresh = [h for h in texts if h not in counts]
        if fresh:
            self.session.execute(
                insert(SourceParagraph),
                [dict(source_id=source_id, text_hash=h, articles=1, text=texts[h]) for h in fresh],
            )
        crossed = [h for h, n in counts.items() if n + 1 == BOILERPLATE_MIN_ARTICLES]
        if crossed:
            mark_boilerplate(self.session, source_id, crossed)


def _bad_records(prepared: PreparedDocument) -> str | None:
    if not prepared.warnings:
        return None
    return f"{len(prepared.warnings)} bad records: " + "; ".join(prepared.warnings)


def _content_hashes(record: ArticleRecord) -> list[str]:
    return list({p.text_hash for p in record.paragraphs if p.kind in CONTENT_KINDS})


def mark_boilerplate(session: Session, source_id: int, hashes: Iterable[str]) -> None:
    """Relabel body paragraphs with these hashes, in all the source's articles, as boilerplate.

    Places named in those paragraphs stop counting as the articles' mentions.
    """
    targets = session.execute(
        select(Paragraph.article_id, Paragraph.position).where(
            Paragraph.kind == "body",
            Paragraph.text_hash.in_(list(hashes)),
            Paragraph.article_id.in_(select(Article.id).where(Article.source_id == source_id)),
        )
    ).all()
    if not targets:
        return
    pairs = [(article_id, position) for article_id, position in targets]
    session.execute(
        update(Paragraph)
        .where(tuple_(Paragraph.article_id, Paragraph.position).in_(pairs))
        .values(kind=BOILERPLATE)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(LocationMention)
        .where(tuple_(LocationMention.article_id, LocationMention.paragraph_position).in_(pairs))
        .execution_options(synchronize_session=False)
    )
    recount_mentions(session, {article_id for article_id, _ in pairs})


def recount_mentions(session: Session, article_ids: Iterable[int]) -> None:
    """Derive the articles' 'mention' links again from their stored mentions."""
    ids = list(article_ids)
    session.execute(
        delete(ArticleLocation)
        .where(ArticleLocation.article_id.in_(ids), ArticleLocation.role == "mention")
        .execution_options(synchronize_session=False)
    )
    counted = (
        select(
            LocationMention.article_id,
            LocationMention.location_id,
            literal("mention"),
            func.count(),
        )
        .where(LocationMention.article_id.in_(ids))
        .group_by(LocationMention.article_id, LocationMention.location_id)
    )
    session.execute(
        insert(ArticleLocation).from_select(
            ["article_id", "location_id", "role", "mentions"], counted
        )
    )


def recount_boilerplate(session: Session, source_ids: Sequence[int] | None = None) -> None:
    """Rebuild the per-source paragraph counts from the stored paragraphs, then relabel.

    Used after ``reparse``, which may change paragraphs, so the counts are
    derived again from the data rather than patched.
    """
    scope = (
        Article.source_id.in_(source_ids)
        if source_ids is not None
        else Article.source_id.is_not(None)
    )
    session.execute(
        delete(SourceParagraph)
        .where(SourceParagraph.source_id.in_(select(Article.source_id).where(scope)))
        .execution_options(synchronize_session=False)
    )
    counted = (
        select(
            Article.source_id,
            Paragraph.text_hash,
            func.count(func.distinct(Article.id)),
            func.min(Paragraph.text),
        )
        .join(Article, Article.id == Paragraph.article_id)
        .where(scope, Paragraph.kind.in_(CONTENT_KINDS))
        .group_by(Article.source_id, Paragraph.text_hash)
    )
    session.execute(
        insert(SourceParagraph).from_select(["source_id", "text_hash", "articles", "text"], counted)
    )
    frequent = session.execute(
        select(SourceParagraph.source_id, SourceParagraph.text_hash).where(
            SourceParagraph.articles >= BOILERPLATE_MIN_ARTICLES,
            SourceParagraph.source_id.in_(select(Article.source_id).where(scope)),
        )
    )
    by_source: dict[int, list[str]] = {}
    for source_id, text_hash in frequent:
        by_source.setdefault(source_id, []).append(text_hash)
    for source_id, hashes in by_source.items():
        mark_boilerplate(session, source_id, hashes)


def _place_values(place: Place) -> dict[str, object]:
    return dict(
        name=place.name,
        kind=place.kind,
        country_code=place.country_code,
        latitude=place.latitude,
        longitude=place.longitude,
        approximate=place.approximate,
        gazetteer_id=place.gazetteer_id,
    )
