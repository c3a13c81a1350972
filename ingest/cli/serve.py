"""``newsstore serve``: the store in a web browser (Datasette), read-only, on loopback by default.

The command checks its options and the database, then hands over to
``db.serve``, which holds everything Datasette is told (metadata, facets,
canned queries, read-only connections). Datasette is the optional ``serve``
extra: without it, one line says how to install it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from db.errors import NoDatabase
from ingest.cli.database import database_option

app = typer.Typer()


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0: every network; think twice).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8001,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the store in the default web browser.")
    ] = False,
) -> None:
    """Browse the store in a web browser: Datasette with search, facets and a map of places.

    Read-only: nothing done in the browser changes the database. Needs the
    serve extra (pip install 'newsstore[serve]'). Ctrl-C stops it.

    Example: newsstore serve --open
    """
    # Datasette's setup and server: imported only by this command, for everyone's start-up time.
    from db import serve as served

    missing = served.missing_plugins()
    if missing:
        typer.echo(f"newsstore: serve needs {', '.join(missing)}: {served.INSTALL}", err=True)
        raise typer.Exit(code=1)
    try:
        target = served.served_file(database_option(ctx))
    except NoDatabase as exc:
        typer.echo(f"newsstore: {exc}: run 'newsstore ingest' first", err=True)
        raise typer.Exit(code=1) from None
    opened = "immutable" if target.immutable else "read-only"
    typer.echo(
        f"serving {target.path} ({opened}) at http://{host}:{port}/{target.name} (Ctrl-C stops)",
        err=True,
    )
    served.serve(target, host, port, open_browser=open_browser)
