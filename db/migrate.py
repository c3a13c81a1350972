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

from sqlalchemy import Connection, Engine, inspect, make_url, text

import migrations
from db.session import database_url, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

# The revision these models are written for: Alembic's head (tests/test_migrations.py
# checks that it is). A new revision updates it.
HEAD = "61f29514ff84"


class SchemaError(Exception):
    """The database cannot be used at its current schema revision."""


class SchemaOutdated(SchemaError):
    def __init__(self, current: tuple[str, ...], head: tuple[str, ...]) -> None:
        super().__init__(
            f"the database is at revision {', '.join(current)}, behind head "
            f"{', '.join(head)}: run 'newsstore db upgrade' first"
        )


class SchemaUnknown(SchemaError):
    pass


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

    On SQLite, the FTS5 tables and their shadow tables; on PostgreSQL, the
    ``*_tsv`` columns and their GIN indexes.
    """
    if name is None:
        return True
    if type_ in ("column", "index"):
        return not name.endswith("_tsv")
    if type_ != "table":
        return True
    return not (name == "fts_control" or name.startswith(("paragraphs_fts", "articles_fts")))


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the installed migrations, for ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["newsstore_url"] = database_url(url)
    return config


def heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at, read from Alembic's version table (none: empty)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return ()
        return tuple(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def ensure_current(engine: Engine, *, create: bool = True) -> None:
    """Create the schema in a new database (unless ``create`` is False); refuse one not at head."""
    current = current_revisions(engine)
    if current == (HEAD,):
        return
    head = heads()
    if set(current) == set(head):
        return
    if not current:
        if not create:
            raise SchemaError("the database is empty: run 'newsstore ingest' first")
        _create(engine.url.render_as_string(hide_password=False))
        return
    _refuse(current, head)


def _refuse(current: tuple[str, ...], head: tuple[str, ...]) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if not set(current) <= known:
        raise SchemaUnknown(
            f"the database is at revision {', '.join(current)}, which this newsstore "
            "does not know: it was made by a newer version"
        )
    raise SchemaOutdated(current, head)


@contextmanager
def _schema_transaction(url: str | None) -> Iterator[Connection]:
    """A transaction for changing the schema, taken by one process at a time.

    It is a writing transaction like any other (``db.session``): on SQLite it
    begins IMMEDIATE, holding the write lock; on PostgreSQL, where DDL is
    transactional too, it begins by taking the writers' advisory lock.
    """
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _create(url: str) -> None:
    """Bring a database without a schema to head, one process at a time.

    The check and the creation run in one transaction that holds the schema
    lock, so two commands starting on the same new database do not both
    create it: the second waits, then finds the schema made.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _schema_transaction(url) as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
        if current:
            if set(current) != set(heads()):
                _refuse(current, heads())
            return
        # An empty alembic_version table is what `db downgrade base` leaves behind.
        tables = [
            t
            for t in inspect(connection).get_table_names()
            if not t.startswith("sqlite_") and t != "alembic_version"
        ]
        if tables:
            raise SchemaUnknown(
                "the database has tables but no newsstore schema revision: "
                "is it a newsstore database?"
            )
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def backup(url: str | None = None) -> Path | None:
    """Copy a SQLite database file before changing its schema; returns the copy's path.

    Uses SQLite's online backup, so the copy is consistent even while others
    read or write. Nothing to copy (None) for a new or empty file or another
    kind of database.
    """
    resolved = make_url(database_url(url))
    path = Path(resolved.database or "")
    if resolved.get_backend_name() != "sqlite" or not path.is_file() or path.stat().st_size == 0:
        return None
    engine = make_engine(url)
    try:
        revisions = current_revisions(engine)
    finally:
        engine.dispose()
    if not revisions:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{'-'.join(revisions)}.{stamp}.bak")
    source = sqlite3.connect(path)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    _run(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str | None, revision: str) -> None:
    from alembic import command

    _run(url, lambda config: command.downgrade(config, revision))


def _run(url: str | None, action: Callable[[Config], None]) -> None:
    with _schema_transaction(url) as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        action(config)


def history() -> list[Revision]:
    """Every revision, newest first."""
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
