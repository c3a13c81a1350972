"""ingest.cli.stories, and what the other commands say of stories (show, search, stats, export)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ingest.cli import app
from tests.conftest import write
from tests.test_store_stories import _pages


def _ingest(runner: CliRunner, folder: Path) -> None:
    for name, text in _pages().items():
        write(folder / name, text)
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0


def test_stories_json_lists_the_biggest(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    _ingest(runner, tmp_path)
    result = runner.invoke(app, ["stories", "--json"])
    assert result.exit_code == 0, result.output
    [story] = json.loads(result.stdout)
    assert (story["articles"], story["sources"], story["title"]) == (4, 3, "Original")
    table = runner.invoke(app, ["stories", "--min-articles", "1", "--limit", "2"])
    assert table.exit_code == 0 and "Original" in table.stdout and "Other" in table.stdout


def test_show_lists_the_other_articles_of_the_story(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    _ingest(runner, tmp_path)
    story = json.loads(runner.invoke(app, ["stories", "--json"]).stdout)[0]
    data = json.loads(runner.invoke(app, ["show", str(story["first_article_id"]), "--json"]).stdout)
    assert data["story_id"] == story["id"]
    assert sorted((m["title"], m["relation"]) for m in data["story"]) == [
        ("Copy", "copy"),
        ("Excerpt", "copy"),
        ("Update", "update"),
    ]
    shown = runner.invoke(app, ["show", str(story["first_article_id"])])
    assert "update" in shown.stdout and "Excerpt" in shown.stdout


def test_search_collapses_copies_unless_asked(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    _ingest(runner, tmp_path)
    collapsed = json.loads(runner.invoke(app, ["search", "harbour", "--json"]).stdout)
    every = json.loads(runner.invoke(app, ["search", "harbour", "--json", "--all-copies"]).stdout)
    assert len(collapsed) == 3 and len(every) == 6
    assert max(hit["copies"] for hit in collapsed) == 3


def test_stats_count_stories_and_export_carries_them(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    _ingest(runner, tmp_path / "pages")
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert (stats["articles"], stats["stories"]) == (6, 3)
    assert "in 3 stories" in runner.invoke(app, ["stats"]).stdout
    lines = runner.invoke(app, ["export"]).stdout.splitlines()
    stories = {json.loads(line)["title"]: json.loads(line)["story_id"] for line in lines}
    assert stories["Copy"] == stories["Original"] != stories["Other"]
