"""The impact lists: each common word's best articles, ranked once so that searches need not.

``search_terms`` holds every word of ``paragraphs_fts`` found in ``LISTED_FROM``
paragraphs or more (its document frequency, and how many articles it matches);
``search_impacts`` holds, per such word, its ``LIST_LENGTH`` best articles with
their exact rank for that word alone (what ``db.search.fts5.rank_articles_exact``
computes: the best body paragraph's bm25 plus ``TITLE_WEIGHT`` times the
title's). ``search_index`` says which articles and paragraphs were there when
they were built. All three are derived from the FTS5 indexes: ``rebuild`` (or
``newsstore db reindex``, or ``newsstore db optimize`` when they are stale)
makes them again from nothing. Articles and paragraphs added since the build
(``coverage``) are searched apart by ``db.search.topk`` and scored with the
listed ones, up to ``topk.DELTA_MAX`` of them; past that search takes the
exact path. Rows deleted or edited in place (no new id) are told by ranking a
few listed articles again (``consistent``): then the exact path runs until the
lists are rebuilt. SQLite only.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.search.bm25 import index_stats, tokens
from db.search.common import TITLE_WEIGHT

LISTED_FROM = 10_000  # paragraphs a word must occur in to get a list (ranking fewer is cheap)
LIST_LENGTH = 1000  # articles kept per word

TABLES = ("search_impacts", "search_terms", "search_index")
# The most words whose lists' first and last articles are ranked again (``consistent``).
CHECKED = 20


@dataclass(frozen=True)
class Coverage:
    """What the lists cover: the last article and paragraph ids at the build, and now."""

    articles: int
    paragraphs: int
    articles_now: int
    paragraphs_now: int
    # False when rows were changed or deleted since the build (``consistent``).
    consistent: bool = True

    @property
    def added(self) -> bool:
        """Rows were added since the build (higher ids): ``db.search.topk`` finds them apart."""
        return self.articles_now != self.articles or self.paragraphs_now != self.paragraphs

    @property
    def fresh(self) -> bool:
        """Nothing was added or changed since the build: the lists' ranks are the exact ones."""
        return not self.added and self.consistent


def coverage(session: Session) -> Coverage | None:
    """The lists' coverage, or None when they were never built (or the schema is older).

    When no row was added, ``consistent`` says whether the lists were ranked
    under today's index statistics (``consistent``).
    """
    try:
        built = session.execute(text("SELECT articles, paragraphs FROM search_index")).first()
    except OperationalError:  # a database without the tables (older schema)
        return None
    if built is None:
        return None
    now = session.execute(
        text("SELECT (SELECT max(id) FROM articles), (SELECT max(id) FROM paragraphs)")
    ).one()
    found = Coverage(int(built[0]), int(built[1]), int(now[0] or 0), int(now[1] or 0))
    if found.added:
        return found
    return replace(found, consistent=consistent(session))


