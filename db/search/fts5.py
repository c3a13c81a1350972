"""Full-text search on SQLite (FTS5): ranking articles, their snippets, a title's highlight.

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

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.errors import describe
from db.filters import EVERYTHING, ArticleFilters
from db.search import bm25, impacts, topk
from db.search.common import MARK, MAX_LIMIT, TITLE_WEIGHT, SearchError, query_error, split_terms


def rank_articles(
    session: Session,
    query: str,
    filters: ArticleFilters,
    *,
    limit: int | None,
    sort: str,
) -> list[tuple[int, str, str | None, str | None, float]]:
    """As ``db.search.rank_articles``, on SQLite: lower ranks are better (bm25 is negative).

    A query of words, "phrases" and prefix* asking for a limited number of
    articles goes through ``db.search.topk``, which reads only a few hundred
    candidates; any other query, or one it cannot answer, is ranked exactly.
    """
    terms, unwanted = split_terms(query)
    wanted = topk.parse_all(terms)
    excluded = topk.parse_all(unwanted)
    if terms and wanted is not None and excluded is not None and limit is not None and limit > 0:
        rank = topk.rank_newest if sort == "newest" else topk.rank_relevance
        try:
            found = rank(session, wanted, excluded, filters, min(limit, MAX_LIMIT))
        except OperationalError as exc:
            if describe(exc) is not None:  # the database itself failed, not the query
                raise
            raise query_error(exc) from None
        if found is not None:
            return found
    narrow = bool(terms) and _within_pays(session, terms, filters)
    return rank_articles_exact(session, query, filters, limit=limit, sort=sort, within=narrow)


# Filters that leave at most this many articles rank within them (``within`` below).
FILTERED_FEW = 40_000


def _within_pays(session: Session, terms: list[str], filters: ArticleFilters) -> bool:
    """Whether reading the filtered articles' paragraphs costs less than every term's matches.

    True when the filters leave at most ``FILTERED_FEW`` articles, holding fewer
    paragraphs than the rarest term matches: a rare term is cheaper read whole.
    """
    params: dict[str, Any] = {"n": FILTERED_FEW + 1}
    where = filters.where(params)
    if where == EVERYTHING or filters.place:  # a place is tested article by article
        return False
    found = int(
        session.scalar(
            text(f"SELECT count(*) FROM (SELECT 1 FROM articles a WHERE {where} LIMIT :n)"),
            params,
        )
        or 0
    )
    if found > FILTERED_FEW:
        return False
    stats = bm25.index_stats(session, "paragraphs_fts")
    articles = int(session.scalar(text("SELECT max(id) FROM articles")) or 0)
    per_article = stats.rows / articles if articles else 0.0
    try:
        rarest = min(topk.fts_hits(session, "paragraphs_fts", term) for term in terms)
    except OperationalError as exc:
        if describe(exc) is not None:  # the database itself failed, not the query
            raise
        return False  # a malformed query: the exact path says so
    return rarest > found * per_article


def rank_articles_exact(
    session: Session,
    query: str,
    filters: ArticleFilters,
    *,
    limit: int | None,
    sort: str,
    within: bool = False,
) -> list[tuple[int, str, str | None, str | None, float]]:
    """Every matching article scored with bm25, then the best (or newest) ``limit`` of them.

    The reference the fast path is measured against (benchmarks/search_latency.py).
    ``within``: each term's matches are read only among the filtered articles'
    paragraphs (the same answer; cheaper when the filters leave few articles,
    since a common word's matches elsewhere are then neither scored nor looked up).
    """
    terms, unwanted = split_terms(query)
    if not terms:
        raise SearchError("empty query")
    params: dict[str, Any] = {"limit": -1 if limit is None else min(limit, MAX_LIMIT)}
    kind_sql = filters.paragraph_where(params)
    params.update({f"t{i}": term for i, term in enumerate(terms)})
    # Newest first needs no relevance to choose the articles: bm25 is then computed
    # for the chosen ones only, which spares scoring every match of a common word.
    scored = sort != "newest"
    narrowed = None
    if within:
        narrowed = (
            "SELECT a.id FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
            f"WHERE {filters.where(params)}"
        )
    ctes = _term_ctes(len(terms), kind_sql, scored=scored, within=narrowed)
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
        WHERE {" AND ".join([filters.where(params), *excluded])}
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
        raise query_error(exc) from None
    return rows


def _term_ctes(count: int, kind_sql: str, *, scored: bool, within: str | None = None) -> str:
    """CTEs t0..tN: per query term, each matching article and its bm25 rank for that term.

    ``within``: a comma-separated list of article ids (or a query giving them) to score
    instead of all matches.
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


def snippets(
    session: Session,
    terms: list[str],
    article_ids: list[int],
    filters: ArticleFilters,
    per_article: int,
) -> dict[int, list[tuple[int, str]]]:
    """The best-matching paragraphs of each article, as marked-up snippets."""
    if not article_ids:
        return {}
    parsed = topk.parse_all(terms)
    if parsed:
        return _snippets_by_row(session, parsed, article_ids, filters, per_article)
    params: dict[str, Any] = {}
    kind_sql = filters.paragraph_where(params)
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


def _snippets_by_row(
    session: Session,
    terms: list[topk.Term],
    article_ids: list[int],
    filters: ArticleFilters,
    per_article: int,
) -> dict[int, list[tuple[int, str]]]:
    """As ``snippets``, choosing the paragraphs here and asking FTS5 for theirs alone.

    Scanning a common word's matches for a few articles reads all of them (a
    quarter of a second in a million articles); looking up one row does not.
    A prefix* is given as the words it matched in that paragraph, since FTS5
    expands a prefix anew for every row looked up.
    """
    if len(terms) == 1:  # one term: its idf scales every paragraph alike
        scorer = topk.Scorer(
            terms,
            [],
            [1.0],
            [1.0],
            bm25.index_stats(session, "paragraphs_fts"),
            bm25.index_stats(session, "articles_fts"),
        )
    else:
        words = impacts.listed(session, [w for t in terms for w in t.words if not t.prefix])
        scorer = topk.make_scorer(session, terms, [], {w: p for w, (p, _) in words.items()})
    params: dict[str, Any] = {}
    kind_sql = filters.paragraph_where(params)
    ids = ", ".join(str(int(i)) for i in article_ids)
    scored: list[tuple[float, int, int, int, str]] = []
    for paragraph_id, article_id, position, value in session.execute(
        text(
            f"SELECT p.id, p.article_id, p.position, p.text FROM paragraphs p "
            f"WHERE p.article_id IN ({ids}) AND {kind_sql} AND {topk.may_hold(scorer, params)}"
        ),
        params,
    ):
        lowered = str(value).lower()
        if any(t.maybe_in(lowered) for t in terms):
            found = bm25.tokens(str(value))
            if any(t.count(found) for t in terms):
                rank = scorer.paragraph(found)
                scored.append((rank, int(position), int(article_id), int(paragraph_id), str(value)))
    scored.sort()
    chosen: dict[int, list[tuple[int, str]]] = {}
    for _, position, article_id, paragraph_id, value in scored:
        best = chosen.setdefault(article_id, [])
        if len(best) >= per_article:
            continue
        found = bm25.tokens(value)
        parts = []
        for t in terms:
            if t.prefix:
                parts += [f'"{w}"' for w in sorted({w for w in found if w.startswith(t.words[0])})]
            elif t.count(found):
                parts.append(f"({t.query})")
        snippet = session.scalar(
            text(
                "SELECT snippet(paragraphs_fts, 0, :open, :close, '…', 24) FROM paragraphs_fts "
                "WHERE paragraphs_fts MATCH :any AND rowid = :id"
            ),
            {"any": " OR ".join(parts), "id": paragraph_id, "open": MARK[0], "close": MARK[1]},
        )
        if snippet is not None:
            best.append((position, str(snippet)))
    return {a: found for a, found in chosen.items() if found}


def highlight_title(session: Session, terms: list[str], article_id: int) -> str:
    """The article's title with every term marked: the snippet when only the title matched."""
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
