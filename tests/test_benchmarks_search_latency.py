"""The database ``benchmarks/search_latency.py`` generates: each article a story of its own."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import search_latency  # noqa: E402  (a script beside the others, not a package module)


def _stories(path: Path) -> tuple[int, int, int, int]:
    db = sqlite3.connect(path)
    try:
        row = db.execute(
            "SELECT count(*), count(DISTINCT story_id), sum(story_id = id), "
            "(SELECT count(*) FROM stories s JOIN articles a ON a.story_id = s.id "
            " WHERE s.articles = 1 AND s.first_article_id = a.id) FROM articles"
        ).fetchone()
    finally:
        db.close()
    return tuple(int(v) for v in row)  # type: ignore[return-value]


def test_each_generated_article_is_a_story_of_its_own(tmp_path: Path) -> None:
    """Else search, one hit per story, would list one article for the whole database."""
    path = tmp_path / "bench.db"
    search_latency.generate(path, 30)
    assert _stories(path) == (30, 30, 30, 30)


def test_a_database_generated_before_is_mended(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    search_latency.generate(path, 12)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DELETE FROM stories")
    db.execute("UPDATE articles SET story_id = 0")
    assert db.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone() == (1,)
    db.execute("BEGIN")
    search_latency.own_stories(db)
    db.execute("COMMIT")
    db.close()
    assert _stories(path) == (12, 12, 12, 12)
