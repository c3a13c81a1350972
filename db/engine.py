"""Engines: the right SQLite pragmas on every connection, and a database refused in one line.

``make_engine`` is the one way newsstore connects. It refuses, before
connecting, a URL no driver reads or a SQLite file a writer cannot use
(``db.errors.DatabaseUnavailable``); names the database on every error
SQLAlchemy raises, for ``db.errors.describe``; sets SQLite's pragmas on
every connection from one ``connect`` event; opens read-only engines as
``db.read_only`` says; and makes writers take turns (``db.writers``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from db import raw
from db.errors import (
    DATABASE_ATTRIBUTE,
    PATH_ATTRIBUTE,
    BadDatabaseURL,
    DatabaseUnavailable,
    NoDatabase,
    first_line,
    shown,
)
from db.read_only import PROGRESS_STEPS, authorize_reading, keep_going, read_only_url
from db.urls import describe_url, resolve, sqlite_file
from db.writers import BUSY_TIMEOUT_MS, take_turns_on_postgresql, take_turns_on_sqlite, use_wal

# The page size of a new SQLite file (SQLite's default is 4 KiB). Rows are never split
# across pages below a page's size, so a row of more than half a page fills a page alone:
# a compressed page dump of 2.4 KB took a 4 KiB page to itself. With 16 KiB pages such rows
# pack six to a page, and every b-tree's leaves waste less: 20,000 of
# ``benchmarks/million.py``'s pages take 1,260 bytes an article less (README, "Bytes per
# article"). An existing file keeps its page size (``db copy`` makes one with this).
PAGE_SIZE = 16 * 1024
# A writing SQLite connection's page cache, enough for a whole ingest batch's
# changes (SQLite's default is 2 MiB). When a transaction's changed pages
# overflow the cache, they are spilled to the WAL mid-transaction and written
# there again as they change: the writes of a batch took a third longer.
CACHE_KIB = 32 * 1024
# Fold the WAL into the database file once it holds this many bytes (256 MiB)
# rather than SQLite's default 1,000 pages (4 MiB at 4 KiB pages), which an
# ingest batch exceeds: a checkpoint after every batch copied the same index
# pages again and again. The WAL is folded in, and removed, when the last
# connection closes. (SQLite counts it in pages: of the file's own size.)
CHECKPOINT_BYTES = 256 * 1024 * 1024


def make_engine(
    url: str | URL | None = None,
    *,
    foreign_keys: bool = True,
    readonly: bool = False,
    create: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> Engine:
    """An engine for ``url``; SQLite connections get foreign keys, WAL and a busy timeout.

    pysqlite's own transaction handling does not emit BEGIN before every
    statement and breaks SAVEPOINT, so SQLite connections run in autocommit at
    the driver level and SQLAlchemy emits BEGIN itself (the recipe from the
    SQLAlchemy SQLite dialect documentation). ``foreign_keys=False`` is for
    migrations: SQLite batch operations recreate tables, which enforced
    foreign keys would block or cascade. ``readonly=True`` opens a SQLite file
    so that nothing done on the connection can change it (see
    ``db.read_only``), and never creates a file; ``create=False`` refuses a
    missing file for writing too. ``on_wait`` is called while a writer waits
    for another one (see ``db.writers.default_on_wait``).

    Raises ``DatabaseUnavailable`` (``NoDatabase``, ``BadDatabaseURL``) for a
    database that cannot be used, found out before connecting; errors found
    when connecting are SQLAlchemy's, and name the database for
    ``db.errors.describe``.
    """
    resolved = resolve(url)
    _check_url(resolved)
    path = sqlite_file(resolved)
    name = shown(path) if path is not None else describe_url(resolved)
    if resolved.get_backend_name() == "sqlite":
        if readonly:
            resolved = read_only_url(resolved, path)
        elif path is not None:
            _check_location(path, create=create)
    try:
        engine = create_engine(resolved)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise _bad_url(resolved, exc) from None
    except ImportError as exc:
        message = f"cannot use {name}: its driver is not installed ({exc})"
        raise DatabaseUnavailable(message) from None

    @event.listens_for(engine, "handle_error")
    def _name_the_database(context: ExceptionContext) -> None:
        if context.sqlalchemy_exception is not None:
            setattr(context.sqlalchemy_exception, DATABASE_ATTRIBUTE, name)
            setattr(context.sqlalchemy_exception, PATH_ATTRIBUTE, path)

    if engine.dialect.name == "sqlite":
        _configure_sqlite(
            engine, foreign_keys=foreign_keys, readonly=readonly, name=name, on_wait=on_wait
        )
        take_turns_on_sqlite(engine, name, on_wait, readonly=readonly)
    elif engine.dialect.name == "postgresql":
        if readonly:
            # Every transaction is READ ONLY: the server refuses any write in it.
            engine = engine.execution_options(postgresql_readonly=True)
        else:
            take_turns_on_postgresql(engine, name, on_wait)
    return engine


def _check_url(url: URL) -> None:
    """Refuse a URL no dialect reads, or a SQLite URL with a host, before anything else."""
    try:
        url.get_dialect()
    except (NoSuchModuleError, ArgumentError) as exc:
        raise _bad_url(url, exc) from None
    if url.get_backend_name() == "sqlite" and (url.host or url.username or url.port):
        reason = "a SQLite URL names a file, not a host: sqlite:////absolute/path.db"
        raise _bad_url(url, ArgumentError(reason))


def _bad_url(url: URL, exc: Exception) -> BadDatabaseURL:
    """The one line for a URL that cannot be used, naming it with its text where it has one."""
    name = describe_url(url)
    with suppress(UnicodeEncodeError):
        name = url.render_as_string(hide_password=True)
    return BadDatabaseURL(f"{name}: not a database URL SQLAlchemy can use ({first_line(exc)})")


def _check_location(path: Path, *, create: bool) -> None:
    """Refuse, in one line, a SQLite file a writer cannot use: a folder, a device, no folder...

    ... or a file or folder it may not write: SQLite would open such a file
    read-only without a word, fail at the first write, and leave a ``-wal``
    and a ``-shm`` that it cannot remove (a writer makes them beside the
    file).
    """
    folder = path.parent
    if path.exists():
        if path.is_dir():
            raise DatabaseUnavailable(f"{shown(path)} is a folder, not a database file")
        if not path.is_file():
            raise DatabaseUnavailable(f"{shown(path)} is not a regular file, not a database")
        if not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseUnavailable(f"cannot write {shown(path)}: permission denied")
    elif not create:
        raise NoDatabase(f"no database at {shown(path)}")
    elif not folder.is_dir():
        missing = "there is no folder" if not folder.exists() else "not a folder:"
        message = f"cannot make the database {shown(path)}: {missing} {shown(folder)}"
        raise DatabaseUnavailable(message)
    if not os.access(folder, os.W_OK | os.X_OK):
        message = f"cannot write {shown(path)}: the folder {shown(folder)} is read-only"
        raise DatabaseUnavailable(message + " (SQLite makes files beside the database)")


def _configure_sqlite(
    engine: Engine,
    *,
    foreign_keys: bool,
    readonly: bool,
    name: str,
    on_wait: Callable[[str], None] | None,
) -> None:
    """Every SQLite connection's pragmas, set as it connects: one place for all of them."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        raw.register(dbapi_connection)  # SQL's raw_bytes(raw, raw_codec): see db.raw
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if readonly:
            cursor.execute("PRAGMA query_only=ON")
            dbapi_connection.set_authorizer(authorize_reading)
            dbapi_connection.set_progress_handler(keep_going, PROGRESS_STEPS)
        else:
            if _ours_or_new(cursor):
                _new_file_page_size(cursor)
                use_wal(cursor, name, on_wait)
            # In WAL mode NORMAL keeps every commit atomic and the file consistent; a
            # commit survives a crash of the program, and after a power loss the last
            # commits may be rolled back (a rerun of ingest redoes them).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_BYTES // page_size}")
        cursor.close()


def _new_file_page_size(cursor: Any) -> None:
    """Give a file with nothing in it yet ``PAGE_SIZE`` pages (it can only be set then).

    SQLite ignores the pragma once the file holds a page, or once it is in WAL
    mode: so for an existing database this changes nothing.
    """
    if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")


def _ours_or_new(cursor: Any) -> bool:
    """Whether the file is new or a newsstore database: only those are switched to WAL.

    The journal mode is a property of the file; another program's database
    given by mistake is refused (``db.migrate``), and must be left as it was.
    """
    tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return not tables or {"alembic_version", "documents"} <= tables
