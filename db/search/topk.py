"""Ranking on SQLite without scoring every match: impact lists, a candidate scorer, a date walk.

Exact bm25 (``db.search.fts5.rank_articles_exact``) scores every paragraph a
term matches: a second and more for a common word in a million articles. This
module finds the top articles while reading only a few hundred of them:

- **relevance**: each common word (``impacts.LISTED_FROM`` paragraphs or more)
  has an impact list, its ``impacts.LIST_LENGTH`` best articles with their exact
  rank for that word (``search_impacts``, built by ``db.search.impacts.rebuild``).
  A query of one such word reads its list: the answer is exact. Any other
  query of plain words, "phrases" and prefix* gets its candidates from a rare
  term's matches (rarest first) or else from the lists of its words, and scores
  them here with FTS5's own bm25 formula (a rare term matching more than
  ``MAX_CANDIDATES`` articles brings its best ones, with the other words' lists),
  with the best titles for the query beside the lists' articles (``_title_best``);
  that answer is approximate (the benchmark measures its overlap with the exact one).
  With filters and terms that are not too common together, SQLite first lists the
  filtered articles holding every term (``_all_matching``); when they are few
  (``SCORE_MAX``) all are scored and the answer is exact.
  With filters, the filtered articles whose titles hold a term are scored next
  (``_by_titles``): a paragraph's bm25 has a bound, so only they can rank below the
  sum of the bounds, and the top they prove is exact.
- **newest first**: filtered articles are read newest first, a chunk at a time,
  until enough of them match; when matches are sparser, SQLite walks the articles
  by date testing each for every term (``_all_matching``); only when the terms are
  rarer still does the exact path run (and then it is cheap).

Filters narrow the candidates before they are ranked. Whatever this module
cannot answer (OR, NEAR, other kinds of paragraph, no impact lists, lists that rows
changed in place since have made inconsistent (``impacts.consistent``), more than
``DELTA_MAX`` matching articles added since they were built, too few candidates
left after filtering) returns None, and the caller runs the exact path.
Articles added since the lists were built are found by ``_delta`` and scored
with the lists' candidates.

Tokens and bm25 are FTS5's, as ``db.search.bm25`` computes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.filters import EVERYTHING, ArticleFilters
from db.search import impacts
from db.search.bm25 import Stats, index_stats, tokens
from db.search.common import TITLE_WEIGHT

_WORD = re.compile(r"[^\W_]+")
# Candidates read from each impact list, deeper when filters leave too few.
DEPTHS = (100, 300, 1000)
# The most articles a rare term may bring as candidates before the exact path is cheaper.
MAX_CANDIDATES = 400
# Written since the impact lists were built: the most articles matching a query that a search
# takes from them (more, and the exact path runs until ``db optimize`` or ``db reindex``), and
# the most paragraphs added before the lists count as too old to be patched so.
DELTA_MAX = 10_000
DELTA_PARAGRAPHS = 200_000
# Of the new articles a term matches, those scored: the best by paragraph and by title.
DELTA_BEST = 200
# Newest first: articles read per chunk, and the most read before giving up on the walk.
WALK_CHUNK = 100
WALK_MAX = 800
# Newest first in SQL (``_all_matching``): the most articles it may expect to read; past that
# the exact path runs. Relevance: the most filtered matches it scores when the lists leave
# too few (the answer is then exact).
SQL_WALK_MAX = 10_000
SCORE_MAX = 400
# ... tried only when it reads at most this many filtered articles (expected): each costs
# tens of microseconds, and the lists answer the rest, or the exact path.
WALK_READS = 6_000
# ... and only when the terms are expected in at most this many articles unfiltered: else no
# filter of the mix leaves few enough, and reading a common term's rows once costs too.
SPARSE = 25 * SCORE_MAX
# Relevance from the lists: the best titles holding a term, taken as candidates too.
TITLE_BEST = 100
# Filtered, relevance: the most articles with a title hit scored to prove the top
# (``_by_titles``), and how many are scored at a time.
TITLE_SET_MAX = 3_000
TITLE_CHUNK = 200
# Extra rows read newest first, for articles published in the same second as the last one.
TIES = 10

Row = tuple[int, str, str | None, str | None, float]


@dataclass(frozen=True)
class Term:
    """One query term this module can match itself: a word, a "phrase", or a prefix*."""

    query: str  # as written in the query (FTS5 syntax)
    words: tuple[str, ...]
    prefix: bool = False

    def count(self, found: Sequence[str]) -> int:
        """How many times the term occurs in a token list (FTS5's instances)."""
        if self.prefix:
            return sum(1 for t in found if t.startswith(self.words[0]))
        if len(self.words) == 1:
            return found.count(self.words[0])
        n = len(self.words)
        return sum(1 for i in range(len(found) - n + 1) if tuple(found[i : i + n]) == self.words)

    def maybe_in(self, lowered: str) -> bool:
        """False when the (lower-cased) text cannot hold the term: a cheap test first."""
        return not lowered.isascii() or all(w in lowered for w in self.words)

    @property
    def word(self) -> str | None:
        """The term's one word when it is a plain word (not a prefix), else None."""
        return self.words[0] if len(self.words) == 1 and not self.prefix else None


def parse(term: str) -> Term | None:
    """The term as a ``Term``, or None for anything else (OR, NEAR, columns, groups...)."""
    if len(term) >= 2 and term.startswith('"') and term.endswith('"'):
        body = term[1:-1]
        if '"' in body:
            return None
        words = tokens(body)
        return Term(term, tuple(words)) if words else None
    if term.endswith("*"):
        body = term[:-1]
        return Term(term, (tokens(body)[0],), prefix=True) if _WORD.fullmatch(body) else None
    if not _WORD.fullmatch(term) or term in ("AND", "OR", "NOT", "NEAR"):
        return None
    return Term(term, tuple(tokens(term)))


def parse_all(terms: Iterable[str]) -> list[Term] | None:
    parsed = [parse(t) for t in terms]
    return None if any(p is None for p in parsed) else [p for p in parsed if p is not None]


def fts_hits(session: Session, fts: str, query: str) -> int:
    """Rows of an FTS5 index a term matches (bm25's document frequency)."""
    return int(
        session.scalar(text(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :q"), {"q": query}) or 0
    )


@dataclass(frozen=True)
class Scorer:
    """Scores articles for the query's terms with FTS5's bm25 as the exact path adds it up."""

    terms: list[Term]
    unwanted: list[Term]
    paragraph_idf: list[float]
    title_idf: list[float]
    paragraphs: Stats
    titles: Stats

    def article(self, title: str, texts: Iterable[str]) -> float | None:
        """An article's rank (lower is better), or None if it lacks a term or has an unwanted one.

        Per term: its best paragraph's bm25 plus ``TITLE_WEIGHT`` times the title's.
        """
        best: list[float | None] = [None] * len(self.terms)
        needle = self._needle
        for value in texts:
            lowered = value.lower()
            if lowered.isascii() and not needle.search(lowered):
                continue  # holds no term: most paragraphs, skipped by one regex search
            found = tokens(value)
            if any(u.count(found) for u in self.unwanted):
                return None
            for i, term in enumerate(self.terms):
                count = term.count(found) if term.maybe_in(lowered) else 0
                if count:
                    w = self.paragraphs.weight(self.paragraph_idf[i], count, len(found))
                    best[i] = w if best[i] is None else min(w, best[i])  # type: ignore[type-var]
        found = tokens(title)
        if any(u.count(found) for u in self.unwanted):
            return None
        total = 0.0
        for body, head in zip(best, self._title_ranks(found), strict=True):
            if body is None and head is None:
                return None
            total += (body or 0.0) + TITLE_WEIGHT * (head or 0.0)
        return total

    def _title_ranks(self, found: Sequence[str]) -> list[float | None]:
        """Each term's bm25 in a title's tokens (None where the title lacks the term)."""
        return [
            self.titles.weight(self.title_idf[i], count, len(found))
            if (count := term.count(found))
            else None
            for i, term in enumerate(self.terms)
        ]

    @cached_property
    def needles(self) -> list[str]:
        """Words found in any (lower-cased, ASCII) text that holds a term, wanted or not:
        each term's longest."""
        return sorted({max(t.words, key=len) for t in [*self.terms, *self.unwanted]})

    @cached_property
    def _needle(self) -> re.Pattern[str]:
        """A pattern found in any text that holds a term (wanted or not): its longest word."""
        return re.compile("|".join(re.escape(w) for w in self.needles))

    def title_part(self, title: str) -> float:
        """What the title adds to an article's rank: its bm25 for each term it holds, weighted."""
        return sum(TITLE_WEIGHT * r for r in self._title_ranks(tokens(title)) if r is not None)

    def floor(self) -> float:
        """A rank that no article without a title hit for any term reaches: its rank is above.

        Such an article's rank is the sum of its best paragraph per term, each
        above ``Stats.bound`` of the term's idf (the title adds nothing).
        """
        return sum(self.paragraphs.bound(idf) for idf in self.paragraph_idf)

    def paragraph(self, found: Sequence[str]) -> float:
        """A paragraph's bm25 for all the terms at once (as for ``a OR b``): for snippets."""
        return sum(
            self.paragraphs.weight(self.paragraph_idf[i], t.count(found), len(found))
            for i, t in enumerate(self.terms)
        )


def make_scorer(
    session: Session, terms: list[Term], unwanted: list[Term], listed: dict[str, int]
) -> Scorer:
    """A scorer with each term's document frequency: from the impact lists, else counted."""
    paragraphs = index_stats(session, "paragraphs_fts")
    titles = index_stats(session, "articles_fts")
    paragraph_idf, title_idf = [], []
    for term in terms:
        word = term.word
        hits = listed.get(word) if word is not None else None
        if hits is None:
            hits = fts_hits(session, "paragraphs_fts", term.query)
        paragraph_idf.append(paragraphs.idf(hits))
        title_idf.append(titles.idf(fts_hits(session, "articles_fts", term.query)))
    return Scorer(terms, unwanted, paragraph_idf, title_idf, paragraphs, titles)


def may_hold(scorer: Scorer, params: dict[str, Any]) -> str:
    """SQL: paragraph ``p`` may hold a term, wanted or not; fills ``params`` (``w0``...).

    Most paragraphs of a candidate hold no term: tested here, they never reach
    Python, where reading a row costs several times more. SQLite's lower()
    folds ASCII alone, so a text with any other character (more bytes than
    characters) is read whatever it holds, as ``Scorer.article`` reads it.
    """
    tests = []
    for i, word in enumerate(scorer.needles):
        params[f"w{i}"] = word
        tests.append(f"instr(lower(p.text), :w{i}) > 0")
    tests.append("length(CAST(p.text AS BLOB)) > length(p.text)")
    return f"({' OR '.join(tests)})"


def score(
    session: Session, scorer: Scorer, ids: Sequence[int], kind: str | None
) -> dict[int, float]:
    """Each given article's rank, for those that match the whole query."""
    if not ids:
        return {}
    within = ", ".join(str(int(i)) for i in ids)
    params: dict[str, Any] = {}
    kind_sql = ArticleFilters(kind=kind).paragraph_where(params)
    texts: dict[int, list[str]] = {}
    rows = session.execute(
        text(
            "SELECT p.article_id, p.text FROM paragraphs p "
            f"WHERE p.article_id IN ({within}) AND {kind_sql} AND {may_hold(scorer, params)}"
        ),
        params,
    )
    for article_id, value in rows:
        texts.setdefault(int(article_id), []).append(str(value))
    ranks = {}
    for article_id, title in session.execute(
        text(f"SELECT id, title FROM articles WHERE id IN ({within})")
    ):
        rank = scorer.article(str(title or ""), texts.get(int(article_id), []))
        if rank is not None:
            ranks[int(article_id)] = rank
    return ranks


def _where(session: Session, filters: ArticleFilters, params: dict[str, Any]) -> str:
    """``filters.where``, with a source that names one source written as its id.

    ``a.source_id IN (SELECT ...)`` may stand for several sources, so SQLite
    sorts all of a source's articles to read them by date (a temporary B-tree,
    tens of milliseconds per chunk at 300,000 articles); ``a.source_id = :id``
    reads the index on (source_id, published_at) in its order and stops early.
    """
    if not filters.source:
        return filters.where(params)
    ids = [
        int(i)
        for (i,) in session.execute(
            text("SELECT id FROM sources WHERE lower(name) = lower(:source) LIMIT 2"),
            {"source": filters.source},
        )
    ]
    if len(ids) != 1:  # none (nothing matches) or several: as the filters write it
        return filters.where(params)
    rest = replace(filters, source=None).where(params)
    params["source_id"] = ids[0]
    return "a.source_id = :source_id" + ("" if rest == EVERYTHING else f" AND {rest}")


def _article_rows(
    session: Session, ids: Iterable[int], filters: ArticleFilters
) -> list[tuple[int, str, str | None, str | None]]:
    """(id, title, source, published_at) of those of the articles the filters let through."""
    within = ", ".join(str(int(i)) for i in ids)
    if not within:
        return []
    params: dict[str, Any] = {}
    where = filters.where(params)
    rows = session.execute(
        text(
            "SELECT a.id, a.title, s.name, a.published_at FROM articles a "
            f"LEFT JOIN sources s ON s.id = a.source_id WHERE a.id IN ({within}) AND {where}"
        ),
        params,
    )
    return [(int(r[0]), r[1], r[2], r[3]) for r in rows]


def _best(rows: list[Row], limit: int) -> list[Row]:
    """Best first, and newest first among equals, as the exact path orders them."""
    rows = sorted(rows, key=lambda r: r[3] or "", reverse=True)
    return sorted(rows, key=lambda r: r[4])[:limit]


Counts = dict[str, tuple[int, int]]  # word -> (paragraphs, articles) it matched at the build


def _listed_terms(session: Session, terms: list[Term]) -> tuple[Counts, dict[str, Counts]]:
    """The query's words that have an impact list, and each prefix term's listed words."""
    words = impacts.listed(session, [w for t in terms for w in t.words if not t.prefix])
    expansions = {t.query: impacts.listed_prefix(session, t.words[0]) for t in terms if t.prefix}
    return words, expansions


def _known(words: Counts, expansions: dict[str, Counts]) -> Counts:
    """Every listed word of the query, its prefixes' included."""
    known = dict(words)
    for found in expansions.values():
        known.update(found)
    return known


def rank_relevance(
    session: Session,
    terms: list[Term],
    unwanted: list[Term],
    filters: ArticleFilters,
    limit: int,
) -> list[Row] | None:
    """The best articles by relevance from the impact lists, or None: take the exact path."""
    covered = impacts.coverage(session) if filters.kind == "body" else None
    if covered is None or not covered.consistent:  # changed in place since: rebuild them
        return None
    words, expansions = _listed_terms(session, terms)
    if not covered.fresh:  # the words' paragraph counts now, for bm25's idf
        words = {w: (p + _new_hits(session, covered, w), a) for w, (p, a) in words.items()}
    only = terms[0].word if len(terms) == 1 and not unwanted else None
    if only is not None and only in words and covered.fresh:
        found = _from_list(session, only, words[only][1], filters, limit)
        if found is not None:
            return found
    known = _known(words, expansions)
    scorer = make_scorer(session, terms, unwanted, {w: p for w, (p, _) in known.items()})
    rare = [
        t
        for t in terms
        if (not expansions[t.query] if t.prefix else any(w not in words for w in t.words))
    ]
    if rare:  # the rarest first: its matches are the candidates
        if len(terms) == 1 and not unwanted:
            return None  # one rare term: the exact path reads as little, and scores in C
        matching = _matching(session, rare[0].query, filters)
        if matching is None:  # not so rare: its best matches, and the other words' best
            matching = _best_matching(session, rare[0].query, filters)
            for word in {w for t in terms if t not in rare for w in t.words if w in words}:
                matching += _listed(session, word, DEPTHS[0])
        ranks = score(session, scorer, sorted(set(matching)), filters.kind)
        rows = _article_rows(session, ranks, filters)
        return _best([(*r, ranks[r[0]]) for r in rows], limit)
    expected = _expected(terms, known, expansions, covered.articles)
    filtered = filters.where({}) != EVERYTHING
    if filtered and expected <= SPARSE and _walk_pays(session, filters, expected, covered.articles):
        # Filtered: the lists hold few of the filtered articles. All filtered matches when
        # they are few enough to score (the answer is then exact, new articles included),
        # else the lists after all.
        matching = _all_matching(session, terms, unwanted, filters, SCORE_MAX + 1)
        if len(matching) <= SCORE_MAX:
            ranks = score(session, scorer, matching, filters.kind)
            rows = _article_rows(session, ranks, filters)
            return _best([(*r, ranks[r[0]]) for r in rows], limit)
    # Filtered: every filtered article with a title hit, best first, proves the top.
    titled = _by_titles(session, scorer, filters, limit) if filtered else None
    if titled is not None and titled.proven >= limit:
        return titled.ranked[:limit]
    sources: set[str] = set()
    for t in terms:
        sources.update(expansions[t.query] if t.prefix else t.words)
    complete = all(known[w][1] <= impacts.LIST_LENGTH for w in sources)
    added: list[int] = []
    if not covered.fresh:  # written since the build: scored with the lists' candidates
        delta = _delta(session, covered, terms)
        if delta is None:
            return None
        added = delta
    return _from_lists(session, scorer, filters, limit, sorted(sources), complete, added, titled)


def _from_lists(
    session: Session,
    scorer: Scorer,
    filters: ArticleFilters,
    limit: int,
    words: list[str],
    complete: bool,
    added: list[int],
    titled: Titled | None,
) -> list[Row] | None:
    """The best of the words' lists, deeper while too few match, with the titled or best
    titles and the articles ``added`` since the build; filtered, any other filtered matches
    after them. None when they are still too few (and not ``complete``)."""
    # Articles good for the terms together, which each word's list may rank too low
    # (filtered: every article with a title hit, scored already).
    together = _title_best(session, scorer.terms, filters) if titled is None else []
    read = set(titled.read) if titled is not None else set()
    ranked = list(titled.ranked) if titled is not None else []
    for depth in DEPTHS:
        ids: set[int] = set(added) | set(together)
        for word in words:
            ids.update(_listed(session, word, depth))
        ids -= read
        rows = _article_rows(session, ids, filters)
        ranks = score(session, scorer, [r[0] for r in rows], filters.kind)
        read |= ids
        ranked += [(*r, ranks[r[0]]) for r in rows if r[0] in ranks]
        if len(ranked) >= limit or complete:
            return _best(ranked, limit)
    if titled is None:
        return None
    # Filtered, and still too few: any other filtered matches, up to the limit. When they
    # are fewer, every filtered match has been scored and the answer is exact; else the
    # rows after the proven ones are approximate.
    more = _all_matching(session, scorer.terms, scorer.unwanted, filters, limit + 1)
    ranks = score(session, scorer, [a for a in more if a not in read], filters.kind)
    ranked += [(*r, ranks[r[0]]) for r in _article_rows(session, ranks, filters)]
    return _best(ranked, limit)


@dataclass(frozen=True)
class Titled:
    """The filtered articles with a title hit, scored: ``ranked[:proven]`` is the exact top."""

    ranked: list[Row]  # those that match the query, best first
    read: set[int]  # every article scored, matching or not
    proven: int


def _by_titles(
    session: Session, scorer: Scorer, filters: ArticleFilters, limit: int
) -> Titled | None:
    """The filtered articles whose titles hold a term, scored best first until the top is known.

    Every other article's rank is above ``Scorer.floor`` (it has only its
    paragraphs), and each of these is above its title's part plus that floor,
    so they are scored in the order of that bound, a chunk at a time: once
    ``limit`` ranks are below the next bound and the floor, they are the
    exact top ``limit`` of all the filtered articles. None when more than
    ``TITLE_SET_MAX`` articles pass (the lists serve those queries better).
    """
    params: dict[str, Any] = {
        "q": " OR ".join(t.query for t in scorer.terms),
        "n": TITLE_SET_MAX + 1,
    }
    where = _where(session, filters, params)
    rows = [
        (int(r[0]), r[1], r[2], r[3])
        for r in session.execute(
            text(
                "SELECT a.id, a.title, s.name, a.published_at FROM articles a "
                "LEFT JOIN sources s ON s.id = a.source_id WHERE a.id IN ("
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q) "
                f"AND {where} LIMIT :n"
            ),
            params,
        )
    ]
    if len(rows) > TITLE_SET_MAX:
        return None
    floor = scorer.floor()
    bounded = sorted(
        ((scorer.title_part(str(r[1] or "")) + floor, r) for r in rows), key=lambda b: b[0]
    )
    ranked: list[Row] = []
    read: set[int] = set()
    proven = 0
    for start in range(0, len(bounded), TITLE_CHUNK):
        chunk = [r for _, r in bounded[start : start + TITLE_CHUNK]]
        ranks = score(session, scorer, [r[0] for r in chunk], filters.kind)
        read.update(r[0] for r in chunk)
        ranked = _best(ranked + [(*r, ranks[r[0]]) for r in chunk if r[0] in ranks], len(rows))
        after = start + TITLE_CHUNK
        line = min(floor, bounded[after][0]) if after < len(bounded) else floor
        line -= abs(line) * 1e-9  # sums in another order may differ in their last bits
        proven = next((i for i, r in enumerate(ranked) if r[4] >= line), len(ranked))
        if proven >= limit:
            break
    return Titled(ranked, read, proven)


def _expected(terms: list[Term], known: Counts, expansions: dict[str, Counts], total: int) -> float:
    """About how many of ``total`` articles hold every term, were the terms independent.

    From the lists' counts of articles per word (a term without them counts as rare).
    """
    if total <= 0:
        return 0.0
    share = 1.0
    for term in terms:
        if term.prefix:
            found = sum(a for _, a in expansions[term.query].values())
        else:
            found = min((known[w][1] for w in term.words if w in known), default=0)
        share *= min(1.0, found / total)
    return share * total


def _walk_pays(session: Session, filters: ArticleFilters, expected: float, total: int) -> bool:
    """Whether ``_all_matching`` may list the filtered matches reading few enough articles.

    It reads the filtered articles until it has found ``SCORE_MAX`` + 1 matches,
    so about that many over the terms' share of articles, or all the filtered
    ones if fewer (counted here, but for a place: tested article by article).
    """
    if expected <= 0 or total <= 0:
        return True
    reads = (SCORE_MAX + 1) * total / expected
    if reads <= WALK_READS:
        return True
    if filters.place:
        return False
    params: dict[str, Any] = {"n": WALK_READS + 1}
    where = filters.where(params)
    found = session.scalar(
        text(f"SELECT count(*) FROM (SELECT 1 FROM articles a WHERE {where} LIMIT :n)"), params
    )
    return int(found or 0) <= WALK_READS


def _title_best(session: Session, terms: list[Term], filters: ArticleFilters) -> list[int]:
    """The ``TITLE_BEST`` filtered articles with the best titles for the terms.

    A title hit weighs ``TITLE_WEIGHT`` times a paragraph's, so the best articles for
    several words (or for a prefix's several words) are often those whose titles hold
    them all, or one of them when filters leave few such: each word's own list ranks
    such an article among all that hold that word, often too low.
    """
    params: dict[str, Any] = {"n": TITLE_BEST}
    where = filters.where(params)
    # Unfiltered, titles holding every term (few, cheap to rank); filtered, those holding
    # any, since few of the former pass the filters.
    params["q"] = (" AND " if where == EVERYTHING else " OR ").join(t.query for t in terms)
    rows = session.execute(
        text(
            f"""WITH m AS MATERIALIZED (
                    SELECT rowid AS id, rank FROM articles_fts WHERE articles_fts MATCH :q)
                SELECT a.id FROM m JOIN articles a ON a.id = m.id
                LEFT JOIN sources s ON s.id = a.source_id
                WHERE {where} ORDER BY m.rank LIMIT :n"""
        ),
        params,
    )
    return [int(a) for (a,) in rows]


def _from_list(
    session: Session, word: str, articles: int, filters: ArticleFilters, limit: int
) -> list[Row] | None:
    """One word's list, filtered: exact, unless the filters leave fewer than asked for."""
    params: dict[str, Any] = {"w": word, "limit": limit}
    where = filters.where(params)
    rows = [
        (int(r[0]), r[1], r[2], r[3], float(r[4]))
        for r in session.execute(
            text(
                "SELECT a.id, a.title, s.name, a.published_at, i.rank FROM search_impacts i "
                "JOIN articles a ON a.id = i.article_id LEFT JOIN sources s ON s.id = a.source_id "
                f"WHERE i.term = :w AND {where} ORDER BY i.rank, a.published_at DESC LIMIT :limit"
            ),
            params,
        )
    ]
    if len(rows) < limit and articles > impacts.LIST_LENGTH:
        return None  # the articles after the list may be the filtered ones
    return rows


def _delta(session: Session, covered: impacts.Coverage, terms: list[Term]) -> list[int] | None:
    """Articles written since the lists were built that may match: None when too many.

    An article added since holds every term in rows added since (its
    paragraphs, its title), so the matches of the term with the fewest of them
    are a superset of the new matching articles; past ``DELTA_BEST`` of them,
    only its best are taken (by FTS5's bm25 of their paragraphs, and of their
    titles), as ``_best_matching`` does for a not so rare term. An older
    article that ``reparse`` rewrote since (it keeps the article's id and
    writes its paragraphs anew, with new ids) is found by its new paragraphs,
    not by its title alone: finding those would mean reading every new
    paragraph row (60 ms and more per 1,000 articles added). Each look-up is an
    FTS5 MATCH with a rowid range, which reads only the rows after the build.
    """
    if covered.paragraphs_now - covered.paragraphs > DELTA_PARAGRAPHS:
        return None
    params = {"a": covered.articles, "p": covered.paragraphs, "n": DELTA_MAX + 1}
    fewest: tuple[Term, list[int]] | None = None
    for term in terms:
        matching = [
            int(a)
            for (a,) in session.execute(
                text(
                    "SELECT article_id FROM paragraphs WHERE id IN ("
                    "SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH :q AND rowid > :p)"
                    " UNION SELECT rowid FROM articles_fts"
                    " WHERE articles_fts MATCH :q AND rowid > :a LIMIT :n"
                ),
                {**params, "q": term.query},
            )
        ]
        if fewest is None or len(matching) < len(fewest[1]):
            fewest = (term, matching)
    if fewest is None:
        return []
    term, matching = fewest
    if len(matching) > DELTA_MAX:
        return None
    if len(matching) > DELTA_BEST:
        matching = _best_new(session, covered, term)
    return sorted(matching)


def _best_new(session: Session, covered: impacts.Coverage, term: Term) -> list[int]:
    """The ``DELTA_BEST`` new articles with the best body paragraphs for a term, and titles."""
    params = {"a": covered.articles, "p": covered.paragraphs, "n": DELTA_BEST, "q": term.query}
    rows = session.execute(
        text(
            """WITH m AS MATERIALIZED (
                   SELECT rowid AS id, bm25(paragraphs_fts) AS rank FROM paragraphs_fts
                   WHERE paragraphs_fts MATCH :q AND rowid > :p)
               SELECT article_id FROM (
                   SELECT p.article_id AS article_id FROM m JOIN paragraphs p ON p.id = m.id
                   WHERE p.kind = 'body' GROUP BY p.article_id ORDER BY min(m.rank) LIMIT :n)
               UNION SELECT rowid FROM (
                   SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q AND rowid > :a
                   ORDER BY rank LIMIT :n)"""
        ),
        params,
    )
    return [int(a) for (a,) in rows]


def _new_hits(session: Session, covered: impacts.Coverage, word: str) -> int:
    """Paragraphs added since the lists were built that hold the word."""
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH :q AND rowid > :p"
            ),
            {"q": f'"{word}"', "p": covered.paragraphs},
        )
        or 0
    )


