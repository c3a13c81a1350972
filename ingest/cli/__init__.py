"""The ``newsstore`` command: a thin Typer app over ``ingest`` and ``db``.

Commands parse their arguments, call one library function, and render the
result: tables and summaries on stdout, diagnostics on stderr. This module is
the root app (the ``--db`` option, the error mapping, ``main``); the commands
live in the modules named after what they do: ``write`` (ingest, reparse),
``read`` (search, sql, export, stats, places), ``show``, ``stories``, ``schema``
(``newsstore db ...``) and ``serve`` (Datasette); ``database`` opens the
chosen database for them and ``render`` draws an article.

Whatever goes wrong ends with one line on stderr and an exit status (see
``_App``): 2 for bad command-line input, 1 for a database that cannot be
used (``db.errors.describe`` says why) or a failed run, 130 for Ctrl-C.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from db import session as db_session
from db.errors import describe, exit_status
from ingest.cli import read as read_cli
from ingest.cli import schema as db_cli
from ingest.cli import serve, show, stories, write
from ingest.errors import DEBUG_VARIABLE, internal_error


class _App(TyperGroup):
    """The app's command group: every failure ends as one line on stderr and an exit status.

    - Bad command-line input (Typer's usage errors, ``BadParameter``): one
      line naming the option and the problem, exit 2 (Typer would draw a
      panel with the usage around it).
    - A database that cannot be used, in any command (not a database,
      damaged, full, missing folder, unknown URL scheme...): the line
      ``db.errors.describe`` gives, exit 1 (2 for a URL that is not one).
    - Ctrl-C: "interrupted", exit 130.
    - Anything else is a bug: "internal error: Type: message", exit 1;
      ``NEWSSTORE_DEBUG=1`` in the environment prints the traceback too.

    Done here rather than in ``main`` so that Typer's ``CliRunner`` (the
    tests) meets the same behaviour as the installed command.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            typer.echo("newsstore: interrupted", err=True)
            raise typer.Exit(code=130) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = (args, prog_name, complete_var, False, windows_expand_args)
        if not standalone_mode:
            return super().main(*run, **extra)
        try:
            # Not standalone: Typer would print usage errors as a panel; so it returns
            # the codes of explicit exits (typer.Exit) instead of exiting.
            result = super().main(*run, **extra)
        except typer.Abort:  # end of input at a prompt
            typer.echo("newsstore: aborted", err=True)
            sys.exit(1)
        except typer.TyperException as exc:  # click's exceptions: usage errors
            sys.exit(_usage_error(exc))
        except Exception as exc:
            sys.exit(_failure(exc))
        sys.exit(result if isinstance(result, int) else 0)


def _usage_error(exc: typer.TyperException) -> int:
    """Print a usage error in one line (no arguments at all: the help, as Typer does)."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        from typer import rich_utils  # rich's help rendering: imported only to show it

        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
        return int(exc.exit_code)
    message = " ".join(exc.format_message().split())
    context = getattr(exc, "ctx", None)  # usage errors know their command
    if context is not None:
        message += f" (see '{context.command_path} --help')"
    typer.echo(f"newsstore: {message}", err=True)
    return int(exc.exit_code)


def _failure(exc: Exception) -> int:
    """Print one line for an exception no command handled; the exit status for it."""
    message = describe(exc)
    if message is None:  # a bug: named as one, as for a document that hits one
        bug = internal_error(exc, "the command")
        typer.echo(f"newsstore: {bug} (set {DEBUG_VARIABLE}=1 for the traceback)", err=True)
        return 1
    if os.environ.get(DEBUG_VARIABLE):
        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"newsstore: {message}", err=True)
    return exit_status(exc)


app = typer.Typer(
    cls=_App,
    help="newsstore: a content store for news articles (SQLite by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# In the order of the help's list: a user meets ingest first.
app.add_typer(write.app)
app.add_typer(show.app)
app.add_typer(stories.app)
app.add_typer(db_cli.app, name="db")
app.add_typer(read_cli.app)
app.add_typer(serve.app)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database file or SQLAlchemy URL.",
        # Shown as Typer shows defaults; in the help text, "[...]" would be read as markup.
        show_default="$NEWSSTORE_DATABASE_URL, else ./newsstore.db",
    ),
]


@app.callback()
def root(ctx: typer.Context, db: DbOption = None) -> None:
    """Ingest news articles into one clean database; query it with SQL, the CLI or Python."""
    if db == "":
        raise typer.BadParameter("an empty database name", param_hint="--db")
    ctx.obj = {"db": db}
    if _stderr_is_terminal():
        ctx.call_on_close(db_session.on_every_wait(_waiting_notice()))


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _waiting_notice() -> Callable[[str], None]:
    """Says once, on stderr, that a writer waits for another (called each wait slice)."""
    said = False

    def notice(database: str) -> None:
        nonlocal said
        if not said:
            said = True
            typer.echo(f"waiting for another writer to finish with {database}...", err=True)

    return notice


def main() -> None:
    """The installed command: the app, whose ``_App`` maps every failure to one line."""
    try:
        app()
    finally:
        # Python's shutdown ends with a garbage collection over every object left, which
        # after the imports (SQLAlchemy, Typer, pydantic) took a fifth of a second: as long
        # as a rerun over unchanged files spends on them. The command is done and has
        # closed what it opened; frozen objects are out of that collection's reach.
        gc.freeze()
