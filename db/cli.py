"""``newsstore db``: schema migrations from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from db import migrate
from db.session import database_url, make_engine

app = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)
out = Console()


def _url(ctx: typer.Context) -> str:
    return database_url(ctx.obj.get("db") if ctx.obj else None)


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    no_backup: Annotated[
        bool, typer.Option("--no-backup", help="Do not copy the SQLite file first.")
    ] = False,
) -> None:
    """Upgrade the database schema to REVISION (default: the newest).

    A SQLite file is copied first (FILE.REVISION.TIME.bak) unless --no-backup.

    Example: newsstore db upgrade
    """
    url = _url(ctx)
    if not no_backup:
        copy = migrate.backup(url)
        if copy is not None:
            typer.echo(f"backup: {copy}", err=True)
    migrate.upgrade(url, revision)
    typer.echo(f"database at {_current(url)}", err=True)


@app.command()
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision ('base' removes every table).")],
) -> None:
    """Downgrade the database schema to REVISION.

    Example: newsstore db downgrade base
    """
    url = _url(ctx)
    migrate.downgrade(url, revision)
    typer.echo(f"database at {_current(url)}", err=True)


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision.

    Example: newsstore db current
    """
    typer.echo(_current(_url(ctx)))


@app.command()
def history() -> None:
    """List the schema revisions, newest first.

    Example: newsstore db history
    """
    table = Table("revision", "parent", "description")
    for rev in migrate.history():
        name = f"{rev.revision} (head)" if rev.is_head else rev.revision
        table.add_row(
            name,
            rev.down_revision or "-",
            rev.message.strip().splitlines()[0] if rev.message else "",
        )
    out.print(table)


def _current(url: str) -> str:
    engine = make_engine(url)
    try:
        revisions = migrate.current_revisions(engine)
    finally:
        engine.dispose()
    if not revisions:
        return "base (no schema)"
    head = set(migrate.heads())
    return ", ".join(f"{r} (head)" if r in head else r for r in revisions)
