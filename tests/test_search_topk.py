"""Search that does not read every match (db.search.topk, db.search.impacts) against exact bm25.

The fixture is small, so the limits that make the fast path approximate at
scale are lowered here: every word gets an impact list, lists are a few
articles long, the newest-first walk reads a few articles per chunk. What
must then hold: one listed word ranks exactly as bm25 does, filters act
before ranking (so a filter that empties a list falls back to the exact
path), newest first is exact, snippets are the exact path's, and anything
written after the lists were built is found.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db.filters import ArticleFilters
from db.search import fts5, impacts, search, topk
from ingest.cli import app
from tests.conftest import aggregator_page, ingest_pages

pytestmark = pytest.mark.sqlite_only(reason="impact lists and the fast path are SQLite's")

WORDS = (
    "harbour ferry island storm council budget police court river bridge school "
    "doctors museum festival farmers market railway tunnel"
).split()
FILLER = "the of and a to in on with for by from at".split()
SOURCES = ("Coast Wire(Regional)", "North Desk(World)", "Valley Post(Local)")
PLACES = ("Porto", "Lisbon", "Vladivostok", "Madrid")


def _paragraph(rng: random.Random) -> str:
    words = [rng.choice(FILLER if rng.random() < 0.5 else WORDS) for _ in range(rng.randint(4, 18))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(PLACES))
    if rng.random() < 0.2:
        words += ["city", "council"]  # a phrase some paragraphs hold
    return " ".join(words).capitalize() + "."


def _pages(count: int) -> dict[str, str]:
    rng = random.Random(20261207)
    pages = {}
    for i in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4))).capitalize()
        body = [_paragraph(rng) for _ in range(rng.randint(2, 5))]
        month = ["January", "March", "May", "July", "September"][i % 5]
        when = f"{month} {1 + i % 27}, 2025 at {1 + i % 12:02d}:{i % 60:02d}AM"
        pages[f"page-{i:03d}.txt"] = aggregator_page(
            f"{title} {i}", body, SOURCES[i % len(SOURCES)], when
        )
    return pages


@pytest.fixture
def session(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setattr(impacts, "LISTED_FROM", 1)
    monkeypatch.setattr(impacts, "LIST_LENGTH", 6)
    monkeypatch.setattr(topk, "DEPTHS", (3, 6))
    monkeypatch.setattr(topk, "WALK_CHUNK", 4)
    monkeypatch.setattr(topk, "WALK_MAX", 400)
    ingest_pages(engine, tmp_path, _pages(60))
    with Session(engine) as session:
        impacts.rebuild(session)
        session.commit()
        yield session


def _exact(session: Session, query: str, filters: ArticleFilters, limit: int, sort: str) -> list:  # type: ignore[type-arg]
    return fts5.rank_articles_exact(session, query, filters, limit=limit, sort=sort)


def _same(got: list, want: list) -> None:  # type: ignore[type-arg]
    """The same articles with the same ranks, in the same order but among equal ranks.

    Equal ranks may differ in their last bit between two ways of adding them up.
    """
    assert [r[4] for r in got] == pytest.approx([r[4] for r in want], rel=1e-9)
    by_rank: dict[float, set[int]] = {}
    for rows in (got, want):
        for row in rows:
            by_rank.setdefault(round(row[4], 9), set()).add(row[0])
    for mine, theirs in zip(got, want, strict=True):
        assert mine[0] == theirs[0] or len(by_rank[round(mine[4], 9)]) > 1
    last = round(want[-1][4], 9) if want else None
    assert {r[0] for r in got if round(r[4], 9) != last} == {
        r[0] for r in want if round(r[4], 9) != last
    }


def test_tokens_are_fts5s(engine: Engine) -> None:
    sample = "Déjà-vu: São Paulo's 2nd ÉLAN_vital café (naïve) x1y2"
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE VIRTUAL TABLE temp.t "
                "USING fts5(x, tokenize='unicode61 remove_diacritics 2')"
            )
        )
        connection.execute(text("INSERT INTO temp.t (x) VALUES (:x)"), {"x": sample})
        connection.execute(text("CREATE VIRTUAL TABLE temp.v USING fts5vocab(temp, t, instance)"))
        found = [t for (t,) in connection.execute(text("SELECT term FROM temp.v ORDER BY offset"))]
    assert topk.tokens(sample) == found


def test_parse_takes_words_phrases_and_prefixes_only() -> None:
    assert topk.parse("Ferry") == topk.Term("Ferry", ("ferry",))
    assert topk.parse('"city council"') == topk.Term('"city council"', ("city", "council"))
    assert topk.parse("fer*") == topk.Term("fer*", ("fer",), prefix=True)
    for other in ("a OR b", "NEAR(a b)", "x-y", "*", '"open', "title:ferry", "OR"):
        assert topk.parse(other) is None


def test_the_lists_hold_each_words_exact_ranks(session: Session) -> None:
    for word in ("ferry", "council", "police"):
        exact = fts5.rank_articles_exact(
            session, word, ArticleFilters(), limit=impacts.LIST_LENGTH, sort="relevance"
        )
        stored = session.execute(
            text("SELECT article_id, rank FROM search_impacts WHERE term = :w ORDER BY rank"),
            {"w": word},
        ).all()
        _same([(a, None, None, None, r) for a, r in stored], exact)


def test_one_listed_word_ranks_exactly(session: Session) -> None:
    for word in WORDS[:8]:
        for limit in (1, 3, 5):
            got = fts5.rank_articles(session, word, ArticleFilters(), limit=limit, sort="relevance")
            _same(got, _exact(session, word, ArticleFilters(), limit, "relevance"))


def test_filters_act_before_ranking(session: Session) -> None:
    """A filter that leaves fewer than asked for of a list goes on to the whole index."""
    settings = [
        ArticleFilters(source="Valley Post"),
        ArticleFilters(since=date(2025, 7, 1)),
        ArticleFilters(until=date(2025, 2, 1)),
        ArticleFilters(place="Porto"),
        ArticleFilters(source="North Desk", since=date(2025, 5, 1)),
    ]
    compared = 0
    for filters in settings:
        for word in ("ferry", "court", "market"):
            want = _exact(session, word, filters, 5, "relevance")
            _same(fts5.rank_articles(session, word, filters, limit=5, sort="relevance"), want)
            compared += bool(want)
    assert compared >= 12


def test_newest_first_is_exact(session: Session) -> None:
    for query in ("ferry", "police court", '"city council"', "rail*", "storm NOT river"):
        for filters in (ArticleFilters(), ArticleFilters(source="Coast Wire")):
            want = _exact(session, query, filters, 7, "newest")
            got = fts5.rank_articles(session, query, filters, limit=7, sort="newest")
            _same(got, want)


def test_other_queries_rank_as_bm25_when_the_lists_hold_everything(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Phrases, prefixes, several words, NOT: with whole lists every candidate is read."""
    monkeypatch.setattr(impacts, "LIST_LENGTH", 1000)
    monkeypatch.setattr(topk, "DEPTHS", (1000,))
    impacts.rebuild(session)
    queries = ("police court", '"city council"', "rail*", "ferry NOT storm", "museum Porto")
    for query in queries:
        for filters in (ArticleFilters(), ArticleFilters(source="Coast Wire")):
            terms, unwanted = fts5.split_terms(query)
            wanted, excluded = topk.parse_all(terms), topk.parse_all(unwanted)
            assert wanted is not None and excluded is not None
            found = topk.rank_relevance(session, wanted, excluded, filters, 4)
            assert found is not None, query
            _same(found, _exact(session, query, filters, 4, "relevance"))


