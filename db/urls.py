"""Which database: a path or URL (or the environment, or the default) as a SQLAlchemy URL.

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
import urllib.parse
from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from db.errors import BadDatabaseURL, shown

ENV_VAR = "NEWSSTORE_DATABASE_URL"
DEFAULT_PATH = "newsstore.db"
DEFAULT_URL = f"sqlite:///{DEFAULT_PATH}"
# The files beside a SQLite database that are part of it: the write-ahead log and its
# index, and the rollback journal.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")

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


def sqlite_files(url: URL) -> tuple[Path, ...]:
    """Every file a SQLite database is made of: the file, then its ``-wal``, ``-shm``, ``-journal``.

    Whether they exist or not; none for another engine or an in-memory
    database. Writing over any of them would destroy the database (so an
    export refuses them), and the first two hold its data (its size).
    """
    path = sqlite_file(url)
    if path is None:
        return ()
    # Named, not globbed: a file name may hold glob characters ('[', '*', '?').
    return (path, *(Path(f"{path}{suffix}") for suffix in COMPANION_SUFFIXES))


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
