"""The read API: what the CLI shows, callable from Python too.

Each function takes the caller's session and returns plain frozen dataclasses,
so results can be printed, serialised or compared without a live session.

    from db import open_session
    from db.queries import article_detail

    with open_session() as session:
        print(article_detail(session, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Article,
    ArticleLocation,
    Document,
    Location,
    Paragraph,
    Source,
    SourceParagraph,
)


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
    document_id: int
    origin: str
    translations: tuple[str, ...]
    places: tuple[PlaceCount, ...]
    paragraphs: tuple[ParagraphRow, ...]

    @property
    def body(self) -> list[str]:
        return [p.text for p in self.paragraphs if p.kind == "body"]


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    """Everything about one article, or None if there is no such article."""
    row = session.execute(
        select(Article, Source.name, Source.category, Document.origin)
        .join(Document, Document.id == Article.document_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id == article_id)
    ).first()
    if row is None:
        return None
    article, source, category, origin = row
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
        document_id=article.document_id,
        origin=origin,
        translations=tuple(sorted(t.language for t in article.translations)),
        places=places,
        paragraphs=paragraphs,
    )


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
