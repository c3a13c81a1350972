"""What went wrong with a database, in one line.

Any command can meet a database it cannot use: a file that is not a
database, a damaged one, a full disk, a missing folder, a URL no driver
understands, a server that does not answer. Those are not bugs, and the user
needs one line naming the database and the reason, not a traceback. The
library raises them as it finds them (``DatabaseUnavailable`` before
connecting, SQLAlchemy's and the drivers' errors after); ``describe`` turns
any of them into that line, so the CLI only has to print it and pick the exit
status (``exit_status``).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

# The attributes ``db.engine`` sets on SQLAlchemy's exceptions: which database they came
# from, as shown to people, and a SQLite database's file.
DATABASE_ATTRIBUTE = "newsstore_database"
PATH_ATTRIBUTE = "newsstore_path"


class DatabaseUnavailable(Exception):
    """The database named cannot be used, found out before talking to it; one line says why."""


class NoDatabase(DatabaseUnavailable, FileNotFoundError):
    """A command that only reads found no database file (it never makes one)."""


class BadDatabaseURL(DatabaseUnavailable):
    """``--db`` (or ``NEWSSTORE_DATABASE_URL``) is neither a file path nor a URL that can be used.

    Bad input on the command line: the CLI exits with status 2 for it.
    """


# The schema's failures live here, not in ``db.migrate`` which raises them: ``describe``
# must know them, and ``db.migrate`` imports this module (which imported it back).


class SchemaError(Exception):
    """The database cannot be used at its current schema revision."""


class SchemaOutdated(SchemaError):
    """The database is at an older revision: ``newsstore db upgrade`` takes it to head."""

    def __init__(self, current: tuple[str, ...], head: tuple[str, ...]) -> None:
        super().__init__(
            f"the database is at revision {', '.join(current)}, behind head "
            f"{', '.join(head)}: run 'newsstore db upgrade' first"
        )


class SchemaUnknown(SchemaError):
    """A revision this newsstore does not know, or another program's tables without one."""


def as_text(value: str | os.PathLike[str]) -> str:
    """A path as text that can be stored and printed: bytes that are not UTF-8 as ``\\xNN``.

    A file name is bytes; Python hands names that are not UTF-8 over with
    surrogate escapes, which no database driver can store and no terminal can
    print. The escaped form is the same on every run, so a path stored this
    way is found again.
    """
    try:
        return os.fsencode(value).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return os.fspath(value).encode("utf-8", "backslashreplace").decode("utf-8")