def test_snippets_are_the_exact_paths(session: Session) -> None:
    for query in ("ferry", "police court", '"city council"', "rail*"):
        ids = [r[0] for r in _exact(session, query, ArticleFilters(), 5, "relevance")]
        terms, _ = fts5.split_terms(query)
        fast = fts5.snippets(session, terms, ids, ArticleFilters(), 2)
        slow = fts5.snippets(session, [f"({t})" for t in terms], ids, ArticleFilters(), 2)
        assert fast == slow
        assert all("<mark>" in s for found in fast.values() for _, s in found)


def test_writes_after_the_lists_are_found(engine: Engine, session: Session) -> None:
    assert impacts.fresh(session)
    session.rollback()  # its read transaction would hold the writer off (rollback journal)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                "VALUES (1, 99, 'body', 'Ferry ferry ferry.', 7)"
            )
        )
    session.rollback()
    assert not impacts.fresh(session)
    hits = search(session, "ferry", limit=100)
    assert [h.paragraph_position for h in hits if h.article_id == 1] == [99]
    _same(
        fts5.rank_articles(session, "ferry", ArticleFilters(), limit=3, sort="relevance"),
        _exact(session, "ferry", ArticleFilters(), 3, "relevance"),
    )


def _ingest_more(engine: Engine, session: Session, folder: Path) -> None:
    """Articles added after the lists were built: one made to rank first for "ferry"."""
    session.rollback()  # its read transaction would hold the writer off (rollback journal)
    pages = {
        "late-0.txt": aggregator_page(
            "Ferry ferry late",
            ["Ferry ferry ferry ferry.", "A quiet harbour, ferry at dawn."],
            "Valley Post(Local)",
            "August 2, 2025 at 09:30AM",
        ),
        "late-1.txt": aggregator_page(
            "Council notes",
            ["The council met on the budget, then on the ferry timetable."],
            "Coast Wire(Regional)",
            "August 3, 2025 at 10:30AM",
        ),
    }
    ingest_pages(engine, folder / "late", pages)
    session.rollback()


