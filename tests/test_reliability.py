"""Reliability: bad files fail alone, two writers, a killed ingest, upgrades that keep every row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from db import migrate
from db.raw import unpack
from db.session import make_engine
from ingest.cli import app
from ingest.fingerprint import paragraph_hash
from ingest.pipeline import BATCH_SIZE
from tests.conftest import SEED, write
from tests.test_store import page

# Enough pages for three batches and a bit: an interrupted ingest stops between them.
PAGES = 3 * BATCH_SIZE + 100


def _pages(folder: Path, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        body = [f"Paragraph {k} of story {n}, about the harbour and the ferry." for k in range(6)]
        write(folder / f"{n:05d}.txt", page(f"Story number {n}", body))


def _ingest(db: str, *paths: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "--db", db, "ingest", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@contextmanager
def _checked(db: str) -> Iterator[Connection]:
    """A connection to a database found sound: SQLite's own checks, and no half-written article."""
    engine = make_engine(db)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            half_written = connection.exec_driver_sql(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                "(SELECT 1 FROM paragraphs p WHERE p.article_id = a.id AND p.kind = 'body')"
            ).scalar()
            assert half_written == 0
            yield connection
    finally:
        engine.dispose()


def _count(connection: Connection, table: str) -> int:
    return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0)


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
            text(
                "SELECT origin, status, error, raw, raw_codec FROM documents"
                " WHERE status = 'failed'"
            )
        ).all()
    engine.dispose()
    failed = {Path(r.origin).name: r for r in rows}
    assert set(failed) == set(expected)
    nul = failed["nul.txt"]
    assert unpack(nul.raw, nul.raw_codec) == (folder / "nul.txt").read_bytes()
    assert failed["big.txt"].raw == b"" and failed["big.txt"].raw_codec is None  # refused unread


@pytest.mark.sqlite_only(
    reason="two writers on one SQLite file (WAL, busy timeout, BEGIN IMMEDIATE)"
)
def test_two_writers_on_one_file(tmp_path: Path) -> None:
    """On PostgreSQL: tests/test_postgres.py, two ingest processes on one database."""
    a, b = tmp_path / "a", tmp_path / "b"
    _pages(a, 150)
    _pages(b, 150, start=100)  # 50 pages in common
    db = str(tmp_path / "shared.db")
    first, second = _ingest(db, a), _ingest(db, b)
    for process in (first, second):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        assert b"locked" not in err
    with _checked(db) as connection:
        assert _count(connection, "articles") == 250
        repeated = connection.exec_driver_sql(
            "SELECT count(*) FROM "
            "(SELECT content_hash FROM articles GROUP BY content_hash HAVING count(*) > 1) r"
        ).scalar()
        assert repeated == 0
        statuses = connection.exec_driver_sql("SELECT status, count(*) FROM documents GROUP BY 1")
        assert dict(statuses.all()) == {"ingested": 250, "duplicate": 50}


def _wait_for_a_commit(db: str) -> None:
    """Until the database holds an article, without making the database meanwhile."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            engine = make_engine(db, readonly=True)
        except FileNotFoundError:
            continue
        try:
            with engine.connect() as connection:
                if _count(connection, "articles") > 0:
                    return
        except DBAPIError:  # no schema yet
            pass
        finally:
            engine.dispose()


# ``newsstore`` with a pause after its first batch: it says "paused" on stderr, then waits
# for a line on stdin. The test presses Ctrl-C during the pause, at a point it chose, so
# nothing depends on how fast the machine ingests.
_PAUSING = """
import sys
from ingest import pipeline
from ingest.cli import main

fold = pipeline._fold_wal
paused = []

def pause_once(engine):
    fold(engine)
    if not paused:
        paused.append(True)
        print("paused", file=sys.stderr, flush=True)
        sys.stdin.readline()