def _listed(session: Session, word: str, depth: int) -> list[int]:
    """The first ``depth`` articles of a word's impact list."""
    rows = session.execute(
        text("SELECT article_id FROM search_impacts WHERE term = :w ORDER BY rank LIMIT :n"),
        {"w": word, "n": depth},
    )
    return [int(a) for (a,) in rows]


def _best_matching(session: Session, query: str, filters: ArticleFilters) -> list[int]:
    """The ``MAX_CANDIDATES`` filtered articles with the paragraphs best for one term."""
    params: dict[str, Any] = {"q": query, "n": MAX_CANDIDATES}
    kind_sql = filters.paragraph_where(params)
    where = filters.where(params)
    rows = session.execute(
        text(
            f"""WITH m AS MATERIALIZED (
                    SELECT rowid AS id, bm25(paragraphs_fts) AS rank
                    FROM paragraphs_fts WHERE paragraphs_fts MATCH :q)
                SELECT a.id FROM m JOIN paragraphs p ON p.id = m.id
                JOIN articles a ON a.id = p.article_id
                LEFT JOIN sources s ON s.id = a.source_id
                WHERE {kind_sql} AND {where}
                GROUP BY a.id ORDER BY min(m.rank) LIMIT :n"""
        ),
        params,
    )
    return [int(a) for (a,) in rows]


