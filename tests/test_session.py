"""Engines: which file, how it is read without writing, and writers taking turns.

The modules ``db.session`` stands on: ``db.urls``, ``db.engine``, ``db.read_only``
and ``db.writers``.

A writer's transactions take SQLite's write lock at once (and wait for it as
long as another holds it); ``reading`` ones do not. Read-only engines never
make, change or leave a file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.errors import BadDatabaseURL, DatabaseUnavailable, NoDatabase, SchemaUnknown
from db.models import Document
from db.read_only import FileState, read_only_query
from db.session import current_engine, read_only_session
from db.urls import database_url, resolve, sqlite_file, sqlite_files
from db.writers import WRITE_LOCK, reading


class _StillWaiting(Exception):
    """Raised by a test's wait hook: the writer was waiting for the lock."""


def _give_up(_database: str) -> None:
    raise _StillWaiting


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
def test_reading_transactions_do_not_wait_for_a_writer(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("db.writers.WAIT_SLICE_MS", 1)
    impatient = make_engine(db_url, on_wait=_give_up)
    try:
        with engine.connect() as writer, writer.begin():  # holds the write lock
            with Session(reading(impatient)) as session:
                assert session.scalar(select(func.count()).select_from(Document)) == 0
            with Session(impatient) as session, pytest.raises(_StillWaiting):
                session.scalar(select(func.count()).select_from(Document))
    finally:
        impatient.dispose()


# --- which file a path or URL names ----------------------------------------------------

ODD_NAMES = [
    "a#b?c%20d",
    "100%",
    "%41%%",
    "q?mode=ro&uri=true",
    "frag#x",
    "sp ace+plus",
    "ü€ 日本",
    "[glob]*?",
    "line\nbreak",
    "semi;colon&amp=@:",
    ":memory:",
    "file:x.db",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_file_path_survives_as_a_url(name: str, tmp_path: Path) -> None:
    """``resolve`` keeps the path whole; its text form reads back as the same file."""
    path = tmp_path / name / "news.db"
    url = resolve(str(path))
    assert url.get_backend_name() == "sqlite" and url.database == str(path)
    assert sqlite_file(url) == path
    assert make_url(database_url(str(path))).database == str(path)


def test_a_path_with_bytes_that_are_not_utf8_is_a_url_object(tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"bad\xff\xfe")
    folder.mkdir()
    engine = make_engine(str(folder / "news.db"))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x)")
    finally:
        engine.dispose()
    assert os.listdir(os.fsencode(folder)) == [b"news.db"]
    reader = make_engine(str(folder / "news.db"), readonly=True)
    try:
        with reader.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    finally:
        reader.dispose()


def test_text_that_looks_like_a_url_but_names_a_file_is_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a:").mkdir()
    (tmp_path / "a:" / "x.db").touch()  # "a://x.db" is a path (POSIX keeps one '/' of '//')
    assert resolve("a://x.db").get_backend_name() == "sqlite"
    with pytest.raises(BadDatabaseURL):
        make_engine("b://x.db")


def test_the_files_of_a_sqlite_database_are_named_whether_they_exist_or_not(
    tmp_path: Path,
) -> None:
    path = (tmp_path / "n[1]*.db").resolve()  # glob characters, taken as they are
    files = (path, *(Path(f"{path}{end}") for end in ("-wal", "-shm", "-journal")))
    assert sqlite_files(resolve(str(path))) == files
    assert sqlite_files(make_url("postgresql+psycopg://reader@localhost/news")) == ()
    assert sqlite_files(make_url("sqlite://")) == ()  # in memory


# --- reading without writing -----------------------------------------------------------

_STATE = dict(wal=True, wal_file=False, shm_file=False, folder_writable=True, file_writable=True)


@pytest.mark.parametrize(
    ("changes", "query"),
    [
        ({"wal": False}, {"mode": "ro"}),
        ({"wal": False, "folder_writable": False, "file_writable": False}, {"mode": "ro"}),
        ({}, {"mode": "rw"}),
        ({"file_writable": False}, {"mode": "ro", "immutable": "1"}),
        ({"folder_writable": False}, {"mode": "ro", "immutable": "1"}),
        ({"wal_file": True, "shm_file": True}, {"mode": "ro"}),
        ({"wal_file": True, "folder_writable": False, "shm_file": True}, {"mode": "ro"}),
        ({"wal_file": True, "shm_file": False}, {"mode": "ro"}),
    ],
)
def test_how_a_file_is_read_depends_on_the_file_and_its_folder(
    changes: dict[str, bool], query: dict[str, str], tmp_path: Path
) -> None:
    state = FileState(**(_STATE | changes))
    assert read_only_query(state, tmp_path / "n.db") == query


def test_a_log_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    """A -wal without a -shm in a read-only folder: reading the file alone could miss commits."""
    state = FileState(**(_STATE | {"wal_file": True, "folder_writable": False}))
    with pytest.raises(DatabaseUnavailable, match="-shm"):
        read_only_query(state, tmp_path / "n.db")


def _wal_file(path: Path) -> Path:
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE t (x)")
    raw.execute("CREATE INDEX t_x ON t (x)")
    raw.execute("INSERT INTO t VALUES (1)")
    raw.commit()
    raw.close()
    return path


def test_file_state_reads_the_header_and_the_neighbours(tmp_path: Path) -> None:
    path = _wal_file(tmp_path / "n.db")
    assert FileState.of(path) == FileState(**_STATE)  # as root or not: the folder is ours
    holder = sqlite3.connect(path)
    holder.execute("SELECT * FROM t").fetchall()
    try:
        state = FileState.of(path)
        assert state.wal_file and state.shm_file
    finally:
        holder.close()
    (tmp_path / "text.db").write_text("not a database")
    assert not FileState.of(tmp_path / "text.db").wal


@pytest.mark.parametrize(
    "query", [{"mode": "rw"}, {"mode": "ro", "immutable": "1"}], ids=["rw", "immutable"]
)
def test_reading_a_wal_file_leaves_nothing_behind(
    query: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways a WAL file without -wal is read: no -wal or -shm left, not a byte changed."""
    path = _wal_file(tmp_path / "n#1?%.db")
    before = path.read_bytes()
    monkeypatch.setattr("db.read_only.read_only_query", lambda state, path: query)
    engine = make_engine(str(path), readonly=True)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT x FROM t").scalar() == 1
    finally:
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n#1?%.db"]
    assert path.read_bytes() == before


def test_a_read_only_engine_never_makes_a_file(tmp_path: Path) -> None:
    with pytest.raises(NoDatabase, match="no database at"):
        make_engine(str(tmp_path / "missing.db"), readonly=True)
    with pytest.raises(FileNotFoundError):  # NoDatabase is one, for callers that catch that
        make_engine(str(tmp_path / "missing.db"), readonly=True)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_session_reads_and_cannot_write(engine: Engine, db_url: str) -> None:
    with read_only_session(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
        with pytest.raises(DBAPIError):
            session.execute(text("INSERT INTO sources (name) VALUES ('x')"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM sources").scalar() == 0


def test_a_read_only_session_never_makes_or_changes_a_database(tmp_path: Path) -> None:
    with pytest.raises(NoDatabase), read_only_session(str(tmp_path / "missing.db")):
        pytest.fail("opened a database that is not there")
    assert list(tmp_path.iterdir()) == []
    path = _wal_file(tmp_path / "other.db")  # another program's tables, no revision
    before = path.read_bytes()
    unknown = pytest.raises(SchemaUnknown, match="is it a newsstore database")
    with unknown, read_only_session(str(path)):
        pytest.fail("opened another program's database")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]
    assert path.read_bytes() == before


def test_a_current_engine_makes_a_new_database_and_refuses_another_programs(
    tmp_path: Path,
) -> None:
    with current_engine(str(tmp_path / "new.db")) as engine, Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
    path = _wal_file(tmp_path / "other.db")  # another program's tables, no revision
    before = path.read_bytes()
    with pytest.raises(SchemaUnknown), current_engine(str(path)):
        pytest.fail("wrote to another program's database")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO t VALUES (2)",
        "UPDATE t SET x = 2",
        "DELETE FROM t",
        "CREATE TABLE u (y)",
        "CREATE TEMP TABLE u (y)",
        "CREATE TEMP VIEW v AS SELECT 1",
        "DROP TABLE t",
        "ALTER TABLE t ADD COLUMN y",
        "ATTACH 'file:other.db?mode=rwc' AS other",
        "ATTACH 'plain.db' AS other",
        "PRAGMA query_only=OFF",
        "PRAGMA writable_schema=ON",
        "PRAGMA journal_mode=DELETE",
        "PRAGMA user_version=5",
        "ANALYZE",
        "REINDEX",
        "SELECT load_extension('x')",
    ],
)
def test_the_reading_authorizer_refuses_anything_else(statement: str, tmp_path: Path) -> None:
    path = _wal_file(tmp_path / "n.db")
    before = path.read_bytes()
    engine = make_engine(str(path), readonly=True)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError):
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.db"]
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT count(*) FROM t",
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 5) "
        "SELECT sum(n) FROM c",
        "PRAGMA table_info(t)",
        "SELECT name FROM pragma_table_info('t')",
        "PRAGMA integrity_check",
        "PRAGMA journal_mode",
        "PRAGMA user_version",
    ],
)
def test_the_reading_authorizer_lets_reads_through(statement: str, tmp_path: Path) -> None:
    engine = make_engine(str(_wal_file(tmp_path / "n.db")), readonly=True)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql(statement).all()
    finally:
        engine.dispose()


# --- a second writer waits -------------------------------------------------------------


def _holding_the_lock(path: Path) -> sqlite3.Connection:
    """Another program's connection holding SQLite's write lock on ``path``."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
def test_a_writer_waits_as_long_as_the_lock_is_held(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted in wait slices, not seconds: it still waits after many, and goes on once free."""
    monkeypatch.setattr("db.writers.WAIT_SLICE_MS", 1)
    path = sqlite_file(make_url(db_url))
    assert path is not None
    holder = _holding_the_lock(path)
    waits: list[str] = []

    def on_wait(database: str) -> None:
        waits.append(database)
        if len(waits) == 25:  # far beyond any single busy timeout of 1 ms
            holder.execute("COMMIT")

    writer = make_engine(db_url, on_wait=on_wait)
    try:
        with writer.begin() as connection:
            assert len(waits) == 25  # it began only once the lock was free
            connection.exec_driver_sql("INSERT INTO sources (name) VALUES ('waited')")
    finally:
        writer.dispose()
        holder.close()
    assert set(waits) == {str(path)}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM sources").scalar() == "waited"


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
def test_the_switch_to_wal_waits_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new file held by another program (in rollback mode) is switched once it lets go."""
    monkeypatch.setattr("db.writers.WAIT_SLICE_MS", 0)
    monkeypatch.setattr("db.writers._WAL_RETRY_S", 0)
    path = tmp_path / "new.db"
    holder = _holding_the_lock(path)
    waits = 0

    def on_wait(_database: str) -> None:
        nonlocal waits
        waits += 1
        if waits == 10:
            holder.execute("COMMIT")

    writer = make_engine(str(path), on_wait=on_wait)
    try:
        with writer.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        writer.dispose()
        holder.close()
    assert waits == 10


@pytest.mark.sqlite_only(reason="SQLite's one write lock")
def test_ctrl_c_stops_a_waiting_writer(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while waiting (its handler raises between slices) ends the wait, nothing begun."""
    monkeypatch.setattr("db.writers.WAIT_SLICE_MS", 1)
    path = sqlite_file(make_url(db_url))
    assert path is not None
    holder = _holding_the_lock(path)
    waits = 0

    def on_wait(_database: str) -> None:
        nonlocal waits
        waits += 1
        if waits == 3:
            signal.raise_signal(signal.SIGINT)  # Python's default handler: KeyboardInterrupt

    writer = make_engine(db_url, on_wait=on_wait)
    try:
        with pytest.raises(KeyboardInterrupt), writer.begin():
            pytest.fail("began while the lock was held")
    finally:
        writer.dispose()
        holder.close()
    assert waits == 3


def test_a_postgresql_writer_says_it_waits_for_the_advisory_lock(postgres_url: str) -> None:
    """The lock is tried first; a writer that must wait says so once, then waits to the end."""
    from db.migrate import upgrade

    upgrade(postgres_url)
    holder = create_engine(postgres_url)
    waits: list[str] = []
    with holder.connect() as holding:
        holding.exec_driver_sql(f"SELECT pg_advisory_lock({WRITE_LOCK})")

        def on_wait(database: str) -> None:
            waits.append(database)
            holding.exec_driver_sql(f"SELECT pg_advisory_unlock({WRITE_LOCK})")

        writer = make_engine(postgres_url, on_wait=on_wait)
        try:
            with writer.begin() as connection:
                connection.exec_driver_sql("INSERT INTO sources (name) VALUES ('waited')")
        finally:
            writer.dispose()
    holder.dispose()
    assert len(waits) == 1 and waits[0].startswith("postgresql+psycopg://")


def test_a_new_file_gets_larger_pages_and_an_old_file_keeps_its_own(tmp_path: Path) -> None:
    """PAGE_SIZE for a file newsstore makes; SQLite's 4 KiB kept for one made before; the
    WAL folded in at CHECKPOINT_BYTES either way (SQLite counts it in pages)."""
    from db.engine import CHECKPOINT_BYTES, PAGE_SIZE
    from db.migrate import ensure_current

    def pages(path: Path) -> tuple[int, int]:
        engine = make_engine(str(path))
        try:
            ensure_current(engine)
            with engine.connect() as connection:
                size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
                fold = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
        finally:
            engine.dispose()
        return int(size), int(fold)

    assert PAGE_SIZE > 4096
    assert pages(tmp_path / "new.db") == (PAGE_SIZE, CHECKPOINT_BYTES // PAGE_SIZE)
    old = tmp_path / "old.db"
    made = sqlite3.connect(old)
    made.execute("CREATE TABLE t (x)")  # a file with a page in it: its page size is set
    made.close()
    made = sqlite3.connect(old)
    made.execute("DROP TABLE t")  # empty of tables again, as a file newsstore would take
    made.close()
    assert pages(old) == (4096, CHECKPOINT_BYTES // 4096)
