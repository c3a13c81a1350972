"""The newsstore CLI through Typer's CliRunner, against a temporary database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.main import get_command
from typer.testing import CliRunner

from ingest.cli import app
from tests.conftest import SEEDS, never_made, write


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every command under ``group`` with its full name (typer vendors click: duck-typed)."""
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if hasattr(command, "commands"):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


def test_every_command_has_help_text() -> None:
    commands = _commands(get_command(app))
    assert {
        "ingest",
        "reparse",
        "db",
        "db upgrade",
        "db downgrade",
        "db current",
        "db history",
    } <= {name for name, _ in commands}
    for name, command in commands:
        assert command.help and command.help.strip(), f"{name} has no help"


def test_ingest_seeds_then_again(runner: CliRunner, db_url: str) -> None:
    first = runner.invoke(app, ["ingest", str(SEEDS)])
    assert first.exit_code == 0, first.output
    assert "1 new articles" in first.stdout and "0 failed" in first.stdout
    again = runner.invoke(app, ["ingest", str(SEEDS)])
    assert again.exit_code == 0
    assert "0 new articles" in again.stdout and "1 unchanged" in again.stdout


def test_a_rerun_over_stored_files_does_not_load_the_parsers(tmp_path: Path) -> None:
    """Re-ingesting unchanged files never parses, so it must not pay for importing parsers."""
    db = tmp_path / "n.db"
    folder = tmp_path / "in"
    write(folder / "a.txt", (SEEDS / "000_1d9f090525d97fdf.txt").read_text(encoding="utf-8"))
    script = (
        "import sys\n"
        "from ingest.cli import app\n"
        "try:\n"
        f'    app(["--db", {str(db)!r}, "ingest", {str(folder)!r}])\n'
        "except SystemExit:\n"
        "    pass\n"
        "parsers = ('ingest.parse.document', 'ingest.places.locate')\n"
        "print(sorted(m for m in sys.modules if m in parsers))\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert "1 new articles" in runs[0].stdout
    assert runs[0].stdout.strip().endswith("['ingest.parse.document', 'ingest.places.locate']")
    assert "1 unchanged" in runs[1].stdout
    assert runs[1].stdout.strip().endswith("[]")


def test_db_option_wins_over_the_environment(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "other.db"
    result = runner.invoke(app, ["--db", str(target), "ingest", str(SEEDS)])
    assert result.exit_code == 0, result.output
    engine = create_engine(f"sqlite:///{target}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 1
    engine.dispose()
    assert never_made(db_url)


def test_a_failed_file_gives_one_line_and_exit_1(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    empty = write(tmp_path / "in" / "empty.txt", b"")
    write(tmp_path / "in" / "good.txt", "Headline\n\nBody text here.\n")
    result = runner.invoke(app, ["ingest", str(tmp_path / "in")])
    assert result.exit_code == 1
    assert f"error: {empty}: empty file" in result.stderr
    assert "Traceback" not in result.output
    assert "1 new articles" in result.stdout and "1 failed" in result.stdout


def test_stdin_is_ingested_as_dash(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["ingest", "-"], input="From stdin\n\nA paragraph.\n")
    assert result.exit_code == 0, result.output
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT origin FROM documents")).scalar() == "-"
    engine.dispose()


def test_db_commands(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and "(head)" in current.stdout
    history = runner.invoke(app, ["db", "history"])
    assert history.exit_code == 0 and "Initial schema" in history.stdout
    assert runner.invoke(app, ["db", "downgrade", "base"]).exit_code == 0
    assert "base" in runner.invoke(app, ["db", "current"]).stdout
    # A database taken down to base is empty again: ingest brings it back to head.
    again = runner.invoke(app, ["ingest", str(SEEDS)])
    assert again.exit_code == 0, again.output
    assert "(head)" in runner.invoke(app, ["db", "current"]).stdout


def test_db_optimize(runner: CliRunner, db_url: str, backend: str) -> None:
    assert runner.invoke(app, ["ingest", str(SEEDS)]).exit_code == 0
    result = runner.invoke(app, ["db", "optimize", "--no-vacuum"])
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        assert "merge paragraphs_fts" in result.stdout and "ANALYZE" in result.stdout
        assert "VACUUM" not in result.stdout and "database:" in result.stdout
    else:
        assert "VACUUM ANALYZE documents" in result.stdout
    search = runner.invoke(app, ["search", "Vladivostok", "--json"])
    assert [hit["article_id"] for hit in json.loads(search.stdout)] == [1]


def test_db_optimize_refuses_a_database_behind_head(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade", "b2ca821921f7"]).exit_code == 0
    result = runner.invoke(app, ["db", "optimize"])
    assert result.exit_code == 1 and "newsstore db upgrade" in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_schema_is_refused_cleanly(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'abcdef123456'"))
    engine.dispose()
    result = runner.invoke(app, ["ingest", str(SEEDS)])
    assert result.exit_code == 1
    assert "newer version" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--help"], "Usage: newsstore [OPTIONS] COMMAND"),
        (["ingest", "--help"], "Example: newsstore ingest seeds/"),
        (["db", "upgrade", "--help"], "Example: newsstore db upgrade"),
    ],
)
def test_help_shows_usage_and_examples(runner: CliRunner, args: list[str], shown: str) -> None:
    result = runner.invoke(app, args, prog_name="newsstore", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert shown in result.stdout


def test_show_prints_the_article_and_explains(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["ingest", str(SEEDS)]).exit_code == 0
    shown = runner.invoke(app, ["show", "1", "--explain"], env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "Uzbek arrested by Russian government" in shown.stdout
    assert "DailyNK (North Korean Media)" in shown.stdout
    assert "[where they needed to go]" in shown.stdout  # text is not read as markup
    assert "known boilerplate phrase" in shown.stdout


def test_show_json_and_missing_article(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["ingest", str(SEEDS)]).exit_code == 0
    shown = runner.invoke(app, ["show", "1", "--json"])
    data = json.loads(shown.stdout)
    assert data["source"] == "DailyNK" and data["page_date"] == "2025-02-09"
    assert sum(p["kind"] == "body" for p in data["paragraphs"]) == 11
    missing = runner.invoke(app, ["show", "99"])
    assert missing.exit_code == 1 and "no article 99" in missing.stderr


def test_help_shows_the_default_database(runner: CliRunner) -> None:
    """The --db help names its default (once eaten as rich markup: "SQLAlchemy URL .")."""
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    (line,) = [line for line in result.stdout.splitlines() if "--db" in line]
    described = " ".join(line.strip("│ ").split())
    assert "Database file or SQLAlchemy URL. [default:" in described, described
    assert "$NEWSSTORE_DATABASE_URL, else ./newsstore.db" in described
