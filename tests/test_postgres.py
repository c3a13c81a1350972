"""The same store on PostgreSQL, when NEWSSTORE_TEST_POSTGRES_URL names a throwaway database.

Skipped otherwise (a newcomer's machine has no server). The database named is
emptied: every table is dropped at the start and at the end.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import migrate
from ingest.cli import app
from tests.conftest import SEED, write

POSTGRES_URL = os.environ.get("NEWSSTORE_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="NEWSSTORE_TEST_POSTGRES_URL is not set")


@pytest.fixture
def postgres() -> Iterator[str]:
    assert POSTGRES_URL
    migrate.downgrade(POSTGRES_URL, "base")
    yield POSTGRES_URL
    migrate.downgrade(POSTGRES_URL, "base")


def test_upgrade_ingest_and_export_match_sqlite(
    postgres: str, runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", "A plain headline about Paris\n\nIt rained in Paris, France.\n")
    write(folder / "b.jsonl", '{"title": "Wire story", "text": "One.\\n\\nTwo.", "source": "W"}\n')
    exports = []
    for url in (postgres, db_url):
        result = runner.invoke(app, ["--db", url, "ingest", str(SEED), str(folder)])
        assert result.exit_code == 0, result.output
        exports.append(runner.invoke(app, ["--db", url, "export"]).stdout)
    assert exports[0] == exports[1] and exports[0].count("\n") == 3
    refused = runner.invoke(app, ["--db", postgres, "sql", "DELETE FROM articles"])
    assert refused.exit_code == 1 and "read-only" in refused.stderr
    places = runner.invoke(app, ["--db", postgres, "places", "--json", "--country", "RU"])
    assert '"Russia"' in places.stdout


def test_search_finds_the_seed_on_both_engines(
    postgres: str, runner: CliRunner, db_url: str
) -> None:
    for url in (postgres, db_url):
        assert runner.invoke(app, ["--db", url, "ingest", str(SEED)]).exit_code == 0
        result = runner.invoke(app, ["--db", url, "search", "defectors Vladivostok", "--json"])
        (hit,) = json.loads(result.stdout)
        assert hit["article_id"] == 1 and "<mark>" in hit["snippet"]
        assert runner.invoke(app, ["--db", url, "search", "nowhere Vladivostok"]).exit_code == 0


def test_copy_to_postgres_and_back_gives_identical_exports(
    postgres: str, runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    write(tmp_path / "in" / "a.txt", "A plain headline about Paris\n\nIt rained in Paris.\n")
    assert runner.invoke(app, ["ingest", str(SEED), str(tmp_path / "in")]).exit_code == 0
    assert runner.invoke(app, ["db", "copy", "--to", postgres]).exit_code == 0
    back = tmp_path / "back.db"
    assert runner.invoke(app, ["--db", postgres, "db", "copy", "--to", str(back)]).exit_code == 0
    exports = [
        runner.invoke(app, ["--db", url, "export"]).stdout for url in (db_url, postgres, str(back))
    ]
    assert exports[0] == exports[1] == exports[2]
    write(
        tmp_path / "more" / "b.txt",
        "Budget approved\n\nThe council approved the new budget on Tuesday.\n",
    )
    more = runner.invoke(app, ["--db", postgres, "ingest", str(tmp_path / "more")])
    assert more.exit_code == 0 and "1 new articles" in more.stdout  # sequences moved on
