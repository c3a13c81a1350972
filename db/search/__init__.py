"""Ranked full-text search over article titles and paragraphs, on SQLite and PostgreSQL.

``search`` lists the matching articles, best (or newest) first, each with a
snippet of its best paragraph, the matched words marked ``<mark>…</mark>``;
``rank_articles`` gives the ranking alone (``newsstore export QUERY`` uses
it). Both read FTS5 query syntax (words, "phrases", prefix*, AND/OR/NOT,
NEAR) and take ``db.filters.ArticleFilters``. The work is the engine's:
``fts5`` (SQLite's FTS5 indexes, bm25) or ``postgres`` (tsvector columns,
ts_rank); what both share is in ``common``. This module picks the engine
by the session's dialect, and builds the hits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.errors import describe
from db.filters import ArticleFilters
from db.search import fts5, postgres
from db.search.collapse import one_per_story, stories_of
from db.search.common import (
    MARK,
    MAX_LIMIT,
    TITLE_WEIGHT,
    SearchError,
    SearchHit,
    query_error,
    split_terms,
)

__all__ = [
    "MARK",
    "MAX_LIMIT",
    "TITLE_WEIGHT",
    "SearchError",
    "SearchHit",
    "rank_articles",
    "search",
    "split_terms",
]


class _Engine(Protocol):
    """What ``fts5`` and ``postgres`` each provide (the modules themselves are the engines)."""

    def rank_articles(
        self,
        session: Session,
        query: str,
        filters: ArticleFilters,
        *,
        limit: int | None,
        sort: str,
    ) -> list[tuple[int, str, str | None, Any, float]]: ...

    def snippets(
        self,
        session: Session,
        terms: list[str],
        article_ids: list[int],
        filters: ArticleFilters,
        per_article: int,
    ) -> dict[int, list[tuple[int, str]]]: ...

    def highlight_title(self, session: Session, terms: list[str], article_id: int) -> str: ...


def _engine(session: Session) -> _Engine:
    """The search engine for the session's database; ``SearchError`` where there is none."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgres
    if dialect != "sqlite":
        raise SearchError(f"full-text search is not available on {dialect}")
    return fts5


def rank_articles(
    session: Session,
    query: str,
    filters: ArticleFilters | None = None,
    *,
    limit: int | None = 20,
    sort: str = "relevance",
) -> list[tuple[int, str, str | None, str | None, float]]:
    """(id, title, source, published_at, rank) of the matching articles, best first.

    Lower ranks are better (bm25 is negative). ``limit=None`` returns them all.
    """
    filters = filters or ArticleFilters()
    return _engine(session).rank_articles(session, query, filters, limit=limit, sort=sort)


def search(
    session: Session,
    query: str,
    filters: ArticleFilters | None = None,
    *,
    limit: int = 20,
    sort: str = "relevance",
    per_article: int = 1,
    all_copies: bool = False,
) -> list[SearchHit]:
    """Articles matching ``query``, best first (or newest first with ``sort='newest'``).

    One article per story (its best-ranked; ``db.search.collapse``), the
    story's other matches counted in ``copies``; ``all_copies`` lists every
    article. ``per_article`` > 1 lists up to that many matching paragraphs of
    each article. Raises ``SearchError`` for a malformed query.
    """
    filters = filters or ArticleFilters()
    if all_copies:
        ranked = rank_articles(session, query, filters, limit=limit, sort=sort)
        story_of = stories_of(session, [r[0] for r in ranked])
        picked = [(r, story_of.get(r[0]), 0) for r in ranked]
    else:
        picked = [
            (row, story, copies)
            for row, story, copies in one_per_story(
                session,
                lambda n: rank_articles(session, query, filters, limit=n, sort=sort),
                limit,
            )
        ]
    ranked = [row for row, _, _ in picked]
    stories = {row[0]: (story, copies) for row, story, copies in picked}
    engine = _engine(session)
    terms, _ = split_terms(query)
    try:
        snippets = engine.snippets(session, terms, [r[0] for r in ranked], filters, per_article)
    except OperationalError as exc:
        if describe(exc) is not None:  # the database itself failed, not the query
            raise
        raise query_error(exc) from None
    hits = []
    for article_id, title, source, published, rank in ranked:
        published_at = (
            datetime.fromisoformat(published) if isinstance(published, str) else published
        )
        found: list[tuple[int | None, str]] = list(snippets.get(article_id, []))
        if not found:
            found = [(None, engine.highlight_title(session, terms, article_id))]
        for position, snippet in found[:per_article]:
            story, copies = stories[article_id]
            hits.append(
                SearchHit(
                    article_id,
                    title,
                    source,
                    published_at,
                    round(-rank, 4),
                    snippet,
                    position,
                    story,
                    copies,
                )
            )
    return hits