def _fast(session: Session, query: str, filters: ArticleFilters, limit: int) -> list | None:  # type: ignore[type-arg]
    terms, unwanted = fts5.split_terms(query)
    wanted, excluded = topk.parse_all(terms), topk.parse_all(unwanted)
    assert wanted is not None and excluded is not None
    return topk.rank_relevance(session, wanted, excluded, filters, limit)


def test_articles_added_after_the_lists_are_ranked_with_them(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    _ingest_more(engine, session, tmp_path)
    assert not impacts.fresh(session)
    (late,) = session.scalars(text("SELECT id FROM articles WHERE title = 'Ferry ferry late'"))
    for query in ("ferry", "ferry harbour", "fer*"):
        assert _fast(session, query, ArticleFilters(), 3) is not None, query  # the lists serve
    for query, filters in (
        ("ferry", ArticleFilters()),
        ("ferry", ArticleFilters(source="Valley Post")),
        ("ferry harbour", ArticleFilters()),
        ("fer*", ArticleFilters(since=date(2025, 7, 1))),
    ):
        want = _exact(session, query, filters, 3, "relevance")
        got = fts5.rank_articles(session, query, filters, limit=3, sort="relevance")
        assert want[0][0] == late and got[0][0] == late, query
        every = {r[0]: r[4] for r in _exact(session, query, filters, 1000, "relevance")}
        for row in got:  # each one matches the filters and the query, with its exact rank
            assert row[4] == pytest.approx(every[row[0]], rel=1e-9), query
    for filters in (ArticleFilters(source="North Desk"), ArticleFilters(until=date(2025, 7, 1))):
        got = fts5.rank_articles(session, "ferry", filters, limit=2, sort="relevance")
        assert got and late not in {r[0] for r in got}  # filtered out before ranking
        _same(got, _exact(session, "ferry", filters, 2, "relevance"))
    _same(
        fts5.rank_articles(session, "ferry", ArticleFilters(), limit=3, sort="relevance"),
        _exact(session, "ferry", ArticleFilters(), 3, "relevance"),
    )


def test_only_the_best_new_matches_are_scored_past_delta_best(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_more(engine, session, tmp_path)
    (late,) = session.scalars(text("SELECT id FROM articles WHERE title = 'Ferry ferry late'"))
    covered = impacts.coverage(session)
    ferry = topk.parse_all(["ferry"])
    assert covered is not None and ferry is not None
    assert len(topk._delta(session, covered, ferry) or []) == 2  # both new articles
    monkeypatch.setattr(topk, "DELTA_BEST", 1)
    assert topk._delta(session, covered, ferry) == [late]  # the best paragraph, the best title
    got = _fast(session, "ferry", ArticleFilters(), 3)
    assert got is not None and got[0][0] == late
    _same(got, _exact(session, "ferry", ArticleFilters(), 3, "relevance"))


def test_too_much_added_after_the_lists_takes_the_exact_path(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_more(engine, session, tmp_path)
    assert _fast(session, "ferry", ArticleFilters(), 5) is not None
    monkeypatch.setattr(topk, "DELTA_MAX", 1)  # "ferry" matches both new articles
    assert _fast(session, "ferry", ArticleFilters(), 5) is None
    assert _fast(session, "budget", ArticleFilters(), 5) is not None  # one new match
    _same(
        fts5.rank_articles(session, "ferry", ArticleFilters(), limit=5, sort="relevance"),
        _exact(session, "ferry", ArticleFilters(), 5, "relevance"),
    )
    monkeypatch.setattr(topk, "DELTA_PARAGRAPHS", 1)  # more new paragraphs than it looks through
    assert _fast(session, "budget", ArticleFilters(), 5) is None


def test_a_rewritten_article_is_scored_as_it_is_now(engine: Engine, session: Session) -> None:
    """reparse keeps an article's id and writes its paragraphs anew (new ids): found by them."""
    (old,) = session.scalars(text("SELECT id FROM articles ORDER BY id LIMIT 1"))
    session.rollback()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM paragraphs WHERE article_id = :a"), {"a": old})
        connection.execute(
            text("UPDATE articles SET title = 'Tunnel tunnel' WHERE id = :a"), {"a": old}
        )
        connection.execute(
            text(
                "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                "VALUES (:a, 1, 'body', 'Tunnel works: a tunnel, then another tunnel.', 7)"
            ),
            {"a": old},
        )
    session.rollback()
    assert not impacts.fresh(session)
    got = _fast(session, "tunnel", ArticleFilters(), 3)
    assert got is not None and got[0][0] == old  # as it reads now
    want = _exact(session, "tunnel", ArticleFilters(), 3, "relevance")
    assert want[0][0] == old
    # The word's paragraph count is the build's plus what was added: the rewrite's removals
    # are not subtracted, so the other ranks are near the exact ones, not equal.
    assert [r[4] for r in got] == pytest.approx([r[4] for r in want], rel=0.01)


def test_malformed_queries_still_fail_as_before(session: Session) -> None:
    for query in ("Korean-speaking", "ferry *", '"unclosed', "(ferry"):
        with pytest.raises(fts5.SearchError, match="malformed query"):
            search(session, query)
        with pytest.raises(fts5.SearchError, match="malformed query"):
            search(session, query, sort="newest")


def test_reindex_command_builds_the_lists(
    runner: CliRunner, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(impacts, "LISTED_FROM", 1)
    ingest_pages(engine, tmp_path, _pages(5))
    with Session(engine) as session:
        assert not impacts.fresh(session)
    done = runner.invoke(app, ["db", "reindex"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("impact lists for ") and "common words" in done.stdout
    with Session(engine) as session:
        assert impacts.fresh(session)
        assert session.scalar(text("SELECT count(*) FROM search_impacts")) > 0


def test_a_not_so_rare_word_brings_its_best_matches(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_CANDIDATES articles, a word without a list brings its best ones only."""
    session.execute(text("DELETE FROM search_impacts WHERE term = 'museum'"))
    session.execute(text("DELETE FROM search_terms WHERE term = 'museum'"))
    monkeypatch.setattr(topk, "MAX_CANDIDATES", 2)
    wanted = topk.parse_all(["museum", "ferry"])
    assert wanted is not None
    found = topk.rank_relevance(session, wanted, [], ArticleFilters(), 3)
    every = {
        r[0]: r[4] for r in _exact(session, "museum ferry", ArticleFilters(), 100, "relevance")
    }
    assert found and len(every) > 2
    for row in found:  # each one matches, with its exact rank
        assert row[4] == pytest.approx(every[row[0]], rel=1e-9)


def test_newest_first_in_sql_is_exact(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past WALK_MAX articles expected, SQLite walks the articles by date and tests each."""
    monkeypatch.setattr(topk, "WALK_MAX", 1)
    walked: list[int] = []
    real = topk._all_matching

    def spy(*args: object, **kwargs: object) -> list[int]:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        walked.append(len(found))
        return found

    monkeypatch.setattr(topk, "_all_matching", spy)
    queries = ("police court", '"city council" ferry', "rail* market", "storm NOT river")
    settings = (
        ArticleFilters(),
        ArticleFilters(source="Coast Wire"),
        ArticleFilters(place="Porto"),
    )
    for query in queries:
        for filters in settings:
            for limit in (1, 4, 50):
                want = _exact(session, query, filters, limit, "newest")
                got = fts5.rank_articles(session, query, filters, limit=limit, sort="newest")
                _same(got, want)
    assert walked and max(walked) > 4


def test_filtered_matches_are_all_scored_when_few(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With filters, every filtered match is scored when there are at most SCORE_MAX: exact."""
    monkeypatch.setattr(topk, "SCORE_MAX", 1000)
    settings = (
        ArticleFilters(source="Valley Post"),
        ArticleFilters(since=date(2025, 7, 1)),
        ArticleFilters(place="Lisbon"),
    )
    for query in ("police court", "harbour market NOT storm", "rail* school", '"city council"'):
        for filters in settings:
            terms, unwanted = fts5.split_terms(query)
            wanted, excluded = topk.parse_all(terms), topk.parse_all(unwanted)
            assert wanted is not None and excluded is not None
            found = topk.rank_relevance(session, wanted, excluded, filters, 5)
            assert found is not None, query
            _same(found, _exact(session, query, filters, 5, "relevance"))
    # Past SCORE_MAX the lists are read as before (approximate, each rank still exact).
    monkeypatch.setattr(topk, "SCORE_MAX", 0)
    wanted = topk.parse_all(["police", "court"])
    assert wanted is not None
    found = topk.rank_relevance(session, wanted, [], ArticleFilters(source="Valley Post"), 3)
    every = {
        r[0]: r[4] for r in _exact(session, "police court", ArticleFilters(), 100, "relevance")
    }
    assert found
    assert all(row[4] == pytest.approx(every[row[0]], rel=1e-9) for row in found)


def test_the_best_titles_are_candidates(session: Session) -> None:
    """Unfiltered, titles holding every term, best first; filtered, those holding any."""
    titles = {
        int(a): set(topk.tokens(t))
        for a, t in session.execute(text("SELECT id, title FROM articles"))
    }
    pair = next(
        (a, b)
        for a in WORDS
        for b in WORDS
        if a < b and sum({a, b} <= found for found in titles.values()) >= 2
    )
    wanted = topk.parse_all(list(pair))
    assert wanted is not None
    both = topk._title_best(session, wanted, ArticleFilters())
    assert len(both) >= 2 and all(set(pair) <= titles[a] for a in both)
    want = [
        int(a)
        for (a,) in session.execute(
            text(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q ORDER BY rank LIMIT :n"
            ),
            {"q": f"{pair[0]} AND {pair[1]}", "n": topk.TITLE_BEST},
        )
    ]
    assert both == want
    filters = ArticleFilters(source="Valley Post")
    either = topk._title_best(session, wanted, filters)
    valley = {
        int(a)
        for (a,) in session.execute(
            text(
                "SELECT a.id FROM articles a JOIN sources s ON s.id = a.source_id "
                "WHERE s.name LIKE 'Valley Post%'"
            )
        )
    }
    assert either and set(either) <= valley
    assert all(set(pair) & titles[a] for a in either)
    assert any(not set(pair) <= titles[a] for a in either)


def test_ranking_within_the_filtered_articles_is_the_same(session: Session) -> None:
    """``within`` reads each term's matches among the filtered articles only: same answer."""
    settings = (
        ArticleFilters(source="North Desk"),
        ArticleFilters(since=date(2025, 5, 1), until=date(2025, 7, 31)),
        ArticleFilters(place="Madrid"),
    )
    compared = 0
    for query in ("ferry", "police court", "rail* OR tunnel", '"city council" NOT storm'):
        for filters in settings:
            for sort in ("relevance", "newest"):
                want = _exact(session, query, filters, 6, sort)
                got = fts5.rank_articles_exact(
                    session, query, filters, limit=6, sort=sort, within=True
                )
                _same(got, want)
                compared += bool(want)
    assert compared >= 18


def test_a_malformed_query_with_filters_fails_as_before(session: Session) -> None:
    filters = ArticleFilters(source="Coast Wire")
    for query in ("Korean-speaking", "ferry *", '"unclosed', "(ferry"):
        for sort in ("relevance", "newest"):
            with pytest.raises(fts5.SearchError, match="malformed query"):
                search(session, query, filters, sort=sort)


def test_no_row_reaches_the_bound() -> None:
    """``Stats.bound`` is below every row's weight, whatever its count and length."""
    stats = topk.Stats(rows=1000, mean_length=12.5)
    for idf in (1e-6, 0.3, 2.0, 7.5):
        bound = stats.bound(idf)
        for length in (1, 2, 5, 40, 400):
            for count in range(1, length + 1):
                assert stats.weight(idf, count, length) > bound
    assert stats.weight(2.0, 400, 400) == pytest.approx(stats.bound(2.0), rel=0.01)


QUERIES = ("ferry", "police court", '"city council"', "rail*", "harbour NOT storm", "museum Porto")
FILTERS = (
    ArticleFilters(source="Valley Post"),
    ArticleFilters(since=date(2025, 5, 1), until=date(2025, 7, 31)),
    ArticleFilters(place="Porto"),
)


def _scorer(session: Session, query: str) -> topk.Scorer:
    terms, unwanted = fts5.split_terms(query)
    wanted, excluded = topk.parse_all(terms), topk.parse_all(unwanted)
    assert wanted is not None and excluded is not None
    words, expansions = topk._listed_terms(session, wanted)
    known = topk._known(words, expansions)
    return topk.make_scorer(session, wanted, excluded, {w: p for w, (p, _) in known.items()})


def test_articles_without_a_title_hit_rank_above_the_floor(session: Session) -> None:
    compared = 0
    for query in QUERIES:
        scorer = _scorer(session, query)
        titles = dict(session.execute(text("SELECT id, title FROM articles")).all())
        for row in _exact(session, query, ArticleFilters(), 1000, "relevance"):
            found = topk.tokens(titles[row[0]])
            if not any(t.count(found) for t in scorer.terms):
                assert row[4] > scorer.floor(), query
                compared += 1
    assert compared >= 30


def test_the_titles_prove_the_top_of_the_filtered_articles(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_by_titles``'s first ``proven`` rows are exact bm25's, chunk after chunk."""
    monkeypatch.setattr(topk, "TITLE_CHUNK", 2)
    proven = []
    for query in QUERIES:
        scorer = _scorer(session, query)
        for filters in FILTERS:
            for limit in (1, 3, 8):
                titled = topk._by_titles(session, scorer, filters, limit)
                assert titled is not None
                every = {r[0]: r[4] for r in _exact(session, query, filters, 1000, "relevance")}
                for row in titled.ranked:  # each one matches, with its exact rank
                    assert row[4] == pytest.approx(every[row[0]], rel=1e-9)
                if titled.proven:
                    want = _exact(session, query, filters, titled.proven, "relevance")
                    _same(titled.ranked[: titled.proven], want)
                proven.append(titled.proven)
    assert max(proven) >= 4 and sum(1 for p in proven if p) >= 18
    monkeypatch.setattr(topk, "TITLE_SET_MAX", 1)  # too many titles: the lists serve
    assert topk._by_titles(session, _scorer(session, "ferry"), ArticleFilters(), 3) is None


def test_filtered_relevance_is_exact_or_filled_with_filtered_matches(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filters before ranking, whichever way the top is found: from the titles, the lists,
    or every filtered match; each row matches the filters, with its exact rank."""
    monkeypatch.setattr(topk, "TITLE_CHUNK", 3)
    monkeypatch.setattr(topk, "SPARSE", 0)  # not the walk over the filtered matches
    for query in QUERIES:
        for filters in FILTERS:
            every = _exact(session, query, filters, 1000, "relevance")
            ranks = {r[0]: r[4] for r in every}
            for limit in (2, 6, 40):
                got = _fast(session, query, filters, limit)
                assert got is not None, (query, filters)
                assert len(got) == min(limit, len(every))
                for row in got:
                    assert row[4] == pytest.approx(ranks[row[0]], rel=1e-9)
                if limit >= len(every):  # every filtered match was scored
                    _same(got, every)
    # Too many titles to score (none here): the lists, and past them the exact path.
    monkeypatch.setattr(topk, "TITLE_SET_MAX", 0)
    assert _fast(session, "police court", FILTERS[0], 40) is None
    _same(
        fts5.rank_articles(session, "police court", FILTERS[0], limit=40, sort="relevance"),
        _exact(session, "police court", FILTERS[0], 40, "relevance"),
    )


def test_one_rare_word_takes_the_exact_path(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.execute(text("DELETE FROM search_terms WHERE term = 'museum'"))
    session.execute(text("DELETE FROM search_impacts WHERE term = 'museum'"))
    assert _fast(session, "museum", ArticleFilters(), 5) is None
    assert _fast(session, "museum ferry", ArticleFilters(), 5) is not None
    _same(
        fts5.rank_articles(session, "museum", ArticleFilters(), limit=5, sort="relevance"),
        _exact(session, "museum", ArticleFilters(), 5, "relevance"),
    )


def test_one_source_is_read_by_its_index_in_date_order(session: Session) -> None:
    """A source naming one source is written as its id: SQLite reads it newest first."""
    params: dict[str, object] = {}
    where = topk._where(session, ArticleFilters(source="valley post"), params)
    assert where == "a.source_id = :source_id"
    plan = " ".join(
        str(r[-1])
        for r in session.execute(
            text(
                f"EXPLAIN QUERY PLAN SELECT a.id FROM articles a WHERE {where} "
                "ORDER BY a.published_at DESC, a.id LIMIT 5"
            ),
            params,
        )
    )
    assert "ix_articles_source_id_published_at" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # only for the right part, the ties
    nothing: dict[str, object] = {}
    unknown = topk._where(session, ArticleFilters(source="Nowhere Times"), nothing)
    assert unknown == ArticleFilters(source="Nowhere Times").where({})
    for query in ("ferry", "police court"):
        filters = ArticleFilters(source="Nowhere Times", since=date(2025, 1, 1))
        for sort in ("relevance", "newest"):
            assert fts5.rank_articles(session, query, filters, limit=5, sort=sort) == []


def test_paragraphs_with_other_characters_are_scored(engine: Engine, session: Session) -> None:
    """SQLite's lower() folds ASCII alone: "FÉRRY" reaches the scorer, which reads "ferry"."""
    session.rollback()  # its read transaction would hold the writer off (rollback journal)
    with engine.begin() as connection:
        article = connection.scalar(text("SELECT max(id) FROM articles"))
        connection.execute(
            text(
                "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                "VALUES (:a, 99, 'body', 'FÉRRY, FÉRRY and ÉLAN.', 7)"
            ),
            {"a": article},
        )
    session.rollback()
    impacts.rebuild(session)  # the words' counts as they are now, as exact bm25 reads them
    for query in ("ferry", "ferry elan", "fer*"):
        scorer = _scorer(session, query)
        params: dict[str, object] = {}
        held = session.scalars(
            text(
                f"SELECT p.position FROM paragraphs p WHERE p.article_id = :a AND "
                f"{topk.may_hold(scorer, params)}"
            ),
            {**params, "a": article},
        ).all()
        assert 99 in held
        every = {r[0]: r[4] for r in _exact(session, query, ArticleFilters(), 1000, "relevance")}
        assert topk.score(session, scorer, [article], "body") == {
            article: pytest.approx(every[article], rel=1e-9)
        }


def test_the_walk_newest_first_reads_undated_articles_last(session: Session) -> None:
    """Chunk after chunk by date and id, then the undated ones, as the exact path orders.

    (The exact path lists articles of the same date in no set order: undated ones
    are compared as a set.)
    """
    session.execute(text("UPDATE articles SET published_at = NULL WHERE id % 4 = 0"))
    compared = 0
    for query in ("ferry", "police court", "rail*"):
        scorer = _scorer(session, query)
        for filters in (ArticleFilters(), ArticleFilters(source="Coast Wire")):
            every = _exact(session, query, filters, 1000, "newest")
            for limit in (3, 9, len(every)):
                got = topk._walk(session, scorer, filters, limit)
                want = _exact(session, query, filters, limit, "newest")
                assert got is not None
                assert [r[3] for r in got] == [r[3] for r in want]
                assert [r[0] for r in got if r[3]] == [r[0] for r in want if r[3]]
                if limit == len(every):
                    assert {r[0] for r in got} == {r[0] for r in want}
                    compared += any(r[3] is None for r in got)
    assert compared == 6


def test_rows_changed_in_place_make_the_lists_stale(engine: Engine, session: Session) -> None:
    """No new id, but a paragraph edited, or the last rows deleted and their ids given again:
    the lists no longer hold exact ranks, search ranks exactly, and optimize rebuilds them."""
    covered = impacts.coverage(session)
    assert covered is not None and covered.fresh and covered.consistent
    last = session.execute(
        text("SELECT id, article_id, position, text FROM paragraphs ORDER BY id DESC LIMIT 1")
    ).one()
    session.rollback()  # its read transaction would hold the writer off (rollback journal)
    edits = (
        ("UPDATE paragraphs SET text = text || ' Ferry.' WHERE id = 1", {}),
        (
            "DELETE FROM paragraphs WHERE id = :id; "
            "INSERT INTO paragraphs (id, article_id, position, kind, text, text_hash) "
            "VALUES (:id, :a, :p, 'body', :t, 7)",
            {"id": last[0], "a": last[1], "p": last[2], "t": f"{last[3]} Ferry ferry."},
        ),
    )
    for sql, params in edits:
        with engine.begin() as connection:
            for statement in sql.split("; "):
                connection.execute(text(statement), params)
        session.rollback()
        covered = impacts.coverage(session)
        assert covered is not None and not covered.added and not covered.consistent
        assert not impacts.fresh(session)  # db optimize rebuilds them
        assert _fast(session, "ferry", ArticleFilters(), 3) is None
        _same(
            fts5.rank_articles(session, "ferry", ArticleFilters(), limit=3, sort="relevance"),
            _exact(session, "ferry", ArticleFilters(), 3, "relevance"),
        )
        impacts.rebuild(session)
        assert impacts.fresh(session)
        assert _fast(session, "ferry", ArticleFilters(), 3) is not None
        session.commit()
