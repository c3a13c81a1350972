"""Full-text search on PostgreSQL: the same queries, filters and results as on SQLite.

FTS5 query syntax is translated to tsquery: a word is ``plainto_tsquery``, a
"phrase" ``phraseto_tsquery``, ``word*`` a prefix match; a query with OR at
its top level goes to ``websearch_to_tsquery`` (NOT becomes ``-``). NEAR has
no equivalent and is refused. Ranks are ``ts_rank`` (negated, so that lower is
better as with bm25), title hits weigh ``TITLE_WEIGHT`` times more, snippets
come from ``ts_headline``. The indexes are the ``*_tsv`` columns of revision
e5b2f8c1d7a4.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.filters import ArticleFilters
from db.search.common import MARK, MAX_LIMIT, TITLE_WEIGHT, SearchError, split_terms

_WORD = re.compile(r"\w+")
_MAX_WORDS = 40
_HEADLINE = (
    f"StartSel={MARK[0]}, StopSel={MARK[1]}, MaxWords={_MAX_WORDS}, MinWords=15, MaxFragments=1"
)
_WHOLE = f"StartSel={MARK[0]}, StopSel={MARK[1]}, HighlightAll=true"


def tsquery(term: str, params: dict[str, Any], name: str) -> str:
    """SQL for one FTS5 term as a tsquery; its text goes into ``params[name]``."""
    if term.startswith('"') and term.endswith('"') and len(term) > 1:
        params[name] = term[1:-1]
        return f"phraseto_tsquery('simple', :{name})"
    if term.endswith("*") and not any(c in term for c in " ()"):
        words = _WORD.findall(term[:-1])
        if not words:
            raise SearchError(f"malformed query: nothing before '*' in {term!r}")
        params[name] = " & ".join(words[:-1] + [f"{words[-1]}:*"])
        return f"to_tsquery('simple', :{name})"
    if any(op in f" {term} " for op in (" OR ", " NOT ", " AND ")):
        if "NEAR(" in term:
            raise SearchError("NEAR is not available on PostgreSQL")
        params[name] = term.replace(" AND ", " ").replace(" NOT ", " -")
        return f"websearch_to_tsquery('simple', :{name})"
    if "NEAR(" in term:
        raise SearchError("NEAR is not available on PostgreSQL")
    params[name] = term
    return f"plainto_tsquery('simple', :{name})"


def rank_articles(
    session: Session,
    query: str,
    filters: ArticleFilters,
    *,
    limit: int | None,
    sort: str,
) -> list[tuple[int, str, str | None, Any, float]]:
    """As ``db.search.rank_articles``, on PostgreSQL: ranks are negated, so lower is better."""
    terms, unwanted = split_terms(query)
    if not terms:
        raise SearchError("empty query")
    params: dict[str, Any] = {"limit": None if limit is None else min(limit, MAX_LIMIT)}
    kind = filters.paragraph_where(params)
    ctes = []
    for i, term in enumerate(terms):
        q = tsquery(term, params, f"t{i}")
        ctes.append(
            f"""t{i} AS (
              SELECT article_id, sum(rank) AS rank FROM (
                SELECT p.article_id, max(ts_rank(p.text_tsv, {q})) AS rank
                FROM paragraphs p WHERE p.text_tsv @@ {q} AND {kind}
                GROUP BY p.article_id
                UNION ALL
                SELECT a.id, {TITLE_WEIGHT} * ts_rank(a.title_tsv, {q})
                FROM articles a WHERE a.title_tsv @@ {q}
              ) u GROUP BY article_id)"""
        )
    excluded = []
    for j, term in enumerate(unwanted):
        q = tsquery(term, params, f"n{j}")
        excluded.append(
            f"""a.id NOT IN (
                SELECT p.article_id FROM paragraphs p WHERE p.text_tsv @@ {q} AND {kind}
                UNION SELECT id FROM articles WHERE title_tsv @@ {q})"""
        )
    joins = " ".join(f"JOIN t{i} ON t{i}.article_id = t0.article_id" for i in range(1, len(terms)))
    rank = " + ".join(f"t{i}.rank" for i in range(len(terms)))
    order = "a.published_at DESC NULLS LAST, rank DESC" if sort == "newest" else "rank DESC"
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT a.id, a.title, s.name, a.published_at, {rank} AS rank
        FROM t0 {joins}
        JOIN articles a ON a.id = t0.article_id
        LEFT JOIN sources s ON s.id = a.source_id
        WHERE {" AND ".join([filters.where(params), *excluded])}
        ORDER BY {order}, a.id
        LIMIT :limit
    """
    return [(r[0], r[1], r[2], r[3], -float(r[4])) for r in session.execute(text(sql), params)]


def snippets(
    session: Session,
    terms: list[str],
    article_ids: list[int],
    filters: ArticleFilters,
    per_article: int,
) -> dict[int, list[tuple[int, str]]]:
    """The best-matching paragraphs of each article, as marked-up snippets.

    A short paragraph is its own snippet, as with FTS5; a long one gives its
    best fragment (ts_headline's fragments drop the punctuation around them,
    so the short ones are not cut that way).
    """
    if not article_ids:
        return {}
    params: dict[str, Any] = {
        "ids": article_ids,
        "options": _HEADLINE,
        "whole": _WHOLE,
        "max_words": _MAX_WORDS,
    }
    q = _any(terms, params)
    kind_sql = filters.paragraph_where(params)
    rows = session.execute(
        text(
            f"""SELECT article_id, position, snippet FROM (
                  SELECT p.article_id, p.position,
                         CASE WHEN cardinality(
                                     regexp_split_to_array(btrim(p.text), '[[:space:]]+')
                                   ) <= :max_words
                              THEN ts_headline('simple', p.text, {q}, :whole)
                              ELSE ts_headline('simple', p.text, {q}, :options) END AS snippet,
                         row_number() OVER (PARTITION BY p.article_id
                                            ORDER BY ts_rank(p.text_tsv, {q}) DESC) AS n
                  FROM paragraphs p
                  WHERE p.article_id = ANY(:ids) AND p.text_tsv @@ {q} AND {kind_sql}) best
                WHERE n <= :per_article ORDER BY article_id, n"""
        ),
        {**params, "per_article": min(per_article, MAX_LIMIT)},
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for article_id, position, snippet in rows:
        found.setdefault(int(article_id), []).append((int(position), str(snippet)))
    return found


def highlight_title(session: Session, terms: list[str], article_id: int) -> str:
    """The article's title with every term marked: the snippet when only the title matched."""
    params: dict[str, Any] = {
        "id": article_id,
        "options": f"StartSel={MARK[0]}, StopSel={MARK[1]}, HighlightAll=true",
    }
    q = _any(terms, params)
    marked = session.scalar(
        text(f"SELECT ts_headline('simple', title, {q}, :options) FROM articles WHERE id = :id"),
        params,
    )
    return str(marked or "")


def _any(terms: list[str], params: dict[str, Any]) -> str:
    """A tsquery matching any of the terms."""
    joined = " || ".join(f"({tsquery(t, params, f'any{i}')})" for i, t in enumerate(terms))
    return f"({joined})"
