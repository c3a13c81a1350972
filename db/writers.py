"""Writers taking turns: one writing transaction at a time, on SQLite and on PostgreSQL.

SQLite has one write lock; a writing transaction takes it when it begins
(``BEGIN IMMEDIATE``) and waits for it in slices, for as long as another
writer holds it, saying so (``on_wait``) and stopping on Ctrl-C between
slices. PostgreSQL writers take an advisory lock the same way. Transactions
that only read (``reading``, read-only engines) take neither. ``db.engine``
installs these on every engine it makes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

BUSY_TIMEOUT_MS = 30_000
# A writer waiting for another writer's lock waits in slices this long, for as long
# as the other holds it: between slices it can say that it waits (``on_wait``) and
# Ctrl-C is noticed (SQLite's busy handler sleeps in C, where Python's signal
# handlers do not run).
WAIT_SLICE_MS = 500
# Retrying a switch to WAL, which SQLite's busy handler does not wait for.
_WAL_RETRY_S = 0.01

# Called with the database's name when a writer finds another writer holding the
# lock, and again after each slice it keeps waiting; raising stops the wait. The
# CLI sets it to say "waiting for another writer" on a terminal; ``make_engine``'s
# ``on_wait`` overrides it for one engine.
default_on_wait: Callable[[str], None] | None = None

# The PostgreSQL advisory lock that writing transactions take turns on.
WRITE_LOCK = 0x6E657773_77726974  # "newswrit"

_READS_ONLY = "newsstore_reads_only"


def on_every_wait(hook: Callable[[str], None]) -> Callable[[], None]:
    """Call ``hook`` too, before the hooks set already, whenever a writer waits; returns the undo.

    For the CLI (a notice on a terminal) and ingest (Ctrl-C ends the wait, in
    its process and in its workers): raising from ``hook`` ends the wait.
    """
    global default_on_wait
    previous = default_on_wait

    def chained(database: str) -> None:
        hook(database)
        if previous is not None:
            previous(database)

    default_on_wait = chained

    def undo() -> None:
        global default_on_wait
        default_on_wait = previous

    return undo


def _waiting(name: str, on_wait: Callable[[str], None] | None) -> None:
    hook = on_wait or default_on_wait
    if hook is not None:
        hook(name)


def _busy(error: BaseException | None) -> bool:
    """Whether SQLite said another connection holds the lock (SQLITE_BUSY or SQLITE_LOCKED)."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


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


def take_turns_on_postgresql(
    engine: Engine, name: str, on_wait: Callable[[str], None] | None
) -> None:
    """Writing transactions take turns on PostgreSQL too, as SQLite's one write lock makes them.

    Each batch of an ingest reads what is stored (which files, which articles,
    how often a source repeats a paragraph, the latest revision of a URL) and
    writes what follows from it. Two such transactions at once would both
    miss the other's rows: the same file stored twice, a deadlock, counts one
    short. So a writing transaction begins by taking an advisory lock, held
    until it ends; reading transactions (``readonly``, ``reading``) take none.
    Several ingests still run at once, parsing (most of the work) in parallel.
    The lock is tried first, so that a writer that has to wait can say so
    (``on_wait``); then it waits as long as it takes (Ctrl-C cancels the wait,
    psycopg sends the server a cancel request).
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("postgresql_readonly", False):
            return
        if connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})").scalar():
            return
        _waiting(name, on_wait)
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


def take_turns_on_sqlite(
    engine: Engine, name: str, on_wait: Callable[[str], None] | None, *, readonly: bool
) -> None:
    """A SQLite writer's transaction takes the write lock as it begins; a reader's takes none.

    A writer takes the write lock when its transaction begins (waiting for
    another writer as long as that one holds it), not at its first write: in
    WAL mode a transaction that has read and then writes after another writer
    committed fails at once with SQLITE_BUSY, whatever the timeout. Readers
    take no lock. ``reading(engine)`` marks transactions that only read: they
    begin deferred too.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reads_only = readonly or connection.get_execution_options().get(_READS_ONLY, False)
        if reads_only:
            connection.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(connection, name, on_wait)


def _begin_immediate(connection: Any, name: str, on_wait: Callable[[str], None] | None) -> None:
    """BEGIN IMMEDIATE, waiting in slices for as long as another writer holds the lock.

    SQLite's busy timeout alone gives up after a while (``database is locked``),
    and its wait cannot be interrupted; in slices, the wait has no end, the
    waiter can say so, and Ctrl-C stops it between slices.
    """
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA busy_timeout={WAIT_SLICE_MS}")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _busy(exc.orig):
                    raise
                _waiting(name, on_wait)
    finally:
        driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def use_wal(cursor: Any, name: str, on_wait: Callable[[str], None] | None) -> None:
    """Switch the file to WAL mode, waiting for another connection as long as it holds the file.

    Two processes opening the same new file at once both switch it; the one
    that finds the other switching gets "database is locked" at once, without
    SQLite's busy handler being asked to wait: so it retries, saying that it
    waits once per slice.
    """
    said = None
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            now = time.monotonic()
            if said is None or now - said >= WAIT_SLICE_MS / 1000:
                _waiting(name, on_wait)
                said = now
            time.sleep(_WAL_RETRY_S)
