"""The read-only commands: search, sql, export, stats, places."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.cli import app
from tests.conftest import SEEDS, database_state, never_made

# Queries refused on each engine. PostgreSQL reads Korean-speaking as words, where FTS5
# takes the hyphen for syntax.
MALFORMED = {"sqlite": ["Korean-speaking", "defectors *"], "postgresql": ["defectors *"]}


@pytest.fixture
def seeded(runner: CliRunner, db_url: str) -> str:
    """The seeds ingested into the test database; its URL."""
    assert runner.invoke(app, ["ingest", str(SEEDS)]).exit_code == 0
    return db_url


def test_search_json_returns_the_seed_with_highlight(runner: CliRunner, seeded: str) -> None:
    result = runner.invoke(app, ["search", "Vladivostok", "--json"])
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.stdout)
    assert hit["article_id"] == 1 and hit["source"] == "DailyNK"
    assert "<mark>Vladivostok</mark>" in hit["snippet"]
    assert {"title", "published_at", "score"} <= hit.keys()


def test_search_table_and_malformed_query(runner: CliRunner, seeded: str, backend: str) -> None:
    table = runner.invoke(app, ["search", "defectors", "--place", "Vladivostok"])
    assert table.exit_code == 0 and "Uzbek arrested" in table.stdout
    for query in MALFORMED[backend]:
        bad = runner.invoke(app, ["search", query])
        assert bad.exit_code == 2, query
        assert bad.stderr.count("\n") == 1 and "malformed query" in bad.stderr
        assert "Traceback" not in bad.output


def test_sql_refuses_writes_and_changes_nothing(runner: CliRunner, seeded: str) -> None:
    before = database_state(seeded)
    result = runner.invoke(app, ["sql", "DELETE FROM articles"])
    assert result.exit_code == 1 and "read-only" in result.stderr
    assert database_state(seeded) == before
    count = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM articles", "--json"])
    assert json.loads(count.stdout) == [{"n": 1}]


def test_sql_csv(runner: CliRunner, seeded: str) -> None:
    result = runner.invoke(app, ["sql", "SELECT name, category FROM sources", "--csv"])
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["name", "category"],
        ["DailyNK", "North Korean Media"],
    ]


def test_export_jsonl_and_csv(runner: CliRunner, seeded: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "jsonl", "--place", "RU"])
    (line,) = result.stdout.splitlines()
    article = json.loads(line)
    assert article["title"].startswith("Uzbek arrested") and len(article["paragraphs"]) == 11
    assert article["page_date"] == "2025-02-09" and article["source"] == "DailyNK"
    assert {p["name"] for p in article["locations"]} >= {"Russia", "Delhi", "Vladivostok"}
    assert runner.invoke(app, ["export", "--source", "nobody"]).stdout == ""
    target = tmp_path / "out.csv"
    written = runner.invoke(app, ["export", "Vladivostok", "--format", "csv", "-o", str(target)])
    assert written.exit_code == 0 and "1 articles written" in written.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 1 and "Russia (country, RU, mention x6)" in rows[0]["locations"]


def test_stats_and_places(runner: CliRunner, seeded: str) -> None:
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["articles"] == 1 and stats["documents"] == {"ingested": 1}
    assert stats["by_month"] == [["2024-05", 1]] and stats["database_bytes"] > 0
    places = json.loads(runner.invoke(app, ["places", "--json", "--country", "RU"]).stdout)
    assert [(p["name"], p["mentions"]) for p in places][:1] == [("Russia", 6)]
    page = json.loads(runner.invoke(app, ["places", "--json", "--page"]).stdout)
    assert [p["name"] for p in page] == ["Delhi"]
    table = runner.invoke(app, ["stats"])
    assert table.exit_code == 0 and "DailyNK" in table.stdout


def test_read_commands_never_write(runner: CliRunner, seeded: str) -> None:
    before = database_state(seeded)
    for args in (
        ["search", "Russia"],
        ["show", "1"],
        ["export"],
        ["stats"],
        ["places"],
        ["sql", "SELECT 1"],
    ):
        assert runner.invoke(app, args).exit_code == 0, args
    assert database_state(seeded) == before


def test_read_commands_need_a_database(runner: CliRunner, db_url: str, backend: str) -> None:
    """They never make one: no SQLite file is created, no table in an empty PostgreSQL database."""
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1 and "run 'newsstore ingest' first" in result.stderr
    assert ("no database" if backend == "sqlite" else "the database is empty") in result.stderr
    assert never_made(db_url)
