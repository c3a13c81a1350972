"""What only PostgreSQL has to show: the same store as SQLite's, and many writers at once.

Skipped without NEWSSTORE_TEST_POSTGRES_URL (a newcomer's machine has no
server). The rest of the suite runs its database tests on PostgreSQL too; the
tests here compare the two engines, or need several processes on one server.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from db.models import Article, Document, Paragraph, Source, SourceParagraph
from db.session import make_engine
from ingest.cli import app
from tests.conftest import POSTGRES_URL, SEED, write
from tests.test_store import STANDING, page

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="NEWSSTORE_TEST_POSTGRES_URL is not set")


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new SQLite file, the side PostgreSQL is compared with; also the default database."""
    url = f"sqlite:///{tmp_path / 'compare.db'}"
    monkeypatch.setenv("NEWSSTORE_DATABASE_URL", url)
    return url


def test_upgrade_ingest_and_export_match_sqlite(
    postgres_url: str, runner: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", "A plain headline about Paris\n\nIt rained in Paris, France.\n")
    write(folder / "b.jsonl", '{"title": "Wire story", "text": "One.\\n\\nTwo.", "source": "W"}\n')
    exports = []
    for url in (postgres_url, sqlite_url):
        result = runner.invoke(app, ["--db", url, "ingest", str(SEED), str(folder)])
        assert result.exit_code == 0, result.output
        exports.append(runner.invoke(app, ["--db", url, "export"]).stdout)
    assert exports[0] == exports[1] and exports[0].count("\n") == 3
    refused = runner.invoke(app, ["--db", postgres_url, "sql", "DELETE FROM articles"])
    assert refused.exit_code == 1 and "read-only" in refused.stderr
    places = runner.invoke(app, ["--db", postgres_url, "places", "--json", "--country", "RU"])
    assert '"Russia"' in places.stdout


def test_search_finds_the_seed_on_both_engines(
    postgres_url: str, runner: CliRunner, sqlite_url: str
) -> None:
    for url in (postgres_url, sqlite_url):
        assert runner.invoke(app, ["--db", url, "ingest", str(SEED)]).exit_code == 0
        result = runner.invoke(app, ["--db", url, "search", "defectors Vladivostok", "--json"])
        (hit,) = json.loads(result.stdout)
        assert hit["article_id"] == 1 and "<mark>" in hit["snippet"]
        assert runner.invoke(app, ["--db", url, "search", "nowhere Vladivostok"]).exit_code == 0


def test_copy_to_postgres_and_back_gives_identical_exports(
    postgres_url: str, runner: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    write(tmp_path / "in" / "a.txt", "A plain headline about Paris\n\nIt rained in Paris.\n")
    assert runner.invoke(app, ["ingest", str(SEED), str(tmp_path / "in")]).exit_code == 0
    assert runner.invoke(app, ["db", "copy", "--to", postgres_url]).exit_code == 0
    back = tmp_path / "back.db"
    copied = runner.invoke(app, ["--db", postgres_url, "db", "copy", "--to", str(back)])
    assert copied.exit_code == 0
    exports = [
        runner.invoke(app, ["--db", url, "export"]).stdout
        for url in (sqlite_url, postgres_url, str(back))
    ]
    assert exports[0] == exports[1] == exports[2]
    write(
        tmp_path / "more" / "b.txt",
        "Budget approved\n\nThe council approved the new budget on Tuesday.\n",
    )
    more = runner.invoke(app, ["--db", postgres_url, "ingest", str(tmp_path / "more")])
    assert more.exit_code == 0 and "1 new articles" in more.stdout  # sequences moved on


SOURCES = ("Coast Wire(Regional)", "North Desk(World)", "Harbour Post", "Valley Times(Local)")


def _pages(folder: Path, numbers: range) -> None:
    """Small page dumps: story ``n`` has the same text wherever it is written."""
    for n in numbers:
        body = [f"Paragraph {k} of story {n}, about the harbour and the ferry." for k in range(3)]
        write(folder / f"{n:05d}.txt", page(f"Story number {n}", body, SOURCES[n % len(SOURCES)]))


def test_two_ingest_processes_write_one_database_at_once(postgres_url: str, tmp_path: Path) -> None:
    """Several ingests work on one PostgreSQL database at once; their writes take turns.

    Both processes get the same 300 files, the second in the opposite order so
    that the two meet in the middle whatever their speeds, plus 200 of their
    own, of which 50 repeat the other's stories under other names: each file
    is stored once, each story once, the repeats as duplicates, the four
    sources once, and the standing paragraph counted in every article.
    """
    shared, mine, theirs = tmp_path / "shared", tmp_path / "mine", tmp_path / "theirs"
    _pages(shared, range(300))
    _pages(mine, range(300, 500))
    _pages(theirs, range(450, 650))  # stories 450-499 in both
    backwards = sorted(map(str, shared.iterdir()), reverse=True)
    command = [sys.executable, "-m", "ingest", "--db", postgres_url, "ingest"]
    processes = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for args in ([*command, str(shared), str(mine)], [*command, *backwards, str(theirs)])
    ]
    new_articles = 0
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err and b"error:" not in err
        summary = re.search(rb"(\d+) new articles", out)
        assert summary is not None, out.decode()
        new_articles += int(summary.group(1))
    assert new_articles == 650
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            count = func.count()
            statuses = dict(
                connection.execute(select(Document.status, count).group_by(Document.status)).all()
            )
            files = connection.execute(
                select(count, func.count(func.distinct(Document.origin)))
            ).one()
            pointers = connection.scalar(
                select(count).where(Document.status == "duplicate", Document.duplicate_of > 0)
            )
            stories = connection.execute(
                select(count, func.count(func.distinct(Article.title)))
            ).one()
            sources = connection.scalars(select(Source.name)).all()
            standing = connection.scalars(
                select(SourceParagraph.articles).where(SourceParagraph.text == STANDING)
            ).all()
            kinds = connection.scalars(
                select(Paragraph.kind).where(Paragraph.text == STANDING).distinct()
            ).all()
    finally:
        engine.dispose()
    assert tuple(files) == (700, 700)  # every file once
    assert statuses == {"ingested": 650, "duplicate": 50} and pointers == 50
    assert tuple(stories) == (650, 650)  # every story once
    assert sorted(sources) == sorted(s.split("(")[0] for s in SOURCES)
    assert sorted(standing) == [162, 162, 163, 163]  # 650 stories, in turn from 4 sources
    assert kinds == ["boilerplate"]
