"""Ranked full-text search over article titles and paragraphs (SQLite FTS5).

Queries use FTS5 syntax: words, "phrases", prefix*, AND/OR/NOT, NEAR(...).
A query whose top level is a list of terms (``defectors Vladivostok``, the
same with AND, and NOT terms) matches at the article level: every term must
occur in the article's title or in one of its paragraphs, not necessarily the
same one, and no NOT term anywhere, because that is what people mean by
"articles that say X and Y". A query with OR or NEAR at its top level is
matched paragraph by paragraph (or against the title) as FTS5 reads it.

Ranking is bm25: per term, the best-matching paragraph plus the title, where
title hits weigh ``TITLE_WEIGHT`` times more. Each hit carries a snippet of
the best paragraph with the matched words marked ``<mark>…</mark>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.errors import describe

TITLE_WEIGHT = 3.0
MARK = ("<mark>", "</mark>")
# The most rows a LIMIT can ask for on either engine (a 64-bit integer): more is all.
MAX_LIMIT = 2**63 - 1


class SearchError(Exception):
    """A query that cannot be run: malformed FTS5 syntax, or no full-text index."""


@dataclass(frozen=True)
class SearchFilters:
    """Which articles may match. All are optional and combine with AND."""

    source: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    place: str | None = None  # a place name, or an ISO country code
    kind: str | None = "body"  # paragraph kind searched; None searches every kind


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str
    source: str | None
    published_at: datetime | None
    score: float
    snippet: str
    paragraph_position: int | None  # None when only the title matched


_TOKEN = re.compile(r'"[^"]*"|\([^)]*\)|NEAR\([^)]*\)|\S+')


def split_terms(query: str) -> tuple[list[str], list[str]]:
    """The query's top-level terms that must and must not occur in an article.

    A top level with OR or NEAR is kept whole, as one term matched paragraph by paragraph.

    >>> split_terms('defectors AND "Russian Far East" NOT China')
    (['defectors', '"Russian Far East"'], ['China'])
    >>> split_terms("defectors OR refugees")
    (['defectors OR refugees'], [])
    """
    tokens = _TOKEN.findall(query)
    if any(t == "OR" or t.startswith("NEAR(") for t in tokens):
        return [query.strip()], []
    wanted: list[str] = []
    unwanted: list[str] = []
    negate = False
    for token in tokens:
        if token == "AND":
            continue
        if token == "NOT":
            negate = True
            continue
        (unwanted if negate else wanted).append(token)
        negate = False
    if not wanted:  # "NOT x" alone is not a query FTS5 accepts either
        return [query.strip()] if query.strip() else [], []
    return wanted, unwanted


def filters_sql(filters: SearchFilters, params: dict[str, Any]) -> str:
    """A WHERE clause over ``articles a`` and ``sources s`` for ``filters``; fills ``params``."""
    clauses = []
    if filters.source:
        clauses.append("lower(s.name) = lower(:source)")
        params["source"] = filters.source
    if filters.since:
        clauses.append("a.published_at >= :since")
        params["since"] = filters.since.isoformat()
    if filters.until and filters.until < date.max:  # on or before the last day: no bound
        # Before the next day: published_at holds a time of day too.
        clauses.append("a.published_at < :until")
        params["until"] = (filters.until + timedelta(days=1)).isoformat()
    if filters.place:
        clauses.append(
            "EXISTS (SELECT 1 FROM article_locations al JOIN locations l ON l.id = al.location_id "
            "WHERE al.article_id = a.id AND (lower(l.name) = lower(:place) "
            "OR l.country_code = upper(:place)))"
        )
        params["place"] = filters.place
    return " AND ".join(clauses) if clauses else "1 = 1"


def rank_articles(
    session: Session,
    query: str,
    filters: SearchFilters | None = None,
    *,
    limit: int | None = 20,
    sort: str = "relevance",
) -> list[tuple[int, str, str | None, str | None, float]]:
    """(id, title, source, published_at, bm25 rank) of the matching articles, best first.

    Lower ranks are better (bm25 is negative). ``limit=None`` returns them all.
    """
    filters = filters or SearchFilters()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from db import search_pg

        return search_pg.rank_articles(session, query, filters, limit=limit, sort=sort)
    if dialect != "sqlite":
        raise SearchError(f"full-text search is not available on {dialect}")
    terms, unwanted = split_terms(query)
    if not terms:
        raise SearchError("empty query")
    params: dict[str, Any] = {"limit": -1 if limit is None else min(limit, MAX_LIMIT)}
    kind_sql = _kind_sql(filters, params)
    params.update({f"t{i}": term for i, term in enumerate(terms)})
    # Newest first needs no relevance to choose the articles: bm25 is then computed
    # for the chosen ones only, which spares scoring every match of a common word.
    scored = sort != "newest"
    ctes = _term_ctes(len(terms), kind_sql, scored=scored)
    excluded = []
    for j, term in enumerate(unwanted):
        params[f"n{j}"] = term
        excluded.append(
            f"""a.id NOT IN (
                SELECT p.article_id FROM paragraphs p
                WHERE p.id IN (SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH :n{j})
                  AND {kind_sql}
                UNION SELECT rowid FROM articles_fts WHERE articles_fts MATCH :n{j})"""
        )
    joins = " ".join(f"JOIN t{i} ON t{i}.article_id = t0.article_id" for i in range(1, len(terms)))
    rank = " + ".join(f"t{i}.rank" for i in range(len(terms)))
    order = "a.published_at DESC, rank" if sort == "newest" else "rank, a.published_at DESC"
    sql = f"""
        WITH {ctes}
        SELECT a.id, a.title, s.name, a.published_at, {rank} AS rank
        FROM t0 {joins}
        JOIN articles a ON a.id = t0.article_id
        LEFT JOIN sources s ON s.id = a.source_id
        WHERE {" AND ".join([filters_sql(filters, params), *excluded])}
        ORDER BY {order}
        LIMIT :limit
    """
    try:
        rows = [tuple(row) for row in session.execute(text(sql), params)]
        if not scored and rows:
            ranks = _ranks_of(session, len(terms), kind_sql, params, [r[0] for r in rows])
            rows = [(*row[:4], ranks.get(row[0], 0.0)) for row in rows]
    except OperationalError as exc:
        if describe(exc) is not None:  # the database itself failed, not the query
            raise
        raise SearchError(_explain_fts_error(exc)) from None
    return rows


def _term_ctes(count: int, kind_sql: str, *, scored: bool, within: str | None = None) -> str:
    """CTEs t0..tN: per query term, each matching article and its bm25 rank for that term.

    ``within``: a comma-separated list of article ids to score instead of all matches.
    """
    paragraph_rank = "bm25(paragraphs_fts)" if scored else "0"
    title_rank = "bm25(articles_fts)" if scored else "0"
    only_paragraphs = only_titles = ""
    if within is not None:
        # "+rowid": look the rows up by scanning the match, not by probing FTS5 per rowid.
        only_paragraphs = (
            f"AND +rowid IN (SELECT id FROM paragraphs WHERE article_id IN ({within}))"
        )
        only_titles = f"AND +rowid IN ({within})"
    ctes = []
    for i in range(count):
        # FTS5's auxiliary functions (bm25, snippet) must run in a query of their own:
        # MATERIALIZED keeps SQLite from folding them into the aggregate around them.
        ctes.append(
            f"""p{i} AS MATERIALIZED (
                SELECT rowid AS id, {paragraph_rank} AS rank
                FROM paragraphs_fts WHERE paragraphs_fts MATCH :t{i} {only_paragraphs}),
            h{i} AS MATERIALIZED (
                SELECT rowid AS article_id, {title_rank} AS rank
                FROM articles_fts WHERE articles_fts MATCH :t{i} {only_titles}),
            t{i} AS (
              SELECT article_id, sum(rank) AS rank FROM (
                SELECT p.article_id AS article_id, min(m.rank) AS rank
                FROM p{i} m JOIN paragraphs p ON p.id = m.id
                WHERE {kind_sql}
                GROUP BY p.article_id
                UNION ALL
                SELECT article_id, {TITLE_WEIGHT} * rank FROM h{i}
              ) GROUP BY article_id)"""
        )
    return ", ".join(ctes)


def _ranks_of(
    session: Session, count: int, kind_sql: str, params: dict[str, Any], ids: list[int]
) -> dict[int, float]:
    """The bm25 rank of each of the given articles for the query's terms."""
    within = ", ".join(str(int(i)) for i in ids)
    joins = " ".join(f"JOIN t{i} ON t{i}.article_id = t0.article_id" for i in range(1, count))
    rank = " + ".join(f"t{i}.rank" for i in range(count))
    sql = f"WITH {_term_ctes(count, kind_sql, scored=True, within=within)} "
    sql += f"SELECT t0.article_id, {rank} FROM t0 {joins}"
    return {int(a): float(r) for a, r in session.execute(text(sql), params)}


