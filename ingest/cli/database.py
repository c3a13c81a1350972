"""Opening the chosen database for a command that writes: an engine at the current schema.

The read commands open it read-only (``ingest.cli.read.read_session``). The
commands that write open it here: a new database gets the current schema, one
at another revision is refused in one line (``db.migrate.ensure_current``), as
upgrading is the user's decision (``newsstore db upgrade``, with its backup).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy import Engine

from db.migrate import ensure_current
from db.session import make_engine
from ingest.cli.schema import database_option


@contextmanager
def writable(ctx: typer.Context) -> Iterator[Engine]:
    """An engine for the chosen database, at the current schema, or a clean exit."""
    engine = make_engine(database_option(ctx))
    try:  # a SchemaError is one line, as every database failure (ingest.cli._App)
        ensure_current(engine)
        yield engine
    finally:
        engine.dispose()
