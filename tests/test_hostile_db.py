"""Hostile input to the database side of the CLI: paths, unusable databases, odd numbers, SQL.

Each case ends the same way: one line on stderr naming the thing and the
reason, the documented exit status (2 for bad command-line input, 1 for a
database that cannot be used, 130 for Ctrl-C), no traceback, and nothing
written that should not be. The cases come in families (any odd character in
a path, any unusable database state, any out-of-range number), so most tests
run a family through every command it concerns.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, make_url
from sqlalchemy.pool import Pool
from typer.testing import CliRunner

from db import export, queries, writers
from db import sql as db_sql
from db.session import make_engine, sqlite_file
from ingest import cli
from ingest.cli import app, write
from tests.conftest import SEED, database_state

ROOT = Path(__file__).resolve().parent.parent

# Every command that reads, with arguments that make it read something.
READ_COMMANDS = [
    ["stats", "--json"],
    ["search", "Vladivostok", "--json"],
    ["sql", "SELECT count(*) AS n FROM articles", "--json"],
    ["export"],
    ["places", "--json"],
    ["show", "1", "--json"],
    ["db", "current"],
]
# Folder names with every character that means something in a URL, a SQLite URI, a glob
# or a shell, and bytes that are not UTF-8.
ODD_NAMES = [
    "a#b?c%20d",
    "100%",
    "%41%2F",
    "q?mode=ro&uri=true",
    "frag#x",
    "sp ace+plus",
    "ü€ 日本",
    "[glob]*",
    "semi;colon&amp=@:",
    os.fsdecode(b"bad\xff\xfe"),
]


def _one_line(result: Any, status: int) -> str:
    """The command failed with ``status`` and said why in one line; that line."""
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == status, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsstore: "), lines
    return str(lines[0])


def _files(folder: Path) -> list[str]:
    return sorted(os.fsdecode(name) for name in os.listdir(os.fsencode(folder)))


@pytest.fixture
def no_database_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSSTORE_DATABASE_URL", raising=False)


# --- any path works as a database ------------------------------------------------------


@pytest.mark.parametrize("name", ODD_NAMES)
def test_the_default_database_in_a_folder_of_any_name(
    name: str,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_database_variable: None,
) -> None:
    """./newsstore.db, in a folder whose name has URL syntax in it: every command finds it."""
    folder = tmp_path / name
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    for args in READ_COMMANDS:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["articles"] == 1  # the file ingested, not another one made empty
    assert _files(folder) == ["newsstore.db"]


@pytest.mark.parametrize("name", ["a#b?c%20d", "%25 100%", os.fsdecode(b"x\xff#?")])
def test_schema_commands_and_copy_with_any_path(
    name: str, runner: CliRunner, tmp_path: Path, no_database_variable: None
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    db = str(folder / "n?#%.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(SEED)]).exit_code == 0
    for args in (["db", "downgrade", "base"], ["db", "upgrade"], ["db", "current"]):
        result = runner.invoke(app, ["--db", db, *args])
        assert result.exit_code == 0, (args, result.output)
    assert "(head)" in result.stdout
    target = str(folder / "copy#1?%41.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(SEED)]).exit_code == 0
    copied = runner.invoke(app, ["--db", db, "db", "copy", "--to", target])
    assert copied.exit_code == 0, copied.output
    stats = json.loads(runner.invoke(app, ["--db", target, "stats", "--json"]).stdout)
    assert stats["articles"] == 1
    backups = [f for f in _files(folder) if f.endswith(".bak")]
    assert _files(folder) == sorted(["n?#%.db", "copy#1?%41.db", *backups])


def test_the_environment_variable_may_be_a_path_of_any_name(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "a#b?c%20d" / "env.db"
    db.parent.mkdir()
    monkeypatch.setenv("NEWSSTORE_DATABASE_URL", str(db))
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["articles"] == 1
    assert _files(db.parent) == ["env.db"]


def test_alembic_from_the_repository_root_finds_a_path_of_any_name(tmp_path: Path) -> None:
    """migrations/env.py chooses the database as the CLI does, and keeps the path whole."""
    db = tmp_path / "a#b?c%20d" / "alembic.db"
    db.parent.mkdir()
    env = dict(os.environ, NEWSSTORE_DATABASE_URL=str(db))
    for command in (["upgrade", "head"], ["current"]):
        done = subprocess.run(
            [sys.executable, "-m", "alembic", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert "(head)" in done.stdout
    assert _files(db.parent) == ["alembic.db"]


# --- reading a database that may not be written ----------------------------------------


def _unprivileged() -> Callable[[], None] | None:
    """A preexec_fn making a child process subject to file permissions, even as root.

    Root ignores permission bits through its CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH capabilities; dropped from the bounding set before
    exec, the child runs without them, and a read-only folder is read-only
    to it. Not root: nothing to drop.
    """
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    probe = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=lambda: _drop(libc), check=False
    )
    if probe.returncode != 0:
        pytest.skip("running as root, and its capabilities cannot be dropped here")
    return lambda: _drop(libc)


def _drop(libc: Any) -> None:
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _newsstore(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "NEWSSTORE_DATABASE_URL"},
        **options,
    )


@pytest.fixture
def read_only_folder(runner: CliRunner, tmp_path: Path) -> Iterator[Path]:
    """A newsstore database (WAL mode, no -wal) made read-only, in a folder made read-only."""
    folder = tmp_path / "r#o?%41"
    folder.mkdir()
    db = folder / "newsstore.db"
    assert runner.invoke(app, ["--db", str(db), "ingest", str(SEED)]).exit_code == 0
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


@pytest.mark.sqlite_only(reason="file and folder permissions of a SQLite file")
def test_read_commands_work_in_a_read_only_folder(read_only_folder: Path) -> None:
    """As a user who cannot write there (root without its override, in CI)."""
    preexec = _unprivileged()
    db = read_only_folder / "newsstore.db"
    before = db.read_bytes()
    for args in READ_COMMANDS:
        done = _newsstore("--db", str(db), *args, preexec_fn=preexec)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
    assert json.loads(_newsstore("--db", str(db), "stats", "--json").stdout)["articles"] == 1
    assert _files(read_only_folder) == ["newsstore.db"]
    assert db.read_bytes() == before


@pytest.mark.sqlite_only(reason="file and folder permissions of a SQLite file")
def test_writers_refuse_a_read_only_database_in_one_line(read_only_folder: Path) -> None:
    preexec = _unprivileged()
    db = read_only_folder / "newsstore.db"
    before = db.read_bytes()
    for args in (["ingest", str(SEED)], ["db", "upgrade"], ["reparse"]):
        done = _newsstore("--db", str(db), *args, preexec_fn=preexec)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "cannot write" in done.stderr, done.stderr
    new = _newsstore(
        "--db", str(read_only_folder / "new.db"), "ingest", str(SEED), preexec_fn=preexec
    )
    assert new.returncode == 1 and "read-only" in new.stderr and new.stderr.count("\n") == 1
    assert _files(read_only_folder) == ["newsstore.db"]
    assert db.read_bytes() == before


@pytest.mark.sqlite_only(reason="what a SQLite reader leaves beside the file")
def test_read_commands_leave_no_file_and_change_no_byte(runner: CliRunner, db_url: str) -> None:
    """In a folder anyone may write (root's, in CI): no -wal or -shm stays after reading."""
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    path = sqlite_file(make_url(db_url))
    assert path is not None
    before = path.read_bytes()
    for args in READ_COMMANDS:
        assert runner.invoke(app, args).exit_code == 0, args
        assert _files(path.parent) == [path.name]
    assert path.read_bytes() == before


@pytest.mark.sqlite_only(reason="SQLite's rollback journal")
def test_a_rollback_journal_database_is_read_in_place(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    path = sqlite_file(make_url(db_url))
    assert path is not None
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=DELETE")
    raw.close()
    before = path.read_bytes()
    for args in READ_COMMANDS:
        assert runner.invoke(app, args).exit_code == 0, args
    assert _files(path.parent) == [path.name] and path.read_bytes() == before


# --- db current never writes; another program's file is left alone ----------------------


def test_db_current_never_makes_a_database(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "a#b" / "missing.db"
    missing.parent.mkdir()
    line = _one_line(runner.invoke(app, ["--db", str(missing), "db", "current"]), 1)
    assert line == f"newsstore: no database at {missing}"
    assert _files(missing.parent) == []
    line = _one_line(runner.invoke(app, ["--db", str(missing), "db", "downgrade", "base"]), 1)
    assert "no database at" in line and _files(missing.parent) == []


def _foreign(path: Path) -> Path:
    """Another program's SQLite database, in rollback-journal mode."""
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE recipes (name TEXT)")
    raw.execute("INSERT INTO recipes VALUES ('soup')")
    raw.commit()
    raw.close()
    return path


def test_another_programs_database_is_left_as_it_was(runner: CliRunner, tmp_path: Path) -> None:
    path = _foreign(tmp_path / "recipes.db")
    before = path.read_bytes()
    current = runner.invoke(app, ["--db", str(path), "db", "current"])
    assert current.exit_code == 0 and "base (no schema)" in current.stdout
    for args in (["ingest", str(SEED)], ["db", "upgrade"], ["reparse"], ["stats"]):
        line = _one_line(runner.invoke(app, ["--db", str(path), *args]), 1)
        assert "is it a newsstore database?" in line, args
    assert path.read_bytes() == before  # still in rollback mode: not switched to WAL
    assert _files(tmp_path) == ["recipes.db"]


@pytest.mark.sqlite_only(reason="the bytes and neighbours of a SQLite file")
def test_a_database_from_a_newer_newsstore_is_refused_untouched(
    runner: CliRunner, db_url: str
) -> None:
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    path = sqlite_file(make_url(db_url))
    assert path is not None
    raw = sqlite3.connect(path)
    raw.execute("UPDATE alembic_version SET version_num = 'abcdef123456'")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    for args in (["ingest", str(SEED)], ["stats"], ["db", "upgrade"], ["db", "downgrade", "base"]):
        line = _one_line(runner.invoke(app, args), 1)
        assert line.startswith(f"newsstore: {path}: ") and "newer version" in line, args
    assert path.read_bytes() == before
    assert _files(path.parent) == [path.name]  # no backup copy made for nothing


# --- a second writer waits --------------------------------------------------------------


@pytest.fixture
def locked(runner: CliRunner, db_url: str) -> Iterator[sqlite3.Connection]:
    """A newsstore database whose write lock another program holds until told to let go."""
    assert runner.invoke(app, ["db", "upgrade", "--no-backup"]).exit_code == 0
    path = sqlite_file(make_url(db_url))
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.close()


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
def test_a_second_writer_waits_and_says_so_once_on_a_terminal(
    runner: CliRunner, db_url: str, locked: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writers, "WAIT_SLICE_MS", 1)
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    notice = cli._waiting_notice
    waits = 0

    def counted() -> Callable[[str], None]:
        say = notice()

        def hook(database: str) -> None:
            nonlocal waits
            waits += 1
            say(database)
            if waits == 20:  # twenty slices: far past any one busy timeout
                locked.execute("COMMIT")

        return hook

    monkeypatch.setattr(cli, "_waiting_notice", counted)
    # --workers 0: the writer is this process, where the hook was set.
    result = runner.invoke(app, ["ingest", "--workers", "0", str(SEED)])
    assert result.exit_code == 0, result.output
    assert waits == 20 and "1 new articles" in result.stdout
    path = sqlite_file(make_url(db_url))
    assert result.stderr == f"waiting for another writer to finish with {path}...\n"
    assert writers.default_on_wait is None  # the CLI put the library's hook back


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
def test_no_notice_when_stderr_is_not_a_terminal(
    runner: CliRunner, locked: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writers, "WAIT_SLICE_MS", 1)
    waits = 0

    def release(_database: str) -> None:
        nonlocal waits
        waits += 1
        if waits == 5:
            locked.execute("COMMIT")

    monkeypatch.setattr(writers, "default_on_wait", release)
    result = runner.invoke(app, ["ingest", "--workers", "0", str(SEED)])
    assert result.exit_code == 0 and result.stderr == "" and waits == 5


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
@pytest.mark.parametrize("command", [["ingest", "--workers", "0", str(SEED)], ["reparse"]])
def test_ctrl_c_stops_a_waiting_writer(
    command: list[str],
    runner: CliRunner,
    locked: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One Ctrl-C, delivered while waiting (between slices): exit 130, nothing written."""
    monkeypatch.setattr(writers, "WAIT_SLICE_MS", 1)
    waits = 0

    def ctrl_c(_database: str) -> None:
        nonlocal waits
        waits += 1
        if waits == 3:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(writers, "default_on_wait", ctrl_c)
    result = runner.invoke(app, command)
    assert result.exit_code == 130 and "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == "newsstore: interrupted"
    assert waits in (3, 4)  # ingest's own handler asks the wait to end at the next slice
    locked.execute("COMMIT")
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["articles"] == 0


# --- export never destroys what it writes over -----------------------------------------


@pytest.fixture
def seeded(runner: CliRunner, db_url: str) -> str:
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    return db_url


@pytest.mark.sqlite_only(reason="the database is a file that -o could name")
def test_export_refuses_to_write_over_the_database(
    runner: CliRunner, seeded: str, tmp_path: Path
) -> None:
    path = sqlite_file(make_url(seeded))
    assert path is not None
    before = database_state(seeded)
    (tmp_path / "link.db").symlink_to(path)
    os.link(path, tmp_path / "hard.db")
    (tmp_path / "sub").mkdir()
    names = [
        str(path),
        f"{path}-wal",
        f"{path}-shm",
        f"{path}-journal",
        str(tmp_path / "sub" / ".." / path.name),
        str(tmp_path / "link.db"),
        str(tmp_path / "hard.db"),
    ]
    for name in names:
        line = _one_line(runner.invoke(app, ["export", "-o", name]), 2)
        assert "is the database" in line, name
    assert database_state(seeded) == before
    assert _files(tmp_path) == sorted([path.name, "link.db", "hard.db", "sub"])


def test_export_into_a_missing_folder_or_a_folder(
    runner: CliRunner, seeded: str, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "out.jsonl"
    line = _one_line(runner.invoke(app, ["export", "-o", str(missing)]), 2)
    assert f"there is no folder {missing.parent}" in line
    assert not (tmp_path / "no").exists()
    assert "is a folder" in _one_line(runner.invoke(app, ["export", "-o", str(tmp_path)]), 2)


def test_a_failed_export_leaves_the_file_as_it_was(
    runner: CliRunner, seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out" / "kept.jsonl"
    out.parent.mkdir()
    out.write_text("what was there\n")
    assert "malformed query" in _one_line(
        runner.invoke(app, ["export", "defectors *", "-o", str(out)]), 2
    )
    real = export.export_articles

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[export.ExportedArticle]:
        for article in real(*args, **kwargs):
            yield article
            raise KeyboardInterrupt  # Ctrl-C after the first article was written

    monkeypatch.setattr(export, "export_articles", interrupted)
    assert _one_line(runner.invoke(app, ["export", "-o", str(out)]), 130).endswith("interrupted")
    assert out.read_text() == "what was there\n"
    assert _files(out.parent) == ["kept.jsonl"]  # no temporary file left


def test_export_replaces_the_file_whole_and_keeps_its_mode(
    runner: CliRunner, seeded: str, tmp_path: Path
) -> None:
    out = tmp_path / "e#1?.jsonl"
    out.write_text("old\n" * 1000)
    out.chmod(0o640)
    result = runner.invoke(app, ["export", "-o", str(out)])
    assert result.exit_code == 0 and result.stderr == f"1 articles written to {out}\n"
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["id"] == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [f for f in _files(tmp_path) if "jsonl" in f] == [out.name]  # no temporary file


# --- sql: the text as written, reads only, and it can be stopped -------------------------


@pytest.mark.parametrize(
    ("statement", "value"),
    [
        ("SELECT 'a :b' AS v", "a :b"),
        ("SELECT '100%' AS v", "100%"),
        ("SELECT '%s %(x)s %%' AS v", "%s %(x)s %%"),
        ("SELECT ':1 :name' AS v", ":1 :name"),
    ],
)
def test_sql_runs_the_text_as_written(
    statement: str, value: str, runner: CliRunner, seeded: str
) -> None:
    result = runner.invoke(app, ["sql", statement, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"v": value}]


@pytest.mark.sqlite_only(reason="ATTACH and VACUUM INTO make SQLite files")
@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH 'file:{dir}/x.db?mode=rwc' AS x",
        "ATTACH '{dir}/y.db' AS y",
        "ATTACH ':memory:' AS m",
        "DETACH main",
        "VACUUM INTO '{dir}/z.db'",
        "CREATE TEMP TABLE t (x)",
        "PRAGMA query_only = OFF",
        "DELETE FROM articles",
    ],
)
def test_sql_refuses_files_and_writes(
    statement: str, runner: CliRunner, seeded: str, tmp_path: Path
) -> None:
    before = database_state(seeded)
    listed = _files(tmp_path)
    line = _one_line(runner.invoke(app, ["sql", statement.format(dir=tmp_path)]), 1)
    assert "read-only" in line or "VACUUM" in line
    assert _files(tmp_path) == listed and database_state(seeded) == before


def test_sql_runs_one_statement_only(runner: CliRunner, seeded: str) -> None:
    before = database_state(seeded)
    _one_line(runner.invoke(app, ["sql", "SELECT 1; DELETE FROM articles"]), 1)
    _one_line(runner.invoke(app, ["sql", "COMMIT; DELETE FROM articles"]), 1)
    assert database_state(seeded) == before


RUNAWAY = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c"


@pytest.mark.sqlite_only(reason="SQLite's progress handler")
def test_a_runaway_query_stops_when_asked(seeded: str) -> None:
    """``stop`` is asked every few thousand steps; the query ends at the 5th time it says yes."""
    calls = 0

    def stop() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 5

    engine = make_engine(seeded, readonly=True)
    try:
        with engine.connect() as connection:
            from sqlalchemy.orm import Session

            with Session(connection) as session, pytest.raises(db_sql.SqlInterrupted):
                db_sql.run_sql(session, RUNAWAY, stop=stop)
            # The connection is usable again, still refusing writes.
            with Session(connection) as session:
                assert db_sql.run_sql(session, "SELECT 2") == (["2"], [(2,)])
                with pytest.raises(db_sql.SqlRefused):
                    db_sql.run_sql(session, "DELETE FROM articles")
    finally:
        engine.dispose()
    assert calls == 5


@pytest.mark.sqlite_only(reason="SQLite's progress handler")
def test_ctrl_c_stops_a_runaway_query(
    runner: CliRunner, seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SIGINT, raised while the query runs (from its progress handler), exits 130."""
    real = db_sql.run_sql
    calls = 0

    def with_ctrl_c(*args: Any, **kwargs: Any) -> db_sql.Rows:
        def stop() -> bool:
            nonlocal calls
            calls += 1
            if calls == 5:
                signal.raise_signal(signal.SIGINT)
            return False

        return real(*args, stop=stop, **kwargs)

    monkeypatch.setattr(db_sql, "run_sql", with_ctrl_c)
    assert _one_line(runner.invoke(app, ["sql", RUNAWAY]), 130) == "newsstore: interrupted"
    assert calls == 5


def test_sql_timeout(runner: CliRunner, seeded: str, backend: str) -> None:
    """A statement that never ends (or sleeps a minute) is stopped by --timeout: exit 1."""
    statement = RUNAWAY if backend == "sqlite" else "SELECT pg_sleep(60)"
    line = _one_line(runner.invoke(app, ["sql", statement, "--timeout", "0.05"]), 1)
    assert "timeout of 0.05 s" in line


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e400", "", "soon"])
def test_sql_timeout_must_be_a_number_of_seconds(value: str, runner: CliRunner) -> None:
    line = _one_line(runner.invoke(app, ["sql", "SELECT 1", "--timeout", value]), 2)
    assert "--timeout" in line


# --- databases that cannot be used -------------------------------------------------------


def _every_command(other: Path) -> list[list[str]]:
    return [
        ["ingest", str(SEED)],
        ["reparse"],
        *READ_COMMANDS,
        ["db", "upgrade"],
        ["db", "downgrade", "base"],
        ["db", "copy", "--to", str(other)],
    ]


def _text_file(path: Path) -> Path:
    path.write_text("just some text, not a database\n" * 200)
    return path


def _damaged(path: Path) -> Path:
    """A real newsstore database with every page after the first overwritten."""
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(path), "ingest", str(SEED)]).exit_code == 0
    with path.open("r+b") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(4096)
        file.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_text_file, "is not a SQLite database"),
        (_damaged, "is damaged"),
        (lambda path: path.mkdir() or path, "is a folder"),
        (lambda path: Path("/dev/null"), "not a regular file"),
        (lambda path: path.parent / "no" / "such" / "folder.db", "no"),
    ],
    ids=["text", "damaged", "folder", "device", "missing-folder"],
)
def test_a_database_that_cannot_be_used_is_one_line_in_every_command(
    make: Callable[[Path], Path], reason: str, runner: CliRunner, tmp_path: Path
) -> None:
    db = make(tmp_path / "bad#1?.db")
    before = db.read_bytes() if db.is_file() else None
    for args in _every_command(tmp_path / "other.db"):
        result = runner.invoke(app, ["--db", str(db), *args])
        line = _one_line(result, 1)
        assert reason in line, (args, line)
    assert (db.read_bytes() if db.is_file() else None) == before
    assert not (tmp_path / "other.db").exists()
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("foo://x", 2),
        ("sqlite+nosuchdriver:///x.db", 2),
        ("postgresql+psycopg://u@host:notaport/x", 2),
        ("sqlite://host/x.db", 2),
        ("mysql://u@127.0.0.1/x", 1),  # no driver installed
        ("postgresql+psycopg://u@127.0.0.1:1/x", 1),  # nothing listens on port 1
    ],
)
def test_a_url_that_cannot_be_used_is_one_line(
    url: str, status: int, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["ingest", str(SEED)], ["stats"], ["db", "current"], ["db", "upgrade"]):
        line = _one_line(runner.invoke(app, ["--db", url, *args]), status)
        assert url.split("://")[0] in line, line
    assert _files(tmp_path) == []