pipeline._fold_wal = pause_once
sys.argv[0] = "newsstore"
main()
"""


def _read_until(stream: IO[bytes], marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        line = stream.readline()
        assert line, f"ended before {marker!r}: {seen!r}"
        seen += line
    return seen


def test_ctrl_c_stops_cleanly_after_the_current_batch(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _pages(folder, PAGES)
    process = subprocess.Popen(
        [sys.executable, "-c", _PAUSING, "--db", db_url, "ingest", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stderr is not None
    _read_until(process.stderr, b"paused")  # the first batch is committed
    os.kill(process.pid, signal.SIGINT)
    _read_until(process.stderr, b"stopping after the current batch")
    out, err = process.communicate(b"go on\n", timeout=120)
    assert process.returncode == 130, err.decode()
    assert b"interrupted: stopped cleanly" in err and b"Traceback" not in err
    assert b"new articles" in out  # the summary
    with _checked(db_url) as connection:
        stored = _count(connection, "articles")
    assert 0 < stored < PAGES and stored % BATCH_SIZE == 0  # whole batches only
    rerun = _ingest(db_url, folder)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    with _checked(db_url) as connection:
        assert _count(connection, "articles") == PAGES


@pytest.mark.sqlite_only(reason="SIGKILL in the middle of writing a SQLite file")
def test_killed_ingest_leaves_a_sound_database_and_a_rerun_completes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _pages(folder, PAGES)
    db = str(tmp_path / "killed.db")
    process = _ingest(db, folder)
    _wait_for_a_commit(db)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with _checked(db) as connection:
        stored = _count(connection, "articles")
    assert 0 < stored < PAGES
    rerun = _ingest(db, folder)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    with _checked(db) as connection:
        assert (_count(connection, "articles"), _count(connection, "documents")) == (PAGES, PAGES)


Tables = dict[str, tuple[list[str], list[tuple[object, ...]]]]
# Tables whose paragraph hashes a revision derives again (61f29514ff84: hex to integer).
HASHED = ("paragraphs", "source_paragraphs")


def _unhashed(
    table: tuple[list[str], list[tuple[object, ...]]],
) -> tuple[list[str], list[tuple[object, ...]]]:
    """A table's columns and rows without ``text_hash``, in an order that does not use it."""
    names, rows = table
    keep = [i for i, name in enumerate(names) if name != "text_hash"]
    kept = [tuple(row[i] for i in keep) for row in rows]
    return [names[i] for i in keep], sorted(kept, key=repr)


def _table_rows(db: str, columns: dict[str, list[str]] | None = None) -> Tables:
    """Each table's columns (all, or those given) and rows, the full-text index aside."""
    engine = make_engine(db)
    found: Tables = {}
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            for table in inspector.get_table_names():
                if "fts" in table or table == "alembic_version":
                    continue
                if columns is not None and table not in columns:
                    continue  # new since
                names = [c["name"] for c in inspector.get_columns(table)]
                key = inspector.get_pk_constraint(table)["constrained_columns"] or names
                # Stored documents compare by their bytes as read, however stored (db.raw).
                codec = "raw_codec" if "raw_codec" in names and "raw" in names else "NULL"
                if columns is not None:
                    names = columns[table]
                rows = connection.exec_driver_sql(
                    f"SELECT {', '.join(names)}, {codec} FROM {table} ORDER BY {', '.join(key)}"
                )
                found[table] = (names, [_read_back(names, tuple(row)) for row in rows])
    finally:
        engine.dispose()
    return found


def _read_back(names: list[str], row: tuple[object, ...]) -> tuple[object, ...]:
    """A row without its last column, ``raw_codec`` (or NULL), with ``raw`` as read."""
    *values, codec = row
    if "raw" in names:
        at = names.index("raw")
        values[at] = unpack(values[at], codec)  # type: ignore[arg-type]
    return tuple(values)


@pytest.mark.parametrize("revision", [r.revision for r in migrate.history() if not r.is_head])
def test_upgrading_from_every_revision_keeps_every_row(
    revision: str, runner: CliRunner, db_url: str, tmp_path: Path, backend: str
) -> None:
    """Fill a database, take it back to an earlier revision, and upgrade it again."""
    write(tmp_path / "in" / "plain.txt", "A plain headline\n\nA paragraph about Paris.\n")
    # Two articles of one source with the same standing paragraph: a source_paragraphs row.
    write(tmp_path / "in" / "1.txt", page("Bridge opens", ["The new bridge opened."]))
    write(tmp_path / "in" / "2.txt", page("Dam repaired", ["The dam is repaired."]))
    assert runner.invoke(app, ["ingest", str(SEED), str(tmp_path / "in")]).exit_code == 0
    migrate.downgrade(db_url, revision)
    before = _table_rows(db_url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        assert "backup:" in result.stderr  # the file is copied first
    after = _table_rows(db_url, {table: names for table, (names, _) in before.items()})
    for table in before:
        assert _unhashed(after[table]) == _unhashed(before[table]), table
    for table in HASHED:  # derived again from the texts on the way (61f29514ff84)
        _, rows = _table_rows(db_url, {table: ["text", "text_hash"]})[table]
        assert rows and all(stored == paragraph_hash(text) for text, stored in rows), table
    assert len(after["articles"][1]) == 4
