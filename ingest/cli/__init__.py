"""The ``newsstore`` command: a thin Typer app over ``ingest`` and ``db``.

Commands parse their arguments, call one library function, and render the
result: tables and summaries on stdout, diagnostics on stderr.

Whatever goes wrong ends with one line on stderr and an exit status (see
``_App``): 2 for bad command-line input, 1 for a database that cannot be
used (``db.errors.describe`` says why) or a failed run, 130 for Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine
from typer.core import TyperGroup

from db import queries
from db import session as db_session
from db.errors import describe, exit_status, shown
from db.migrate import ensure_current
from db.session import make_engine
from ingest import pipeline
from ingest.cli import read as read_cli
from ingest.cli import render
from ingest.cli import schema as db_cli
from ingest.errors import DEBUG_VARIABLE, internal_error
from ingest.read import iter_paths


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
        from typer import rich_utils

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
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"newsstore: {message}", err=True)
    return exit_status(exc)


app = typer.Typer(
    cls=_App,
    help="newsstore: a content store for news articles (SQLite by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(read_cli.app)
out = Console()
err = Console(stderr=True)

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


@contextmanager
def _database(ctx: typer.Context) -> Iterator[Engine]:
    """An engine for the chosen database, at the current schema, or a clean exit."""
    engine = make_engine(db_cli.database_option(ctx))
    try:  # a SchemaError is one line, as every database failure (_App)
        ensure_current(engine)
        yield engine
    finally:
        engine.dispose()


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str], typer.Argument(help="Files and folders (searched recursively); - for stdin.")
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes that parse (default: one per core for 64+ files, else one;"
            " 0: none, all in this process, without the time limit per document).",
            min=0,
            max=MAX_WORKERS,
        ),
    ] = None,
    max_size: Annotated[
        str, typer.Option(help="Refuse files larger than this (bytes, or with K, M, G).")
    ] = "50M",
) -> None:
    """Ingest documents: store each one's raw bytes and the articles read from it.

    Page dumps (.txt), HTML pages (.html, .htm, .html.gz), RSS/Atom feeds and
    JSON Lines, told apart by their content. A file already stored with the
    same bytes is skipped; one whose articles repeat earlier ones is recorded
    as a duplicate. A file that cannot be read or parsed, in any way, fails
    alone (one line on stderr, a failed row with its bytes); the rest goes on.
    Exits 1 if any file or record failed, 130 when stopped by Ctrl-C.

    Example: newsstore ingest seeds/ ~/crawl/2025-02-09/
    """
    limit = _size(max_size)
    origins = list(iter_paths(paths))
    tally: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    articles = 0
    interrupted = _Interrupt()
    problems: list[str] = []

    def problem(message: str) -> None:
        problems.append(message)
        typer.echo(f"error: {message}", err=True)

    with (
        _database(ctx) as engine,
        _progress(len(origins)) as advance,
        interrupted,
        _waiting_stops_on(interrupted),
    ):
        for outcome in pipeline.run(
            engine,
            origins,
            workers=workers,
            max_size=limit,
            stop=interrupted.is_set,
            on_problem=problem,
        ):
            tally[outcome.status] += 1
            articles += outcome.articles
            # One line each, whatever a file name or a reason holds (a newline, say).
            origin = shown(outcome.origin)
            if outcome.status == "failed":
                reasons[outcome.reason or "error"] += 1
                typer.echo(f"error: {origin}: {shown(outcome.error or '')}", err=True)
            for warning in outcome.warnings:
                reasons["bad record"] += 1
                typer.echo(f"error: {origin}: {shown(warning)}", err=True)
            for note in outcome.notes:
                typer.echo(f"warning: {origin}: {shown(note)}", err=True)
            advance()
    seconds = advance.elapsed()
    summary = (
        f"{len(origins)} files: {articles} new articles, {tally['duplicate']} duplicates, "
        f"{tally['unchanged']} unchanged, {tally['failed']} failed in {seconds:.2f} s"
    )
    if reasons["bad record"]:
        summary += f" ({reasons['bad record']} bad records in files otherwise stored)"
    typer.echo(summary)
    if interrupted.is_set():
        done = sum(tally.values())
        typer.echo(
            f"interrupted: stopped cleanly after {done} of {len(origins)} files; "
            "run the same command again to finish",
            err=True,
        )
        raise typer.Exit(code=130)
    if reasons:
        typer.echo(
            "failed by reason: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common()), err=True
        )
    if reasons or problems:
        raise typer.Exit(code=1)


@app.command()
def reparse(ctx: typer.Context) -> None:
    """Re-read every stored document with the current parsers, updating articles in place.

    Article ids stay the same where the article is the same; raw documents are
    never touched. Run it after upgrading newsstore.

    Example: newsstore reparse
    """
    from ingest import reparse as reparse_module  # the parsing stack: see ingest.prepare

    with _database(ctx) as engine:
        result = reparse_module.reparse(engine)
    typer.echo(
        f"{result.documents} documents: {result.changed} articles changed, "
        f"{result.added} added, {result.unchanged} unchanged, {result.failed} still failing"
    )


@app.command()
def show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="The article's id.", min=1, max=queries.MAX_ID)],
    explain: Annotated[
        bool, typer.Option("--explain", help="Say why each paragraph got its kind.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one article: its source, dates, places and paragraphs with their kinds.

    Example: newsstore show 1 --explain
    """
    with read_cli.read_session(ctx) as session:
        detail = queries.article_detail(session, article_id)
        if detail is None:
            typer.echo(f"newsstore: no article {article_id}", err=True)
            raise typer.Exit(code=1)
        reasons = {}
        if explain:
            from ingest.explain import explain as explain_article  # see ingest.prepare

            reasons = {e.position: e.reason for e in explain_article(session, detail)}
    if as_json:
        data = dataclasses.asdict(detail)
        if explain:
            for paragraph in data["paragraphs"]:
                paragraph["reason"] = reasons.get(paragraph["position"])
        typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))
        return
    render.article(out, detail, reasons)


