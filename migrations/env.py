"""Alembic environment: Alembic's generic template plus a few edits.

Edits: the models' metadata is the target; the database URL follows the same
rule as the CLI (``NEWSSTORE_DATABASE_URL``, else ``./newsstore.db``); a
connection passed in ``config.attributes`` is reused; SQLite runs in batch
mode; full-text-search tables are left out of autogenerate comparisons.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import URL, Connection

import db.models  # noqa: F401  (registers the tables on Base.metadata)
from db.base import Base
from db.migrate import include_object
from db.session import make_engine, resolve

config = context.config
target_metadata = Base.metadata


def _url() -> URL:
    """The database: a ``URL`` object from ``db.migrate.alembic_config``, else the usual choice.

    Never text: a file path with ``%``, ``#`` or ``?`` (or bytes that are not
    UTF-8) does not survive a round trip through URL text.
    """
    url = config.attributes.get("newsstore_url")
    return url if isinstance(url, URL) else resolve(url)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=_url().get_backend_name() == "sqlite",
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), foreign_keys=False)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
