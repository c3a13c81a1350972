"""Schema migrations: Alembic's commands, found from the installed package.

The CLI and ``open_session`` never upgrade an existing database silently: a
database behind head is refused with a message to run ``newsstore db upgrade``.
Only a new, empty database is brought to head by itself.

Alembic is imported only when it is needed: importing it takes about a third
of a second (it loads every dialect's DDL module, and Mako with Pygments),
which every command would pay, while a database at ``HEAD`` is recognised
with one query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, Connection, Engine, inspect, text

import migrations
from db.engine import make_engine
from db.errors import DatabaseUnavailable, shown

# Defined with the other database failures (``db.errors.describe`` knows them), raised
# here; importable from here too, where the CLI and the tests look for them.
from db.errors import SchemaError as SchemaError
from db.errors import SchemaOutdated as SchemaOutdated
from db.errors import SchemaUnknown as SchemaUnknown
from db.urls import describe_url, resolve, sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

# The revision these models are written for: Alembic's head (tests/test_migrations.py
# checks that it is). A new revision updates it.
HEAD = "8d2e4a6c1f37"


class RevisionError(Exception):
    """Alembic cannot take the database to the revision asked for (unknown, or not that way)."""


class BackupError(DatabaseUnavailable):
    """The copy of a SQLite file before an upgrade could not be made; nothing was changed."""


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate filter: full-text tables, columns and indexes have migrations of their own.

    On SQLite, the FTS5 tables and their shadow tables, and search's impact lists
    (``db.search.impacts``); on PostgreSQL, the
    ``*_tsv`` columns and their GIN indexes.
    """
    if name is None:
        return True
    if type_ in ("column", "index"):
        return not name.endswith("_tsv")
    if type_ != "table":
        return True
    return not (
        name in ("fts_control", "search_terms", "search_impacts", "search_index")
        or name.startswith(("paragraphs_fts", "articles_fts"))
    )


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config pointing at the installed migrations, for ``url``.

    The database goes to ``migrations/env.py`` as a ``URL`` object in the
    config's attributes, not as text in its options: text would be read
    back through ``make_url`` (and ConfigParser's ``%`` interpolation), and a
    path with ``%``, ``#`` or ``?`` or bytes that are not UTF-8 would not
    survive it. Without ``url``, env.py resolves the database itself.
    """
    # alembic takes a third of a second to import: only when it is needed.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if url is not None:
        config.attributes["newsstore_url"] = resolve(url)
    return config


def heads() -> tuple[str, ...]:
    # alembic takes a third of a second to import: only when it is needed.
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at, read from Alembic's version table (none: empty)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return ()
        return tuple(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def ensure_current(engine: Engine, *, create: bool = True) -> None:
    """Create the schema in a new database (unless ``create`` is False); refuse one not at head.

    A ``SchemaError`` names the database it is about.
    """
    with _naming(engine.url):
        _ensure_current(engine, create=create)


@contextmanager
def _naming(url: URL) -> Iterator[None]:
    """A ``SchemaError`` raised in the block names the database it is about."""
    try:
        yield
    except SchemaError as exc:
        exc.args = (f"{describe_url(url)}: {exc}",)
        raise


def _ensure_current(engine: Engine, *, create: bool) -> None:
    current = current_revisions(engine)
    if current == (HEAD,):
        return
    head = heads()
    if set(current) == set(head):
        return
    if not current:
        if not create:
            with engine.connect() as connection:
                _refuse_foreign_tables(connection)
            raise SchemaError("the database is empty: run 'newsstore ingest' first")
        _create(engine.url)
        return
    _refuse(current, head)


def _refuse(current: tuple[str, ...], head: tuple[str, ...]) -> None:
    _refuse_unknown(current)
    raise SchemaOutdated(current, head)


def _refuse_unknown(current: tuple[str, ...]) -> None:
    """Refuse a database at a revision this newsstore does not know (a newer one made it)."""
    # alembic takes a third of a second to import: only when it is needed.
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if not set(current) <= known:
        raise SchemaUnknown(
            f"the database is at revision {', '.join(current)}, which this newsstore "
            "does not know: it was made by a newer version"
        )


@contextmanager
def _schema_transaction(url: str | URL | None, *, create: bool = True) -> Iterator[Connection]:
    """A transaction for changing the schema, taken by one process at a time.

    It is a writing transaction like any other (``db.writers``): on SQLite it
    begins IMMEDIATE, holding the write lock (waiting for another writer as
    long as that one holds it); on PostgreSQL, where DDL is transactional
    too, it begins by taking the writers' advisory lock.
    """
    engine = make_engine(url, foreign_keys=False, create=create)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _create(url: str | URL) -> None:
    """Bring a database without a schema to head, one process at a time.

    The check and the creation run in one transaction that holds the schema
    lock, so two commands starting on the same new database do not both
    create it: the second waits, then finds the schema made.
    """
    # alembic takes a third of a second to import: only when it is needed.
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _schema_transaction(url) as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
        if current:
            if set(current) != set(heads()):
                _refuse(current, heads())
            return
        _refuse_foreign_tables(connection)
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _refuse_foreign_tables(connection: Connection) -> None:
    """Refuse a database without a newsstore revision that holds tables: another program's.

    An empty ``alembic_version`` table is what `db downgrade base` leaves behind.
    """
    tables = [
        t
        for t in inspect(connection).get_table_names()
        if not t.startswith("sqlite_") and t != "alembic_version"
    ]
    if tables:
        raise SchemaUnknown(
            "the database has tables but no newsstore schema revision: is it a newsstore database?"
        )


def backup(url: str | URL | None = None) -> Path | None:
    """Copy a SQLite database file before changing its schema; returns the copy's path.

    Uses SQLite's online backup, so the copy is consistent even while others
    read or write. Nothing to copy (None) for a new or empty file or another
    kind of database. The database is only read (a missing one is not made);
    a copy that cannot be finished (a full disk) is removed, and
    ``BackupError`` says why.
    """
    path = sqlite_file(resolve(url))
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return None
    engine = make_engine(url, readonly=True)
    try:
        revisions = current_revisions(engine)
    finally:
        engine.dispose()
    if not revisions:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{'-'.join(revisions)}.{stamp}.bak")
    try:
        source = sqlite3.connect(path)
        try:
            copy = sqlite3.connect(target)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"cannot copy {shown(path)} to {shown(target)} first: {exc}") from None
    return target


def upgrade(url: str | URL | None = None, revision: str = "head") -> None:
    """Take the schema up to ``revision``; ``RevisionError`` if Alembic cannot go there."""
    # alembic takes a third of a second to import: only when it is needed.
    from alembic import command

    _run(url, revision, lambda config: command.upgrade(config, revision), create=True)


def downgrade(url: str | URL | None, revision: str) -> None:
    """Take the schema down to ``revision`` (``base``: no tables); never makes a database."""
    # alembic takes a third of a second to import: only when it is needed.
    from alembic import command

    _run(url, revision, lambda config: command.downgrade(config, revision), create=False)


def _run(
    url: str | URL | None, revision: str, action: Callable[[Config], None], *, create: bool
) -> None:
    """Run an Alembic command in a schema transaction, on a database that is newsstore's.

    A database at a revision this newsstore does not know, or one with
    another program's tables and no revision, is refused (``SchemaUnknown``)
    before Alembic is asked; what Alembic then refuses is the target
    revision (``RevisionError``).
    """
    # alembic takes a third of a second to import: only when it is needed.
    from alembic.runtime.migration import MigrationContext
    from alembic.util.exc import CommandError

    if not revision.strip():
        raise RevisionError("no revision given")
    with _schema_transaction(url, create=create) as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
        with _naming(connection.engine.url):
            if current:
                _refuse_unknown(current)
            else:
                _refuse_foreign_tables(connection)
        config = alembic_config(url)
        config.attributes["connection"] = connection
        try:
            action(config)
        except CommandError as exc:
            raise RevisionError(f"revision {revision!r}: {exc}") from None


def history() -> list[Revision]:
    """Every revision, newest first."""
    # alembic takes a third of a second to import: only when it is needed.
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = set(script.get_heads())
    return [
        Revision(
            revision=rev.revision,
            down_revision=rev.down_revision if isinstance(rev.down_revision, str) else None,
            message=rev.doc or "",
            is_head=rev.revision in head,
        )
        for rev in script.walk_revisions()
    ]
