"""The read API: what the CLI shows, callable from Python too.

Each function takes the caller's session and returns plain frozen dataclasses,
so results can be printed, serialised or compared without a live session.
Searching is ``db.search``, exporting ``db.export``, a statement of one's
own ``db.sql``; this module holds the rest: one article, counts, places.

    from db import open_session
    from db.queries import article_detail

    with open_session() as session:
        print(article_detail(session, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db import raw_dictionaries
from db.counts import read_counts
from db.filters import EVERYTHING, ArticleFilters
from db.models import (
    Article,
    ArticleLocation,
    Document,
    Location,
    Paragraph,
    Source,
    SourceParagraph,
)
from db.raw import unpack
from db.search import MAX_LIMIT
from db.stories import StoryMember, count_stories, story_members
from db.urls import sqlite_file


@dataclass(frozen=True)
class PlaceCount:
    name: str
    kind: str
    country_code: str | None
    latitude: float | None
    longitude: float | None
    role: str
    mentions: int


@dataclass(frozen=True)
class ParagraphRow:
    position: int
    kind: str
    text: str


@dataclass(frozen=True)
class ArticleDetail:
    id: int
    title: str
    source: str | None
    category: str | None
    published_at: datetime | None
    page_date: date | None
    page_temperature_c: float | None
    layout: str
    parser_version: str
    url: str | None
    revision: int
    language: str | None
    author: str | None
    document_id: int
    origin: str  # a file's path; for a web archive's record, ``ARCHIVE@OFFSET``
    translations: tuple[str, ...]
    places: tuple[PlaceCount, ...]
    paragraphs: tuple[ParagraphRow, ...]
    fetched_at: datetime | None = None  # a web archive's record: when it was fetched (UTC)
    record_id: str | None = None  # and its WARC-Record-ID
    story_id: int | None = None  # its story (``db.stories``)
    # The story's other articles, each related to the story's first ('first', 'update', 'copy').
    story: tuple[StoryMember, ...] = ()

    @property
    def body(self) -> list[str]:
        return [p.text for p in self.paragraphs if p.kind == "body"]


# Ids are 64-bit integers on both engines; a larger number names no article (and
# cannot even be sent to SQLite: OverflowError).
MAX_ID = 2**63 - 1


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    """Everything about one article, or None if there is no such article."""
    if not -MAX_ID - 1 <= article_id <= MAX_ID:
        return None
    row = session.execute(
        select(
            Article,
            Source.name,
            Source.category,
            Document.origin,
            Document.fetched_at,
            Document.record_id,
        )
        .join(Document, Document.id == Article.document_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id == article_id)
    ).first()
    if row is None:
        return None
    article, source, category, origin, fetched_at, record_id = row
    places = tuple(
        PlaceCount(loc.name, loc.kind, loc.country_code, loc.latitude, loc.longitude, role, n)
        for loc, role, n in session.execute(
            select(Location, ArticleLocation.role, ArticleLocation.mentions)
            .join(ArticleLocation, ArticleLocation.location_id == Location.id)
            .where(ArticleLocation.article_id == article_id)
            .order_by(ArticleLocation.role.desc(), ArticleLocation.mentions.desc(), Location.name)
        )
    )
    paragraphs = tuple(
        ParagraphRow(position, kind, text)
        for position, kind, text in session.execute(
            select(Paragraph.position, Paragraph.kind, Paragraph.text)
            .where(Paragraph.article_id == article_id)
            .order_by(Paragraph.position)
        )
    )
    return ArticleDetail(
        id=article.id,
        title=article.title,
        source=source,
        category=category,
        published_at=article.published_at,
        page_date=article.page_date,
        page_temperature_c=article.page_temperature_c,
        layout=article.layout,
        parser_version=article.parser_version,
        url=article.url,
        revision=article.revision,
        language=article.language,
        author=article.author,
        document_id=article.document_id,
        origin=origin,
        translations=tuple(sorted(t.language for t in article.translations)),
        places=places,
        paragraphs=paragraphs,
        fetched_at=fetched_at,
        record_id=record_id,
        story_id=article.story_id,
        story=tuple(
            m for m in story_members(session, article.story_id) if m.article_id != article.id
        ),
    )


def article_raw(session: Session, article_id: int) -> bytes | None:
    """The exact bytes of the document an article was read from (None: no such article).

    Decompressed (``db.raw``); ``RawCodecError`` for a stored row that cannot be read back.
    """
    row = session.execute(
        select(Document.raw, Document.raw_codec, Document.size)
        .join(Article, Article.document_id == Document.id)
        .where(Article.id == article_id)
    ).first()
    if row is None:
        return None
    return unpack(row.raw, row.raw_codec, row.size, raw_dictionaries.lookup(session))


def boilerplate_evidence(session: Session, article_id: int) -> dict[int, int]:
    """For the article's learned-boilerplate paragraphs: position -> articles of the source."""
    rows = session.execute(
        select(Paragraph.position, SourceParagraph.articles)
        .join(Article, Article.id == Paragraph.article_id)
        .join(
            SourceParagraph,
            (SourceParagraph.source_id == Article.source_id)
            & (SourceParagraph.text_hash == Paragraph.text_hash),
        )
        .where(Paragraph.article_id == article_id)
    )
    return {position: count for position, count in rows}


