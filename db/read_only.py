"""Reading a SQLite file without writing: which URI modes, and the connection's authorizer.

``make_engine(..., readonly=True)`` (``db.engine``) opens a file the way
``read_only_query`` chooses from the file's state, so that reading changes
nothing and leaves no file behind, even in a folder the reader cannot write;
its connections run under ``authorize_reading``, which refuses anything but
reading (``query_only`` alone lets ATTACH and VACUUM INTO make files), and
``keep_going``, through which Ctrl-C stops a long statement. ``db.sql`` runs
the ``sql`` command's statements under the same authorizer.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL

from db.errors import DatabaseUnavailable, NoDatabase, shown

# A read-only connection returns to Python this often (in SQLite virtual machine
# steps) while a statement runs, so that Ctrl-C can stop it.
PROGRESS_STEPS = 10_000


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


def read_only_url(url: URL, path: Path | None) -> URL:
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