def _matching(session: Session, query: str, filters: ArticleFilters) -> list[int] | None:
    """Articles one (rare) term matches, filtered; None when there are too many."""
    params: dict[str, Any] = {"q": query, "n": MAX_CANDIDATES + 1}
    kind_sql = filters.paragraph_where(params)
    where = filters.where(params)
    ids = [
        int(a)
        for (a,) in session.execute(
            text(
                f"""SELECT a.id FROM articles a LEFT JOIN sources s ON s.id = a.source_id
                WHERE a.id IN (
                    SELECT p.article_id FROM paragraphs p WHERE p.id IN (
                        SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH :q)
                      AND {kind_sql}
                    UNION SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)
                  AND {where}
                LIMIT :n"""
            ),
            params,
        )
    ]
    return None if len(ids) > MAX_CANDIDATES else ids


def rank_newest(
    session: Session,
    terms: list[Term],
    unwanted: list[Term],
    filters: ArticleFilters,
    limit: int,
) -> list[Row] | None:
    """The newest matching articles, reading filtered articles newest first; None: too rare."""
    words, expansions = _listed_terms(session, terms)
    paragraphs = index_stats(session, "paragraphs_fts")
    articles = int(session.scalar(text("SELECT max(id) FROM articles")) or 0)
    if not articles or not paragraphs.rows:
        return None
    per_article = paragraphs.rows / articles
    share = 1.0
    rare = None
    for t in terms:  # how many articles hold each term, from the lists' counts: a guess
        found = expansions[t.query] if t.prefix else words
        hits = [found[w][0] for w in (found if t.prefix else t.words) if w in found]
        if not hits or (not t.prefix and len(hits) < len(t.words)):
            rare = rare or t  # a rare word: its matches are few, and cheap to count
            hits = [fts_hits(session, "paragraphs_fts", t.query)]
        rate = min(1.0, (sum(hits) if t.prefix else min(hits)) / paragraphs.rows)
        share *= 1 - (1 - rate) ** per_article
    known = _known(words, expansions)
    if rare is not None:
        if len(terms) == 1 and not unwanted:
            return None  # one rare term: the exact path reads as little
        matching = _matching(session, rare.query, filters)
        if matching is not None:
            scorer = make_scorer(session, terms, unwanted, {w: p for w, (p, _) in known.items()})
            ranks = score(session, scorer, matching, filters.kind)
            rows = [(*r, ranks[r[0]]) for r in _article_rows(session, ranks, filters)]
            return _newest(rows)[:limit]
    if share <= 0 or 2 * limit / share > SQL_WALK_MAX:  # twice: words come in clusters
        return None
    scorer = make_scorer(session, terms, unwanted, {w: p for w, (p, _) in known.items()})
    if 2 * limit / share <= WALK_MAX:
        return _walk(session, scorer, filters, limit)
    # Too many articles to score one by one: SQLite tells which hold every term.
    matching = _all_matching(session, terms, unwanted, filters, limit + TIES, newest=True)
    ranks = score(session, scorer, matching, filters.kind)
    rows = [(*r, ranks[r[0]]) for r in _article_rows(session, ranks, filters)]
    return _newest(rows)[:limit]


