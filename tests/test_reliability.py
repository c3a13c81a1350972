"""Reliability: bad files fail alone, two writers, a killed ingest, upgrades that keep every row."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from db import migrate
from db.session import make_engine
from ingest.cli import app
from ingest.pipeline import BATCH_SIZE
from tests.conftest import SEED, write
from tests.test_store import page


def _pages(folder: Path, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        body = [f"Paragraph {k} of story {n}, about the harbour and the ferry." for k in range(6)]
        write(folder / f"{n:05d}.txt", page(f"Story number {n}", body))


def _ingest(db: Path, *paths: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "--db", str(db), "ingest", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _check(db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    half_written = connection.execute(
        "SELECT count(*) FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM paragraphs p WHERE p.article_id = a.id AND p.kind = 'body')"
    ).fetchone()
    assert half_written == (0,)
    return connection


def test_bad_files_fail_alone_with_one_line_each(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder / "empty.txt", b"")
    write(folder / "blank.txt", b"  \n\t\n")
    write(folder / "nul.txt", b"Headline\n\nText\x00with a NUL.\n")
    write(folder / "random.txt", bytes(range(1, 256)) * 4)
    write(folder / "big.txt", "Headline\n\n" + "word " * 500)
    (folder / "folder.txt").mkdir()
    write(folder / "folder.txt" / "inside.txt", "Inside a folder\n\nIts text.\n")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    write(folder / "good.txt", "A good headline\n\nA good paragraph.\n")
    result = runner.invoke(app, ["ingest", str(folder), "--max-size", "2K"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("error:"))
    expected = {
        "big.txt": "too large",
        "blank.txt": "empty file",
        "empty.txt": "empty file",
        "loop.txt": "cannot read",
        "nul.txt": "binary content",
        "random.txt": "undecodable bytes",
    }
    assert len(errors) == len(expected)
    for line, (name, reason) in zip(errors, sorted(expected.items()), strict=True):
        assert line.startswith(f"error: {folder / name}: ") and reason in line
    assert "2 new articles" in result.stdout and "6 failed" in result.stdout
    assert "failed by reason:" in result.stderr
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT origin, status, error, raw FROM documents WHERE status = 'failed'")
        ).all()
    engine.dispose()
    failed = {Path(r.origin).name: r for r in rows}
    assert set(failed) == set(expected)
    assert failed["nul.txt"].raw == (folder / "nul.txt").read_bytes()
    assert failed["big.txt"].raw == b""  # refused unread


def test_two_writers_on_one_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _pages(a, 150)
    _pages(b, 150, start=100)  # 50 pages in common
    db = tmp_path / "shared.db"
    first, second = _ingest(db, a), _ingest(db, b)
    for process in (first, second):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        assert b"locked" not in err
    connection = _check(db)
    assert connection.execute("SELECT count(*) FROM articles").fetchone() == (250,)
    assert connection.execute(
        "SELECT count(*) FROM (SELECT content_hash FROM articles GROUP BY 1 HAVING count(*) > 1)"
    ).fetchone() == (0,)
    statuses = dict(connection.execute("SELECT status, count(*) FROM documents GROUP BY 1"))
    assert statuses == {"ingested": 250, "duplicate": 50}


def _wait_for_a_commit(db: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as probe:
                    if probe.execute("SELECT count(*) FROM articles").fetchone()[0] > 0:
                        return
            except sqlite3.OperationalError:
                pass


def test_ctrl_c_stops_cleanly_after_the_current_batch(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _pages(folder, 1500)
    db = tmp_path / "interrupted.db"
    process = _ingest(db, folder)
    _wait_for_a_commit(db)
    os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err.decode()
    assert b"interrupted: stopped cleanly" in err and b"Traceback" not in err
    assert b"new articles" in out  # the summary
    connection = _check(db)
    stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < stored < 1500 and stored % BATCH_SIZE == 0  # whole batches only
    connection.close()


def test_killed_ingest_leaves_a_sound_database_and_a_rerun_completes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _pages(folder, 1500)
    db = tmp_path / "killed.db"
    process = _ingest(db, folder)
    _wait_for_a_commit(db)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    connection = _check(db)
    stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    connection.close()
    assert 0 < stored < 1500
    rerun = _ingest(db, folder)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    connection = _check(db)
    assert connection.execute("SELECT count(*) FROM articles").fetchone() == (1500,)
    assert connection.execute("SELECT count(*) FROM documents").fetchone() == (1500,)


@pytest.mark.parametrize("revision", [r.revision for r in migrate.history() if not r.is_head])
def test_upgrading_from_every_revision_keeps_every_row(
    revision: str, runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    """Fill a database, take it back to an earlier revision, and upgrade it again."""
    write(tmp_path / "in" / "plain.txt", "A plain headline\n\nA paragraph about Paris.\n")
    assert runner.invoke(app, ["ingest", str(SEED), str(tmp_path / "in")]).exit_code == 0
    migrate.downgrade(db_url, revision)
    path = db_url.removeprefix("sqlite:///")
    before = sqlite3.connect(path)
    tables = [
        name
        for (name,) in before.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' "
            "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
        )
    ]
    snapshot = {t: before.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    columns = {t: [c[1] for c in before.execute(f"PRAGMA table_info({t})")] for t in tables}
    before.close()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "backup:" in result.stderr
    after = sqlite3.connect(path)
    for table in tables:
        names = ", ".join(columns[table])
        assert after.execute(f"SELECT {names} FROM {table}").fetchall() == snapshot[table], table
    assert after.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    after.close()