def search(
    session: Session,
    query: str,
    filters: SearchFilters | None = None,
    *,
    limit: int = 20,
    sort: str = "relevance",
    per_article: int = 1,
) -> list[SearchHit]:
    """Articles matching ``query``, best first (or newest first with ``sort='newest'``).

    ``per_article`` > 1 lists up to that many matching paragraphs of each article.
    Raises ``SearchError`` for a malformed query.
    """
    filters = filters or SearchFilters()
    ranked = rank_articles(session, query, filters, limit=limit, sort=sort)
    terms, _ = split_terms(query)
    params: dict[str, Any] = {}
    kind_sql = _kind_sql(filters, params)
    ids = [r[0] for r in ranked]
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        if postgres:
            from db import search_pg

            snippets = search_pg.snippets(session, terms, ids, filters.kind, per_article)
        else:
            snippets = _snippets(session, terms, ids, kind_sql, params, per_article)
    except OperationalError as exc:
        if describe(exc) is not None:  # the database itself failed, not the query
            raise
        raise SearchError(_explain_fts_error(exc)) from None
    hits = []
    for article_id, title, source, published, rank in ranked:
        published_at = (
            datetime.fromisoformat(published) if isinstance(published, str) else published
        )
        found: list[tuple[int | None, str]] = list(snippets.get(article_id, []))
        if not found:
            if postgres:
                from db import search_pg

                found = [(None, search_pg.highlight_title(session, terms, article_id))]
            else:
                found = [(None, _highlight_title(session, terms, article_id))]
        for position, snippet in found[:per_article]:
            hits.append(
                SearchHit(
                    article_id, title, source, published_at, round(-rank, 4), snippet, position
                )
            )
    return hits


