"""``newsstore db``: schema migrations, copies and upkeep from the command line.

A revision Alembic cannot go to (unknown, or not in that direction) is bad
input: one line, exit status 2. A database that cannot be used is reported
by the app's error mapping (``ingest.cli``), exit status 1.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.orm import Session

from db import migrate
from db.copy import CopyError, copy_database
from db.errors import shown
from db.migrate import RevisionError, SchemaError
from db.optimize import optimize as optimize_database
from db.search import impacts
from db.session import make_engine
from ingest.cli.database import database_option, writable

app = typer.Typer(
    help="Manage the database: schema (Alembic migrations), copies, upkeep.", no_args_is_help=True
)
out = Console()


def _revision_refused(exc: RevisionError) -> typer.Exit:
    typer.echo(f"newsstore: {exc}", err=True)
    return typer.Exit(code=2)


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
    url = database_option(ctx)
    if not revision.strip():
        raise _revision_refused(RevisionError("no revision given"))
    # A database that cannot be written is refused before it is copied.
    make_engine(url).dispose()
    copy = None if no_backup else migrate.backup(url)
    try:
        migrate.upgrade(url, revision)
    except (RevisionError, SchemaError) as exc:
        # Refused before anything was changed: the copy made for the occasion is not needed.
        if copy is not None:
            copy.unlink(missing_ok=True)
        if isinstance(exc, RevisionError):
            raise _revision_refused(exc) from None
        raise
    finally:
        if copy is not None and copy.exists():
            typer.echo(f"backup: {shown(copy)}", err=True)
    typer.echo(f"database at {_current(url)}", err=True)


@app.command()
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision ('base' removes every table).")],
) -> None:
    """Downgrade the database schema to REVISION.

    Example: newsstore db downgrade base
    """
    url = database_option(ctx)
    try:
        migrate.downgrade(url, revision)
    except RevisionError as exc:
        raise _revision_refused(exc) from None
    typer.echo(f"database at {_current(url)}", err=True)


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision (read-only: never makes or changes a database).

    A missing database is one line, exit status 1.

    Example: newsstore db current
    """
    typer.echo(_current(database_option(ctx)))


@app.command()
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target database (file path or URL).")],
) -> None:
    """Copy the whole database to another one, keeping ids and raw documents.

    The target is created or upgraded to the current schema and must hold no
    documents. Moves a SQLite file to PostgreSQL, and back.

    Example: newsstore db copy --to postgresql+psycopg://newsstore@localhost/newsstore
    """
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    console = Console(stderr=True)
    # A progress bar on a terminal only: elsewhere it would leave an empty line on stderr.
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done)

        try:
            copied = copy_database(database_option(ctx), to, progress=advance)
        except CopyError as exc:  # a SchemaError is one line too (ingest.cli._App)
            typer.echo(f"newsstore: {exc}", err=True)
            raise typer.Exit(code=1) from None
    typer.echo(", ".join(f"{n} {table}" for table, n in copied.items()) + " copied")


@app.command()
def optimize(
    ctx: typer.Context,
    vacuum: Annotated[
        bool | None,
        typer.Option(
            "--vacuum/--no-vacuum",
            help="VACUUM always, or never (default: where it gives back a tenth of the file).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Merge the search indexes, refresh the planner's statistics, VACUUM where it pays.

    Worth running after a large ingest, an upgrade, or a reparse that changed
    much: see README, "Keeping a store in shape". On PostgreSQL: VACUUM ANALYZE.

    Example: newsstore db optimize
    """
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    console = Console(stderr=True)
    with (
        writable(ctx) as engine,
        Progress(
            *columns,
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("optimize", total=None)

        def advance(done: int, total: int, step: str) -> None:
            bar.update(task, completed=done, total=total, description=step)

        result = optimize_database(engine, vacuum=vacuum, progress=advance)
    table = Table("step", "outcome", "seconds")
    for step in result.steps:
        table.add_row(step.name, step.outcome, f"{step.seconds:.1f}")
    out.print(table)
    if result.bytes_before is not None and result.bytes_after is not None:
        out.print(f"database: {_mb(result.bytes_before)} before, {_mb(result.bytes_after)} after")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild search's impact lists (SQLite), which let a search skip most matches.

    They are derived from the full-text indexes. After an ingest a search scores
    what was added besides them, up to a point: this (or ``db optimize``, which
    runs it when they are stale) brings them up to date. PostgreSQL has none.

    Example: newsstore db reindex
    """
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    console = Console(stderr=True)
    with writable(ctx) as engine:
        if engine.dialect.name != "sqlite":
            typer.echo("newsstore: only SQLite databases have impact lists", err=True)
            return
        with (
            Session(engine) as session,
            Progress(
                *columns, console=console, transient=True, disable=not console.is_terminal
            ) as bar,
        ):
            task = bar.add_task("common words", total=None)
            words = impacts.rebuild(
                session, lambda done, total: bar.update(task, completed=done, total=total)
            )
            session.commit()
    typer.echo(f"impact lists for {words} common words")


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


def _current(url: str | None) -> str:
    engine = make_engine(url, readonly=True)
    try:
        revisions = migrate.current_revisions(engine)
    finally:
        engine.dispose()
    if not revisions:
        return "base (no schema)"
    head = set(migrate.heads())
    return ", ".join(f"{r} (head)" if r in head else r for r in revisions)