def shown(value: str | os.PathLike[str]) -> str:
    """A path or name as one printable line: undecodable bytes and control characters escaped.

    A folder name may hold bytes that are not UTF-8 (Python keeps them as
    surrogates, which cannot be printed) or a newline (which would make a
    one-line message two).
    """
    text = as_text(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def describe(exc: BaseException) -> str | None:
    """One line saying what is wrong with the database, or None if ``exc`` is not about that.

    None means a bug (or at least nothing known): the caller reports it as an
    internal error. An exception raised while handling a database failure
    (SQLite rolls a whole transaction back on a full disk, and a rollback to a
    savepoint then fails with "no such savepoint") is described by that
    failure, found in its context.
    """
    found = _known(exc)
    return None if found is None else _describe_one(found)


def _known(exc: BaseException) -> BaseException | None:
    """``exc``, or the exception it was raised in the handling of, that ``describe`` knows."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _describe_one(current) is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def _describe_one(exc: BaseException) -> str | None:
    if isinstance(exc, DatabaseUnavailable | SchemaError):
        return str(exc)
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return f"not a database URL that can be used: {first_line(exc)}"
    if "alembic" in sys.modules:  # an Alembic error comes only once alembic is imported...
        from alembic.util.exc import CommandError  # ... which takes a third of a second

        if isinstance(exc, CommandError):
            return f"schema migration refused: {first_line(exc)}"
    database = getattr(exc, DATABASE_ATTRIBUTE, None) or "the database"
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(original, sqlite3.Error):
        return _describe_sqlite(original, database, getattr(exc, PATH_ATTRIBUTE, None))
    sqlstate = getattr(original, "sqlstate", None)
    if original is not None and type(original).__module__.startswith("psycopg"):
        return _describe_postgresql(original, sqlstate, database)
    return None


def exit_status(exc: BaseException) -> int:
    """The exit status for a failure ``describe`` knows: 2 for bad input, 130 for an interrupt."""
    found = _known(exc) or exc
    if isinstance(found, BadDatabaseURL | NoSuchModuleError | ArgumentError):
        return 2
    if interrupted(found):
        return 130
    return 1


def interrupted(exc: BaseException) -> bool:
    """Whether SQLite stopped a statement because it was interrupted (Ctrl-C in a callback)."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(original, sqlite3.Error) and _primary(original) == "SQLITE_INTERRUPT"


def _primary(error: sqlite3.Error) -> str:
    """SQLite's primary result code name: SQLITE_IOERR for SQLITE_IOERR_SHORT_READ."""
    name = str(getattr(error, "sqlite_errorname", "") or "")
    return "_".join(name.split("_")[:2])


def _describe_sqlite(error: sqlite3.Error, database: str, path: Path | None) -> str | None:
    message = first_line(error)
    primary = _primary(error)
    if primary == "SQLITE_NOTADB" or "file is not a database" in message:
        return f"{database} is not a SQLite database (or it is encrypted)"
    if primary == "SQLITE_CORRUPT" or "malformed" in message:
        return f"{database} is damaged ({message}): restore it from a copy"
    if primary == "SQLITE_FULL" or "is full" in message:
        return f"cannot write {database}: the disk is full (or the database reached its size limit)"
    if primary == "SQLITE_CANTOPEN" or "unable to open" in message:
        return f"cannot open {database}: {_why_not(path, write=False)}"
    if primary == "SQLITE_READONLY" or "readonly database" in message:
        return f"cannot write {database}: {_why_not(path, write=True)}"
    if primary in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return f"{database} is locked by another program ({message})"
    if primary == "SQLITE_IOERR" or "disk I/O error" in message:
        return f"cannot use {database}: disk I/O error ({message})"
    if primary == "SQLITE_INTERRUPT":
        return "interrupted"
    return None


def _why_not(path: Path | None, *, write: bool) -> str:
    """Why a SQLite file (or its folder) cannot be opened or written, as far as can be seen."""
    if path is None:
        return "permission denied or not a database file"
    folder = path.parent
    if not folder.exists():
        return f"there is no folder {shown(folder)}"
    if not folder.is_dir():
        return f"{shown(folder)} is not a folder"
    if path.exists() and not os.access(path, os.R_OK):
        return "permission denied"
    if write and path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    if not os.access(folder, os.W_OK):
        return f"the folder {shown(folder)} is read-only (SQLite needs to make files beside it)"
    return "permission denied or not a database file"


def _describe_postgresql(error: BaseException, sqlstate: str | None, database: str) -> str | None:
    message = first_line(error)
    if sqlstate is None or sqlstate.startswith("08") or sqlstate.startswith("28"):
        # No SQL state: the connection itself failed (refused, unknown host, timed out).
        return f"cannot connect to {database}: {message}"
    if sqlstate == "3D000":  # invalid_catalog_name
        return f"cannot use {database}: {message}"
    if sqlstate.startswith("53"):  # insufficient resources: disk full, out of memory
        return f"cannot write {database}: {message}"
    if sqlstate == "57014":  # query_canceled
        return f"{database}: the statement was cancelled ({message})"
    if sqlstate in ("57P01", "57P02", "57P03"):  # the server shut down or is starting
        return f"cannot use {database}: {message}"
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, the part that says what happened."""
    text = str(exc).strip()
    for prefix in ("connection failed: ",):
        text = text.removeprefix(prefix)
    line = text.splitlines()[0] if text else type(exc).__name__
    return " ".join(line.split())