def consistent(session: Session) -> bool:
    """Whether a list's first articles still have the ranks they were listed with.

    The highest ids alone miss rows deleted or edited in place since the
    build (SQLite gives the highest ids again once the last rows are
    deleted). A rank depends on the row count and mean length of both FTS5
    indexes, and on the article's own paragraphs and title: the first
    and last articles of the least common listed word (the cheapest to
    check) are ranked again as ``rebuild`` ranked them, with the word's
    paragraph count of the build, until one rank with a paragraph's part and
    one with a title's were found equal (the next least common words', if
    need be). Any insert or delete, and any edit that changes a text's length,
    changes those ranks; an edit that keeps every length, or a paragraph's
    kind changed in place, does not (run ``db reindex`` after
    such edits made by hand).
    """
    # The least common words first; the most common last, in case all of theirs are in titles.
    words = session.execute(
        text(
            "SELECT * FROM (SELECT term, paragraphs FROM search_terms "
            "ORDER BY paragraphs, term LIMIT :n) UNION ALL "
            "SELECT * FROM (SELECT term, paragraphs FROM search_terms "
            "ORDER BY paragraphs DESC, term LIMIT 1)"
        ),
        {"n": CHECKED},
    ).all()
    paragraphs = index_stats(session, "paragraphs_fts")
    titles = index_stats(session, "articles_fts")
    seen_paragraph = seen_title = False
    for term, hits in words:
        # A list's first article holds the word in its title, most often; its last, in a
        # paragraph alone.
        for article_id, rank, title in session.execute(
            text(
                "SELECT * FROM (SELECT i.article_id, i.rank, a.title FROM search_impacts i "
                "LEFT JOIN articles a ON a.id = i.article_id "
                "WHERE i.term = :t ORDER BY i.rank LIMIT 1) UNION ALL "
                "SELECT * FROM (SELECT i.article_id, i.rank, a.title FROM search_impacts i "
                "LEFT JOIN articles a ON a.id = i.article_id "
                "WHERE i.term = :t ORDER BY i.rank DESC LIMIT 1)"
            ),
            {"t": term},
        ).all():
            if title is None:  # the article is gone
                return False
            body = 0.0
            for (value,) in session.execute(
                text("SELECT text FROM paragraphs WHERE article_id = :a AND kind = 'body'"),
                {"a": int(article_id)},
            ):
                found = tokens(str(value))
                if count := found.count(term):
                    idf = paragraphs.idf(int(hits))
                    body = min(body, paragraphs.weight(idf, count, len(found)))
            found = tokens(str(title))
            head = 0.0
            if count := found.count(term):
                title_hits = session.scalar(
                    text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :q"),
                    {"q": f'"{term}"'},
                )
                idf = titles.idf(int(title_hits or 0))
                head = TITLE_WEIGHT * titles.weight(idf, count, len(found))
            if not math.isclose(body + head, float(rank), rel_tol=1e-9):
                return False
            seen_paragraph |= body != 0.0
            seen_title |= head != 0.0
            if seen_paragraph and seen_title:
                return True
    return True


def fresh(session: Session) -> bool:
    """Whether the lists were built and nothing was added since (``db optimize`` rebuilds them)."""
    found = coverage(session)
    return found is not None and found.fresh


