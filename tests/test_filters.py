"""ArticleFilters: which articles a read is about, on both engines, whatever the read.

The same filters choose the articles searched (``db.search``), exported
(``db.export``) and counted by place (``db.queries.top_places``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.export import export_articles
from db.filters import EVERYTHING, ArticleFilters
from db.queries import top_places
from db.search import search
from tests.conftest import aggregator_page, ingest_pages


@pytest.fixture
def session(engine: Engine, tmp_path: Path) -> Iterator[Session]:
    """Three articles: two sources, three days, Porto and Vladivostok named once each."""
    pages = {
        "a.txt": aggregator_page(
            "Border arrests rise",
            ["Police took three defectors to Vladivostok."],
            "North Desk(World)",
            "June 2, 2024 at 08:00AM",
        ),
        "b.txt": aggregator_page(
            "Harbour ferry returns",
            ["The ferry to Porto runs again."],
            "Coast Wire(Regional)",
            "March 1, 2025 at 10:15AM",
        ),
        "c.txt": aggregator_page(
            "Ferry strike ends",
            ["Crews return to the ferry routes."],
            "Coast Wire(Regional)",
            "April 5, 2025 at 09:00AM",
        ),
    }
    ingest_pages(engine, tmp_path, pages)
    with Session(engine) as session:
        yield session


def _exported(session: Session, filters: ArticleFilters | None = None) -> list[str]:
    return [article.title for article in export_articles(session, filters)]


def test_no_filter_lets_every_article_through_oldest_first(session: Session) -> None:
    everything = ["Border arrests rise", "Harbour ferry returns", "Ferry strike ends"]
    assert _exported(session) == everything
    assert _exported(session, ArticleFilters()) == everything


def test_a_source_is_its_name_in_any_case(session: Session) -> None:
    coast = ["Harbour ferry returns", "Ferry strike ends"]
    assert _exported(session, ArticleFilters(source="coast wire")) == coast
    assert _exported(session, ArticleFilters(source="Coast")) == []


def test_since_and_until_take_in_their_whole_day(session: Session) -> None:
    """Published at 08:00 on June 2: on or after June 2, on or before June 2, both."""
    day = date(2024, 6, 2)
    assert _exported(session, ArticleFilters(since=day, until=day)) == ["Border arrests rise"]
    assert _exported(session, ArticleFilters(until=date(2024, 6, 1))) == []
    assert _exported(session, ArticleFilters(since=date(2025, 3, 2))) == ["Ferry strike ends"]
    assert len(_exported(session, ArticleFilters(since=date.min, until=date.max))) == 3


def test_a_place_by_name_or_country_code(session: Session) -> None:
    assert _exported(session, ArticleFilters(place="porto")) == ["Harbour ferry returns"]
    assert _exported(session, ArticleFilters(place="ru")) == ["Border arrests rise"]
    assert len(_exported(session, ArticleFilters(place="PT"))) == 3  # Lisbon: every page


def test_filters_combine_with_and(session: Session) -> None:
    both = ArticleFilters(source="Coast Wire", since=date(2025, 4, 1))
    assert _exported(session, both) == ["Ferry strike ends"]
    assert _exported(session, ArticleFilters(source="North Desk", place="Porto")) == []


def test_the_kind_chooses_the_paragraphs_searched_not_the_articles(session: Session) -> None:
    """ "Most Popular Articles" is the pages' sidebar: searched only when asked for."""
    assert search(session, "Popular") == []
    assert len(search(session, "Popular", ArticleFilters(kind="sidebar"))) == 3
    assert len(search(session, "Popular", ArticleFilters(kind=None))) == 3
    assert len(_exported(session, ArticleFilters(kind="sidebar"))) == 3


def test_places_are_counted_in_the_filtered_articles_only(session: Session) -> None:
    assert [p.name for p in top_places(session)] == ["Porto", "Vladivostok"]
    coast = top_places(session, ArticleFilters(source="Coast Wire"))
    assert [(p.name, p.articles) for p in coast] == [("Porto", 1)]
    pages = top_places(session, ArticleFilters(since=date(2025, 1, 1)), role="page")
    assert [(p.name, p.articles) for p in pages] == [("Lisbon", 2)]


def test_unset_filters_write_a_clause_that_lets_everything_through() -> None:
    params: dict[str, object] = {}
    assert ArticleFilters(until=date.max).where(params) == EVERYTHING
    assert ArticleFilters(kind=None).paragraph_where(params) == EVERYTHING
    assert params == {}


def test_the_until_bound_is_the_next_day() -> None:
    params: dict[str, object] = {}
    assert ArticleFilters(until=date(2024, 2, 29)).where(params) == "a.published_at < :until"
    assert params == {"until": "2024-03-01"}


def test_filters_are_frozen() -> None:
    filters = ArticleFilters(source="North Desk")
    with pytest.raises(dataclasses.FrozenInstanceError):
        filters.source = "Coast Wire"  # type: ignore[misc]
