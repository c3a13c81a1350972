"""Reading stories: the biggest, one story's articles, and how each relates to the first.

A story groups an article with its copies, republications and updated
versions (``ingest.store.stories`` makes them). Each member is related to
the story's first article: an **update** when it comes from the same source
or the same URL (a later version of one article), a **copy** when it comes
from another source; the first article itself is the **first**. The relation
is derived when read, from the columns it depends on, so it is never stale.

    from db import open_session
    from db.stories import biggest_stories

    with open_session() as session:
        for story in biggest_stories(session, limit=5):
            print(story.articles, story.title)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, true
from sqlalchemy.orm import Session

from db.models import Article, Source, Story

RELATIONS = ("first", "update", "copy")


@dataclass(frozen=True)
class StorySummary:
    """One story as ``newsstore stories`` lists it: its size, its sources, its times, its title."""

    id: int
    articles: int
    sources: int
    first_published_at: datetime | None
    last_published_at: datetime | None
    first_article_id: int
    title: str  # the first article's headline
    source_names: tuple[str, ...]  # the sources that carried it, by name


@dataclass(frozen=True)
class StoryMember:
    """An article of a story, related to the story's first article."""

    article_id: int
    title: str
    source: str | None
    published_at: datetime | None
    url: str | None
    similarity: float  # Jaccard similarity of its body with the first article's
    relation: str  # 'first', 'update' (same source or URL as the first) or 'copy'


def relation(
    article_id: int,
    first_id: int,
    source_id: int | None,
    first_source_id: int | None,
    url: str | None,
    first_url: str | None,
) -> str:
    """How an article relates to its story's first: 'first', 'update' or 'copy'.

    >>> relation(7, 3, 1, 1, None, None)
    'update'
    >>> relation(7, 3, 2, 1, "https://a.example/x", "https://b.example/x")
    'copy'
    """
    if article_id == first_id:
        return "first"
    same_source = source_id is not None and source_id == first_source_id
    same_url = url is not None and url == first_url
    return "update" if same_source or same_url else "copy"


def biggest_stories(
    session: Session, *, limit: int = 20, min_articles: int = 2
) -> list[StorySummary]:
    """The stories with the most articles (then the most sources, then the oldest first).

    Stories of fewer than ``min_articles`` are left out: with the default, an
    article without copies is not listed.
    """
    first = Article.__table__.alias("first")
    rows = session.execute(
        select(Story, first.c.title)
        .join(first, first.c.id == Story.first_article_id)
        .where(Story.articles >= min_articles)
        # Spelled as the partial index's own condition, so that the index is used.
        .where(text("stories.articles > 1") if min_articles >= 2 else true())
        .order_by(Story.articles.desc(), Story.sources.desc(), Story.id)
        .limit(limit)
    ).all()
    names: dict[int, list[str]] = {}
    ids = [story.id for story, _ in rows]
    if ids:
        for story_id, name in session.execute(
            select(Article.story_id, Source.name)
            .join(Source, Source.id == Article.source_id)
            .where(Article.story_id.in_(ids))
            .group_by(Article.story_id, Source.name)
            .order_by(Article.story_id, func.min(Article.id))
        ):
            names.setdefault(story_id, []).append(name)
    return [
        StorySummary(
            id=story.id,
            articles=story.articles,
            sources=story.sources,
            first_published_at=story.first_published_at,
            last_published_at=story.last_published_at,
            first_article_id=story.first_article_id,
            title=title,
            source_names=tuple(names.get(story.id, ())),
        )
        for story, title in rows
    ]


def story_members(session: Session, story_id: int) -> list[StoryMember]:
    """A story's articles, the first one first, then by time (undated last) and id."""
    story = session.get(Story, story_id)
    if story is None:
        return []
    rows = session.execute(
        select(
            Article.id,
            Article.title,
            Source.name,
            Article.source_id,
            Article.published_at,
            Article.url,
            Article.story_similarity,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.story_id == story_id)
        .order_by(Article.published_at.is_(None), Article.published_at, Article.id)
    ).all()
    first = next((r for r in rows if r.id == story.first_article_id), rows[0] if rows else None)
    if first is None:
        return []
    members = [
        StoryMember(
            article_id=r.id,
            title=r.title,
            source=r.name,
            published_at=r.published_at,
            url=r.url,
            similarity=float(r.story_similarity),
            relation=relation(r.id, first.id, r.source_id, first.source_id, r.url, first.url),
        )
        for r in rows
    ]
    members.sort(key=lambda m: m.relation != "first")
    return members


def story_of(session: Session, article_id: int) -> int | None:
    """The story an article belongs to (None: no such article)."""
    return session.scalar(select(Article.story_id).where(Article.id == article_id))


def count_stories(session: Session) -> int:
    """How many stories are stored (an article without copies is one)."""
    return int(session.scalar(select(func.count()).select_from(Story)) or 0)