def listed(session: Session, words: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Of the given words, those with a list: (paragraphs, articles) they matched."""
    wanted = sorted(set(words))
    if not wanted:
        return {}
    names = {f"w{i}": w for i, w in enumerate(wanted)}
    try:
        rows = session.execute(
            text(
                "SELECT term, paragraphs, articles FROM search_terms "
                f"WHERE term IN ({', '.join(':' + n for n in names)})"
            ),
            names,
        )
    except OperationalError:
        return {}
    return {str(t): (int(p), int(a)) for t, p, a in rows}


def listed_prefix(session: Session, prefix: str) -> dict[str, tuple[int, int]]:
    """The listed words that start with ``prefix``."""
    try:
        rows = session.execute(
            text(
                "SELECT term, paragraphs, articles FROM search_terms "
                "WHERE term >= :low AND term < :high"
            ),
            {"low": prefix, "high": prefix + chr(0x10FFFF)},
        )
    except OperationalError:
        return {}
    return {str(t): (int(p), int(a)) for t, p, a in rows}


def rebuild(session: Session, progress: Callable[[int, int], None] | None = None) -> int:
    """Make the lists again from the FTS5 indexes; returns how many words have one.

    One pass over the body paragraphs, article by article, scoring each common
    word as FTS5's bm25 does (``db.search.topk``): an exact search per word
    would read every match of it again, about ten times slower. The caller
    commits. ``progress(done, total)`` is told of articles read.
    """
    for table in TABLES:
        session.execute(text(f"DELETE FROM {table}"))
    paragraph_hits = _vocabulary(session, "paragraphs_fts", LISTED_FROM)
    title_hits = _vocabulary(session, "articles_fts", 1)
    paragraphs = index_stats(session, "paragraphs_fts")
    titles = index_stats(session, "articles_fts")
    idf = {w: paragraphs.idf(n) for w, n in paragraph_hits.items()}
    title_idf = {w: titles.idf(title_hits.get(w, 0)) for w in paragraph_hits}
    best: dict[str, list[tuple[float, str, int]]] = {w: [] for w in paragraph_hits}
    matched = dict.fromkeys(paragraph_hits, 0)
    total = int(session.scalar(text("SELECT count(*) FROM articles")) or 0)
    rows = session.execute(
        text(
            "SELECT a.id, a.title, a.published_at, p.text FROM articles a "
            "LEFT JOIN paragraphs p ON p.article_id = a.id AND p.kind = 'body' "
            "ORDER BY a.id"
        )
    )
    done = 0
    article: tuple[int, str, str] | None = None
    ranks: dict[str, float] = {}

    def finish() -> None:
        if article is None:
            return
        article_id, title, published = article
        found = tokens(title)
        counts = Counter(w for w in found if w in best)
        for word, count in counts.items():
            weight = TITLE_WEIGHT * titles.weight(title_idf[word], count, len(found))
            ranks[word] = ranks.get(word, 0.0) + weight
        for word, rank in ranks.items():
            matched[word] += 1
            kept = best[word]  # a heap of the LIST_LENGTH best, the worst on top
            entry = (-rank, published, -article_id)
            if len(kept) < LIST_LENGTH:
                heapq.heappush(kept, entry)
            elif entry > kept[0]:
                heapq.heapreplace(kept, entry)

    for article_id, title, published, value in rows:
        if article is None or article[0] != article_id:
            finish()
            article = (int(article_id), str(title or ""), str(published or ""))
            ranks = {}
            done += 1
            if progress is not None and done % 10_000 == 0:
                progress(done, total)
        if value is None:
            continue
        found = tokens(str(value))
        for word, count in Counter(w for w in found if w in best).items():
            weight = paragraphs.weight(idf[word], count, len(found))
            if weight < ranks.get(word, 0.0):
                ranks[word] = weight
    finish()
    _store(session, best, matched, paragraph_hits)
    if progress is not None:
        progress(total, total)
    return len(best)


def _store(
    session: Session,
    best: dict[str, list[tuple[float, str, int]]],
    matched: dict[str, int],
    paragraph_hits: dict[str, int],
) -> None:
    """Write the lists (heaps of negated ranks), the words' counts, and what they cover."""
    for word, kept in best.items():
        session.execute(
            text("INSERT INTO search_terms (term, paragraphs, articles) VALUES (:t, :p, :a)"),
            {"t": word, "p": paragraph_hits[word], "a": matched[word]},
        )
        if kept:
            session.execute(
                text("INSERT INTO search_impacts (term, rank, article_id) VALUES (:t, :r, :a)"),
                [{"t": word, "r": -rank, "a": -negated} for rank, _, negated in kept],
            )
    session.execute(
        text(
            "INSERT INTO search_index (id, articles, paragraphs, built_at) "
            "SELECT 1, coalesce((SELECT max(id) FROM articles), 0), "
            "coalesce((SELECT max(id) FROM paragraphs), 0), :at"
        ),
        {"at": datetime.now(UTC).replace(tzinfo=None)},
    )


def _vocabulary(session: Session, fts: str, least: int) -> dict[str, int]:
    """The words of an FTS5 index in ``least`` rows or more, with how many rows."""
    session.execute(
        text(f"CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, {fts}, row)")
    )
    try:
        rows = session.execute(
            text("SELECT term, doc FROM temp.search_vocab WHERE doc >= :n"), {"n": least}
        )
        return {str(t): int(n) for t, n in rows}
    finally:
        session.execute(text("DROP TABLE temp.search_vocab"))
