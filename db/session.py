"""Which database, engines with the right SQLite pragmas, and sessions.

The database is chosen the same way everywhere (CLI, ``migrations/env.py``,
Python users): an explicit URL or file path, else ``NEWSSTORE_DATABASE_URL``,
else ``./newsstore.db``.

A file path becomes a SQLAlchemy ``URL`` object with ``URL.create``, never by
pasting it into a string: a path holding ``#``, ``?`` or ``%`` (a folder
named ``a#b?c%20d``) would otherwise be read back as a shorter path with a
query string, and commands would open another, empty file. Inside newsstore
the ``URL`` object is passed along, not its text (a path with bytes that are
not UTF-8 has no text form at all).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from db.errors import (
    DATABASE_ATTRIBUTE,
    PATH_ATTRIBUTE,
    BadDatabaseURL,
    DatabaseUnavailable,
    NoDatabase,
    first_line,
    shown,
)

ENV_VAR = "NEWSSTORE_DATABASE_URL"
DEFAULT_PATH = "newsstore.db"
DEFAULT_URL = f"sqlite:///{DEFAULT_PATH}"
BUSY_TIMEOUT_MS = 30_000
# A writer waiting for another writer's lock waits in slices this long, for as long
# as the other holds it: between slices it can say that it waits (``on_wait``) and
# Ctrl-C is noticed (SQLite's busy handler sleeps in C, where Python's signal
# handlers do not run).
WAIT_SLICE_MS = 500
# Retrying a switch to WAL, which SQLite's busy handler does not wait for.
_WAL_RETRY_S = 0.01
# A read-only connection returns to Python this often (in SQLite virtual machine
# steps) while a statement runs, so that Ctrl-C can stop it.
PROGRESS_STEPS = 10_000
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

# Called with the database's name when a writer finds another writer holding the
# lock, and again after each slice it keeps waiting; raising stops the wait. The
# CLI sets it to say "waiting for another writer" on a terminal; ``make_engine``'s
# ``on_wait`` overrides it for one engine.
default_on_wait: Callable[[str], None] | None = None

# "scheme://": a scheme starts with a letter (RFC 3986). Anything else is a file path.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def resolve(db: str | URL | None = None) -> URL:
    """``db`` (a SQLAlchemy URL or a file path), else the environment, else the default, as a URL.

    A SQLite file's path is made absolute. Text that looks like a URL but
    names an existing file is that file. Raises ``BadDatabaseURL`` for text
    that is not a URL SQLAlchemy can parse.
    """
    if isinstance(db, URL):
        return _absolute(db)
    value = db or os.environ.get(ENV_VAR) or DEFAULT_PATH
    if _SCHEME.match(value) and not os.path.lexists(value):
        try:
            return _absolute(make_url(value))
        except (ArgumentError, ValueError) as exc:
            raise BadDatabaseURL(f"{shown(value)} is not a database URL: {exc}") from None
    return URL.create("sqlite", database=str(Path(value).expanduser().resolve()))


def database_url(db: str | URL | None = None) -> str:
    """The chosen database's URL as text (see ``resolve``), e.g. for ``alembic.ini`` or a log.

    Text round-trips through ``make_url``: special characters in a path are
    percent-encoded. A path whose bytes are not UTF-8 has no URL text
    (UnicodeEncodeError); pass ``resolve``'s ``URL`` object instead.
    """
    return resolve(db).render_as_string(hide_password=False)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite database URL (None for another engine or an in-memory database).

    Understands the ``file:`` URIs of read-only engines (percent-encoded).
    """
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:":
        return None
    if database.startswith("file:") and url.query.get("uri") in ("true", "1", "True"):
        if url.query.get("mode") == "memory":
            return None
        location = urllib.parse.urlsplit(database).path
        return Path(os.fsdecode(urllib.parse.unquote_to_bytes(location))).resolve()
    return Path(database).resolve()


def describe_url(url: URL) -> str:
    """The database as people are shown it: a SQLite file's path, else the URL without password."""
    path = sqlite_file(url)
    if path is not None:
        return shown(path)
    try:
        return url.render_as_string(hide_password=True)
    except UnicodeEncodeError:
        return shown(repr(url))


