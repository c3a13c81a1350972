"""db.queries: places counted from the links alone when no article filter is set, the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.filters import ArticleFilters
from db.queries import top_places
from ingest import pipeline
from ingest.read import iter_paths
from tests.conftest import aggregator_page, write

PLACES = ["Paris", "Tokyo", "Paris and Tokyo", "Paris, then Paris again"]


def _ingest(engine: Engine, folder: Path) -> None:
    for n, named in enumerate(PLACES):
        when = f"{'January 5, 2024' if n % 2 else 'March 9, 2025'} at 10:15AM"
        body = [f"Story {n}: ministers met in {named} on Monday.", f"Talks went on, {n}."]
        write(folder / f"{n}.txt", aggregator_page(f"Meeting {n}", body, f"Wire {n}", when))
    list(pipeline.run(engine, iter_paths([str(folder)])))


def _shown(totals: list) -> list[tuple[str, int, int]]:  # type: ignore[type-arg]
    return [(t.name, t.articles, t.mentions) for t in totals]


def test_places_without_filters_count_every_link(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, tmp_path)
    with Session(engine) as session:
        every = _shown(top_places(session))
        # A filter that lets every article through takes the path that joins articles.
        joined = _shown(top_places(session, ArticleFilters(since=date(2000, 1, 1))))
        pages = _shown(top_places(session, role="page"))
        french = _shown(top_places(session, country="fr"))
        cities = _shown(top_places(session, kind="city", limit=1))
        later = _shown(top_places(session, ArticleFilters(since=date(2025, 1, 1))))
        wire = _shown(top_places(session, ArticleFilters(source="wire 1")))
    assert every == joined
    assert every[:2] == [("Paris", 3, 4), ("Tokyo", 2, 2)]
    assert pages == [("Lisbon", 4, 4)]
    assert french[0] == ("Paris", 3, 4) and {name for name, *_ in french} <= {"Paris", "France"}
    assert cities == [("Paris", 3, 4)]
    assert later[:2] == [("Paris", 2, 2), ("Tokyo", 1, 1)]  # stories 0 and 2
    assert wire == [("Tokyo", 1, 1)]
