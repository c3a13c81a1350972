"""Opening the database a command names (``--db``, else the environment, else ./newsstore.db).

The read commands open it read-only: nothing they do can change it, and they
work on a file the user cannot write. The commands that write open it at the
current schema: a new database gets it, one at another revision is refused in
one line (``db.migrate.ensure_current``), as upgrading is the user's decision
(``newsstore db upgrade``, with its backup). Any other failure of the
database itself is one line too, by the app's error mapping (``ingest.cli``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.errors import NoDatabase
from db.session import current_engine, read_only_session


def database_option(ctx: typer.Context) -> str | None:
    """The --db option as given: ``db.urls.resolve`` reads it (None: the environment)."""
    return ctx.obj.get("db") if ctx.obj else None


@contextmanager
def writable(ctx: typer.Context) -> Iterator[Engine]:
    """An engine for the chosen database, at the current schema."""
    with current_engine(database_option(ctx)) as engine:
        yield engine


@contextmanager
def read_session(ctx: typer.Context) -> Iterator[Session]:
    """A session on a read-only connection to the chosen database, or a clean exit."""
    with ExitStack() as opened:
        try:
            session = opened.enter_context(read_only_session(database_option(ctx)))
        except NoDatabase as exc:  # from opening it only, not from the command's work
            typer.echo(f"newsstore: {exc}: run 'newsstore ingest' first", err=True)
            raise typer.Exit(code=1) from None
        yield session