def test_the_environment_variable_is_checked_the_same_way(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSSTORE_DATABASE_URL", "foo://x")
    assert "foo://x" in _one_line(runner.invoke(app, ["stats"]), 2)
    assert "empty" in _one_line(runner.invoke(app, ["--db", "", "stats"]), 2)


@contextmanager
def _full_disk() -> Iterator[None]:
    """Every SQLite connection made meanwhile may grow its file by a few pages only.

    SQLite then fails as on a full disk (SQLITE_FULL), deterministically: a
    pool-wide listener, so it reaches the engines the CLI makes itself.
    """

    def limit(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={pages + 3}")

    event.listen(Pool, "connect", limit)
    try:
        yield
    finally:
        event.remove(Pool, "connect", limit)


def _pages(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        text = f"Headline number {i}\n\n" + ("A long paragraph of news. " * 300 + "\n\n") * 3
        (folder / f"{i}.txt").write_text(text)
    return folder


@pytest.mark.sqlite_only(reason="SQLite's SQLITE_FULL")
def test_a_full_disk_is_one_line(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    folder = _pages(tmp_path / "in", 5)
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    target = tmp_path / "copy.db"
    with _full_disk():
        # --workers 0: the writer is this process, whose connections the limit reaches.
        line = _one_line(runner.invoke(app, ["ingest", "--workers", "0", str(folder)]), 1)
        full = f"newsstore: cannot write {sqlite_file(make_url(db_url))}: the disk is full"
        assert line.startswith(full)
        copied = runner.invoke(app, ["db", "copy", "--to", str(target)])
        assert _one_line(copied, 1).startswith(
            f"newsstore: cannot write {target}: the disk is full"
        )
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["articles"] == 1  # the seed; of the refused batch, nothing
    checked = runner.invoke(app, ["sql", "PRAGMA integrity_check", "--csv"])
    assert checked.stdout.splitlines() == ["integrity_check", "ok"]


# --- numbers and dates at their extremes -------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["search", "Vladivostok", "--until", "9999-12-31", "--json"],
        ["search", "Vladivostok", "--since", "0001-01-01", "--json"],
        ["export", "--until", "9999-12-31", "--since", "0001-01-01"],
        ["export", "Vladivostok", "--until", "9999-12-31"],
        ["places", "--until", "9999-12-31", "--since", "0001-01-01", "--json"],
        ["search", "Vladivostok", "--limit", str(2**63 - 1), "--json"],
        ["search", "Vladivostok", "--per-article", str(2**63 - 1), "--json"],
        ["places", "--limit", str(2**63 - 1), "--json"],
    ],
)
def test_the_widest_dates_and_limits_find_everything(
    args: list[str], runner: CliRunner, seeded: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Vladivostok" in result.stdout or "Russia" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x", "--until", "10000-01-01"],
        ["search", "x", "--since", "0000-12-31"],
        ["search", "x", "--since", "2024-02-30"],
        ["places", "--until", "-2024-01-01"],
        ["export", "--since", "yesterday"],
        ["search", "x", "--limit", str(10**30)],
        ["search", "x", "--limit", str(2**63)],
        ["search", "x", "--limit", "0"],
        ["search", "x", "--per-article", str(10**30)],
        ["places", "--limit", str(10**30)],
        ["places", "--limit", "1e3"],
        ["show", str(10**30)],
        ["show", str(2**63)],
        ["show", "0"],
        ["show", "--", "-1"],
        ["show", "one"],
        ["ingest", "--workers", str(10**30), str(SEED)],
        ["ingest", "--workers", "-1", str(SEED)],
    ],
)
def test_out_of_range_numbers_and_dates_are_refused_in_one_line(
    args: list[str], runner: CliRunner, db_url: str
) -> None:
    _one_line(runner.invoke(app, args), 2)


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "inf",
        "-inf",
        "nan",
        "1e400",
        "1e999999999",
        "-5",
        "+5",
        "0",
        "0.1",
        "5X",
        "5 MM",
        "0x10",
        "1_000",
        str(2**63),
        "9" * 5000,
        "1e30G",
    ],
)
def test_max_size_refuses_what_is_not_a_size(value: str, runner: CliRunner, db_url: str) -> None:
    line = _one_line(runner.invoke(app, ["ingest", "--max-size", value, str(SEED)]), 2)
    assert "--max-size" in line
    assert runner.invoke(app, ["stats"]).exit_code == 1  # nothing was made


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("50M", 50 * 1024**2),
        ("1e3", 1000),
        ("1.5k", 1536),
        ("10MiB", 10 * 1024**2),
        ("2 g", 2 * 1024**3),
        ("1T", 1024**4),
        ("7", 7),
        ("100B", 100),
    ],
)
def test_max_size_reads_sizes(value: str, size: int) -> None:
    assert write._size(value) == size


