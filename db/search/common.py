"""What full-text search is on either engine: the query's terms, a hit, the errors, the limits.

``db.search.fts5`` (SQLite) and ``db.search.postgres`` read the same query
syntax the same way and return the same rows; this module holds what they
share, so that neither imports the other nor the package that dispatches
to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError

TITLE_WEIGHT = 3.0
MARK = ("<mark>", "</mark>")
# The most rows a LIMIT can ask for on either engine (a 64-bit integer): more is all.
MAX_LIMIT = 2**63 - 1


class SearchError(Exception):
    """A query that cannot be run: malformed FTS5 syntax, or no full-text index."""


@dataclass(frozen=True)
class SearchHit:
    """One matching paragraph (or title) of one article, as ``search`` lists them."""

    article_id: int
    title: str
    source: str | None
    published_at: datetime | None
    score: float
    snippet: str
    paragraph_position: int | None  # None when only the title matched
    story_id: int | None = None  # the article's story (``db.stories``)
    copies: int = 0  # other matching articles of its story, left out (0 with ``all_copies``)


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


def query_error(exc: OperationalError) -> SearchError:
    """The ``SearchError`` for a statement the engine refused because of the query.

    Only for a failure ``db.errors.describe`` does not know: one it knows is
    the database's own (damaged, locked...), and the caller re-raises it.
    """
    message = str(exc.orig) if exc.orig is not None else str(exc)
    if "no such table" in message:
        return SearchError("this database has no full-text index: run 'newsstore db upgrade'")
    return SearchError(
        f'malformed query ({message}); FTS5 syntax: words, "phrases", prefix*, '
        "AND, OR, NOT, NEAR(a b); quote words with hyphens or punctuation"
    )