def _holds(name: str, kind_sql: str) -> str:
    """SQL: article ``a`` holds the term bound to ``:name``, in its title or a paragraph.

    Each term's matching rows are read from FTS5 once (the IN lists are not
    correlated); an article's paragraphs are found by its index.
    """
    return (
        f"(a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :{name}) "
        f"OR EXISTS (SELECT 1 FROM paragraphs p WHERE p.article_id = a.id "
        f"AND p.id IN (SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH :{name}) "
        f"AND {kind_sql}))"
    )


def _all_matching(
    session: Session,
    terms: list[Term],
    unwanted: list[Term],
    filters: ArticleFilters,
    limit: int,
    *,
    newest: bool = False,
) -> list[int]:
    """Up to ``limit`` filtered articles holding every term and no unwanted one.

    Newest first with ``newest``: SQLite walks the articles by date (or by
    source and date) and stops at ``limit``, which is cheap while matches are
    not too sparse (``SQL_WALK_MAX``). Without it, in no order: the caller
    asks for one more than it can score, to know whether there are too many.
    """
    params: dict[str, Any] = {"n": limit}
    kind_sql = filters.paragraph_where(params)
    clauses = [_where(session, filters, params)]
    for i, term in enumerate(terms):
        params[f"t{i}"] = term.query
        clauses.append(_holds(f"t{i}", kind_sql))
    for j, term in enumerate(unwanted):
        params[f"n{j}"] = term.query
        clauses.append(f"NOT {_holds(f'n{j}', kind_sql)}")
    order = "ORDER BY a.published_at DESC, a.id DESC" if newest else ""
    rows = session.execute(
        text(f"SELECT a.id FROM articles a WHERE {' AND '.join(clauses)} {order} LIMIT :n"),
        params,
    )
    return [int(a) for (a,) in rows]


