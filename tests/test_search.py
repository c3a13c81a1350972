"""Full-text search: article-level AND, NOT, OR, phrases, filters, ranking and snippets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db.filters import ArticleFilters
from db.search import SearchError, rank_articles, search, split_terms
from ingest import pipeline
from ingest.read import iter_paths
from tests.conftest import aggregator_page, ingest_pages, write
from tests.test_cli_read import MALFORMED


@pytest.fixture
def session(engine: Engine, tmp_path: Path) -> Iterator[Session]:
    pages = {
        "harbour.txt": aggregator_page(
            "Harbour ferry returns",
            ["The ferry to the island runs again from Monday.", "Fishermen in Porto welcomed it."],
            "Coast Wire(Regional)",
            "March 1, 2025 at 10:15AM",
        ),
        "defectors.txt": aggregator_page(
            "Border arrests rise",
            ["Police arrested three defectors near the river.", "They were taken to Vladivostok."],
            "North Desk(World)",
            "June 2, 2024 at 08:00AM",
        ),
        "ferry-title.txt": aggregator_page(
            "Ferry strike ends",
            ["Crews return to work on the island routes.", "Unions said talks went well."],
            "Coast Wire(Regional)",
            "April 5, 2025 at 09:00AM",
        ),
    }
    ingest_pages(engine, tmp_path, pages)
    with Session(engine) as session:
        yield session


def _titles(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.title for h in hits]


def test_split_terms() -> None:
    assert split_terms('a AND "b c" NOT d') == (["a", '"b c"'], ["d"])
    assert split_terms("a OR b") == (["a OR b"], [])
    assert split_terms("NEAR(a b) c") == (["NEAR(a b) c"], [])


def test_single_term_with_highlighted_snippet(session: Session) -> None:
    (hit,) = search(session, "Vladivostok")
    assert hit.title == "Border arrests rise"
    assert hit.snippet == "They were taken to <mark>Vladivostok</mark>."
    assert hit.paragraph_position == 2 and hit.score > 0


def test_terms_may_sit_in_different_paragraphs(session: Session) -> None:
    assert _titles(search(session, "defectors Vladivostok")) == ["Border arrests rise"]
    assert _titles(search(session, "defectors AND Vladivostok")) == ["Border arrests rise"]
    assert search(session, "defectors Porto") == []


def test_not_excludes_at_article_level(session: Session) -> None:
    assert _titles(search(session, "island NOT Porto")) == ["Ferry strike ends"]


def test_or_phrase_and_prefix(session: Session) -> None:
    assert sorted(_titles(search(session, "Porto OR Vladivostok"))) == [
        "Border arrests rise",
        "Harbour ferry returns",
    ]
    assert _titles(search(session, '"taken to Vladivostok"')) == ["Border arrests rise"]
    assert _titles(search(session, "defect*")) == ["Border arrests rise"]


def test_title_hits_rank_first(engine: Engine, session: Session, tmp_path: Path) -> None:
    more = tmp_path / "more"
    write(
        more / "title.txt",
        aggregator_page(
            "Storm warning lifted",
            ["Boats may leave port again."],
            "Coast Wire",
            "May 1, 2025 at 07:00AM",
        ),
    )
    write(
        more / "body.txt",
        aggregator_page(
            "Quiet day at sea",
            ["A storm passed far to the north."],
            "Coast Wire",
            "May 2, 2025 at 07:00AM",
        ),
    )
    list(pipeline.run(engine, iter_paths([str(more)])))
    hits = search(session, "storm")
    assert _titles(hits) == ["Storm warning lifted", "Quiet day at sea"]
    assert hits[0].paragraph_position is None  # only the title matched
    assert hits[0].snippet == "<mark>Storm</mark> warning lifted"
    assert hits[0].score > hits[1].score


def test_filters(session: Session) -> None:
    assert _titles(search(session, "island", ArticleFilters(source="coast wire"))) != []
    assert search(session, "island", ArticleFilters(source="North Desk")) == []
    since = ArticleFilters(since=date(2025, 4, 1))
    assert _titles(search(session, "island", since)) == ["Ferry strike ends"]
    until = ArticleFilters(until=date(2025, 3, 1))
    assert _titles(search(session, "island", until)) == ["Harbour ferry returns"]
    assert _titles(search(session, "arrested", ArticleFilters(place="RU"))) == [
        "Border arrests rise"
    ]
    assert _titles(search(session, "island", ArticleFilters(place="Porto"))) == [
        "Harbour ferry returns"
    ]


def test_kind_filter_and_sort(session: Session) -> None:
    assert search(session, "Popular") == []
    assert len(search(session, "Popular", ArticleFilters(kind="sidebar"))) == 3
    newest = search(session, "island", sort="newest")
    assert _titles(newest) == ["Ferry strike ends", "Harbour ferry returns"]


def test_per_article_lists_several_paragraphs(session: Session) -> None:
    hits = search(session, "ferry OR island", per_article=2)
    harbour = [h for h in hits if h.title == "Harbour ferry returns"]
    assert [h.paragraph_position for h in harbour] == [1]
    assert len(hits) >= 2


def test_malformed_query_is_a_search_error(session: Session, backend: str) -> None:
    for query in MALFORMED[backend]:
        with pytest.raises(SearchError, match="malformed query"):
            search(session, query)
    with pytest.raises(SearchError, match="empty"):
        search(session, "   ")


@pytest.mark.sqlite_only(reason="FTS5 tables; PostgreSQL indexes *_tsv columns instead")
def test_fts_tables_follow_the_datasette_convention(engine: Engine) -> None:
    with engine.connect() as connection:
        for table in ("paragraphs", "articles"):
            found = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE rootpage = 0 AND "
                    "sql LIKE '%VIRTUAL TABLE%USING FTS%content=\"' || :t || '\"%'"
                ),
                {"t": table},
            ).scalar()
            assert found == f"{table}_fts"


def test_index_follows_deletes(engine: Engine, session: Session) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE title = 'Border arrests rise'"))
    session.rollback()
    assert search(session, "Vladivostok") == []


@pytest.mark.sqlite_only(reason="FTS5 integrity-check and the paused triggers of db.fts")
def test_bulk_writes_leave_the_index_whole(engine: Engine, session: Session) -> None:
    with engine.begin() as connection:
        for fts in ("paragraphs_fts", "articles_fts"):
            connection.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"))
        assert connection.execute(text("SELECT deferred FROM fts_control")).scalar() == 0


def test_a_write_after_ingest_is_indexed(engine: Engine, session: Session) -> None:
    """After ingest's bulk writes, a single write by other means is indexed as it is made."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                "VALUES (1, 99, 'body', 'A lighthouse keeper retired.', 7)"
            )
        )
    session.rollback()
    assert [h.paragraph_position for h in search(session, "lighthouse")] == [99]


def test_the_widest_dates_and_limits_are_no_error(session: Session) -> None:
    """The first and last days a date can be, and limits past any count, select everything."""
    widest = ArticleFilters(since=date.min, until=date.max)
    params: dict[str, object] = {}
    assert widest.where(params) == "a.published_at >= :since"  # no day after date.max
    assert len(search(session, "ferry OR defectors", widest, limit=2**63 - 1)) == 3
    assert len(search(session, "ferry OR defectors", widest, limit=10**30)) == 3
    assert len(rank_articles(session, "island", widest, limit=None)) == 2


def test_a_failing_database_is_not_a_malformed_query(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the query's own faults are SearchError (exit 2); a damaged file is not one."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    def damaged(*_args: object, **_kwargs: object) -> None:
        error = sqlite3.DatabaseError("database disk image is malformed")
        error.sqlite_errorname = "SQLITE_CORRUPT"  # type: ignore[attr-defined]
        raise OperationalError("SELECT", {}, error)

    monkeypatch.setattr(session, "execute", damaged)
    with pytest.raises(OperationalError):
        search(session, "ferry")