# --- the error mapping itself ------------------------------------------------------------


def test_usage_errors_are_one_line(runner: CliRunner) -> None:
    for args in (["nosuchcommand"], ["search"], ["search", "x", "--limit", "many"], ["--nope"]):
        _one_line(runner.invoke(app, args), 2)


def test_an_unexpected_error_is_one_line_naming_it(
    runner: CliRunner, seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(queries, "stats", broken)
    line = _one_line(runner.invoke(app, ["stats"]), 1)
    assert line == (
        "newsstore: internal error: RuntimeError: boom second line "
        "(set NEWSSTORE_DEBUG=1 for the traceback)"
    )
    debug = runner.invoke(app, ["stats"], env={"NEWSSTORE_DEBUG": "1"})
    assert debug.exit_code == 1 and "Traceback" in debug.stderr and "RuntimeError" in debug.stderr
    assert debug.stderr.splitlines()[-1] == line


def test_ctrl_c_anywhere_is_130(
    runner: CliRunner, seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(queries, "stats", interrupted)
    assert _one_line(runner.invoke(app, ["stats"]), 130) == "newsstore: interrupted"


def test_the_installed_command_maps_failures_too(tmp_path: Path) -> None:
    """``main()`` in a process of its own: the same lines and exit statuses as CliRunner."""
    text = _text_file(tmp_path / "text.db")
    cases = [
        (["--db", "foo://x", "stats"], 2, "foo://x"),
        (["--db", str(text), "stats"], 1, "is not a SQLite database"),
        (["--db", str(text), "ingest", str(SEED)], 1, "is not a SQLite database"),
        (["search", "x", "--limit", str(10**30)], 2, "--limit"),
    ]
    for args, status, said in cases:
        done = _newsstore(*args, cwd=tmp_path)
        assert done.returncode == status, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert _files(tmp_path) == ["text.db"]