def _walk(
    session: Session, scorer: Scorer, filters: ArticleFilters, limit: int
) -> list[Row] | None:
    """The filtered articles newest first, a chunk at a time, until ``limit`` of them match.

    Each chunk starts after the last one read (by date, then id, both descending:
    an index's own order), so no chunk reads the earlier ones again, as an
    OFFSET would: with a place, each article read is tested for it.
    """
    params: dict[str, Any] = {"n": WALK_CHUNK}
    where = _where(session, filters, params)
    ranked: list[Row] = []
    last: tuple[int, str | None] | None = None
    for _ in range(0, WALK_MAX, WALK_CHUNK):
        ids = [int(r[0]) for r in session.execute(text(_after(where, last)), params)]
        found = {r[0]: r for r in _article_rows(session, ids, ArticleFilters())}
        chunk = [found[a] for a in ids]
        ranks = score(session, scorer, ids, filters.kind)
        ranked += [(*r, ranks[r[0]]) for r in chunk if r[0] in ranks]
        exhausted = len(chunk) < WALK_CHUNK
        if exhausted or (len(ranked) >= limit and chunk[-1][3] != ranked[limit - 1][3]):
            return _newest(ranked)[:limit]
        last = (chunk[-1][0], chunk[-1][3])
        params.update({"after_id": last[0], "after_published": last[1]})
    return None


def _after(where: str, last: tuple[int, str | None] | None) -> str:
    """SQL: the next filtered article ids newest first (undated last), after ``last``.

    Dated and undated articles are two ranges of the date index, merged in
    order: one condition with an OR would have SQLite read from the newest.
    """
    select = f"SELECT a.id, a.published_at FROM articles a WHERE {where}"
    if last is None:
        return f"{select} ORDER BY a.published_at DESC, a.id DESC LIMIT :n"
    undated = f"{select} AND a.published_at IS NULL"
    if last[1] is None:  # among the undated already
        return f"{undated} AND a.id < :after_id ORDER BY a.id DESC LIMIT :n"
    dated = (
        f"{select} AND a.published_at <= :after_published "
        "AND (a.published_at < :after_published OR a.id < :after_id)"
    )
    return f"{dated} UNION ALL {undated} ORDER BY 2 DESC, 1 DESC LIMIT :n"


def _newest(rows: list[Row]) -> list[Row]:
    """Newest first (undated last), the best first among equals, as the exact path orders them."""
    rows = sorted(rows, key=lambda r: r[4])
    return sorted(rows, key=lambda r: (r[3] is not None, r[3] or ""), reverse=True)