def _absolute(url: URL) -> URL:
    """A SQLite URL with its relative file path made absolute; any other URL unchanged."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return url
    if not url.database or url.database == ":memory:":
        return url
    return url.set(database=str(Path(url.database).resolve()))


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
    ``read_only_query``), and never creates a file; ``create=False`` refuses a
    missing file for writing too. ``on_wait`` is called while a writer waits
    for another one (see ``default_on_wait``).

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
            resolved = _read_only_url(resolved, path)
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
    elif engine.dialect.name == "postgresql":
        if readonly:
            # Every transaction is READ ONLY: the server refuses any write in it.
            engine = engine.execution_options(postgresql_readonly=True)
        else:
            _take_turns_on_postgresql(engine, name, on_wait)
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


# --- reading without writing -----------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    """What decides how a SQLite file can be read without writing anything beside it."""

    wal: bool  # the file's header says write-ahead logging
    wal_file: bool  # FILE-wal exists: a writer is at work, or one stopped without folding it in
    shm_file: bool  # FILE-shm exists
    folder_writable: bool
    file_writable: bool

    @classmethod
    def of(cls, path: Path) -> FileState:
        with path.open("rb") as file:
            header = file.read(100)
        folder = path.parent
        return cls(
            wal=header.startswith(b"SQLite format 3\0") and len(header) > 18 and header[18] == 2,
            wal_file=Path(f"{path}-wal").exists(),
            shm_file=Path(f"{path}-shm").exists(),
            folder_writable=os.access(folder, os.W_OK | os.X_OK),
            file_writable=os.access(path, os.W_OK),
        )


def read_only_query(state: FileState, path: Path) -> dict[str, str]:
    """The SQLite URI parameters that read ``path`` changing nothing and leaving nothing behind.

    - A file in rollback-journal mode (not WAL): ``mode=ro``. Reading it makes
      no file, and SQLite's locks keep the reader consistent with a writer.
    - A WAL file with its ``-wal`` beside it: ``mode=ro``. The ``-wal`` may
      hold committed transactions that are not in the file yet, so it must be
      read; the ``-wal`` and ``-shm`` are a writer's, not ours. Without a
      ``-shm`` in a folder we cannot write, SQLite cannot read the ``-wal``:
      refused (``DatabaseUnavailable``) rather than read the file alone,
      which may be missing commits or half-way through a checkpoint.
    - A WAL file without ``-wal``, in a folder and a file we can write:
      ``mode=rw`` with ``query_only`` and the reading authorizer. ``mode=ro``
      would make a ``-wal`` and a ``-shm`` and, unable to remove them (only a
      connection that can write may), leave them behind. One that can write
      removes them when it is the last to close; nothing is written to the
      file (the authorizer refuses every write, and there is nothing in the
      ``-wal`` to fold in, unless a writer that started meanwhile left its
      commits there, which are folded in as that writer would have).
    - A WAL file without ``-wal`` that we cannot write, or in a folder we
      cannot write: ``immutable=1``. No ``-wal`` or ``-shm`` can be made, so
      SQLite must read the file alone, without locks; with no ``-wal``, the
      file holds every commit. (A writer able to write where we cannot, that
      starts while we read, is not seen.)
    """
    if not state.wal:
        return {"mode": "ro"}
    if state.wal_file:
        if not state.shm_file and not state.folder_writable:
            raise DatabaseUnavailable(
                f"cannot read {shown(path)}: its write-ahead log {shown(path)}-wal needs a "
                f"{shown(path)}-shm, which cannot be made in a folder that is read-only; "
                "open it once where it can be written"
            )
        return {"mode": "ro"}
    if state.folder_writable and state.file_writable:
        return {"mode": "rw"}
    return {"mode": "ro", "immutable": "1"}


def _read_only_url(url: URL, path: Path | None) -> URL:
    """The URL of a read-only engine: the file as a ``file:`` URI with ``read_only_query``."""
    if path is None:
        if url.query.get("uri"):
            return url  # the caller's own URI: query_only and the authorizer still apply
        raise NoDatabase(f"no database at {url.database or ':memory:'}")
    if not path.exists():
        raise NoDatabase(f"no database at {shown(path)}")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise DatabaseUnavailable(f"{shown(path)} is {kind}, not a database file")
    if not os.access(path, os.R_OK):
        raise DatabaseUnavailable(f"cannot read {shown(path)}: permission denied")
    query = read_only_query(FileState.of(path), path)
    # SQLite URIs are percent-encoded: '?' and '#' would end the path, '%' start an escape.
    location = "file://" + urllib.parse.quote(os.fsencode(path))
    return url.set(database=location, query={"uri": "true", **query})


_READING_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_RECURSIVE,
        sqlite3.SQLITE_TRANSACTION,
        sqlite3.SQLITE_SAVEPOINT,
    }
)
# PRAGMAs that only report something when given no value.
_READING_PRAGMAS = frozenset(
    """application_id auto_vacuum automatic_index busy_timeout cache_size cache_spill
    cell_size_check checkpoint_fullfsync collation_list compile_options data_version
    database_list defer_foreign_keys encoding foreign_key_check foreign_key_list foreign_keys
    freelist_count fullfsync function_list hard_heap_limit ignore_check_constraints index_info
    index_list index_xinfo integrity_check journal_mode journal_size_limit legacy_alter_table
    locking_mode max_page_count mmap_size module_list page_count page_size pragma_list
    query_only quick_check read_uncommitted recursive_triggers reverse_unordered_selects
    schema_version secure_delete soft_heap_limit synchronous table_info table_list table_xinfo
    temp_store threads trusted_schema user_version wal_autocheckpoint""".split()
)
# Of those, the ones whose value names a table or an index rather than setting something.
_PRAGMAS_NAMING_A_TABLE = frozenset(
    """foreign_key_check foreign_key_list index_info index_list index_xinfo integrity_check
    quick_check table_info table_list table_xinfo""".split()
)
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master"})


def authorize_reading(
    action: int, arg1: str | None, arg2: str | None, _database: str | None, _inner: str | None
) -> int:
    """SQLite authorizer of read-only connections: reading, yes; anything else, no.

    ``query_only`` and ``mode=ro`` stop writes to the database file, but not
    ``ATTACH 'file:x.db?mode=rwc'`` or ``VACUUM INTO 'x.db'``, which make
    files, nor temporary tables or PRAGMAs that change the connection (such as
    ``query_only=OFF``). Allowed: reads, SELECT, functions (but
    ``load_extension``), recursive queries, transactions, PRAGMAs that only
    report. SQLite itself asks for an UPDATE of ``sqlite_master`` when it
    reads the schema of a virtual table (FTS5): allowed, as writing the schema
    also needs the ``writable_schema`` PRAGMA, which is refused.
    """
    if action in _READING_ACTIONS:
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "load_extension":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        pragma = (arg1 or "").lower()
        if pragma in _READING_PRAGMAS and (arg2 is None or pragma in _PRAGMAS_NAMING_A_TABLE):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_UPDATE and (arg1 or "").lower() in _SCHEMA_TABLES:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def keep_going() -> int:
    """The progress handler of read-only connections: go on (Ctrl-C raises in here, and stops)."""
    return 0


# --- writers taking turns --------------------------------------------------------------


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


# The PostgreSQL advisory lock that writing transactions take turns on.
WRITE_LOCK = 0x6E657773_77726974  # "newswrit"


def _take_turns_on_postgresql(
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


def _configure_sqlite(
    engine: Engine,
    *,
    foreign_keys: bool,
    readonly: bool,
    name: str,
    on_wait: Callable[[str], None] | None,
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if readonly:
            cursor.execute("PRAGMA query_only=ON")
            dbapi_connection.set_authorizer(authorize_reading)
            dbapi_connection.set_progress_handler(keep_going, PROGRESS_STEPS)
        else:
            if _ours_or_new(cursor):
                _use_wal(cursor, name, on_wait)
            # In WAL mode NORMAL keeps every commit atomic and the file consistent; a
            # commit survives a crash of the program, and after a power loss the last
            # commits may be rolled back (a rerun of ingest redoes them).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        cursor.close()

    # A writer takes the write lock when its transaction begins (waiting for another
    # writer as long as that one holds it), not at its first write: in WAL mode a
    # transaction that has read and then writes after another writer committed fails at
    # once with SQLITE_BUSY, whatever the timeout. Readers take no lock.
    # ``reading(engine)`` marks transactions that only read: they begin deferred too.

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


def _ours_or_new(cursor: Any) -> bool:
    """Whether the file is new or a newsstore database: only those are switched to WAL.

    The journal mode is a property of the file; another program's database
    given by mistake is refused (``db.migrate``), and must be left as it was.
    """
    tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return not tables or {"alembic_version", "documents"} <= tables


def _use_wal(cursor: Any, name: str, on_wait: Callable[[str], None] | None) -> None:
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
def open_session(
    url: str | URL | None = None, *, engine: Engine | None = None
) -> Iterator[Session]:
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