# More worker processes than this only contend for the one writer, and each holds a
# batch in memory.
MAX_WORKERS = 256
# The largest --max-size: one byte more must still be a size a read can be asked for.
MAX_SIZE = 2**63 - 2
_SIZE = re.compile(
    r"(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(?P<unit>[KMGT]?)(?:I?B)?",
    re.IGNORECASE,
)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _size(value: str) -> int:
    """'50M' -> 52428800: a byte count with an optional K, M, G or T suffix (powers of 1024).

    A plain decimal number (a fraction or an exponent allowed: 1.5M, 1e6), at
    least one byte and at most ``MAX_SIZE``; no sign, no 'inf' or 'nan'.
    """
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        message = f"{value!r} is not a size like 50M"
        raise typer.BadParameter(message, param_hint="--max-size")
    number = Decimal(match["number"])
    if number > MAX_SIZE:  # compared before multiplying, which 1e999999999 would overflow
        raise typer.BadParameter(f"{value!r} is larger than any file", param_hint="--max-size")
    size = int(number * _UNITS[match["unit"].upper()])
    if not 1 <= size <= MAX_SIZE:
        problem = "less than one byte" if size < 1 else "larger than any file"
        raise typer.BadParameter(f"{value!r} is {problem}", param_hint="--max-size")
    return size


@contextmanager
def _waiting_stops_on(interrupted: _Interrupt) -> Iterator[None]:
    """While ingest runs, Ctrl-C also ends a wait for another writer's lock (nothing begun).

    Ingest's first Ctrl-C only asks to stop after the batch being written; a
    batch still waiting for the lock has written nothing, so the wait ends
    there (KeyboardInterrupt, at the next wait slice).
    """

    def stop_waiting(database: str) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt

    undo = db_session.on_every_wait(stop_waiting)
    try:
        yield
    finally:
        undo()


class _Interrupt:
    """Ctrl-C during ingest: finish the batch being written, commit it, then stop."""

    def __init__(self) -> None:
        self._set = False
        self._previous: Any = None

    def is_set(self) -> bool:
        return self._set

    def _handle(self, _signum: int, _frame: object) -> None:
        if self._set:  # a second Ctrl-C: stop now (the open batch is rolled back)
            raise KeyboardInterrupt
        self._set = True
        typer.echo("stopping after the current batch (Ctrl-C again to stop now)", err=True)

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class _Advance:
    """Advances a progress bar (when there is one) and times the run."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._start = time.perf_counter()
        self._progress, self._task = progress, task

    def __call__(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

    def elapsed(self) -> float:
        return time.perf_counter() - self._start


@contextmanager
def _progress(total: int) -> Iterator[_Advance]:
    if total < 2 or not err.is_terminal:
        yield _Advance(None, None)
        return
    columns = (TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        yield _Advance(progress, progress.add_task("ingest", total=total))


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
