"""db.search.collapse: a search lists each story once, unless every copy is asked for."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db.search import search
from db.search.collapse import one_per_story
from tests.conftest import aggregator_page, ingest_pages, story_paragraphs
from tests.test_store_stories import _pages


def test_search_lists_a_story_once_with_its_copies_counted(engine: Engine, tmp_path: Path) -> None:
    ingest_pages(engine, tmp_path, _pages())
    with Session(engine) as session:
        collapsed = search(session, "harbour", limit=20)
        every = search(session, "harbour", limit=20, all_copies=True)
    stories = [hit.story_id for hit in collapsed]
    assert len(stories) == len(set(stories)) == 3
    assert sum(hit.copies for hit in collapsed) == 3  # the story of four, three left out
    assert len(every) == 6 and all(hit.copies == 0 for hit in every)
    assert {hit.story_id for hit in every} == set(stories)


def test_more_ranked_rows_are_read_until_enough_stories(engine: Engine, tmp_path: Path) -> None:
    """Ten copies rank first: a limit of two stories still finds the second story."""
    one = story_paragraphs(21)
    pages = {
        f"c{n}.txt": aggregator_page(
            f"Copy {n}", [f"Lead number {n} of its own site.", *one], f"Site {n}(World)"
        )
        for n in range(10)
    }
    pages["z.txt"] = aggregator_page("Other", story_paragraphs(22))
    ingest_pages(engine, tmp_path, pages)
    asked: list[int | None] = []
    with Session(engine) as session:
        ids = [row[0] for row in session.execute(text("SELECT id FROM articles ORDER BY title"))]

        def rank(n: int | None) -> list[tuple[int]]:
            asked.append(n)
            return [(i,) for i in ids][: n if n is not None else None]

        found = one_per_story(session, rank, 2)
    assert len(found) == 2
    assert found[0][2] == 9  # the first story's other nine copies
    assert asked[0] == 6 and len(asked) > 1
