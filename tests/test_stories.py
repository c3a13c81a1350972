"""db.stories: the biggest stories, a story's articles, and how each relates to the first."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.stories import biggest_stories, count_stories, relation, story_members, story_of
from tests.conftest import ingest_pages
from tests.test_store_stories import _pages


def test_relation_to_the_first_article() -> None:
    assert relation(3, 3, 1, 1, None, None) == "first"
    assert relation(4, 3, 1, 1, None, None) == "update"  # same source
    assert relation(4, 3, 2, 1, "https://x.example/a", "https://x.example/a") == "update"  # URL
    assert relation(4, 3, 2, 1, "https://y.example/a", "https://x.example/a") == "copy"
    assert relation(4, 3, None, None, None, None) == "copy"  # no source says nothing


def test_biggest_stories_and_their_articles(engine: Engine, tmp_path: Path) -> None:
    ingest_pages(engine, tmp_path, _pages())
    with Session(engine) as session:
        [story] = biggest_stories(session)
        assert (story.articles, story.sources, story.title) == (4, 3, "Original")
        assert set(story.source_names) == {"Wire A", "Site B", "Site C"}
        assert story.first_published_at is not None and story.last_published_at is not None
        assert story.first_published_at < story.last_published_at
        assert len(biggest_stories(session, min_articles=1)) == 3
        assert count_stories(session) == 3
        members = story_members(session, story.id)
        relations = {m.title: m.relation for m in members}
        assert members[0].title == "Original" and members[0].similarity == 1.0
        assert relations == {
            "Original": "first",
            "Update": "update",
            "Copy": "copy",
            "Excerpt": "copy",
        }
        assert story_of(session, members[1].article_id) == story.id
        assert story_members(session, 10**9) == [] and story_of(session, 10**9) is None
