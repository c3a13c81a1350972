"""Which database, engines with the right SQLite pragmas, and sessions.

The database is chosen the same way everywhere (CLI, ``migrations/env.py``,
Python users): an explicit URL or file path, else ``NEWSSTORE_DATABASE_URL``,
else ``./newsstore.db``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session

ENV_VAR = "NEWSSTORE_DATABASE_URL"
DEFAULT_URL = "sqlite:///newsstore.db"
BUSY_TIMEOUT_MS = 30_000
# A writing SQLite connection's page cache, enough for a whole ingest batch's
# changes (SQLite's default is 2 MiB). When a transaction's changed pages
# overflow the cache, they are spilled to the WAL mid-transaction and written
# there again as they change: the writes of a batch took a third longer.
CACHE_KIB = 32 * 1024
# Fold the WAL into the database file once it holds this many pages (256 MiB
# at SQLite's 4 KiB pages) rather than SQLite's default 1,000 (4 MiB), which
# an ingest batch exceeds: a checkpoint after every batch copied the same
# index pages again and again. The WAL is folded in, and removed, when the
# last connection closes.
CHECKPOINT_PAGES = 65_536


def database_url(db: str | None = None) -> str:
    """Resolve ``db`` (a SQLAlchemy URL or a file path) or the environment to a URL."""
    value = db or os.environ.get(ENV_VAR) or DEFAULT_URL
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def make_engine(
    url: str | None = None, *, foreign_keys: bool = True, readonly: bool = False
) -> Engine:
    """An engine for ``url``; SQLite connections get foreign keys, WAL and a busy timeout.

    pysqlite's own transaction handling does not emit BEGIN before every
    statement and breaks SAVEPOINT, so SQLite connections run in autocommit at
    the driver level and SQLAlchemy emits BEGIN itself (the recipe from the
    SQLAlchemy SQLite dialect documentation). ``foreign_keys=False`` is for
    migrations: SQLite batch operations recreate tables, which enforced
    foreign keys would block or cascade. ``readonly=True`` opens a SQLite file
    read-only (``mode=ro``, and ``query_only`` besides), so that nothing done
    on the connection can change the database; it never creates a file.
    """
    resolved = make_url(database_url(url))
    if readonly and resolved.get_backend_name() == "sqlite":
        path = resolved.database or ""
        if not path or path == ":memory:" or not Path(path).exists():
            raise FileNotFoundError(f"no database at {path or resolved}")
        resolved = resolved.set(
            database=f"file:{Path(path).resolve()}?mode=ro", query={"uri": "true"}
        )
    engine = create_engine(resolved)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, foreign_keys=foreign_keys, readonly=readonly)
    elif engine.dialect.name == "postgresql":
        if readonly:
            # Every transaction is READ ONLY: the server refuses any write in it.
            engine = engine.execution_options(postgresql_readonly=True)
        else:
            _take_turns_on_postgresql(engine)
    return engine


# The PostgreSQL advisory lock that writing transactions take turns on.
WRITE_LOCK = 0x6E657773_77726974  # "newswrit"


def _take_turns_on_postgresql(engine: Engine) -> None:
    """Writing transactions take turns on PostgreSQL too, as SQLite's one write lock makes them.

    Each batch of an ingest reads what is stored (which files, which articles,
    how often a source repeats a paragraph, the latest revision of a URL) and
    writes what follows from it. Two such transactions at once would both
    miss the other's rows: the same file stored twice, a deadlock, counts one
    short. So a writing transaction begins by taking an advisory lock, held
    until it ends; reading transactions (``readonly``, ``reading``) take none.
    Several ingests still run at once, parsing (most of the work) in parallel.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get("postgresql_readonly", False):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


def _configure_sqlite(engine: Engine, *, foreign_keys: bool, readonly: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if readonly:
            cursor.execute("PRAGMA query_only=ON")
        else:
            _use_wal(cursor)
            # In WAL mode NORMAL keeps every commit atomic and the file consistent; a
            # commit survives a crash of the program, and after a power loss the last
            # commits may be rolled back (a rerun of ingest redoes them).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        cursor.close()

    # A writer takes the write lock when its transaction begins (waiting up to the busy
    # timeout for another writer), not at its first write: in WAL mode a transaction
    # that has read and then writes after another writer committed fails at once with
    # SQLITE_BUSY, whatever the timeout. Readers take no lock.
    # ``reading(engine)`` marks transactions that only read: they begin deferred too.

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reads_only = readonly or connection.get_execution_options().get(_READS_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL mode, waiting for another connection as long as the busy timeout.

    Two processes opening the same new file at once both switch it; the one
    that finds the other switching gets "database is locked" at once, without
    SQLite's busy handler being asked to wait.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


_READS_ONLY = "newsstore_reads_only"


def reading(engine: Engine) -> Engine:
    """``engine`` for transactions that only read, sharing its connections.

    A writer's SQLite transactions begin IMMEDIATE, taking the write lock at
    once; a quick look-up (which files are stored already?) made that way
    would make another writer wait for nothing. These begin deferred, and on
    PostgreSQL they are READ ONLY.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(postgresql_readonly=True)
    return engine.execution_options(**{_READS_ONLY: True})


@contextmanager
def open_session(url: str | None = None, *, engine: Engine | None = None) -> Iterator[Session]:
    """A session in a transaction: committed when the block ends, rolled back on error.

    The database must be at the schema's head revision; ``db.migrate.ensure_current``
    creates a new database or refuses an outdated one.
    """
    from db.migrate import ensure_current

    own_engine = engine is None
    bound = engine if engine is not None else make_engine(url)
    try:
        ensure_current(bound)
        with Session(bound) as session, session.begin():
            yield session
    finally:
        if own_engine:
            bound.dispose()