# --- stats -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    articles: int
    stories: int
    paragraphs: int
    by_source: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    documents: dict[str, int]


def stats(session: Session) -> Stats:
    """Counts for ``newsstore stats``: per source, per month of publication, per status.

    Read from the counts the store keeps as it writes (``db.counts``), not
    counted over every article, document and paragraph: a few hundred rows,
    whatever the size of the store.
    """
    kept = read_counts(session)
    return Stats(
        articles=kept.articles,
        stories=count_stories(session),
        paragraphs=kept.paragraphs,
        by_source=kept.by_source,
        by_month=kept.by_month,
        documents=kept.documents,
    )


def database_bytes(session: Session) -> int | None:
    """The database's size on disk: a SQLite file with its WAL, or a PostgreSQL database."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "postgresql":
        return int(session.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    path = sqlite_file(url)
    if path is None:
        return None
    # Named, not globbed: a file name may hold glob characters ('[', '*', '?').
    files = (path, Path(f"{path}-wal"))
    return sum(p.stat().st_size for p in files if p.is_file())


# --- plain SQL ---------------------------------------------------------------------------


# --- places ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceTotal:
    name: str
    kind: str
    country_code: str | None
    latitude: float | None
    longitude: float | None
    articles: int
    mentions: int


def top_places(
    session: Session,
    filters: ArticleFilters | None = None,
    *,
    kind: str | None = None,
    country: str | None = None,
    role: str = "mention",
    limit: int = 20,
) -> list[PlaceTotal]:
    """The places named in the most articles (of those ``filters`` lets through).

    ``kind`` and ``country`` choose places (a kind of place, an ISO country
    code); ``role`` counts the places the articles mention, or the cities
    of their pages (``"page"``).
    """
    params: dict[str, Any] = dict(role=role, limit=min(limit, MAX_LIMIT))
    chosen = (filters or ArticleFilters()).where(params)
    if chosen == EVERYTHING:
        # Every article: the links alone are counted, by place, and no article row is read.
        # (An article links to a place in one role once: the primary key.)
        counted = """SELECT al.location_id, count(*) AS articles, sum(al.mentions) AS mentions
                     FROM article_locations al WHERE al.role = :role
                     GROUP BY al.location_id"""
    else:
        counted = f"""SELECT al.location_id, count(DISTINCT a.id) AS articles,
                             sum(al.mentions) AS mentions
                      FROM article_locations al
                      JOIN articles a ON a.id = al.article_id
                      LEFT JOIN sources s ON s.id = a.source_id
                      WHERE {chosen} AND al.role = :role
                      GROUP BY al.location_id"""
    where = []
    if kind:
        where.append("l.kind = :kind")
        params["kind"] = kind
    if country:
        where.append("l.country_code = upper(:country)")
        params["country"] = country
    rows = session.execute(
        text(
            f"""SELECT l.name, l.kind, l.country_code, l.latitude, l.longitude,
                       t.articles, t.mentions
                FROM ({counted}) t
                JOIN locations l ON l.id = t.location_id
                WHERE {" AND ".join(where) or EVERYTHING}
                ORDER BY t.articles DESC, t.mentions DESC, l.name
                LIMIT :limit"""
        ),
        params,
    )
    return [PlaceTotal(*row) for row in rows]