def _kind_sql(filters: SearchFilters, params: dict[str, Any]) -> str:
    if not filters.kind:
        return "1 = 1"
    params["kind"] = filters.kind
    return "p.kind = :kind"


def _snippets(
    session: Session,
    terms: list[str],
    article_ids: list[int],
    kind_sql: str,
    params: dict[str, Any],
    per_article: int,
) -> dict[int, list[tuple[int, str]]]:
    """The best-matching paragraphs of each article, as marked-up snippets."""
    if not article_ids:
        return {}
    ids = ", ".join(str(int(i)) for i in article_ids)
    rows = session.execute(
        text(
            f"""WITH m AS MATERIALIZED (
                    SELECT rowid AS id, bm25(paragraphs_fts) AS rank,
                           snippet(paragraphs_fts, 0, :open, :close, '…', 24) AS snippet
                    FROM paragraphs_fts
                    -- "+rowid": FTS5 must not probe rowid by rowid, since bm25()
                    -- rescans each phrase's whole doclist for its IDF on every probe.
                    WHERE paragraphs_fts MATCH :any AND +rowid IN (
                        SELECT id FROM paragraphs WHERE article_id IN ({ids})))
                SELECT p.article_id, p.position, m.snippet
                FROM m JOIN paragraphs p ON p.id = m.id
                WHERE {kind_sql}
                ORDER BY m.rank"""
        ),
        {**params, "any": " OR ".join(f"({t})" for t in terms), "open": MARK[0], "close": MARK[1]},
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for article_id, position, snippet in rows:
        best = found.setdefault(article_id, [])
        if len(best) < per_article:
            best.append((position, snippet))
    return found


def _highlight_title(session: Session, terms: list[str], article_id: int) -> str:
    marked = session.scalar(
        text(
            "SELECT highlight(articles_fts, 0, :open, :close) FROM articles_fts "
            "WHERE articles_fts MATCH :any AND rowid = :id"
        ),
        {
            "any": " OR ".join(f"({t})" for t in terms),
            "id": article_id,
            "open": MARK[0],
            "close": MARK[1],
        },
    )
    return str(marked or "")


def _explain_fts_error(exc: OperationalError) -> str:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    if "no such table" in message:
        return "this database has no full-text index: run 'newsstore db upgrade'"
    return (
        f'malformed query ({message}); FTS5 syntax: words, "phrases", prefix*, '
        "AND, OR, NOT, NEAR(a b); quote words with hyphens or punctuation"
    )
