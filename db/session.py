"""Sessions: the caller's unit of work, on a database at the schema's head revision.

``open_session`` is what a Python user starts with (``from db import
open_session``): a session in a transaction that commits when the block
ends; ``read_only_session`` one that cannot change anything. What they
stand on lives in modules of their own: which database (``db.urls``),
engines and their SQLite pragmas (``db.engine``), reading without writing
(``db.read_only``) and writers taking turns (``db.writers``). Their public
names are importable from here too, as they were when this one module held
them all. A module-level setting (such as ``db.writers.WAIT_SLICE_MS`` or
``default_on_wait``) is not: it is read, and must be changed, where it
lives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL, Engine
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.migrate import ensure_current
from db.read_only import FileState, read_only_query
from db.urls import DEFAULT_URL, database_url, describe_url, resolve, sqlite_file
from db.writers import WRITE_LOCK, on_every_wait, reading

# The names other packages, scripts and ``db/__init__`` imported from this module when
# it held them all.
__all__ = [
    "DEFAULT_URL",
    "WRITE_LOCK",
    "FileState",
    "database_url",
    "describe_url",
    "make_engine",
    "on_every_wait",
    "current_engine",
    "open_session",
    "read_only_session",
    "read_only_query",
    "reading",
    "resolve",
    "sqlite_file",
]


@contextmanager
def current_engine(url: str | URL | None = None) -> Iterator[Engine]:
    """An engine on a database at the schema's head (made if new), disposed when done.

    For a caller that runs its own transactions, as ingest does, one per batch:
    ``open_session`` is one transaction for the whole block.
    """
    engine = make_engine(url)
    try:
        ensure_current(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_session(
    url: str | URL | None = None, *, engine: Engine | None = None
) -> Iterator[Session]:
    """A session in a transaction: committed when the block ends, rolled back on error.

    The database must be at the schema's head revision; ``db.migrate.ensure_current``
    creates a new database or refuses an outdated one.
    """
    own_engine = engine is None
    bound = engine if engine is not None else make_engine(url)
    try:
        ensure_current(bound)
        with Session(bound) as session, session.begin():
            yield session
    finally:
        if own_engine:
            bound.dispose()


@contextmanager
def read_only_session(url: str | URL | None = None) -> Iterator[Session]:
    """A session that can only read, on a database at the schema's head; it never makes one.

    For reading a database that must not change, or that cannot be written:
    the engine is read-only (``make_engine(..., readonly=True)``: nothing
    done through it changes the file or leaves one beside it), a missing file
    is ``NoDatabase``, and an empty or outdated database a ``SchemaError``
    (``ensure_current(..., create=False)``). Nothing is committed: the
    session's transaction ends with the block.
    """
    engine = make_engine(url, readonly=True)
    try:
        ensure_current(engine, create=False)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
